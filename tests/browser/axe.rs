//! axe-core, from `tests/browser/node_modules`, run on the page the browser shows.

use std::{fmt::Write, path::Path, time::Duration};

use fantoccini::wd::TimeoutConfiguration;
use serde_json::Value;

use crate::browser::Browser;

const AXE: &str = "tests/browser/node_modules/axe-core/axe.min.js";

const RUN: &str = "const done = arguments[arguments.length - 1];
axe.run(document)
  .then((results) => done({ violations: results.violations, passes: results.passes.length }))
  .catch((error) => done({ error: String(error) }));";

fn source() -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(AXE);
    std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "axe-core not found at {} ({e}): install it with `npm ci --prefix tests/browser`",
            path.display()
        )
    })
}

/// One line per violation and one per node it was found on.
fn describe(violations: &[Value]) -> String {
    let mut out = String::new();
    for v in violations {
        let _ = writeln!(
            out,
            "- {} ({}): {} <{}>",
            v["id"].as_str().unwrap_or("?"),
            v["impact"].as_str().unwrap_or("no impact"),
            v["help"].as_str().unwrap_or_default(),
            v["helpUrl"].as_str().unwrap_or_default(),
        );
        for node in v["nodes"].as_array().into_iter().flatten() {
            let _ = writeln!(
                out,
                "    {}: {}\n      {}",
                node["target"],
                node["html"].as_str().unwrap_or_default(),
                node["failureSummary"]
                    .as_str()
                    .unwrap_or_default()
                    .replace('\n', "\n      "),
            );
        }
    }
    out
}

impl Browser {
    /// Fails when axe-core finds any violation on the current page, listing each one's id,
    /// impact, help and the nodes it was found on.
    pub async fn assert_accessible(&self, page: &str) {
        let client = self.client();
        client
            .update_timeouts(TimeoutConfiguration::new(
                Some(Duration::from_secs(60)),
                None,
                None,
            ))
            .await
            .expect("set the script timeout");
        client
            .execute(&source(), Vec::new())
            .await
            .unwrap_or_else(|e| panic!("inject axe-core into {page}: {e}"));
        let result = client
            .execute_async(RUN, Vec::new())
            .await
            .unwrap_or_else(|e| panic!("run axe-core on {page}: {e}"));
        if let Some(error) = result["error"].as_str() {
            panic!("axe-core failed on {page}: {error}");
        }
        let violations = result["violations"]
            .as_array()
            .unwrap_or_else(|| panic!("axe-core gave no violations list on {page}: {result}"));
        // An empty page, such as one that failed to load, has no violations either.
        assert!(
            result["passes"].as_u64().unwrap_or_default() > 0,
            "axe-core checked nothing on {page} ({})",
            self.path().await
        );
        assert!(
            violations.is_empty(),
            "axe-core found {} violation(s) on {page} ({}):\n{}",
            violations.len(),
            self.path().await,
            describe(violations)
        );
    }
}

#[tokio::test]
#[should_panic(expected = "image-alt (critical)")]
async fn the_check_fails_on_a_page_with_a_violation() {
    crate::browser::with_browser("", async |b| {
        b.client()
            .goto("data:text/html,<!doctype html><html lang=en><title>t</title><main><h1>t</h1><img src=x></main>")
            .await
            .expect("open a data page");
        b.assert_accessible("a page with an image without alt text")
            .await;
    })
    .await;
}

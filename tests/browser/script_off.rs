//! Pages with the browser's script turned off. WebDriver's own commands run script in the
//! page, so here the browser is driven through the DevTools protocol alone: navigation,
//! taps as mouse events at an element's place, typing as inserted text, and the page read
//! as its DOM.

use std::time::Duration;

use serde_json::{Value, json};

use crate::browser::{Browser, Screen, time_boxes};

const WAIT: Duration = Duration::from_secs(15);

/// A browser whose pages cannot run script.
pub struct ScriptOff<'a> {
    b: &'a Browser,
}

impl<'a> ScriptOff<'a> {
    /// Turns script off for every page `b` opens from now on.
    pub async fn on(b: &'a Browser) -> Self {
        b.cdp(
            "Emulation.setScriptExecutionDisabled",
            json!({ "value": true }),
        )
        .await;
        Self { b }
    }

    async fn document(&self) -> Value {
        self.b.cdp("DOM.getDocument", json!({ "depth": 0 })).await["root"].clone()
    }

    async fn node(&self, css: &str) -> i64 {
        let root = self.document().await["nodeId"].as_i64().expect("root node");
        let found = self
            .b
            .cdp(
                "DOM.querySelector",
                json!({ "nodeId": root, "selector": css }),
            )
            .await["nodeId"]
            .as_i64()
            .unwrap_or(0);
        assert!(found != 0, "no `{css}` on {}", self.url().await);
        found
    }

    /// The address of the page shown.
    pub async fn url(&self) -> String {
        self.document().await["documentURL"]
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }

    /// The id of the history entry shown.
    async fn entry(&self) -> Value {
        let history = self.b.cdp("Page.getNavigationHistory", json!({})).await;
        let current = history["currentIndex"].as_u64().unwrap_or(0) as usize;
        history["entries"][current]["id"].clone()
    }

    /// Waits until a page other than the entry `before` is shown and has stopped changing
    /// (its `<main>`, or a `<footer>`, there and the same on two looks 50 ms apart).
    async fn next_document(&self, before: &Value, what: &str) {
        let deadline = tokio::time::Instant::now() + WAIT;
        let mut last = String::new();
        loop {
            if self.entry().await != *before {
                let root = self.document().await["nodeId"].as_i64().unwrap_or(0);
                let html = self
                    .b
                    .try_cdp("DOM.getOuterHTML", json!({ "nodeId": root }))
                    .await
                    .and_then(|h| h["outerHTML"].as_str().map(str::to_owned))
                    .unwrap_or_default();
                if (html.contains("<main") || html.contains("<footer")) && html == last {
                    return;
                }
                last = html;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "{what} loaded no new page"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Opens a path of the app under test.
    pub async fn open(&self, path: &str) {
        let before = self.entry().await;
        let url = format!("{}{path}", self.b.base());
        self.b.cdp("Page.navigate", json!({ "url": url })).await;
        self.next_document(&before, &url).await;
    }

    /// The page's HTML as the browser holds it.
    pub async fn html(&self) -> String {
        let root = self.node("html").await;
        self.b
            .cdp("DOM.getOuterHTML", json!({ "nodeId": root }))
            .await["outerHTML"]
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }

    /// Whether `css` takes room on the page (a hidden conditional question takes none).
    pub async fn shown(&self, css: &str) -> bool {
        let node = self.node(css).await;
        let model = self
            .b
            .try_cdp("DOM.getBoxModel", json!({ "nodeId": node }))
            .await;
        model.is_some_and(|m| m["model"]["width"].as_f64().unwrap_or(0.0) > 0.0)
    }

    /// Taps the middle of `css` with the mouse.
    pub async fn tap(&self, css: &str) {
        let node = self.node(css).await;
        self.b
            .cdp("DOM.scrollIntoViewIfNeeded", json!({ "nodeId": node }))
            .await;
        // The first line of the element: a link may wrap over several.
        let quads = self
            .b
            .cdp("DOM.getContentQuads", json!({ "nodeId": node }))
            .await;
        let quad: Vec<f64> = quads["quads"][0]
            .as_array()
            .unwrap_or_else(|| panic!("`{css}` takes no room"))
            .iter()
            .map(|v| v.as_f64().expect("a number"))
            .collect();
        let x = (quad[0] + quad[2] + quad[4] + quad[6]) / 4.0;
        let y = (quad[1] + quad[3] + quad[5] + quad[7]) / 4.0;
        for kind in ["mousePressed", "mouseReleased"] {
            self.b
                .cdp(
                    "Input.dispatchMouseEvent",
                    json!({ "type": kind, "x": x, "y": y, "button": "left", "clickCount": 1 }),
                )
                .await;
        }
    }

    /// Taps a link or a button and waits for the next page.
    pub async fn follow(&self, css: &str) {
        let before = self.entry().await;
        self.tap(css).await;
        self.next_document(&before, css).await;
    }

    /// Gives a file input these files.
    pub async fn attach(&self, css: &str, files: &[&std::path::Path]) {
        let node = self.node(css).await;
        let files: Vec<String> = files.iter().map(|f| f.display().to_string()).collect();
        self.b
            .cdp(
                "DOM.setFileInputFiles",
                json!({ "nodeId": node, "files": files }),
            )
            .await;
    }

    /// Whether the page's title starts with `prefix`.
    pub async fn title_starts(&self, prefix: &str) -> bool {
        let html = self.html().await;
        html.split_once("<title>")
            .is_some_and(|(_, rest)| rest.starts_with(prefix))
    }

    /// Shows that script is off: a page whose script would retitle it keeps its title.
    pub async fn prove_off(&self) {
        let before = self.entry().await;
        self.b
            .cdp(
                "Page.navigate",
                json!({ "url": "data:text/html,<title>still</title><body><p>x</p><script>document.title='ran'</script><footer></footer></body>" }),
            )
            .await;
        self.next_document(&before, "a page with script").await;
        assert!(
            self.title_starts("still").await,
            "script ran: {}",
            self.html().await
        );
    }

    /// Types `text` into a field, after what it holds.
    pub async fn type_into(&self, css: &str, text: &str) {
        let node = self.node(css).await;
        self.b.cdp("DOM.focus", json!({ "nodeId": node })).await;
        self.b
            .cdp("Input.insertText", json!({ "text": text }))
            .await;
    }
}

async fn fill_time(off: &ScriptOff<'_>, id: &str, hours: i64) {
    for (part, value) in time_boxes(hours) {
        off.type_into(&format!("#{id}-{part}"), &value).await;
    }
}

/// Walks a report from the start page to its tracking page in `lang` and returns its
/// reference.
async fn report(
    b: &Browser,
    off: &ScriptOff<'_>,
    screen: Screen,
    lang: &str,
    error_title: &str,
    evidence: &std::path::Path,
) -> String {
    let shot = |name: &str| format!("script-off-{}-{lang}-{name}", screen.name());

    off.open(&format!("/?lang={lang}&stop=facebook")).await;
    assert!(
        off.html().await.contains("id=\"stop\""),
        "the stop steps come first"
    );
    b.screenshot(&shot("0-start")).await;
    off.follow("#start-report").await;

    // Step 1, sent empty: refused, with the summary that takes the focus.
    off.follow("button#continue").await;
    assert!(off.title_starts(error_title).await, "{lang}");
    assert!(off.html().await.contains("autofocus"));
    b.screenshot(&shot("1-about-you-error")).await;
    off.type_into("#reporter-name", "Nguyễn Văn An").await;
    off.type_into("#reporter-email", "an.nguyen@example.org")
        .await;
    off.follow("button#continue").await;

    // Step 2: the committee, searched by name.
    assert!(
        off.url().await.ends_with("/report/committee"),
        "{}",
        off.url().await
    );
    off.type_into("#q", "ba dinh").await;
    off.follow("button#search").await;
    off.tap("#committee-hn-ba-dinh").await;
    b.screenshot(&shot("2-committee-results")).await;
    off.follow("button#continue").await;

    // Step 3: the page.
    assert!(
        off.url().await.ends_with("/report/page"),
        "{}",
        off.url().await
    );
    off.type_into("#page-url", "https://www.facebook.com/badinh.news")
        .await;
    off.follow("button#continue").await;

    // Step 4: what happened.
    off.tap("#kind-hijacked").await;
    fill_time(off, "detected_at", 3).await;
    off.type_into("#description", "Từ 07:40 trang đăng quảng cáo lừa đảo.")
        .await;
    off.follow("button#continue").await;

    // Step 5: the time and the checklist show only once "stopped" is chosen.
    assert!(
        off.url().await.ends_with("/report/stopped"),
        "{}",
        off.url().await
    );
    assert!(!off.shown("#containment-stopped_at").await);
    assert!(!off.shown("#containment-actions").await);
    off.tap("#containment-state-stopped").await;
    assert!(off.shown("#containment-stopped_at").await);
    assert!(off.shown("#containment-actions").await);
    fill_time(off, "containment-stopped_at", 2).await;
    off.tap("#action-password_changed").await;
    b.screenshot(&shot("5-stopped")).await;
    off.follow("button#continue").await;

    // Step 6: evidence.
    off.attach("#evidence", &[evidence]).await;
    off.follow("button#continue").await;

    // Check, change one answer, submit.
    assert!(
        off.url().await.ends_with("/report/check"),
        "{}",
        off.url().await
    );
    assert!(off.html().await.contains("trang-bi-chiem.png"));
    off.follow("#change-about-you").await;
    off.type_into("#reporter-phone", "0912 345 678").await;
    off.follow("button#continue").await;
    assert!(
        off.url().await.ends_with("/report/check"),
        "{}",
        off.url().await
    );
    assert!(off.html().await.contains("0912 345 678"));
    b.screenshot(&shot("7-check")).await;
    off.follow("button#submit").await;

    // The confirmation, then the tracking page and its forms.
    let html = off.html().await;
    assert!(html.contains("id=\"reference\">INC-"), "{html}");
    let reference = html
        .split_once("id=\"reference\">")
        .and_then(|(_, r)| r.split('<').next())
        .expect("a reference")
        .to_owned();
    b.screenshot(&shot("8-confirmation")).await;
    // The link names the configured public address; its path is this app's.
    let tracking = html
        .split_once("id=\"tracking-link\"")
        .and_then(|(_, r)| r.split_once("/track/"))
        .and_then(|(_, r)| r.split('"').next())
        .expect("a tracking link");
    off.open(&format!("/track/{tracking}")).await;
    assert!(off.html().await.contains("trang-bi-chiem.png"));
    off.type_into("#info", "Trang vừa đăng thêm một bài lừa đảo.")
        .await;
    off.follow("#info-form button").await;
    assert!(
        off.url().await.contains("saved=info"),
        "{}",
        off.url().await
    );
    assert!(
        off.html()
            .await
            .contains("Trang vừa đăng thêm một bài lừa đảo.")
    );
    b.screenshot(&shot("9-tracking")).await;
    reference
}

/// On a small phone, a phone and a desktop, a member reports step by step in each language,
/// then follows the report, and an officer reads it on the desk, all with script off: refused steps, the committee search, the questions shown
/// only once "stopped" is chosen, evidence, Change and Submit, the tracking page's forms,
/// signing in to the desk and opening a delivery's attempts. Each page is saved.
#[tokio::test]
async fn a_member_reports_and_an_officer_reads_it_with_script_off() {
    use incident_desk::domain::access::Role;

    let app = crate::helpers::spawn_app().await;
    let password = app
        .create_officer("lan.pham", Role::Officer, Some("hn-ba-dinh"))
        .await;
    let files = tempfile::tempdir().expect("temp dir");
    let evidence = files.path().join("trang-bi-chiem.png");
    std::fs::write(&evidence, crate::png::solid(16, [0xB3, 0x26, 0x1E])).expect("write evidence");
    for screen in Screen::ALL {
        crate::browser::with_browser_on(screen, &app.address, async |b| {
            let off = ScriptOff::on(b).await;
            off.prove_off().await;
            let mut reference = String::new();
            for (lang, error_title) in [("vi", "Lỗi:"), ("en", "Error:")] {
                reference = report(b, &off, screen, lang, error_title, &evidence).await;
            }
            // The desk: sign in, open the incident, open a delivery's attempts.
            off.open("/desk/sign-in").await;
            off.type_into("#username", "lan.pham").await;
            off.type_into("#password", &password).await;
            off.follow("button#sign-in").await;
            assert!(off.url().await.ends_with("/desk"), "{}", off.url().await);
            off.open(&format!("/desk/incidents/{reference}")).await;
            let html = off.html().await;
            assert!(html.contains("id=\"now\""), "{html}");
            assert!(
                html.contains("<details class=\"delivery\">"),
                "a delivery folded: {html}"
            );
            off.tap("details.delivery > summary").await;
            assert!(
                off.html()
                    .await
                    .contains("<details class=\"delivery\" open")
            );
            b.screenshot(&format!("script-off-{}-desk-incident", screen.name()))
                .await;
        })
        .await;
    }
}

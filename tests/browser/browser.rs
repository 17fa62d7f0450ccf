//! A headless Chromium on a phone-sized or a desktop screen, driven through its own
//! chromedriver on a free loopback port. Missing binaries fail the test: a skipped browser
//! test proves nothing.

use std::{
    net::TcpListener,
    panic::AssertUnwindSafe,
    path::{Path, PathBuf},
    process::Stdio,
    time::Duration,
};

use base64::Engine;
use fantoccini::{
    Client, ClientBuilder, Locator, elements::Element, wd::WebDriverCompatibleCommand,
};
use futures_util::FutureExt;
use serde_json::{Value, json};
use tokio::process::{Child, Command};

/// The screen a test looks through.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Screen {
    /// A mid-range phone, the device most members report from.
    Phone,
    /// The narrowest phone a page must fit without scrolling sideways.
    SmallPhone,
    /// An office desktop, where officers work the desk.
    Desktop,
}

impl Screen {
    pub const ALL: [Screen; 3] = [Screen::SmallPhone, Screen::Phone, Screen::Desktop];

    /// Its width, to name what was seen on it.
    pub fn name(self) -> &'static str {
        match self {
            Self::Phone => "412",
            Self::SmallPhone => "320",
            Self::Desktop => "1280",
        }
    }

    fn size(self) -> (u32, u32) {
        match self {
            Self::Phone => (412, 915),
            Self::SmallPhone => (320, 640),
            Self::Desktop => (1280, 900),
        }
    }
}

const WAIT: Duration = Duration::from_secs(15);

pub struct Browser {
    client: Client,
    base: String,
    _driver: Child,
}

/// Runs `test` in a fresh browser on a phone, on the app at `base`.
pub async fn with_browser(base: &str, test: impl AsyncFnOnce(&Browser)) {
    with_browser_on(Screen::Phone, base, test).await;
}

/// Runs `test` in a fresh browser on `screen`, on the app at `base`, and closes the browser
/// (and the Chromium it started) even when the test fails.
pub async fn with_browser_on(screen: Screen, base: &str, test: impl AsyncFnOnce(&Browser)) {
    let browser = Browser::start(screen, base).await;
    let outcome = AssertUnwindSafe(test(&browser)).catch_unwind().await;
    browser.client.close().await.ok();
    if let Err(panic) = outcome {
        std::panic::resume_unwind(panic);
    }
}

/// The path in `var`, or `default`; a test fails when the binary is not there.
fn binary(var: &str, default: &str, package: &str) -> PathBuf {
    let path = std::env::var_os(var).map_or_else(|| PathBuf::from(default), PathBuf::from);
    assert!(
        path.is_file(),
        "{} not found: install it with `apt-get install -y {package}`, or set {var} to its path",
        path.display()
    );
    path
}

/// A time `hours` ago in Vietnam, as the five boxes of a form (day, month, year, hour,
/// minute) take it.
pub fn time_boxes(hours: i64) -> [(&'static str, String); 5] {
    let t = chrono::Utc::now() + chrono::TimeDelta::hours(7 - hours);
    [
        ("day", t.format("%-d").to_string()),
        ("month", t.format("%-m").to_string()),
        ("year", t.format("%Y").to_string()),
        ("hour", t.format("%H").to_string()),
        ("minute", t.format("%M").to_string()),
    ]
}

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free loopback port")
        .port()
}

/// Starts chromedriver and waits until it answers; another process may take the port
/// between our probe and its bind, so a few ports are tried.
async fn start_driver(path: &Path) -> (Child, String) {
    for _ in 0..3 {
        let port = free_port();
        let mut child = Command::new(path)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .unwrap_or_else(|e| panic!("could not run {}: {e}", path.display()));
        let url = format!("http://127.0.0.1:{port}");
        let status = reqwest::Client::new();
        let deadline = tokio::time::Instant::now() + WAIT;
        while tokio::time::Instant::now() < deadline {
            if child.try_wait().ok().flatten().is_some() {
                break;
            }
            if let Ok(r) = status.get(format!("{url}/status")).send().await
                && r.status().is_success()
            {
                return (child, url);
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
    panic!("chromedriver at {} did not start", path.display());
}

impl Browser {
    async fn start(screen: Screen, base: &str) -> Self {
        let chromedriver = binary("CHROMEDRIVER", "/usr/bin/chromedriver", "chromium-driver");
        let chromium = binary("CHROMIUM", "/usr/bin/chromium", "chromium");
        let (driver, url) = start_driver(&chromedriver).await;
        let (width, height) = screen.size();
        let args = [
            "--headless".to_owned(),
            // CI runs as root, where Chromium's sandbox cannot start.
            "--no-sandbox".to_owned(),
            "--disable-dev-shm-usage".to_owned(),
            "--disable-gpu".to_owned(),
            // A full-page screenshot drops the scrollbar until the next input, which then
            // moves the page under that click; hidden scrollbars take no room.
            "--hide-scrollbars".to_owned(),
            format!("--window-size={width},{height}"),
            "--lang=vi".to_owned(),
        ];
        let phone = matches!(screen, Screen::Phone | Screen::SmallPhone);
        let capabilities = json!({
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": chromium,
                "args": args,
                // A headless window has a floor on its width, and shows its page in less
                // than its own size; an emulated screen is exactly its size.
                "mobileEmulation": {
                    "deviceMetrics": {
                        "width": width,
                        "height": height,
                        "pixelRatio": 1.0,
                        "mobile": phone,
                        "touch": phone,
                    },
                },
                "prefs": { "intl.accept_languages": "vi-VN,vi" },
            },
        });
        let Value::Object(capabilities) = capabilities else {
            unreachable!("a JSON object literal")
        };
        // rustls is built with two crypto providers in this workspace; the driver's client
        // needs one chosen. Another test may have chosen it already.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let client = ClientBuilder::rustls()
            .expect("rustls client for chromedriver")
            .capabilities(capabilities)
            .connect(&url)
            .await
            .unwrap_or_else(|e| panic!("chromedriver could not start {}: {e}", chromium.display()));
        Self {
            client,
            base: base.trim_end_matches('/').to_owned(),
            _driver: driver,
        }
    }

    pub fn client(&self) -> &Client {
        &self.client
    }

    /// The address of the app under test.
    pub fn base(&self) -> &str {
        &self.base
    }

    /// Runs a DevTools command and returns its result.
    pub async fn cdp(&self, cmd: &'static str, params: Value) -> Value {
        self.client
            .issue_cmd(Cdp { cmd, params })
            .await
            .unwrap_or_else(|e| panic!("{cmd}: {e}"))
    }

    /// Runs a DevTools command that may fail (a box model of a hidden element, say).
    pub async fn try_cdp(&self, cmd: &'static str, params: Value) -> Option<Value> {
        self.client.issue_cmd(Cdp { cmd, params }).await.ok()
    }

    /// Opens a path of the app under test.
    pub async fn open(&self, path: &str) {
        let url = format!("{}{path}", self.base);
        self.client
            .goto(&url)
            .await
            .unwrap_or_else(|e| panic!("open {url}: {e}"));
    }

    /// The current path and query, e.g. `/track/abc?lang=en`.
    pub async fn path(&self) -> String {
        let url = self.client.current_url().await.expect("current url");
        match url.query() {
            Some(query) => format!("{}?{query}", url.path()),
            None => url.path().to_owned(),
        }
    }

    pub async fn find(&self, css: &str) -> Element {
        match self.client.find(Locator::Css(css)).await {
            Ok(element) => element,
            Err(e) => panic!("no element `{css}` on {}: {e}", self.path().await),
        }
    }

    pub async fn find_all(&self, css: &str) -> Vec<Element> {
        self.client
            .find_all(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("find `{css}`: {e}"))
    }

    /// Taps a link or a submit button, and waits until the next page has replaced this one
    /// (an element of the old page may still be found while the new one loads).
    pub async fn follow(&self, css: &str) {
        let old = self.find("html").await;
        self.click(css).await;
        let deadline = tokio::time::Instant::now() + WAIT;
        loop {
            match old.tag_name().await {
                Err(e) if e.is_stale_element_reference() => return,
                _ if tokio::time::Instant::now() > deadline => {
                    panic!("tapping `{css}` loaded no new page")
                }
                _ => tokio::time::sleep(Duration::from_millis(50)).await,
            }
        }
    }

    pub async fn text(&self, css: &str) -> String {
        self.find(css).await.text().await.expect("element text")
    }

    /// An element's current DOM property, such as an input's `value`.
    pub async fn prop(&self, css: &str, name: &str) -> Option<String> {
        self.find(css)
            .await
            .prop(name)
            .await
            .expect("element property")
    }

    pub async fn attr(&self, css: &str, name: &str) -> Option<String> {
        self.find(css)
            .await
            .attr(name)
            .await
            .expect("element attribute")
    }

    /// Types into an input or a textarea, as a member would.
    pub async fn type_into(&self, css: &str, text: &str) {
        let field = self.find(css).await;
        field.clear().await.expect("clear field");
        field
            .send_keys(text)
            .await
            .unwrap_or_else(|e| panic!("type into `{css}`: {e}"));
    }

    /// Sets a date or time input, whose typed form depends on the browser's locale.
    pub async fn set_value(&self, css: &str, value: &str) {
        let field = self.find(css).await;
        let arg = serde_json::to_value(&field).expect("element as JSON");
        self.client
            .execute(
                "arguments[0].value = arguments[1];
                 arguments[0].dispatchEvent(new Event('input', { bubbles: true }));
                 arguments[0].dispatchEvent(new Event('change', { bubbles: true }));",
                vec![arg, json!(value)],
            )
            .await
            .unwrap_or_else(|e| panic!("set `{css}`: {e}"));
        let actual = self.prop(css, "value").await.unwrap_or_default();
        assert_eq!(actual, value, "`{css}` did not take the value");
    }

    pub async fn select(&self, css: &str, value: &str) {
        self.find(css)
            .await
            .select_by_value(value)
            .await
            .unwrap_or_else(|e| panic!("select `{value}` in `{css}`: {e}"));
    }

    /// Ticks a radio button or a checkbox, and checks that it took.
    pub async fn check(&self, css: &str) {
        self.click(css).await;
        let checked = self.find(css).await.is_selected().await.expect("checked");
        assert!(checked, "`{css}` is not checked after a tap");
    }

    /// Attaches files to a file input.
    pub async fn attach(&self, css: &str, files: &[&Path]) {
        let paths: Vec<String> = files.iter().map(|f| f.display().to_string()).collect();
        self.find(css)
            .await
            .send_keys(&paths.join("\n"))
            .await
            .unwrap_or_else(|e| panic!("attach {paths:?} to `{css}`: {e}"));
    }

    /// The HTTP status of the response the page was loaded from.
    pub async fn status(&self) -> u16 {
        let status = self
            .client
            .execute(
                "return performance.getEntriesByType('navigation')[0].responseStatus;",
                Vec::new(),
            )
            .await
            .expect("navigation timing");
        status
            .as_u64()
            .and_then(|s| u16::try_from(s).ok())
            .unwrap_or_else(|| panic!("no response status: {status}"))
    }

    pub async fn click(&self, css: &str) {
        self.find(css)
            .await
            .click()
            .await
            .unwrap_or_else(|e| panic!("click `{css}`: {e}"));
    }

    /// Saves a PNG of the whole page, not only the visible part, to
    /// `<target dir>/screenshots/<name>.png`, and returns its path.
    pub async fn screenshot(&self, name: &str) -> PathBuf {
        let shot = self
            .client
            .issue_cmd(Cdp {
                cmd: "Page.captureScreenshot",
                params: json!({ "format": "png", "captureBeyondViewport": true }),
            })
            .await
            .unwrap_or_else(|e| panic!("screenshot {name}: {e}"));
        let png = base64::engine::general_purpose::STANDARD
            .decode(shot["data"].as_str().expect("screenshot data"))
            .expect("screenshot is base64");
        assert!(png.starts_with(b"\x89PNG"), "screenshot {name} is a PNG");
        let dir = target_dir().join("screenshots");
        std::fs::create_dir_all(&dir).expect("create the screenshots folder");
        let path = dir.join(format!("{name}.png"));
        std::fs::write(&path, png).expect("write the screenshot");
        path
    }

    /// Checks the page shown: it carries no script (so it works the same with script off),
    /// axe-core finds nothing, and it is no wider than the screen. Saves it as `name` and
    /// returns its height in screens.
    pub async fn look(&self, name: &str) -> f64 {
        // Read before axe-core is brought in: the page's own script, of which there is none.
        let sizes = self
            .client
            .execute(
                "return [document.documentElement.scrollWidth, window.innerWidth,
                         document.documentElement.scrollHeight, window.innerHeight,
                         document.scripts.length,
                         document.querySelectorAll('[onclick],[onchange],[oninput],[onsubmit],[onload]').length];",
                vec![],
            )
            .await
            .expect("the page's size");
        assert_eq!(
            (sizes[4].as_u64(), sizes[5].as_u64()),
            (Some(0), Some(0)),
            "{name} carries script"
        );
        self.assert_accessible(name).await;
        let size = |i: usize| sizes[i].as_f64().expect("a number");
        assert!(
            size(0) <= size(1),
            "{name} is {} px wide on a {} px screen",
            size(0),
            size(1)
        );
        self.screenshot(name).await;
        size(2) / size(3)
    }
}

/// The workspace's target folder: `CARGO_TARGET_DIR`, or `./target`.
pub fn target_dir() -> PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    match std::env::var_os("CARGO_TARGET_DIR") {
        Some(dir) if !dir.is_empty() => root.join(dir),
        _ => root.join("target"),
    }
}

/// A Chrome DevTools command through chromedriver, for what WebDriver has no command for.
#[derive(Debug)]
struct Cdp {
    cmd: &'static str,
    params: Value,
}

impl WebDriverCompatibleCommand for Cdp {
    fn endpoint(
        &self,
        base_url: &url::Url,
        session_id: Option<&str>,
    ) -> Result<url::Url, url::ParseError> {
        base_url.join(&format!(
            "session/{}/goog/cdp/execute",
            session_id.unwrap_or_default()
        ))
    }

    fn method_and_body(&self, _: &url::Url) -> (http::Method, Option<String>) {
        let body = json!({ "cmd": self.cmd, "params": self.params });
        (http::Method::POST, Some(body.to_string()))
    }
}

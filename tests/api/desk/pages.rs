//! Keyset pages of the queue: `rel="next"` links that keep the filters and the order, and
//! list every incident once.

use std::collections::HashSet;

use chrono::{DateTime, Utc};
use incident_desk::domain::access::Role;

use super::{Officer, counter, file_in, rows, set_status};
use crate::helpers::{spawn_app, spawn_app_with};

/// An HTML attribute's value as a browser reads it: character references decoded.
fn attribute(raw: &str) -> String {
    let mut out = String::new();
    let mut rest = raw;
    while let Some(at) = rest.find('&') {
        out.push_str(&rest[..at]);
        let tail = &rest[at..];
        let end = tail.find(';').expect("a complete character reference");
        let name = &tail[1..end];
        let c = match name {
            "amp" => '&',
            "quot" => '"',
            "apos" => '\'',
            "lt" => '<',
            "gt" => '>',
            _ => {
                let code = match name.strip_prefix("#x").or_else(|| name.strip_prefix("#X")) {
                    Some(hex) => u32::from_str_radix(hex, 16),
                    None => name.strip_prefix('#').expect("a numeric reference").parse(),
                }
                .expect("a number");
                char::from_u32(code).expect("a character")
            }
        };
        out.push(c);
        rest = &tail[end + 1..];
    }
    out.push_str(rest);
    out
}

/// The address of the `rel="next"` link, if the page has one.
fn next_link(html: &str) -> Option<String> {
    let end = html.find("\" rel=\"next\"")?;
    let start = html[..end].rfind("href=\"")? + "href=\"".len();
    Some(attribute(&html[start..end]))
}

/// Every reference of the queue, following `rel="next"` from `first`; and how many pages.
async fn follow(officer: &Officer<'_>, first: &str) -> (Vec<String>, usize) {
    let mut seen = Vec::new();
    let mut pages = 0;
    let mut path = Some(first.to_owned());
    while let Some(p) = path {
        pages += 1;
        assert!(pages <= 20, "the pages never end");
        let html = officer.page(&p).await;
        let page = rows(&html);
        assert!(page.len() <= 10, "a page holds at most 10 rows: {p}");
        seen.extend(page);
        path = next_link(&html);
    }
    (seen, pages)
}

#[tokio::test]
async fn following_next_links_lists_every_incident_exactly_once_in_every_order() {
    let app = spawn_app_with("[desk]\npage_size = 10\n").await;
    let mut filed = Vec::new();
    for _ in 0..25 {
        filed.push(file_in(&app, "hn-ba-dinh").await);
    }
    // Changes in an order unlike filing, so that "recently changed" differs from "newest".
    for i in [3, 17, 8, 0, 24, 11, 5] {
        set_status(&app, &filed[i].1, "in_progress").await;
    }
    let officer = Officer::create(&app, "mai.tran", Role::Officer, Some("hn-ba-dinh")).await;

    let by_filing: Vec<String> = filed.iter().map(|(_, r)| r.clone()).collect();
    let newest: Vec<String> = by_filing.iter().rev().cloned().collect();
    let mut by_change: Vec<(DateTime<Utc>, String, String)> = Vec::new();
    for (id, reference) in &filed {
        let detail = app.incident(id).await;
        let at: DateTime<Utc> = detail["updated_at"]
            .as_str()
            .expect("updated_at")
            .parse()
            .expect("a time");
        by_change.push((at, id.clone(), reference.clone()));
    }
    by_change.sort_by(|x, y| (y.0, &y.1).cmp(&(x.0, &x.1)));
    let updated: Vec<String> = by_change.into_iter().map(|(_, _, r)| r).collect();

    for (first, expected) in [
        ("/desk", &newest),
        ("/desk?sort=newest", &newest),
        ("/desk?sort=oldest", &by_filing),
        ("/desk?sort=updated", &updated),
    ] {
        let (seen, pages) = follow(&officer, first).await;
        assert_eq!(&seen, expected, "{first}");
        assert_eq!(pages, 3, "{first}");
    }

    // With a filter, the links keep it.
    let open: Vec<String> = newest
        .iter()
        .filter(|r| ![3, 17, 8, 0, 24, 11, 5].iter().any(|&i| &filed[i].1 == *r))
        .cloned()
        .collect();
    let (seen, pages) = follow(&officer, "/desk?status=open&sort=oldest").await;
    let mut oldest_open = open.clone();
    oldest_open.reverse();
    assert_eq!(seen, oldest_open);
    assert_eq!(pages, 2);
    let unique: HashSet<&String> = seen.iter().collect();
    assert_eq!(unique.len(), 18);
}

#[tokio::test]
async fn a_last_full_page_offers_no_link_to_an_empty_one() {
    let app = spawn_app_with("[desk]\npage_size = 10\n").await;
    for _ in 0..20 {
        file_in(&app, "hn-ba-dinh").await;
    }
    let officer = Officer::create(&app, "mai.tran", Role::Officer, Some("hn-ba-dinh")).await;
    let (seen, pages) = follow(&officer, "/desk").await;
    assert_eq!(seen.len(), 20);
    assert_eq!(pages, 2, "no third, empty page");
}

#[tokio::test]
async fn an_empty_queue_says_so_and_offers_no_next_page() {
    let app = spawn_app().await;
    file_in(&app, "hcm-q1").await;
    let officer = Officer::create(&app, "mai.tran", Role::Officer, Some("hn-ba-dinh")).await;
    let queue = officer.page("/desk").await;
    assert!(rows(&queue).is_empty());
    assert!(queue.contains("id=\"empty\""));
    assert!(next_link(&queue).is_none());
    assert_eq!(counter(&queue, "count-open"), 0);
}

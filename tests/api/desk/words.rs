//! The desk in Vietnamese reads as Vietnamese: no English word on any officer page, with
//! every kind of content on it (deliveries, a note, a status change, a directory change).

use incident_desk::domain::access::Role;
use reqwest::StatusCode;

use serde_json::json;

use super::{Officer, report_in, set_status};
use crate::{helpers::spawn_app, web::english_words_on};

#[tokio::test]
async fn the_officer_reads_no_english_word_in_vietnamese() {
    let app = spawn_app().await;
    let admin = Officer::create(&app, "an.nguyen", Role::Admin, None).await;
    // What the member wrote is theirs; here they wrote in Vietnamese.
    let mut report = report_in("hn-ba-dinh");
    report["description"] = json!("Từ 07:40 trang đăng quảng cáo đầu tư lừa đảo.");
    report["page"]["purpose"] = json!("Tin tức của quận");
    let filed = app.file(&report).await;
    let (id, reference) = (
        filed["id"].as_str().expect("id").to_owned(),
        filed["reference"].as_str().expect("reference").to_owned(),
    );
    app.dispatch_until_idle().await;
    set_status(&app, &id, "in_progress").await;
    let r = admin
        .post_form(
            &format!("/desk/incidents/{reference}/note"),
            &[
                ("text", "Đã gọi điện cho thành viên."),
                ("visibility", "shared"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let r = admin
        .post_form(
            "/desk/directory/parties/hn-ba-dinh/emails",
            &[
                ("emails", "ba-dinh@hn.example.org\nvan-phong@hn.example.org"),
                ("contact.name", "Nguyễn Thị Lan"),
                ("contact.phone", "0912 345 678"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let r = admin
        .post_form("/desk/directory/routing", super::MISUSE_ROUTING)
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let r = admin
        .post_form(
            "/desk/directory/parties/hn-ba-dinh/endpoints/new",
            &[
                ("url", "http://127.0.0.1:9/hooks/ba-dinh"),
                ("description", "Hệ thống của quận"),
                ("event_types", "incident.reported"),
            ],
        )
        .await;
    assert_eq!(
        r.status(),
        StatusCode::OK,
        "the new endpoint's secret, shown once"
    );

    // The directory's changes name parties by their names, never by their ids (but for a
    // new party's own id).
    let changes = admin.page("/desk/directory/changes").await;
    let fields: Vec<String> = changes
        .split("<ul class=\"changed-fields\">")
        .skip(1)
        .filter_map(|rest| rest.split("</ul>").next())
        .map(|f| {
            f.split("<li>")
                .filter(|item| !item.starts_with("Mã: "))
                .collect::<String>()
        })
        .collect();
    assert!(!fields.is_empty(), "{changes}");
    for ids in [
        "cyber-police",
        ">meta<",
        ": meta",
        "web-abuse",
        "hn-ba-dinh",
    ] {
        assert!(
            fields.iter().all(|f| !f.contains(ids)),
            "`{ids}` in {fields:#?}"
        );
    }

    let mut found = Vec::new();
    for path in [
        "/desk".to_owned(),
        format!("/desk/incidents/{reference}"),
        "/desk/mail".to_owned(),
        "/desk/register".to_owned(),
        "/desk/register/members".to_owned(),
        "/desk/register/requests".to_owned(),
        "/desk/directory".to_owned(),
        "/desk/directory/parties/hn-ba-dinh".to_owned(),
        "/desk/directory/parties/hn-ba-dinh/emails".to_owned(),
        "/desk/directory/parties/hn-ba-dinh/edit".to_owned(),
        "/desk/directory/parties/cert".to_owned(),
        "/desk/directory/changes".to_owned(),
        "/desk/directory/routing".to_owned(),
        "/desk/directory/new".to_owned(),
    ] {
        let html = admin.page(&path).await;
        found.extend(english_words_on(&path, &html));
    }
    assert!(found.is_empty(), "{found:#?}");
}

//! The directory pages of the desk on a phone: the tree, a party, the routing rules and
//! the form to add a unit, sent with a mistake; each checked with axe-core.

use incident_desk::domain::access::Role;

use crate::{
    browser::{Screen, with_browser_on},
    helpers::spawn_app,
};

const USERNAME: &str = "an.nguyen";

#[tokio::test]
async fn an_admin_browses_the_directory_and_adds_a_unit_with_a_mistake() {
    let app = spawn_app().await;
    let password = app.create_officer(USERNAME, Role::Admin, None).await;

    with_browser_on(Screen::Phone, &app.address, async |b| {
        b.open("/desk/sign-in").await;
        b.type_into("#username", USERNAME).await;
        b.type_into("#password", &password).await;
        b.follow("button#sign-in").await;
        assert_eq!(b.path().await, "/desk");

        b.follow("#nav-directory").await;
        assert_eq!(b.path().await, "/desk/directory");
        assert_eq!(b.status().await, 200);
        b.find("#row-hn").await;
        b.find("#row-cert").await;
        b.screenshot("desk-directory").await;
        b.assert_accessible("the directory").await;

        b.type_into("#q", "ba dinh").await;
        b.follow("button#search").await;
        b.find("#results #found-hn-ba-dinh").await;
        b.assert_accessible("the directory's search results").await;

        b.follow("#row-hn a.party-link").await;
        assert!(b.path().await.starts_with("/desk/directory/parties/hn"));
        b.find("#children #row-hn-ba-dinh").await;
        b.screenshot("desk-directory-party").await;
        b.assert_accessible("a party of the directory").await;

        b.follow("#add-child").await;
        assert!(b.path().await.starts_with("/desk/directory/new"));
        assert_eq!(b.prop("#parent", "value").await.as_deref(), Some("hn"));
        b.assert_accessible("the form to add a unit").await;
        b.type_into("#id", "Tây Hồ").await;
        b.type_into("#name-vi", "Ban Quận Tây Hồ").await;
        b.type_into("#name-en", "Tay Ho District Committee").await;
        b.follow("button#save").await;
        assert_eq!(b.status().await, 422);
        b.find(".error-summary a[href='#id']").await;
        b.find("#id-error").await;
        b.find("#emails-error").await;
        assert_eq!(
            b.prop("#name-vi", "value").await.as_deref(),
            Some("Ban Quận Tây Hồ"),
            "what was typed is kept"
        );
        b.screenshot("desk-directory-new-error").await;
        b.assert_accessible("the form to add a unit with its errors")
            .await;

        b.set_value("#id", "hn-tay-ho").await;
        b.type_into("#emails", "tay-ho@hn.example.org").await;
        b.follow("button#save").await;
        assert!(
            b.path()
                .await
                .starts_with("/desk/directory/parties/hn-tay-ho")
        );
        b.find("#done").await;
        b.assert_accessible("a new unit").await;

        b.open("/desk/directory/routing").await;
        b.assert_accessible("the routing rules").await;
        b.select("#preview-kind", "hijacked").await;
        b.select("#preview-platform", "facebook").await;
        b.select("#preview-severity", "high").await;
        b.type_into("#preview-committee", "hn-tay-ho").await;
        b.follow("button#preview-submit").await;
        assert_eq!(b.find_all("#reached li").await.len(), 3);
        b.assert_accessible("the routing preview").await;

        b.open("/desk/directory/changes").await;
        b.find("#directory-timeline").await;
        b.assert_accessible("the directory's changes").await;
    })
    .await;
}

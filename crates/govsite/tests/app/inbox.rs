//! 消息中心: each person reads the notices they were sent, read or unread, with the count in
//! the header; nobody reads another's, and no one-time link is ever kept there.

use govsite::store::audit::Actor;
use govsite_core::role::Role;
use reqwest::StatusCode;

use crate::helpers::TestApp;

/// The id of the first notice listed with `subject` on a 消息中心 page.
fn notice_id(html: &str, subject: &str) -> String {
    let at = html.find(subject).expect("the notice is listed");
    let link = html[..at].rfind("href=\"/messages/").expect("linked") + 16;
    html[link..].split('"').next().unwrap().to_owned()
}

#[tokio::test]
async fn units_and_staff_read_their_notices_and_only_theirs() {
    let app = TestApp::spawn().await;
    let office = app.office("620421").await;
    let (clerk_name, clerk_password, _) = app.user(Role::OfficeReviewer, None, Some(office)).await;
    let details = crate::helpers::unit_form("靖远县消息测试局", "620421", 901)
        .parse()
        .unwrap();
    let (unit, _) = govsite::registry::accounts::register_unit(
        &app.db,
        &Actor::system("test"),
        &details,
        "jyxxcsj",
        &app.base,
        app.clock_now(),
    )
    .await
    .unwrap();

    // The office clerk was told of the registration: unread, counted in the header.
    let mut o = app.browser();
    o.sign_in(&clerk_name, &clerk_password).await;
    let console = o.get("/console").await;
    assert!(
        console
            .body
            .contains("消息中心 <span class=\"count-badge\">1</span>"),
        "{}",
        console.body
    );
    let inbox = o.get("/messages").await;
    assert!(inbox.body.contains("新单位注册待确认"));
    assert!(inbox.body.contains("<tr class=\"unread\">"));
    assert_eq!(
        inbox.body.matches("aria-current=\"page\"").count(),
        2,
        "one menu item (消息中心) and the 全部 tab"
    );

    // The office confirms the unit; every account of the unit reads the notice.
    let (mut u, _) = app.signed_in(Role::Unit, Some(unit), None).await;
    assert!(!u.get("/portal").await.body.contains("count-badge"));
    let path = format!("/console/units/{unit}/confirm");
    assert_eq!(o.post(&path, &[]).await.status, StatusCode::SEE_OTHER);
    let home = u.get("/portal").await;
    assert!(home.body.contains("<span class=\"count-badge\">1</span>"));
    assert!(home.body.contains("账户余额"), "a unit sees its balance");
    let list = u.get("/messages").await;
    let id = notice_id(&list.body, "单位注册已确认");
    let opened = u.get(&format!("/messages/{id}")).await;
    assert_eq!(opened.status, StatusCode::OK);
    assert!(
        !opened.body.contains("count-badge"),
        "the page that opens the notice already counts it read"
    );
    assert!(
        opened
            .body
            .contains("现在可以提交域名注册和网站开办审核申请")
    );
    assert!(!u.get("/portal").await.body.contains("count-badge"), "read");
    assert!(
        u.get("/messages?unread=1")
            .await
            .body
            .contains("没有未读的通知")
    );

    // Nobody else reads it: another unit, and the office clerk, get 404.
    let other = app.unit("靖远县另一局", "620421").await;
    let (mut v, _) = app.signed_in(Role::Unit, Some(other), None).await;
    assert_eq!(
        v.get(&format!("/messages/{id}")).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        o.get(&format!("/messages/{id}")).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        v.get("/messages/x").await.status,
        StatusCode::NOT_FOUND,
        "a malformed id"
    );

    // 全部标为已读, then the count is gone (post/redirect/get).
    let done = o.post("/messages/read-all", &[]).await;
    assert_eq!(done.location.as_deref(), Some("/messages?done=all_read"));
    let after = o.get("/messages?done=all_read").await;
    assert!(after.body.contains("已全部标为已读") && !after.body.contains("count-badge"));

    // The activation message (a one-time link) never reached 消息中心.
    assert_eq!(
        app.count(
            "SELECT COUNT(*) AS n FROM inbox WHERE body LIKE '%/activate/%'
                OR body LIKE '%/password/reset/%' OR template IN ('activation', 'password_reset')"
        )
        .await,
        0
    );
    app.shutdown().await.unwrap();
}

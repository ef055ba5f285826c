//! What is stored is read back into core types: a state none of ours (a bad migration, a
//! hand edit) is an error that names the table and the row, never a silent default.

use govsite::store::StoreError;
use govsite_core::ids::DomainId;
use govsite_core::role::Role;
use reqwest::StatusCode;

use crate::badges::issue;
use crate::domains::active_names;
use crate::helpers::TestApp;

#[tokio::test]
async fn an_unknown_domain_state_is_an_error_naming_the_row() {
    let app = TestApp::spawn().await;
    let unit = app.unit("靖远县林业局", "620421").await;
    let ids = active_names(&app, unit, "靖远县林业局", "靖远林业").await;
    let (mut b, _) = app.signed_in(Role::Unit, Some(unit), None).await;
    assert_eq!(
        b.get(&format!("/portal/domains/{}", ids[0])).await.status,
        StatusCode::OK
    );
    sqlx::query("UPDATE domains SET state = 'mystery' WHERE id = $1")
        .bind(ids[0])
        .execute(app.db.pool())
        .await
        .unwrap();
    match govsite::store::domains::find(&app.db, DomainId::new(ids[0])).await {
        Err(StoreError::Corrupt(m)) => {
            assert!(m.contains(&format!("domains row {}", ids[0])), "{m}");
            assert!(m.contains("mystery"), "{m}");
        }
        other => panic!("expected a corrupt-row error, got {other:?}"),
    }
    // The page says the system cannot answer; it does not show the name as something else.
    let page = b.get(&format!("/portal/domains/{}", ids[0])).await;
    assert_eq!(page.status, StatusCode::INTERNAL_SERVER_ERROR);
    assert!(page.body.contains("系统暂时无法处理您的请求"));
}

#[tokio::test]
async fn an_unknown_badge_state_is_an_error_naming_the_row() {
    let app = TestApp::spawn().await;
    let unit = app.unit("靖远县第一中学", "620421").await;
    let code = issue(
        &app,
        unit,
        "靖远一中网",
        "xn--example.xn--55qw42g",
        "靖远一中.公益",
        "",
    )
    .await;
    let site = govsite::store::sites::by_code(&app.db, &code)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(site.badge_state.as_str(), "issued");
    sqlx::query("UPDATE sites SET badge_state = 'mountd' WHERE id = $1")
        .bind(site.id.get())
        .execute(app.db.pool())
        .await
        .unwrap();
    let err = govsite::store::sites::by_code(&app.db, &code)
        .await
        .unwrap_err();
    let StoreError::Corrupt(m) = err else {
        panic!("expected a corrupt-row error, got {err:?}");
    };
    assert!(m.contains(&format!("sites row {}", site.id)), "{m}");
    // The badge book still loads the others, and never serves this one as valid.
    let other = app.unit("靖远县第二中学", "620421").await;
    let fine = issue(
        &app,
        other,
        "靖远二中网",
        "xn--other.xn--55qw42g",
        "靖远二中.公益",
        "",
    )
    .await;
    let book = govsite::badge::Book::new("https://badge.example");
    assert!(book.load_all(&app.db).await.is_ok());
    assert!(
        book.script_of(&code)
            .unwrap()
            .contains("state: \"revoked\"")
    );
    assert!(book.script_of(&fine).unwrap().contains("state: \"valid\""));
}

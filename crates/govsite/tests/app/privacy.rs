//! Personal data: the 经办人's ID number is sealed outside the form, opened only for the
//! application's own pages and documents, purged after the application ends, and said so on
//! the 隐私说明 page.

use govsite::registry::lifecycle::{HANDLER_ID_DAYS, housekeeping};
use govsite::store::sites;
use govsite_core::site_form::{SiteForm, SiteKind};
use reqwest::StatusCode;
use sqlx::Row;

use crate::helpers::TestApp;

const ID: &str = "620421198001010016";

async fn row(app: &TestApp, id: i64) -> (String, String, Option<i64>) {
    let r = sqlx::query(
        "SELECT form_json, handler_id_sealed, handler_id_purged_at FROM site_applications
         WHERE id = $1",
    )
    .bind(id)
    .fetch_one(app.db.pool())
    .await
    .unwrap();
    (
        r.get("form_json"),
        r.get("handler_id_sealed"),
        r.get("handler_id_purged_at"),
    )
}

#[tokio::test]
async fn the_handlers_id_number_is_sealed_opened_for_its_application_and_purged() {
    let app = TestApp::spawn().await;
    let unit = app.unit("靖远县隐私测试局", "620421").await;
    let form = SiteForm {
        site_name: "隐私测试网".into(),
        handler_id_card: ID.into(),
        ..SiteForm::default()
    };
    let now = app.clock_now();
    let id = govsite::registry::sites::create_draft(
        &app.db,
        unit,
        SiteKind::New,
        None,
        &form,
        None,
        now,
    )
    .await
    .unwrap();
    let (json, sealed, purged) = row(&app, id.get()).await;
    assert!(!json.contains(ID) && json.contains("隐私测试网"), "{json}");
    assert!(!sealed.is_empty() && !sealed.contains(ID));
    assert_eq!(purged, None);
    let opened = sites::find(&app.db, id).await.unwrap().unwrap();
    assert_eq!(opened.form.handler_id_card, ID);

    // Written in clear (an older version, a command without the key): sealed at start.
    let mut tx = app.db.begin().await.unwrap();
    let old = sites::create_draft(&mut tx, unit, SiteKind::New, None, &form, None, now)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    assert!(row(&app, old.get()).await.0.contains(ID));
    assert!(sites::seal_handler_ids(&app.db).await.unwrap() >= 1);
    assert!(!row(&app, old.get()).await.0.contains(ID));
    assert_eq!(
        sites::find(&app.db, old)
            .await
            .unwrap()
            .unwrap()
            .form
            .handler_id_card,
        ID
    );

    // The administrator shortens the limit to 30 days at 平台设置 (the default is 180).
    assert_eq!(HANDLER_ID_DAYS, 180);
    let (mut admin, _) = app
        .signed_in(govsite_core::role::Role::Admin, None, None)
        .await;
    let saved = admin
        .post(
            "/admin/settings",
            &[
                ("reply_days", "3"),
                ("support_phone", "010-52035000"),
                ("handler_id_days", "30"),
            ],
        )
        .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.body);
    // Ended (badge issued) longer ago than the limit: purged by housekeeping; a draft is not.
    sqlx::query(
        "UPDATE site_applications SET state = 'badge_issued', updated_at = $1 WHERE id = $2",
    )
    .bind(now - 31 * 86_400)
    .bind(id.get())
    .execute(app.db.pool())
    .await
    .unwrap();
    housekeeping(&app.db, now).await.unwrap();
    let (_, sealed, purged) = row(&app, id.get()).await;
    assert_eq!((sealed.as_str(), purged), ("", Some(now)));
    assert_eq!(
        sites::find(&app.db, id)
            .await
            .unwrap()
            .unwrap()
            .form
            .handler_id_card,
        ""
    );
    assert!(!row(&app, old.get()).await.1.is_empty(), "a draft keeps it");

    // Said plainly, for anyone.
    let mut b = app.browser();
    let page = b.get("/privacy").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("身份证号") && page.body.contains("30 天"));
    app.shutdown().await.unwrap();
}

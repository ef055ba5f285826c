//! 机构改革 (issue 14): an office merges a unit into its successor (names, applications,
//! sites with their badge codes, and balance follow; the unit's accounts stop) or abolishes
//! one (names stop resolving, sites closed, balance kept for a refund); a later roster no
//! longer lists the closed unit as missing and refuses a row for it.

use govsite::store::ledger;
use govsite_core::role::Role;
use reqwest::StatusCode;
use sqlx::Row;

use crate::badges::issue;
use crate::domains::{active_names, approved_application, credit};
use crate::helpers::TestApp;
use crate::roster::{csv, upload};

async fn credit_code(app: &TestApp, unit: govsite_core::ids::UnitId) -> String {
    sqlx::query("SELECT credit_code FROM units WHERE id = $1")
        .bind(unit.get())
        .fetch_one(app.db.pool())
        .await
        .unwrap()
        .try_get("credit_code")
        .unwrap()
}

async fn column(app: &TestApp, sql: &'static str, id: i64) -> String {
    let row = sqlx::query(sql)
        .bind(id)
        .fetch_one(app.db.pool())
        .await
        .unwrap();
    row.try_get::<String, _>(0)
        .or_else(|_| row.try_get::<i64, _>(0).map(|n| n.to_string()))
        .unwrap()
}

#[tokio::test]
async fn a_merge_moves_names_sites_and_balance_to_the_successor() {
    let app = TestApp::spawn().await;
    let office = app.office("620421").await;
    let old = app.unit("靖远县广播电视局", "620421").await;
    let new = app.unit("靖远县文化和旅游局", "620421").await;
    let elsewhere = app.unit("平川区文化局", "620403").await;
    let names = active_names(&app, old, "广电局", "靖远广电").await;
    credit(&app, old, 500, "t-old").await;
    let moved_code = issue(&app, old, "靖远广电网", "", "", "gd.jingyuan.gov.cn").await;
    let own_code = issue(&app, new, "靖远文旅网", "", "", "wl.jingyuan.gov.cn").await;
    let (mut unit_user, _) = app.signed_in(Role::Unit, Some(old), None).await;
    assert_eq!(unit_user.get("/portal").await.status, StatusCode::OK);
    let (mut o, _) = app
        .signed_in(Role::OfficeReviewer, None, Some(office))
        .await;

    let unit_page = o.get(&format!("/console/units/{old}")).await;
    assert!(
        unit_page
            .body
            .contains(&format!("/console/units/{old}/reorganise"))
    );
    let form = o.get(&format!("/console/units/{old}/reorganise")).await;
    assert_eq!(form.status, StatusCode::OK);
    assert!(
        form.body.contains("域名 2 个") && form.body.contains("500.00 元"),
        "{}",
        form.body
    );

    // Bad input: a successor outside the region, the unit itself, no confirmation.
    let path = format!("/console/units/{old}/reorganise");
    let outside = credit_code(&app, elsewhere).await;
    let page = o
        .post(
            &path,
            &[
                ("kind", "merge"),
                ("successor_code", &outside),
                ("reason", "靖编发〔2026〕12号"),
                ("confirm", "1"),
            ],
        )
        .await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.title().starts_with("错误") && page.body.contains("不在本编办辖区"));
    assert!(
        page.body.contains("靖编发〔2026〕12号"),
        "what was typed stays"
    );
    let itself = credit_code(&app, old).await;
    let page = o
        .post(
            &path,
            &[
                ("kind", "merge"),
                ("successor_code", &itself),
                ("reason", "靖编发〔2026〕12号"),
                ("confirm", "1"),
            ],
        )
        .await;
    assert!(page.body.contains("不能并入单位自身"), "{}", page.body);
    let successor = credit_code(&app, new).await;
    let page = o
        .post(
            &path,
            &[
                ("kind", "merge"),
                ("successor_code", &successor),
                ("reason", ""),
            ],
        )
        .await;
    assert!(page.body.contains("请填写机构改革的依据") && page.body.contains("请勾选确认"));
    assert_eq!(
        app.count_for("SELECT COUNT(*) FROM domains WHERE unit_id = $1", old.get())
            .await,
        4,
        "nothing moved on a refusal (two names and their traditional variants)"
    );

    let done = o
        .post(
            &path,
            &[
                ("kind", "merge"),
                ("successor_code", &successor.to_lowercase()),
                ("reason", "靖编发〔2026〕12号：广电局并入文旅局"),
                ("confirm", "1"),
            ],
        )
        .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
    assert_eq!(
        done.location.as_deref(),
        Some(format!("/console/units/{old}?done=merged").as_str())
    );

    // Names (with their traditional variants), the site and the balance follow.
    for id in &names {
        assert_eq!(
            column(&app, "SELECT unit_id FROM domains WHERE id = $1", *id).await,
            new.to_string()
        );
    }
    assert_eq!(
        app.count_for("SELECT COUNT(*) FROM domains WHERE unit_id = $1", old.get())
            .await,
        0
    );
    assert_eq!(
        app.count_for(
            "SELECT COUNT(*) FROM domain_applications WHERE unit_id = $1",
            new.get()
        )
        .await,
        1
    );
    let seqs: Vec<(String, i64)> =
        sqlx::query("SELECT badge_code, seq FROM sites WHERE unit_id = $1 ORDER BY seq")
            .bind(new.get())
            .fetch_all(app.db.pool())
            .await
            .unwrap()
            .iter()
            .map(|r| (r.try_get("badge_code").unwrap(), r.try_get("seq").unwrap()))
            .collect();
    assert_eq!(
        seqs,
        vec![(own_code, 1), (moved_code.clone(), 2)],
        "badge code unchanged"
    );
    assert_eq!(
        ledger::balance(&app.db, old).await.unwrap().to_string(),
        "0.00"
    );
    assert_eq!(
        ledger::balance(&app.db, new).await.unwrap().to_string(),
        "500.00"
    );
    assert_eq!(
        ledger::trial_balance(&app.db).await.unwrap(),
        0,
        "the books balance"
    );

    // The unit is closed, its accounts stopped and its session ended; both are audited.
    assert_eq!(
        column(&app, "SELECT status FROM units WHERE id = $1", old.get()).await,
        "merged"
    );
    assert_eq!(
        app.count_for(
            "SELECT COUNT(*) FROM accounts WHERE unit_id = $1 AND status <> 'disabled'",
            old.get()
        )
        .await,
        0
    );
    let portal = unit_user.get("/portal").await;
    assert_eq!(portal.status, StatusCode::SEE_OTHER, "signed out");
    let actions = app.audit_actions().await;
    assert!(actions.contains(&"unit_merged".to_owned()));
    assert!(actions.contains(&"unit_merge_received".to_owned()));
    let told = app.outbox_bodies("unit_reorganised").await;
    assert!(
        told.iter()
            .any(|(_, body, _)| body.contains("靖远县广播电视局已并入您单位"))
    );

    let shown = o.get(&format!("/console/units/{old}?done=merged")).await;
    assert!(shown.body.contains("已办理合并") && shown.body.contains("已合并"));
    assert!(shown.body.contains(&format!("/console/units/{new}")));
    assert!(
        !shown
            .body
            .contains(&format!("/console/units/{old}/reorganise"))
    );
    let again = o
        .post(
            &path,
            &[
                ("kind", "abolish"),
                ("reason", "再次办理"),
                ("confirm", "1"),
            ],
        )
        .await;
    assert!(again.body.contains("该单位已合并"), "{}", again.body);
    let successor_page = o.get(&format!("/console/units/{new}")).await;
    assert!(successor_page.body.contains("广电局") && successor_page.body.contains(&moved_code));

    // A later roster: the merged unit is not "missing", and a row for it is refused.
    let roster = csv(&[
        format!("靖远县文化和旅游局,{successor},政府,620421,,,,"),
        format!("靖远县广播电视局,{itself},政府,620421,,,,"),
    ]);
    let sent = upload(&mut o, "名册.csv", roster.as_bytes()).await;
    let preview = o.get(sent.location.as_deref().unwrap()).await;
    assert!(
        preview.body.contains("在机构改革中已合并"),
        "{}",
        preview.body
    );
    assert!(!preview.body.contains("名册中没有的现有单位"));
}

#[tokio::test]
async fn an_abolished_unit_stops_resolving_and_keeps_its_balance_for_a_refund() {
    let app = TestApp::spawn().await;
    let office = app.office("620421").await;
    let unit = app.unit("靖远县粮食局", "620421").await;
    let names = active_names(&app, unit, "粮食局", "靖远粮食").await;
    credit(&app, unit, 120, "t-grain").await;
    let code = issue(&app, unit, "靖远粮食网", "", "", "ls.jingyuan.gov.cn").await;
    let waiting = approved_application(&app, unit, "粮食储备", "粮储局").await;
    let (mut o, _) = app
        .signed_in(Role::OfficeReviewer, None, Some(office))
        .await;
    let path = format!("/console/units/{unit}/reorganise");
    let fields = [
        ("kind", "abolish"),
        ("reason", "靖编发〔2026〕13号：撤销粮食局"),
        ("confirm", "1"),
    ];

    // An application awaiting payment must be settled first.
    let refused = o.post(&path, &fields).await;
    assert_eq!(refused.status, StatusCode::OK);
    assert!(
        refused.body.contains("1 项正在审核的申请"),
        "{}",
        refused.body
    );
    assert_eq!(
        column(&app, "SELECT status FROM units WHERE id = $1", unit.get()).await,
        "active"
    );
    sqlx::query("UPDATE domain_applications SET state = 'registry_rejected' WHERE id = $1")
        .bind(waiting.id.get())
        .execute(app.db.pool())
        .await
        .unwrap();

    let done = o.post(&path, &fields).await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
    for id in &names {
        let row = sqlx::query("SELECT held, hold_category, state FROM domains WHERE id = $1")
            .bind(id)
            .fetch_one(app.db.pool())
            .await
            .unwrap();
        assert_eq!(row.try_get::<i64, _>("held").unwrap(), 1);
        assert_eq!(
            row.try_get::<String, _>("hold_category").unwrap(),
            "unit_changed"
        );
        assert_eq!(row.try_get::<String, _>("state").unwrap(), "suspended");
    }
    let site = sqlx::query("SELECT badge_state, closed_at FROM sites WHERE badge_code = $1")
        .bind(&code)
        .fetch_one(app.db.pool())
        .await
        .unwrap();
    assert_eq!(site.try_get::<String, _>("badge_state").unwrap(), "revoked");
    assert!(
        site.try_get::<Option<i64>, _>("closed_at")
            .unwrap()
            .is_some()
    );
    assert_eq!(
        ledger::balance(&app.db, unit).await.unwrap().to_string(),
        "120.00"
    );
    assert_eq!(
        column(&app, "SELECT status FROM units WHERE id = $1", unit.get()).await,
        "abolished"
    );
    let actions = app.audit_actions().await;
    assert!(actions.contains(&"unit_abolished".to_owned()));
    assert!(actions.iter().filter(|a| *a == "domain_held").count() >= 2);
    let told = app.outbox_bodies("unit_reorganised").await;
    assert!(
        told.iter().any(|(_, b, _)| b.contains("120.00 元")),
        "{told:?}"
    );
    let page = o
        .get(&format!("/console/units/{unit}?done=abolished"))
        .await;
    assert!(page.body.contains("已办理撤销") && page.body.contains("已撤销"));
    // The public verification page says the badge is no longer valid.
    let verify = app.browser().get(&format!("/v/{code}")).await;
    assert!(verify.body.contains("已注销"), "{}", verify.body);
}

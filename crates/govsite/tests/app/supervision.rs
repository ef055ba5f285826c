//! The 编办's supervision lists (annexes 5, 6, 7): contents, jurisdiction, and .xlsx downloads
//! that a spreadsheet reader opens.

use std::io::Cursor;

use calamine::{Data, Reader, Xlsx};
use govsite::registry;
use govsite_core::domain_lifecycle::{DAY, Periods};
use govsite_core::role::Role;
use reqwest::StatusCode;
use sqlx::Row;

use crate::domains::active_names;
use crate::helpers::{Browser, TestApp};

fn sheet(bytes: Vec<u8>) -> Vec<Vec<String>> {
    let mut book = Xlsx::new(Cursor::new(bytes)).expect("a workbook");
    let name = book.sheet_names()[0].clone();
    let range = book.worksheet_range(&name).expect("the sheet");
    range
        .rows()
        .map(|r| {
            r.iter()
                .map(|c| match c {
                    Data::String(s) => s.clone(),
                    Data::Empty => String::new(),
                    other => other.to_string(),
                })
                .collect()
        })
        .collect()
}

async fn download(b: &mut Browser, path: &str) -> Vec<Vec<String>> {
    let (status, headers, bytes) = b.get_bytes(path).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        headers["content-type"],
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    );
    assert!(
        headers["content-disposition"]
            .to_str()
            .unwrap()
            .starts_with("attachment;")
    );
    sheet(bytes)
}

#[tokio::test]
async fn offices_list_lapsed_unregistered_and_contacts_of_their_region() {
    let app = TestApp::spawn().await;
    let lapsed = app.unit("靖远县审计局", "620421").await;
    let _never = app.unit("靖远县工商业联合会", "620421").await;
    let _elsewhere = app.unit("平川区统计局", "620403").await;
    app.user(Role::Unit, Some(lapsed), None).await;
    active_names(&app, lapsed, "靖远县审计局", "靖远审计").await;
    app.clock.advance(2 * 365 * DAY + 40 * DAY);
    registry::lifecycle::pass(&app.db, app.clock_now(), Periods::default())
        .await
        .unwrap();

    assert_eq!(
        app.count("SELECT COUNT(*) FROM domains WHERE state = 'suspended' AND variant_of IS NULL")
            .await,
        2
    );
    let jy = app.office("620421").await;
    let (mut office, _) = app.signed_in(Role::OfficeReviewer, None, Some(jy)).await;
    let page = office.get("/console/lists/lapsed").await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(page.body.contains("靖远县审计局"), "{}", page.body);
    assert!(page.body.contains("已暂停解析2个"), "{}", page.body);
    assert!(!page.body.contains("工商业联合会"));
    assert!(!page.body.contains("密码</th>"), "never a password column");

    let unregistered = office.get("/console/lists/unregistered").await;
    assert!(unregistered.body.contains("靖远县工商业联合会"));
    assert!(!unregistered.body.contains("靖远县审计局"));
    assert!(
        !unregistered.body.contains("平川区"),
        "another county's unit"
    );
    // An office cannot widen its scope by a query parameter.
    let widened = office
        .get("/console/lists/unregistered?region=620000")
        .await;
    assert!(!widened.body.contains("平川区统计局"));

    let rows = download(&mut office, "/console/lists/lapsed?format=xlsx").await;
    assert!(rows[0][0].contains("已到期需重新注册单位名单"));
    assert_eq!(
        rows[1],
        ["序号", "单位名称", "地区", "域名个数", "用户帐号", "备注"]
    );
    assert_eq!(rows[2][1], "靖远县审计局");
    assert_eq!(rows[2][3], "2");
    assert!(
        rows[2][4].starts_with('u'),
        "the unit's user name: {:?}",
        rows[2]
    );
    assert_eq!(rows.len(), 3);

    let filtered = download(
        &mut office,
        "/console/lists/unregistered?format=xlsx&q=工商",
    )
    .await;
    assert_eq!(filtered.len(), 3);
    assert_eq!(filtered[2][1], "靖远县工商业联合会");

    // Contacts: masked on screen, whole in the audited download.
    let contacts = office.get("/console/lists/contacts").await;
    assert!(contacts.body.contains("分管领导人信息"));
    assert!(contacts.body.contains("****"), "mobiles masked on screen");
    let sheet = download(&mut office, "/console/lists/contacts?format=xlsx").await;
    assert_eq!(sheet[1][3], "分管领导");
    assert_eq!(sheet.len(), 4, "two units of 靖远县: {sheet:?}");
    assert!(
        sheet[2][4].len() >= 11 && !sheet[2][4].contains('*'),
        "full number: {:?}",
        sheet[2]
    );
    assert_eq!(
        app.count("SELECT COUNT(*) FROM audit_events WHERE action = 'list_exported'")
            .await,
        3
    );

    // The registry narrows by region code (a city covers its counties); a bad code is a 400.
    let (mut registry_b, _) = app.signed_in(Role::RegistryReviewer, None, None).await;
    let city = registry_b
        .get("/console/lists/unregistered?region=620400")
        .await;
    assert!(city.body.contains("靖远县工商业联合会") && city.body.contains("平川区统计局"));
    let county = registry_b
        .get("/console/lists/unregistered?region=620403")
        .await;
    assert!(!county.body.contains("靖远县工商业联合会"));
    let bad = registry_b
        .get("/console/lists/unregistered?region=62x")
        .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);

    // Units and finance do not see the lists.
    let (mut finance, _) = app.signed_in(Role::Finance, None, None).await;
    assert_eq!(
        finance.get("/console/lists/lapsed").await.status,
        StatusCode::FORBIDDEN
    );
}

/// Annex 6 comes from the office's roster: units it imported are listed before anyone signs
/// in (with where their account stands), a unit leaves the list when it holds a Chinese name,
/// and an abolished unit is no longer supervised.
#[tokio::test]
async fn annex_6_lists_every_unit_of_the_imported_roster() {
    use crate::roster::{code, csv, upload};
    let app = TestApp::spawn().await;
    let office = app.office("620421").await;
    let (mut o, _) = app
        .signed_in(Role::OfficeReviewer, None, Some(office))
        .await;
    let roster = csv(&[
        format!(
            "靖远县档案馆,{},事业单位,620421,靖远县人民政府,王五,13900000001,da@test.example",
            code(11)
        ),
        format!(
            "靖远县供销社,{},群团,620421,,赵六,,gx@test.example",
            code(12)
        ),
        format!(
            "靖远县粮食局,{},政府,620421,,钱七,,ls@test.example",
            code(13)
        ),
    ]);
    let sent = upload(&mut o, "名册.csv", roster.as_bytes()).await;
    let id = sent
        .location
        .as_deref()
        .unwrap()
        .rsplit('/')
        .next()
        .unwrap()
        .to_owned();
    let applied = o
        .post(&format!("/console/units/import/{id}/apply"), &[])
        .await;
    assert_eq!(applied.status, StatusCode::SEE_OTHER, "{}", applied.body);
    let self_registered = app.unit("靖远县工商业联合会", "620421").await;
    app.user(Role::Unit, Some(self_registered), None).await;

    let rows = download(&mut o, "/console/lists/unregistered?format=xlsx").await;
    let listed: Vec<&str> = rows[2..].iter().map(|r| r[1].as_str()).collect();
    assert_eq!(
        listed.len(),
        4,
        "three imported units and one that registered itself: {rows:?}"
    );
    for name in [
        "靖远县档案馆",
        "靖远县供销社",
        "靖远县粮食局",
        "靖远县工商业联合会",
    ] {
        assert!(listed.contains(&name), "{name}: {rows:?}");
    }
    let row = |name: &str| rows.iter().find(|r| r[1] == name).unwrap().clone();
    assert_eq!(row("靖远县档案馆")[5], "已发邀请，账号未激活");
    assert_eq!(row("靖远县工商业联合会")[5], "", "an activated account");

    // One registers a name; one is abolished: both leave the list.
    let grain: i64 = sqlx::query("SELECT id FROM units WHERE name = '靖远县粮食局'")
        .fetch_one(app.db.pool())
        .await
        .unwrap()
        .try_get(0)
        .unwrap();
    let archive: i64 = sqlx::query("SELECT id FROM units WHERE name = '靖远县档案馆'")
        .fetch_one(app.db.pool())
        .await
        .unwrap()
        .try_get(0)
        .unwrap();
    active_names(
        &app,
        govsite_core::ids::UnitId::new(archive),
        "靖远县档案馆",
        "靖远档案",
    )
    .await;
    let abolished = o
        .post(
            &format!("/console/units/{grain}/reorganise"),
            &[
                ("kind", "abolish"),
                ("reason", "靖编发〔2026〕13号：撤销粮食局"),
                ("confirm", "1"),
            ],
        )
        .await;
    assert_eq!(
        abolished.status,
        StatusCode::SEE_OTHER,
        "{}",
        abolished.body
    );
    let page = o.get("/console/lists/unregistered").await;
    assert!(page.body.contains("靖远县供销社"), "{}", page.body);
    assert!(
        !page.body.contains("靖远县粮食局"),
        "abolished: {}",
        page.body
    );
    assert!(!page.body.contains("靖远县档案馆"), "holds a name now");
    let contacts = o.get("/console/lists/contacts").await;
    assert!(!contacts.body.contains("靖远县粮食局"), "abolished");
    app.shutdown().await.unwrap();
}

//! Lists at scale (issue 14): an office's unit list paged through 10,000 units with keyset
//! 上一页 / 下一页, 跳转, 尾页, search and export; the registry's region filter (a province, a
//! city, a county); 网站标识 paged by keyset; 发票管理 exported.

use std::collections::HashSet;

use govsite_core::role::Role;
use reqwest::StatusCode;

use crate::helpers::TestApp;

/// `n` units of `region` named `{prefix}{i}`, in one statement (a registry's bulk load).
async fn bulk_units(app: &TestApp, region: i64, n: i64, prefix: &str) {
    sqlx::query(
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $1)
         INSERT INTO units (name, credit_code, org_type, region_code, parent_org, functions,
                            address, postcode, created_at, updated_at)
         SELECT CAST($2 AS TEXT) || CAST(i AS TEXT), CAST($3 AS TEXT) || CAST(i AS TEXT),
                'government', $4, '', '职能', '地址', '730600', $5, $5 FROM n",
    )
    .bind(n)
    .bind(prefix)
    .bind(format!("T{region}X"))
    .bind(region)
    .bind(app.clock_now())
    .execute(app.db.pool())
    .await
    .unwrap();
}

/// The unit ids a list page links to, in order.
fn unit_ids(body: &str) -> Vec<i64> {
    body.split("href=\"/console/units/")
        .skip(1)
        .filter_map(|s| s.split('"').next()?.parse().ok())
        .collect()
}

fn link(body: &str, rel: &str) -> String {
    let marker = format!("\" rel=\"{rel}\"");
    let end = body.find(&marker).expect(rel);
    let start = body[..end].rfind("href=\"").unwrap() + 6;
    body[start..end]
        .replace("&amp;", "&")
        .replace("&#x2f;", "/")
}

#[tokio::test]
async fn an_office_pages_through_ten_thousand_units() {
    let app = TestApp::spawn().await;
    let office = app.office("620421").await;
    bulk_units(&app, 620_421, 10_000, "靖远县测试单位").await;
    let (mut o, _) = app
        .signed_in(Role::OfficeReviewer, None, Some(office))
        .await;

    let first = o.get("/console/units").await;
    assert!(first.body.contains("共 10000 个单位"), "{}", first.body);
    assert!(first.body.contains("第 1 页，共 500 页"));
    // 下一页 three times and back: twenty new units each time, newest first, never repeated.
    let mut seen = HashSet::new();
    let mut page = first;
    let mut previous_last = i64::MAX;
    for n in 1..=4 {
        let ids = unit_ids(&page.body);
        assert_eq!(ids.len(), 20, "page {n}");
        assert!(ids.windows(2).all(|w| w[0] > w[1]), "newest first");
        assert!(ids[0] < previous_last, "follows the page before");
        previous_last = *ids.last().unwrap();
        assert!(ids.iter().all(|id| seen.insert(*id)), "no unit twice");
        assert!(page.body.contains(&format!("第 {n} 页，共 500 页")), "{n}");
        if n < 4 {
            page = o.get(&link(&page.body, "next")).await;
        }
    }
    let back = o.get(&link(&page.body, "prev")).await;
    assert!(back.body.contains("第 3 页，共 500 页"));
    // 跳转 to page 250 and 尾页: the last page holds the oldest twenty.
    let middle = o.get("/console/units?page=250").await;
    assert!(middle.body.contains("第 250 页，共 500 页"));
    let ids = unit_ids(&middle.body);
    assert_eq!(ids.len(), 20);
    let last = o.get("/console/units?last=1").await;
    assert!(last.body.contains("第 500 页，共 500 页"));
    let oldest = unit_ids(&last.body);
    assert_eq!(oldest.len(), 20);
    assert!(oldest.iter().all(|id| *id <= 20), "{oldest:?}");
    let before_last = o.get(&link(&last.body, "prev")).await;
    assert!(before_last.body.contains("第 499 页，共 500 页"));
    assert!(
        unit_ids(&before_last.body)
            .iter()
            .all(|id| (21..=40).contains(id))
    );
    // A search narrows it; the export holds every unit.
    let found = o.get("/console/units?q=测试单位9999").await;
    assert!(found.body.contains("共 1 个单位"), "{}", found.body);
    let (status, _, bytes) = o.get_bytes("/console/units?format=xlsx").await;
    assert_eq!(status, StatusCode::OK);
    use calamine::Reader;
    let mut book: calamine::Xlsx<_> = calamine::Xlsx::new(std::io::Cursor::new(bytes)).unwrap();
    let rows = book.worksheet_range_at(0).unwrap().unwrap().height();
    assert!(rows >= 10_001, "{rows}");
    app.shutdown().await.unwrap();
}

#[tokio::test]
async fn the_registry_filters_its_national_lists_by_province_city_or_county() {
    let app = TestApp::spawn().await;
    bulk_units(&app, 620_421, 3, "靖远单位").await;
    bulk_units(&app, 620_403, 2, "平川单位").await;
    bulk_units(&app, 620_102, 4, "城关单位").await;
    bulk_units(&app, 110_101, 5, "东城单位").await;
    let (mut r, _) = app.signed_in(Role::RegistryReviewer, None, None).await;
    for (region, total) in [
        ("", 14),
        ("620000", 9),
        ("620400", 5),
        ("620421", 3),
        ("110000", 5),
        ("bad", 14),
    ] {
        let page = r.get(&format!("/console/units?region={region}")).await;
        assert!(
            page.body.contains(&format!("共 {total} 个单位")),
            "{region}: {}",
            page.body
        );
    }
    let page = r.get("/console/units?region=620400").await;
    assert!(page.body.contains("id=\"region\"") && page.body.contains("value=\"620400\""));
    // An office's lists stay within its own region whatever the query says.
    let office = app.office("620421").await;
    let (mut o, _) = app
        .signed_in(Role::OfficeReviewer, None, Some(office))
        .await;
    let own = o.get("/console/units?region=620000").await;
    assert!(own.body.contains("共 3 个单位"), "{}", own.body);
    assert!(
        !own.body.contains("id=\"region\""),
        "no region field for an office"
    );
    app.shutdown().await.unwrap();
}

#[tokio::test]
async fn badges_are_paged_by_keyset_and_invoices_exported() {
    let app = TestApp::spawn().await;
    let office = app.office("620421").await;
    for i in 0..60 {
        let unit = app.unit(&format!("靖远县第{i}单位"), "620421").await;
        crate::badges::issue(&app, unit, &format!("第{i}网"), "", "", "").await;
    }
    let (mut o, _) = app
        .signed_in(Role::OfficeReviewer, None, Some(office))
        .await;
    let first = o.get("/console/badges").await;
    assert!(first.body.contains("第 1 页，共 2 页"), "{}", first.body);
    assert!(first.body.contains("第59网") && !first.body.contains("第0网<"));
    let second = o.get(&link(&first.body, "next")).await;
    assert!(second.body.contains("第 2 页，共 2 页"), "{}", second.body);
    assert!(second.body.contains("第0网") && !second.body.contains("第59网"));

    let (mut finance, _) = app.signed_in(Role::Finance, None, None).await;
    let (status, headers, bytes) = finance.get_bytes("/console/invoices?format=xlsx").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        headers
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.contains("spreadsheetml")),
        "{headers:?}"
    );
    use calamine::Reader;
    let mut book: calamine::Xlsx<_> = calamine::Xlsx::new(std::io::Cursor::new(bytes)).unwrap();
    let range = book.worksheet_range_at(0).unwrap().unwrap();
    assert!(
        range
            .rows()
            .any(|row| row.iter().any(|c| *c == "纳税人识别号")),
        "the header row"
    );
    app.shutdown().await.unwrap();
}

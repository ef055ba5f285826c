//! The menu of every role: each item's page, and pages under an item, mark exactly that one
//! item as current (figure 9's menu, with 用户问答 and 消息中心).

use govsite_core::role::Role;
use reqwest::StatusCode;

use crate::helpers::{Browser, TestApp};

/// The menu's (href, label) pairs and the labels marked current, from a page.
fn menu(html: &str) -> (Vec<(String, String)>, Vec<String>) {
    let start = html.find("<nav class=\"wrap menu\"").expect("a menu");
    let nav = &html[start..start + html[start..].find("</nav>").unwrap()];
    let mut items = Vec::new();
    let mut current = Vec::new();
    for part in nav.split("<a href=\"").skip(1) {
        let href = part.split('"').next().unwrap().replace("&#x2f;", "/");
        let label = part[part.find('>').unwrap() + 1..part.find("</a>").unwrap()].to_owned();
        if part[..part.find('>').unwrap()].contains("aria-current=\"page\"") {
            current.push(label.clone());
        }
        items.push((href, label));
    }
    (items, current)
}

async fn every_item_is_current_on_its_page(b: &mut Browser, home: &str, extra: &[(&str, &str)]) {
    let (items, _) = menu(&b.get(home).await.body);
    assert!(items.len() >= 3, "{items:?}");
    let mut pages: Vec<(String, String)> = items;
    pages.extend(
        extra
            .iter()
            .map(|(p, l)| ((*p).to_owned(), (*l).to_owned())),
    );
    for (href, label) in pages {
        let page = b.get(&href).await;
        assert_eq!(page.status, StatusCode::OK, "{href}");
        let (_, current) = menu(&page.body);
        assert_eq!(current, [label], "{href}");
    }
}

#[tokio::test]
async fn exactly_one_menu_item_is_current_for_every_role() {
    let app = TestApp::spawn().await;
    let office = app.office("620421").await;
    let unit = app.unit("靖远县菜单测试局", "620421").await;
    let (mut u, _) = app.signed_in(Role::Unit, Some(unit), None).await;
    every_item_is_current_on_its_page(
        &mut u,
        "/portal",
        &[
            ("/portal/domains/badges", "网上名称管理"),
            ("/portal/sites/badges", "网站开办审核"),
            ("/portal/questions/new", "用户问答"),
        ],
    )
    .await;
    let (mut o, _) = app
        .signed_in(Role::OfficeReviewer, None, Some(office))
        .await;
    every_item_is_current_on_its_page(&mut o, "/console", &[]).await;
    let (mut r, _) = app.signed_in(Role::RegistryReviewer, None, None).await;
    every_item_is_current_on_its_page(&mut r, "/console", &[]).await;
    let (mut f, _) = app.signed_in(Role::Finance, None, None).await;
    every_item_is_current_on_its_page(&mut f, "/console/units", &[]).await;
    let (mut a, _) = app.signed_in(Role::Admin, None, None).await;
    every_item_is_current_on_its_page(&mut a, "/admin/accounts", &[]).await;
    let (mut s, _) = app.signed_in(Role::SecurityAdmin, None, None).await;
    every_item_is_current_on_its_page(&mut s, "/admin/accounts", &[]).await;
    let (mut au, _) = app.signed_in(Role::Auditor, None, None).await;
    every_item_is_current_on_its_page(&mut au, "/admin/audit", &[]).await;
    app.shutdown().await.unwrap();
}

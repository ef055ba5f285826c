//! 编办代缴 (one office transfer split among its units) and invoices issued by finance.

use govsite::registry;
use govsite::store::audit::Actor;
use govsite_core::money::Money;
use govsite_core::role::Role;
use reqwest::StatusCode;

use crate::domains::approved_application;
use crate::helpers::TestApp;

#[tokio::test]
async fn an_office_pays_for_its_units_and_finance_invoices_the_payments() {
    let app = TestApp::spawn().await;
    let jy = app.office("620421").await;
    let a_unit = app.unit("靖远县司法局", "620421").await;
    let b_unit = app.unit("靖远县统计局", "620421").await;
    let elsewhere = app.unit("平川区司法局", "620403").await;
    let (mut office, _) = app.signed_in(Role::OfficeReviewer, None, Some(jy)).await;

    let form = office.get("/console/office-payments").await;
    assert!(form.body.contains("靖远县司法局") && !form.body.contains("平川区司法局"));
    let share_a = format!("share_{}", a_unit.get());
    let share_b = format!("share_{}", b_unit.get());
    let base = [
        ("payer", "靖远县机构编制委员会办公室"),
        ("bank_ref", "BK20261120001"),
        ("paid_on", "2026-01-05"),
    ];

    // Shares that do not add up to the transfer are a field error; nothing is stored.
    let mut fields = base.to_vec();
    fields.extend([
        ("amount", "800"),
        (share_a.as_str(), "400"),
        (share_b.as_str(), "300"),
    ]);
    let bad = office.post("/console/office-payments", &fields).await;
    assert!(
        bad.body
            .contains("合计 700.00 元，与转账金额 800.00 元不一致"),
        "{}",
        bad.body
    );
    assert!(bad.body.contains("value=\"300\""), "input kept");
    let mut fields = base.to_vec();
    fields.extend([("amount", "800"), (share_a.as_str(), "-1")]);
    let negative = office.post("/console/office-payments", &fields).await;
    assert!(negative.body.contains("代缴金额应为大于0的数字"));
    assert_eq!(app.count("SELECT COUNT(*) FROM transfers").await, 0);
    // A unit of another county cannot be slipped in.
    let foreign = format!("share_{}", elsewhere.get());
    let mut fields = base.to_vec();
    fields.extend([("amount", "400"), (foreign.as_str(), "400")]);
    assert_eq!(
        office
            .post("/console/office-payments", &fields)
            .await
            .status,
        StatusCode::NOT_FOUND
    );

    let mut fields = base.to_vec();
    fields.extend([
        ("amount", "800"),
        (share_a.as_str(), "400"),
        (share_b.as_str(), "400"),
    ]);
    let ok = office.post("/console/office-payments", &fields).await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER, "{}", ok.body);

    // Finance sees the split and confirms; each unit is credited its share.
    let (mut finance, _) = app.signed_in(Role::Finance, None, None).await;
    let list = finance.get("/console/transfers").await;
    assert!(
        list.body.contains("编办代缴：靖远县司法局 400.00 元"),
        "{}",
        list.body
    );
    let id: i64 = {
        use sqlx::Row;
        sqlx::query("SELECT id FROM transfers")
            .fetch_one(app.db.pool())
            .await
            .unwrap()
            .try_get("id")
            .unwrap()
    };
    let confirmed = finance
        .post(
            &format!("/console/transfers/{id}"),
            &[("action", "confirm")],
        )
        .await;
    assert_eq!(confirmed.status, StatusCode::SEE_OTHER);
    for u in [a_unit, b_unit] {
        assert_eq!(
            govsite::store::ledger::balance(&app.db, u).await.unwrap(),
            Money::from_yuan(400)
        );
    }
    assert_eq!(
        govsite::store::ledger::trial_balance(&app.db)
            .await
            .unwrap(),
        0
    );
    let history = office.get("/console/office-payments").await;
    assert!(history.body.contains("已到账"));

    // The unit pays its application from the balance; finance invoices the payment.
    let a = approved_application(&app, a_unit, "靖远县司法局", "靖远司法").await;
    registry::applications::pay_and_activate(&app.db, &Actor::system("test"), &a, app.clock_now())
        .await
        .unwrap();
    let waiting = finance.get("/console/invoices").await;
    assert!(waiting.body.contains("靖远县司法局"), "{}", waiting.body);
    assert!(
        !waiting.body.contains("靖远县统计局"),
        "no payment, nothing to invoice"
    );
    let unit_field = a_unit.get().to_string();
    let bad_tax = finance
        .post(
            "/console/invoices",
            &[
                ("unit_id", unit_field.as_str()),
                ("title", "靖远县司法局"),
                ("tax_number", "12345"),
            ],
        )
        .await;
    assert!(bad_tax.body.contains("纳税人识别号应为18位"));
    let code = {
        use sqlx::Row;
        sqlx::query("SELECT credit_code FROM units WHERE id = $1")
            .bind(a_unit.get())
            .fetch_one(app.db.pool())
            .await
            .unwrap()
            .try_get::<String, _>("credit_code")
            .unwrap()
    };
    let issued = finance
        .post(
            "/console/invoices",
            &[
                ("unit_id", unit_field.as_str()),
                ("title", "靖远县司法局"),
                ("tax_number", code.as_str()),
            ],
        )
        .await;
    assert_eq!(issued.status, StatusCode::SEE_OTHER, "{}", issued.body);
    // Each payment is invoiced once.
    let again = finance
        .post(
            "/console/invoices",
            &[
                ("unit_id", unit_field.as_str()),
                ("title", "靖远县司法局"),
                ("tax_number", code.as_str()),
            ],
        )
        .await;
    assert_eq!(again.status, StatusCode::CONFLICT);
    // Finance finds it among the issued invoices by the unit's name or the taxpayer number.
    let found = finance.get("/console/invoices?q=司法局").await;
    assert!(found.body.contains("共 1 张"), "{}", found.body);
    let by_code = finance
        .get(&format!("/console/invoices?q={}", code.to_lowercase()))
        .await;
    assert!(
        by_code.body.contains("共 1 张"),
        "letter case does not matter"
    );
    assert!(
        finance
            .get("/console/invoices?q=不存在")
            .await
            .body
            .contains("共 0 张")
    );

    // The unit downloads its invoice: title, tax number, amount and items.
    let (mut unit_b, _) = app.signed_in(Role::Unit, Some(a_unit), None).await;
    let finance_page = unit_b.get("/portal/finance").await;
    let start = finance_page
        .body
        .find("/portal/finance/invoices/")
        .expect("a download link");
    let link: String = finance_page.body[start..]
        .chars()
        .take_while(|c| *c != '"')
        .collect();
    let (status, headers, pdf) = unit_b.get_bytes(&link).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers["content-type"], "application/pdf");
    assert!(
        headers["content-disposition"]
            .to_str()
            .unwrap()
            .starts_with("attachment;")
    );
    // A PDF made by typst, read back as text: title, tax number, amount, item, number.
    let doc = crate::sites::pdftotext(&pdf);
    for needle in [
        "注册服务费发票",
        "靖远县司法局",
        code.as_str(),
        "400.00",
        "域名注册费",
        "FP",
    ] {
        assert!(doc.contains(needle), "{needle} in {doc}");
    }
    // Another unit cannot download it.
    let (mut other, _) = app.signed_in(Role::Unit, Some(b_unit), None).await;
    assert_eq!(other.get(&link).await.status, StatusCode::NOT_FOUND);
    let actions = app.audit_actions().await;
    assert!(actions.contains(&"invoice_issued".to_owned()));
    assert!(actions.contains(&"transfer_confirmed".to_owned()));
}

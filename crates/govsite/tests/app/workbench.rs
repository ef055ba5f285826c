//! The 编办's workbench (issue 14, the parts built so far): the office's own details shown to
//! its units where they bring paper and ask for help; contacts masked on the unit's page with
//! 「显示完整」 revealing one contact for one person, audited; the unit's page with its names,
//! applications, sites, balance and timeline.

use govsite_core::money::Money;
use govsite_core::role::Role;
use reqwest::StatusCode;
use sqlx::Row;

use crate::helpers::TestApp;
use crate::sites::{fields, fill, review, submit};

#[tokio::test]
async fn an_office_says_where_it_is_and_its_units_are_told_where_to_bring_paper() {
    let app = TestApp::spawn().await;
    let office = app.office("620421").await;
    let (mut o, _) = app
        .signed_in(Role::OfficeReviewer, None, Some(office))
        .await;
    let page = o.get("/console/office").await;
    assert_eq!(page.status, StatusCode::OK);
    assert_eq!(page.body.matches("aria-current=\"page\"").count(), 1);

    let bad = o
        .post(
            "/console/office",
            &[
                ("address", ""),
                ("contact_name", ""),
                ("contact_phone", "12"),
            ],
        )
        .await;
    assert_eq!(bad.status, StatusCode::OK);
    assert!(bad.title().starts_with("错误"));
    assert!(bad.body.contains("请输入联系地址") && bad.body.contains("请输入联系人"));
    let saved = o
        .post(
            "/console/office",
            &[
                ("address", "靖远县新统办大楼4楼"),
                ("room", "0427房间"),
                ("contact_name", "编办值班员"),
                ("contact_phone", "0943-6120427"),
                ("hours", "工作日 8:30—18:00"),
            ],
        )
        .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.body);
    assert_eq!(saved.location.as_deref(), Some("/console/office?saved=1"));
    assert!(
        app.audit_actions()
            .await
            .contains(&"office_details_updated".to_owned())
    );

    // Its unit sees the address on the help page and on the paper step.
    let unit = app.unit("靖远县教育局", "620421").await;
    let (mut u, _) = app.signed_in(Role::Unit, Some(unit), None).await;
    let help = u.get("/help").await;
    assert!(
        help.body.contains("靖远县新统办大楼4楼 0427房间"),
        "{}",
        help.body
    );
    assert!(help.body.contains("0943-6120427"));
    let id = fill(&mut u, &fields("red_page", "靖远县教育局网络红页", "")).await;
    submit(&mut u, id).await;
    review(&mut o, id, &[("decision", "approve")]).await;
    let (mut r, _) = app.signed_in(Role::RegistryReviewer, None, None).await;
    review(&mut r, id, &[("decision", "approve")]).await;
    let paper = u.get(&format!("/portal/sites/applications/{id}")).await;
    assert!(paper.body.contains("报送地点"), "{}", paper.body);
    assert!(paper.body.contains("靖远县新统办大楼4楼 0427房间"));

    // Another county's unit is not told this office's address; the registry has no office page.
    let far = app.unit("平川区教育局", "620403").await;
    let (mut f, _) = app.signed_in(Role::Unit, Some(far), None).await;
    assert!(!f.get("/help").await.body.contains("0427房间"));
    assert_eq!(r.get("/console/office").await.status, StatusCode::FORBIDDEN);
    app.shutdown().await.unwrap();
}

#[tokio::test]
async fn contacts_are_masked_and_one_is_revealed_to_one_person_with_an_audit_row() {
    let app = TestApp::spawn().await;
    let office = app.office("620421").await;
    let unit = app.unit("靖远县水务局", "620421").await;
    let (mut o, clerk) = app
        .signed_in(Role::OfficeReviewer, None, Some(office))
        .await;
    let path = format!("/console/units/{unit}");
    let page = o.get(&path).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        !page.body.contains("13900000002"),
        "the handler's mobile is masked"
    );
    assert!(page.body.contains("139****0002"));
    assert!(page.body.contains("显示完整"));
    assert!(page.body.contains("账户余额") && page.body.contains("操作记录"));

    let bad = o
        .post(&format!("{path}/reveal"), &[("field", "password")])
        .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    let shown = o
        .post(&format!("{path}/reveal"), &[("field", "handler_mobile")])
        .await;
    assert_eq!(shown.status, StatusCode::SEE_OTHER, "{}", shown.body);
    let page = o.get(&path).await;
    assert!(
        page.body.contains("13900000002"),
        "revealed to the clerk who asked"
    );
    assert!(
        !page.body.contains("wang@test.example"),
        "only that contact"
    );
    let row = sqlx::query(
        "SELECT actor, reason FROM audit_events WHERE action = 'contact_revealed' AND subject_id = $1",
    )
    .bind(unit.to_string())
    .fetch_one(app.db.pool())
    .await
    .unwrap();
    assert_eq!(row.try_get::<String, _>("actor").unwrap(), clerk);
    let reason: String = row.try_get("reason").unwrap();
    assert_eq!(reason, "经办人手机");
    assert!(
        !reason.contains("139"),
        "the audit names the contact, never its value"
    );

    // Another clerk of the same office still sees it masked; another region sees nothing.
    let (mut other, _) = app
        .signed_in(Role::OfficeReviewer, None, Some(office))
        .await;
    assert!(!other.get(&path).await.body.contains("13900000002"));
    let far_office = app.office("620403").await;
    let (mut far, _) = app
        .signed_in(Role::OfficeReviewer, None, Some(far_office))
        .await;
    assert_eq!(far.get(&path).await.status, StatusCode::NOT_FOUND);
    let refused = far
        .post(&format!("{path}/reveal"), &[("field", "handler_mobile")])
        .await;
    assert_eq!(refused.status, StatusCode::NOT_FOUND);

    // The reveal lasts fifteen minutes.
    app.clock.advance(16 * 60);
    assert!(!o.get(&path).await.body.contains("13900000002"));
    app.shutdown().await.unwrap();
}

#[tokio::test]
async fn the_domain_paper_is_printed_by_the_unit_and_recorded_by_its_office() {
    let app = TestApp::spawn().await;
    let office = app.office("620421").await;
    let unit = app.unit("靖远县审计局", "620421").await;
    let (mut u, _) = app.signed_in(Role::Unit, Some(unit), None).await;
    let (id, reference) = crate::domains::apply(&mut u, "靖远县审计局", "靖远审计").await;

    // The unit prints annex 3 filled in from its application.
    let (status, headers, pdf) = u
        .get_bytes(&format!("/portal/domains/applications/{id}/form"))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers["content-type"], "application/pdf");
    let text = crate::sites::pdftotext(&pdf);
    for expected in [
        "政务域名注册申请表",
        "靖远县审计局.政务",
        "靖远审计.政务",
        &reference,
        "一式三份",
    ] {
        assert!(text.contains(expected), "{expected}: {text}");
    }
    let page = u.get(&format!("/portal/domains/applications/{id}")).await;
    assert!(page.body.contains("打印域名注册申请表"));

    // Its office records the paper; a date in the future is refused beside its field.
    let (mut o, _) = app
        .signed_in(Role::OfficeReviewer, None, Some(office))
        .await;
    let path = format!("/console/reviews/{id}/paper");
    let bad = o
        .post(&path, &[("received_on", "2099-01-01"), ("copies", "3")])
        .await;
    assert_eq!(bad.status, StatusCode::OK);
    assert!(bad.body.contains("收到日期不能晚于今天"));
    let today = chrono::DateTime::from_timestamp(app.clock_now() + 8 * 3600, 0)
        .unwrap()
        .date_naive()
        .to_string();
    let ok = o
        .post(
            &path,
            &[
                ("received_on", &today),
                ("copies", "3"),
                ("certificates", "1"),
            ],
        )
        .await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER, "{}", ok.body);
    let unit_view = u.get(&format!("/portal/domains/applications/{id}")).await;
    assert!(
        unit_view
            .body
            .contains(&format!("编办已于 {today} 收到申请表 3 份及证件复印件"))
    );
    assert!(
        app.audit_actions()
            .await
            .contains(&"domain_paper_recorded".to_owned())
    );

    // The registry does not record paper; another county's office cannot see the application.
    let (mut r, _) = app.signed_in(Role::RegistryReviewer, None, None).await;
    assert_eq!(
        r.post(&path, &[("received_on", &today), ("copies", "3")])
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    let far = app.office("620422").await;
    let (mut f, _) = app.signed_in(Role::OfficeReviewer, None, Some(far)).await;
    assert_eq!(
        f.post(&path, &[("received_on", &today), ("copies", "3")])
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    app.shutdown().await.unwrap();
}

#[tokio::test]
async fn an_office_resends_invitations_sends_reset_links_and_disables_its_units_accounts() {
    use govsite::store::accounts::{self, NewAccount};
    let app = TestApp::spawn().await;
    let office = app.office("620421").await;
    let unit = app.unit("靖远县统计局", "620421").await;
    // A pending account (never activated) and an active one.
    let mut conn = app.db.pool().acquire().await.unwrap();
    let pending = accounts::insert(
        &mut conn,
        &NewAccount {
            username: "jytjj",
            display_name: "靖远县统计局",
            role: Role::Unit,
            unit_id: Some(unit),
            office_id: None,
            email: "tjj@test.example",
            mobile: "13900000009",
            totp_required: false,
        },
        app.clock_now(),
    )
    .await
    .unwrap();
    drop(conn);
    let (mut u, login) = app.signed_in(Role::Unit, Some(unit), None).await;
    let active: i64 = sqlx::query("SELECT id FROM accounts WHERE username = $1")
        .bind(&login)
        .fetch_one(app.db.pool())
        .await
        .unwrap()
        .try_get("id")
        .unwrap();

    let (mut o, _) = app
        .signed_in(Role::OfficeReviewer, None, Some(office))
        .await;
    let page = o.get(&format!("/console/units/{unit}")).await;
    assert!(page.body.contains("重发激活邀请") && page.body.contains("发送重设密码链接"));
    let act = |account: i64| format!("/console/units/{unit}/accounts/{account}");

    let invited = o.post(&act(pending.get()), &[("action", "invite")]).await;
    assert_eq!(invited.status, StatusCode::SEE_OTHER, "{}", invited.body);
    assert!(
        app.delivered_link("activation", "tjj@test.example")
            .await
            .starts_with("/activate/")
    );
    let mails = app.outbox_bodies("activation").await;
    assert!(
        !mails.iter().any(|(_, body, _)| body.contains("密码：")),
        "never a password"
    );
    let again = o.post(&act(active), &[("action", "invite")]).await;
    assert_eq!(
        again.status,
        StatusCode::CONFLICT,
        "an active account needs no invitation"
    );

    assert_eq!(
        o.post(&act(active), &[("action", "reset")]).await.status,
        StatusCode::SEE_OTHER
    );
    assert_eq!(
        o.post(&act(active), &[("action", "disable")]).await.status,
        StatusCode::SEE_OTHER
    );
    // The unit's session ended with the account.
    assert_ne!(u.get("/portal").await.status, StatusCode::OK);
    assert_eq!(
        o.post(&act(active), &[("action", "enable")]).await.status,
        StatusCode::SEE_OTHER
    );
    let actions = app.audit_actions().await;
    for a in [
        "invitation_resent",
        "password_reset_link_sent",
        "account_disabled",
        "account_enabled",
    ] {
        assert!(actions.contains(&a.to_owned()), "{a}: {actions:?}");
    }

    // Not another office's units, not finance, not a staff account through a unit's URL.
    let far = app.office("620422").await;
    let (mut f, _) = app.signed_in(Role::OfficeReviewer, None, Some(far)).await;
    assert_eq!(
        f.post(&act(active), &[("action", "reset")]).await.status,
        StatusCode::NOT_FOUND
    );
    let (mut money, _) = app.signed_in(Role::Finance, None, None).await;
    assert_eq!(
        money
            .post(&act(active), &[("action", "reset")])
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    let (_, _, staff) = app.user(Role::OfficeReviewer, None, Some(office)).await;
    assert_eq!(
        o.post(&act(staff.get()), &[("action", "disable")])
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    app.shutdown().await.unwrap();
}

#[tokio::test]
async fn a_self_registered_unit_waits_for_its_office_before_submitting() {
    use govsite::store::audit::Actor;
    let app = TestApp::spawn().await;
    let office = app.office("620421").await;
    let (_, _, clerk) = app.user(Role::OfficeReviewer, None, Some(office)).await;
    let clerk_email: String = sqlx::query("SELECT email FROM accounts WHERE id = $1")
        .bind(clerk.get())
        .fetch_one(app.db.pool())
        .await
        .unwrap()
        .try_get("email")
        .unwrap();
    let details = crate::helpers::unit_form("靖远县自注册局", "620421", 777)
        .parse()
        .unwrap();
    let (unit, _) = govsite::registry::accounts::register_unit(
        &app.db,
        &Actor::system("test"),
        &details,
        "jyzzcj",
        &app.base,
        app.clock_now(),
    )
    .await
    .unwrap();
    // The office is told of the registration.
    let told = app.outbox_bodies("unit_registered_office").await;
    assert!(
        told.iter()
            .any(|(to, body, _)| *to == clerk_email && body.contains("靖远县自注册局")),
        "{told:?}"
    );

    // The unit fills in an application but cannot submit it yet.
    let (mut u, _) = app.signed_in(Role::Unit, Some(unit), None).await;
    assert!(u.get("/portal").await.body.contains("尚待所属编办确认"));
    let id = fill(&mut u, &fields("red_page", "靖远县自注册局网络红页", "")).await;
    let check = u
        .get(&format!(
            "/portal/sites/applications/{id}/check?captcha=text"
        ))
        .await;
    let refused = u
        .post(
            &format!("/portal/sites/applications/{id}/submit"),
            &[
                ("captcha_token", &crate::sites::token_of(&check.body)),
                ("captcha", &crate::sites::solve(&check.body)),
            ],
        )
        .await;
    assert_eq!(refused.status, StatusCode::CONFLICT, "{}", refused.body);
    assert!(refused.body.contains("尚待所属编办确认"));

    // The office sees it waiting and confirms it; the unit is told and can submit.
    let (mut o, _) = app
        .signed_in(Role::OfficeReviewer, None, Some(office))
        .await;
    assert!(
        o.get("/console/units")
            .await
            .body
            .contains("（待编办确认）")
    );
    let waiting = o.get("/console/units?state=pending").await;
    assert!(waiting.body.contains("共 1 个单位") && waiting.body.contains("靖远县自注册局"));
    let (status, _, bytes) = o.get_bytes("/console/units?format=xlsx").await;
    assert_eq!(status, StatusCode::OK);
    {
        use calamine::Reader;
        let mut book: calamine::Xlsx<_> = calamine::Xlsx::new(std::io::Cursor::new(bytes)).unwrap();
        let sheet = book.worksheet_range_at(0).unwrap().unwrap();
        assert_eq!(sheet.height(), 3, "title, header and the one unit");
        assert_eq!(sheet.get_value((2, 5)).unwrap().to_string(), "待编办确认");
    }
    let path = format!("/console/units/{unit}/confirm");
    assert_eq!(o.post(&path, &[]).await.status, StatusCode::SEE_OTHER);
    assert_eq!(
        o.post(&path, &[]).await.status,
        StatusCode::CONFLICT,
        "once"
    );
    assert_eq!(
        app.outbox_bodies("unit_confirmed").await.len(),
        2,
        "SMS and e-mail"
    );
    assert!(
        app.audit_actions()
            .await
            .contains(&"unit_confirmed".to_owned())
    );
    submit(&mut u, id).await;
    // Another county's office cannot confirm it.
    let far = app.office("620422").await;
    let (mut f, _) = app.signed_in(Role::OfficeReviewer, None, Some(far)).await;
    assert_eq!(f.post(&path, &[]).await.status, StatusCode::NOT_FOUND);
    app.shutdown().await.unwrap();
}

#[tokio::test]
async fn an_office_corrects_what_a_unit_cannot_edit_with_a_reason() {
    let app = TestApp::spawn().await;
    let office = app.office("620421").await;
    let unit = app.unit("靖远县旅游局", "620421").await;
    let (mut o, _) = app
        .signed_in(Role::OfficeReviewer, None, Some(office))
        .await;
    let path = format!("/console/units/{unit}/correct");
    let form = o.get(&path).await;
    assert_eq!(form.status, StatusCode::OK);
    let code = crate::helpers::input_values(&form.body)["credit_code"].clone();
    let post = |name: &'static str, code: String, region: &'static str, reason: &'static str| {
        vec![
            ("name".to_owned(), name.to_owned()),
            ("credit_code".to_owned(), code),
            ("org_type".to_owned(), "government".to_owned()),
            ("region_code".to_owned(), region.to_owned()),
            ("reason".to_owned(), reason.to_owned()),
        ]
    };
    let no_reason = o
        .post_owned(
            &path,
            &post("靖远县文化和旅游局", code.clone(), "620421", ""),
        )
        .await;
    assert!(
        no_reason.body.contains("请填写更正的原因"),
        "{}",
        no_reason.body
    );
    let bad_code = o
        .post_owned(
            &path,
            &post("靖远县文化和旅游局", "12345".into(), "620421", "机构改革"),
        )
        .await;
    assert!(bad_code.title().starts_with("错误"));
    let elsewhere = o
        .post_owned(
            &path,
            &post("靖远县文化和旅游局", code.clone(), "620422", "机构改革"),
        )
        .await;
    assert!(elsewhere.body.contains("只能更正为本编办所辖地区"));
    let ok = o
        .post_owned(
            &path,
            &post(
                "靖远县文化和旅游局",
                code.clone(),
                "620421",
                "依据靖编发〔2026〕12号文件更名",
            ),
        )
        .await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER, "{}", ok.body);
    let name: String = sqlx::query("SELECT name FROM units WHERE id = $1")
        .bind(unit.get())
        .fetch_one(app.db.pool())
        .await
        .unwrap()
        .try_get("name")
        .unwrap();
    assert_eq!(name, "靖远县文化和旅游局");
    let reason: String = sqlx::query(
        "SELECT reason FROM audit_events WHERE action = 'unit_corrected' AND subject_id = $1",
    )
    .bind(unit.to_string())
    .fetch_one(app.db.pool())
    .await
    .unwrap()
    .try_get("reason")
    .unwrap();
    assert!(
        reason.contains("靖编发〔2026〕12号")
            && reason.contains("名称：靖远县旅游局 → 靖远县文化和旅游局"),
        "{reason}"
    );
    // The unit itself cannot reach the page.
    let (mut u, _) = app.signed_in(Role::Unit, Some(unit), None).await;
    assert_eq!(u.get(&path).await.status, StatusCode::FORBIDDEN);
    app.shutdown().await.unwrap();
}

#[tokio::test]
async fn an_office_pays_two_units_fees_with_one_transfer_and_their_names_go_live() {
    use govsite_core::money::Money;
    let app = TestApp::spawn().await;
    let office = app.office("620421").await;
    let a_unit = app.unit("靖远县科技局", "620421").await;
    let b_unit = app.unit("靖远县粮食局", "620421").await;
    let a = crate::domains::approved_application(&app, a_unit, "靖远县科技局", "靖远科技").await;
    let b = crate::domains::approved_application(&app, b_unit, "靖远县粮食局", "靖远粮食").await;
    let fee = |app_: &govsite::store::applications::Application| {
        let db = app.db.clone();
        let app_ = app_.clone();
        async move {
            govsite::registry::applications::payable(&db, &app_)
                .await
                .unwrap()
        }
    };
    let total = fee(&a).await.checked_add(fee(&b).await).unwrap();

    let (mut o, _) = app
        .signed_in(Role::OfficeReviewer, None, Some(office))
        .await;
    let page = o.get("/console/office-payments").await;
    let reference = |x: &govsite::store::applications::Application| x.reference.clone().unwrap();
    assert!(page.body.contains(&reference(&a)) && page.body.contains(&reference(&b)));
    let picks = [
        (format!("pay_{}", a.id), "1".to_owned()),
        (format!("pay_{}", b.id), "1".to_owned()),
    ];
    let mut fields: Vec<(String, String)> = picks.to_vec();
    fields.push(("step".into(), "total".into()));
    let totalled = o.post_owned("/console/office-payments", &fields).await;
    assert!(
        totalled.body.contains(&format!("合计 {total} 元")),
        "{}",
        totalled.body
    );
    let mut fields: Vec<(String, String)> = picks.to_vec();
    fields.extend([
        ("step".into(), "report".into()),
        ("amount".into(), total.to_string()),
        ("payer".into(), "靖远县机构编制委员会办公室".into()),
        ("bank_ref".into(), "BK2026120101".into()),
        ("paid_on".into(), "2026-11-30".into()),
    ]);
    let reported = o.post_owned("/console/office-payments", &fields).await;
    assert_eq!(reported.status, StatusCode::SEE_OTHER, "{}", reported.body);

    // Finance confirms; with no unit signing in, both are paid and their names are live.
    let (mut finance, _) = app.signed_in(Role::Finance, None, None).await;
    let id: i64 = sqlx::query("SELECT id FROM transfers")
        .fetch_one(app.db.pool())
        .await
        .unwrap()
        .try_get("id")
        .unwrap();
    let confirmed = finance
        .post(
            &format!("/console/transfers/{id}"),
            &[("action", "confirm")],
        )
        .await;
    assert_eq!(
        confirmed.status,
        StatusCode::SEE_OTHER,
        "{}",
        confirmed.body
    );
    for (unit, x) in [(a_unit, &a), (b_unit, &b)] {
        let state: String = sqlx::query("SELECT state FROM domain_applications WHERE id = $1")
            .bind(x.id.get())
            .fetch_one(app.db.pool())
            .await
            .unwrap()
            .try_get("state")
            .unwrap();
        assert_eq!(state, "active");
        let live = app
            .count_for("SELECT COUNT(*) FROM domains WHERE unit_id = $1 AND state = 'active' AND variant_of IS NULL", unit.get())
            .await;
        assert_eq!(live, 2);
        assert_eq!(
            govsite::store::ledger::balance(&app.db, unit)
                .await
                .unwrap(),
            Money::ZERO,
            "credited and paid in one go"
        );
    }
    // Finance's history lists the confirmed transfer, searchable and exported.
    let history = finance
        .get("/console/transfers?status=confirmed&q=BK2026120101")
        .await;
    assert!(
        history.body.contains("共 1 笔") && history.body.contains("已到账"),
        "{}",
        history.body
    );
    assert!(
        finance
            .get("/console/transfers?status=rejected")
            .await
            .body
            .contains("共 0 笔")
    );
    let (status, _, xlsx) = finance.get_bytes("/console/transfers?format=xlsx").await;
    assert_eq!(status, StatusCode::OK);
    assert!(xlsx.starts_with(b"PK"));
    // Each unit sees who paid: the application's history names the office's transfer.
    let (mut u, _) = app.signed_in(Role::Unit, Some(a_unit), None).await;
    let view = u
        .get(&format!("/portal/domains/applications/{}", a.id))
        .await;
    assert!(view.body.contains("代缴"), "{}", view.body);
    assert_eq!(
        app.outbox_bodies("domain_activated").await.len(),
        4,
        "SMS and e-mail to both units"
    );
    app.shutdown().await.unwrap();
}

/// Submits an application of `unit` for `name` (two names, as the seed requires).
async fn submitted(app: &TestApp, unit: govsite_core::ids::UnitId, name: &str) -> String {
    use govsite::store::audit::Actor;
    let form = govsite_core::domain_form::DomainForm {
        contact_name: "王五".into(),
        phone: "0943-6123456".into(),
        email: "wang@test.example".into(),
        mobile: "13900000002".into(),
        address: "靖远县".into(),
        postcode: "730600".into(),
        admin_same: "1".into(),
        tech_same: "1".into(),
        name1: name.into(),
        years1: "2".into(),
        name2: format!("{name}办"),
        years2: "2".into(),
        plan: "resolve".into(),
        ipv4: "192.0.2.1".into(),
        ..Default::default()
    };
    let id = govsite::registry::applications::create_draft(
        &app.db,
        unit,
        govsite_core::org_type::Suffix::Zhengwu,
        &form,
        app.clock_now(),
    )
    .await
    .unwrap();
    let a = govsite::store::applications::find(&app.db, id)
        .await
        .unwrap()
        .unwrap();
    govsite::registry::applications::submit(&app.db, &Actor::system("test"), &a, app.clock_now())
        .await
        .unwrap()
}

#[tokio::test]
async fn the_review_queue_searches_filters_pages_and_exports() {
    let app = TestApp::spawn().await;
    let office = app.office("620421").await;
    let mut references = Vec::new();
    for i in 0..45 {
        let unit = app.unit(&format!("靖远县测试单位{i:02}"), "620421").await;
        references.push(submitted(&app, unit, &format!("靖远测试{i:02}")).await);
    }
    let (mut o, _) = app
        .signed_in(Role::OfficeReviewer, None, Some(office))
        .await;
    let first = o.get("/console/reviews").await;
    assert!(first.body.contains("共 45 件"));
    assert_eq!(
        first.body.matches("<tr>").count() + first.body.matches("<tr class").count(),
        21,
        "header + 20"
    );
    assert!(first.body.contains(&references[44]), "newest first");
    assert!(first.body.contains("第 1 页，共 3 页"));
    // 下一页 follows the keyset link; 跳转 to page 2 gives the same rows.
    let unescape = |s: &str| s.replace("&amp;", "&").replace("&#x2f;", "/");
    let body = unescape(&first.body);
    let next_href = body
        .split("href=\"")
        .find(|s| s.contains("after="))
        .and_then(|s| s.split('"').next())
        .unwrap()
        .to_owned();
    let second = o.get(&next_href).await;
    assert!(second.body.contains("第 2 页，共 3 页"), "{next_href}");
    let jumped = o.get("/console/reviews?page=2").await;
    assert_eq!(
        second.body.matches("WZ").count() + second.body.matches("YM").count(),
        jumped.body.matches("WZ").count() + jumped.body.matches("YM").count()
    );
    assert!(jumped.body.contains(&references[24]) && second.body.contains(&references[24]));
    let last = o.get("/console/reviews?last=1").await;
    assert!(last.body.contains(&references[0]) && last.body.contains("第 3 页，共 3 页"));
    // Search by reference, by unit name, by domain; a filter for decided applications.
    let one = o
        .get(&format!("/console/reviews?q={}", references[7]))
        .await;
    assert!(one.body.contains("共 1 件"));
    let by_unit = o.get("/console/reviews?q=测试单位03").await;
    assert!(by_unit.body.contains("共 1 件") && by_unit.body.contains(&references[3]));
    let decided = o.get("/console/reviews?state=decided").await;
    assert!(decided.body.contains("共 0 件"));
    // The filtered list as .xlsx.
    let (status, headers, bytes) = o
        .get_bytes("/console/reviews?q=测试单位1&format=xlsx")
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        headers["content-type"]
            .to_str()
            .unwrap()
            .contains("spreadsheetml")
    );
    use calamine::Reader;
    let mut book: calamine::Xlsx<_> = calamine::Xlsx::new(std::io::Cursor::new(bytes)).unwrap();
    let sheet = book.worksheet_range_at(0).unwrap().unwrap();
    assert_eq!(
        sheet.height(),
        2 + 10,
        "title, header and the ten units 10–19"
    );
    app.shutdown().await.unwrap();
}

#[tokio::test]
async fn website_applications_have_a_searchable_history_with_export() {
    let app = TestApp::spawn().await;
    let office = app.office("620421").await;
    let (mut o, _) = app
        .signed_in(Role::OfficeReviewer, None, Some(office))
        .await;
    for i in 0..3 {
        let unit = app.unit(&format!("靖远县历史单位{i}"), "620421").await;
        let (mut u, _) = app.signed_in(Role::Unit, Some(unit), None).await;
        let id = fill(&mut u, &fields("red_page", &format!("历史测试红页{i}"), "")).await;
        submit(&mut u, id).await;
        if i == 0 {
            review(&mut o, id, &[("decision", "approve")]).await;
        }
    }
    let all = o.get("/console/sites/history").await;
    assert_eq!(all.status, StatusCode::OK);
    assert!(all.body.contains("共 3 件"), "{}", all.body);
    let pending = o.get("/console/sites/history?state=submitted").await;
    assert!(pending.body.contains("共 2 件"));
    let found = o.get("/console/sites/history?q=历史测试红页1").await;
    assert!(found.body.contains("共 1 件") && found.body.contains("历史测试红页1"));
    let (status, _, bytes) = o
        .get_bytes("/console/sites/history?state=office_approved&format=xlsx")
        .await;
    assert_eq!(status, StatusCode::OK);
    use calamine::Reader;
    let mut book: calamine::Xlsx<_> = calamine::Xlsx::new(std::io::Cursor::new(bytes)).unwrap();
    assert_eq!(
        book.worksheet_range_at(0).unwrap().unwrap().height(),
        3,
        "title, header, one row"
    );
    // Another county sees none of them.
    let far = app.office("620422").await;
    let (mut f, _) = app.signed_in(Role::OfficeReviewer, None, Some(far)).await;
    assert!(
        f.get("/console/sites/history")
            .await
            .body
            .contains("共 0 件")
    );
    app.shutdown().await.unwrap();
}

#[tokio::test]
async fn names_are_listed_past_the_old_cap_with_paging_search_and_export() {
    let app = TestApp::spawn().await;
    govsite::demo::load(&app.db, &app.base, 120).await.unwrap();
    let total = app
        .count("SELECT COUNT(*) FROM domains WHERE variant_of IS NULL AND state <> 'deleted'")
        .await;
    assert!(total > 100, "{total}");
    let (mut r, _) = app.signed_in(Role::RegistryReviewer, None, None).await;
    let first = r.get("/console/domains").await;
    assert!(
        first.body.contains(&format!("共 {total} 个域名")),
        "{}",
        first.body
    );
    let pages = (total + 49) / 50;
    assert!(first.body.contains(&format!("第 1 页，共 {pages} 页")));
    let last = r.get("/console/domains?last=1").await;
    assert!(last.body.contains(&format!("第 {pages} 页，共 {pages} 页")));
    // The county government's two names, found by the unit's name.
    let one = r.get("/console/domains?q=靖远县人民政府").await;
    assert!(one.body.contains("共 2 个域名"), "{}", one.body);
    let (status, _, bytes) = r.get_bytes("/console/domains?format=xlsx").await;
    assert_eq!(status, StatusCode::OK);
    use calamine::Reader;
    let mut book: calamine::Xlsx<_> = calamine::Xlsx::new(std::io::Cursor::new(bytes)).unwrap();
    assert_eq!(
        book.worksheet_range_at(0).unwrap().unwrap().height() as i64,
        total + 2
    );
    app.shutdown().await.unwrap();
}

#[tokio::test]
async fn an_office_renews_a_units_name_and_a_unit_that_renewed_first_keeps_its_share() {
    let app = TestApp::spawn().await;
    let office = app.office("620421").await;
    let a_unit = app.unit("靖远县审计局", "620421").await;
    let b_unit = app.unit("靖远县水务局", "620421").await;
    let a_names = crate::domains::active_names(&app, a_unit, "靖远审计", "审计局").await;
    let b_names = crate::domains::active_names(&app, b_unit, "靖远水务", "水务局").await;
    // Both units' names expire in thirty days; a third unit's in two years is not due.
    let soon = app.clock_now() + 30 * 86_400;
    for unit in [a_unit, b_unit] {
        sqlx::query("UPDATE domains SET expires_at = $1 WHERE unit_id = $2")
            .bind(soon)
            .bind(unit.get())
            .execute(app.db.pool())
            .await
            .unwrap();
    }
    let far = app.unit("靖远县气象局", "620421").await;
    crate::domains::active_names(&app, far, "靖远气象", "气象局").await;
    // Sixty more units: the balance list shows fifty and finds the rest by name.
    for i in 0..60 {
        app.unit(&format!("靖远县第{i}村委会"), "620421").await;
    }

    let (mut o, _) = app
        .signed_in(Role::OfficeReviewer, None, Some(office))
        .await;
    let page = o.get("/console/office-payments").await;
    assert!(
        page.body.contains("靖远审计.政务") && page.body.contains("靖远水务.政务"),
        "{}",
        page.body
    );
    assert!(!page.body.contains("靖远气象.政务"), "not due");
    assert!(page.body.contains("共 63 个单位"), "{}", page.body);
    let found = o
        .post(
            "/console/office-payments",
            &[
                ("step", "find"),
                ("unit_q", "第59村"),
                ("payer", "靖远县编办"),
            ],
        )
        .await;
    assert!(found.body.contains("靖远县第59村委会") && !found.body.contains("靖远县第1村委会"));
    assert!(
        found.body.contains("value=\"靖远县编办\""),
        "what was typed stays"
    );

    let (a_first, b_first) = (a_names[0], b_names[0]);
    let picks = [
        (format!("renew_{a_first}"), "1".to_owned()),
        (format!("renew_{b_first}"), "1".to_owned()),
    ];
    let mut fields = picks.to_vec();
    fields.push(("step".into(), "total".into()));
    let totalled = o.post_owned("/console/office-payments", &fields).await;
    assert!(
        totalled.body.contains("2 个待续费域名"),
        "{}",
        totalled.body
    );
    let amount = crate::helpers::input_values(&totalled.body)
        .get("amount")
        .cloned()
        .unwrap();
    let price = Money::parse_yuan(&amount).unwrap().fen() / 2;
    let mut fields = picks.to_vec();
    fields.extend([
        ("step".into(), "report".into()),
        ("amount".into(), amount.clone()),
        ("payer".into(), "靖远县机构编制委员会办公室".into()),
        ("bank_ref".into(), "BK2026120102".into()),
        ("paid_on".into(), "2026-11-30".into()),
    ]);
    let reported = o.post_owned("/console/office-payments", &fields).await;
    assert_eq!(reported.status, StatusCode::SEE_OTHER, "{}", reported.body);

    // Meanwhile unit B renews its own name: the office's renewal of it must not pay twice.
    let b_domain =
        govsite::store::domains::find(&app.db, govsite_core::ids::DomainId::new(b_first))
            .await
            .unwrap()
            .unwrap();
    crate::domains::credit(&app, b_unit, price / 100, "t-b-self").await;
    let q = govsite::registry::names_admin::quote(
        &app.db,
        620421,
        vec![(b_domain, govsite_core::money::Years::new(2).unwrap())],
        app.clock_now(),
    )
    .await
    .unwrap();
    govsite::registry::names_admin::renew_names(
        &app.db,
        &govsite::store::audit::Actor::system("test"),
        b_unit,
        &q,
        app.clock_now(),
    )
    .await
    .unwrap();

    let (mut finance, _) = app.signed_in(Role::Finance, None, None).await;
    let id: i64 = sqlx::query("SELECT id FROM transfers")
        .fetch_one(app.db.pool())
        .await
        .unwrap()
        .try_get("id")
        .unwrap();
    let confirmed = finance
        .post(
            &format!("/console/transfers/{id}"),
            &[("action", "confirm")],
        )
        .await;
    assert_eq!(
        confirmed.status,
        StatusCode::SEE_OTHER,
        "{}",
        confirmed.body
    );
    let expiry = |id: i64| {
        let db = app.db.clone();
        async move {
            sqlx::query("SELECT expires_at FROM domains WHERE id = $1")
                .bind(id)
                .fetch_one(db.pool())
                .await
                .unwrap()
                .try_get::<i64, _>("expires_at")
                .unwrap()
        }
    };
    let term = 2 * 365 * 86_400;
    assert!(
        expiry(a_first).await >= soon + term,
        "renewed by the office"
    );
    assert_eq!(expiry(a_names[1]).await, soon, "only the picked name");
    let b_after = expiry(b_first).await;
    assert!(
        b_after >= soon + term && b_after < soon + 2 * term,
        "renewed once, not twice"
    );
    assert_eq!(
        govsite::store::ledger::balance(&app.db, a_unit)
            .await
            .unwrap(),
        Money::ZERO,
        "A's share paid its renewal"
    );
    assert_eq!(
        govsite::store::ledger::balance(&app.db, b_unit)
            .await
            .unwrap()
            .fen(),
        price,
        "B keeps the office's share as balance"
    );
    assert_eq!(
        govsite::store::ledger::trial_balance(&app.db)
            .await
            .unwrap(),
        0
    );
    let audit = app.audit_actions().await;
    assert!(audit.iter().filter(|a| *a == "domain_renewed").count() >= 2);
    app.shutdown().await.unwrap();
}

#[tokio::test]
async fn a_refused_review_or_paper_record_keeps_what_the_reviewer_chose_and_typed() {
    let app = TestApp::spawn().await;
    let office = app.office("620421").await;
    let unit = app.unit("靖远县林业局", "620421").await;
    let (mut u, _) = app.signed_in(Role::Unit, Some(unit), None).await;
    let (id, _) = crate::domains::apply(&mut u, "靖远县林业局", "靖远林业").await;
    let (mut o, _) = app
        .signed_in(Role::OfficeReviewer, None, Some(office))
        .await;
    let page = o.get(&format!("/console/reviews/{id}")).await;
    let marker = "name=\"verdict";
    let start = page.body.find(marker).unwrap() + marker.len();
    let name: String = page.body[start..]
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    let (verdict, code, reason) = (
        format!("verdict{name}"),
        format!("code{name}"),
        format!("reason{name}"),
    );
    // A rejection without its explanation is refused; the choice and the code stay.
    let refused = o
        .post(
            &format!("/console/reviews/{id}"),
            &[
                (verdict.as_str(), "reject"),
                (code.as_str(), "place_prefix"),
                (reason.as_str(), ""),
            ],
        )
        .await;
    assert_eq!(refused.status, StatusCode::OK);
    assert!(refused.title().starts_with("错误"), "{}", refused.body);
    assert!(
        refused
            .body
            .contains(&format!("name=\"{verdict}\" value=\"reject\" checked")),
        "{}",
        refused.body
    );
    assert!(refused.body.contains("value=\"place_prefix\" selected"));
    // A paper date in the future is refused; the date and the copies typed stay.
    let paper = o
        .post(
            &format!("/console/reviews/{id}/paper"),
            &[("received_on", "2099-01-01"), ("copies", "2")],
        )
        .await;
    assert!(paper.title().starts_with("错误"), "{}", paper.body);
    assert!(paper.body.contains("value=\"2099-01-01\"") && paper.body.contains("value=\"2\""));
    app.shutdown().await.unwrap();
}

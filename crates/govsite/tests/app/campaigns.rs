//! 专项工作 (issue 15): an office sets a campaign with dated milestones for its area; units in
//! scope see their own status on their home page; reminders go once each; a missed milestone
//! becomes proposals the office confirms in bulk (names leave the zone, an English stop
//! request is produced) or dismisses; a unit that catches up is proposed for restoration.

use govsite::registry::campaigns as campaign;
use govsite_core::domain_name::DomainName;
use govsite_core::ids::UnitId;
use govsite_core::org_type::Suffix;
use govsite_core::role::Role;
use reqwest::StatusCode;
use sqlx::Row;
use std::time::Duration;

use crate::badges::issue;
use crate::domains::active_names;
use crate::helpers::TestApp;
use crate::sites::pdftotext;

const DAY: i64 = 86_400;

fn date_in(app: &TestApp, days: i64) -> String {
    govsite_core::deadline::cst_date(app.clock_now() + days * DAY).to_string()
}

async fn set(app: &TestApp, sql: &'static str, unit: UnitId) {
    sqlx::query(sql)
        .bind(unit.get())
        .execute(app.db.pool())
        .await
        .unwrap();
}

async fn zone_text(app: &TestApp) -> String {
    let args = govsite::config::ApexArgs {
        zone_ns: vec!["a.dns.govsite.cn".into()],
        zone_rname: "hostmaster.govsite.cn.".into(),
        forward_ipv4: vec![],
        forward_ipv6: vec![],
    };
    govsite::zone::master_file(&app.db, Suffix::Zhengwu, &args)
        .await
        .unwrap()
        .0
}

fn ace(label: &str) -> String {
    DomainName::parse(label, Suffix::Zhengwu).unwrap().ace()
}

/// The proposals of a unit, as (milestone kind, state).
async fn enforcements_of(app: &TestApp, unit: UnitId) -> Vec<(String, String)> {
    sqlx::query(
        "SELECT m.kind, e.state FROM campaign_enforcements e
         JOIN campaign_milestones m ON m.id = e.milestone_id
         WHERE e.unit_id = $1 ORDER BY m.kind",
    )
    .bind(unit.get())
    .fetch_all(app.db.pool())
    .await
    .unwrap()
    .iter()
    .map(|r| (r.try_get("kind").unwrap(), r.try_get("state").unwrap()))
    .collect()
}

async fn enforcement_ids(app: &TestApp, unit: UnitId, state: &str) -> Vec<i64> {
    sqlx::query(
        "SELECT id FROM campaign_enforcements WHERE unit_id = $1 AND state = $2 ORDER BY id",
    )
    .bind(unit.get())
    .bind(state)
    .fetch_all(app.db.pool())
    .await
    .unwrap()
    .iter()
    .map(|r| r.try_get("id").unwrap())
    .collect()
}

async fn held_names(app: &TestApp, unit: UnitId) -> i64 {
    app.count_for(
        "SELECT COUNT(*) FROM domains WHERE unit_id = $1 AND variant_of IS NULL AND held = 1 AND hold_category = 'campaign'",
        unit.get(),
    )
    .await
}

pub(crate) fn campaign_fields(app: &TestApp, region: &str) -> Vec<(String, String)> {
    [
        ("title", "党政机关网站开办资格复核和网站标识挂载".to_owned()),
        ("doc_number", "靖机编办发〔2015〕10号".to_owned()),
        ("region_code", region.to_owned()),
        ("org_scope", "all".to_owned()),
        ("starts_on", date_in(app, 0)),
        ("remind_days", "7,1".to_owned()),
        ("domain_due", date_in(app, 10)),
        ("domain_consequence", "remind".to_owned()),
        ("application_due", date_in(app, 10)),
        ("application_consequence", "stop".to_owned()),
        ("badge_due", date_in(app, 10)),
        ("badge_consequence", "stop".to_owned()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect()
}

#[tokio::test]
async fn a_campaign_reminds_once_proposes_stops_and_restores() {
    let app = TestApp::spawn().await;
    let (dns, _stop_dns) = crate::dns::dns_role(&app, vec![], vec![]).await;
    let at = dns.server.addr;
    let answers = |label: &str| crate::dns::short(at, &format!("{}.", ace(label)), "A");
    let nxdomain =
        |label: &str| crate::dns::dig(at, &[&format!("{}.", ace(label)), "A"]).contains("NXDOMAIN");
    let office = app.office("620421").await;
    let other_office = app.office("620403").await;
    // good: everything done. late: badge issued, mounts after the deadline but before the
    // office decides. stubborn: badge issued, never mounted until stopped. idle: names, no
    // application. nameless: nothing at all. outside: another county.
    let good = app.unit("靖远县教育局", "620421").await;
    let late = app.unit("靖远县卫生健康局", "620421").await;
    let stubborn = app.unit("靖远县林业和草原局", "620421").await;
    let idle = app.unit("靖远县水务局", "620421").await;
    let nameless = app.unit("靖远县档案馆", "620421").await;
    let outside = app.unit("平川区文化局", "620403").await;
    active_names(&app, good, "靖远县教育局", "靖远教育").await;
    active_names(&app, late, "靖远县卫生健康局", "靖远卫健").await;
    active_names(&app, stubborn, "靖远县林业和草原局", "靖远林草").await;
    active_names(&app, idle, "靖远县水务局", "靖远水务").await;
    issue(&app, good, "靖远教育网", "", "", "jy.jingyuan.gov.cn").await;
    issue(&app, late, "靖远卫健网", "", "", "wj.jingyuan.gov.cn").await;
    issue(&app, stubborn, "靖远林草网", "", "", "lc.jingyuan.gov.cn").await;
    set(
        &app,
        "UPDATE sites SET badge_state = 'mounted' WHERE unit_id = $1",
        good,
    )
    .await;

    let (mut o, _) = app
        .signed_in(Role::OfficeReviewer, None, Some(office))
        .await;
    let list = o.get("/console/campaigns").await;
    assert_eq!(list.status, StatusCode::OK);
    assert!(list.body.contains("新建专项工作"));
    assert_eq!(list.body.matches("aria-current=\"page\"").count(), 1);
    let (mut unit_user, _) = app.signed_in(Role::Unit, Some(idle), None).await;
    assert_eq!(
        unit_user.get("/console/campaigns").await.status,
        StatusCode::FORBIDDEN
    );

    // Bad input: every error at once, and what was typed stays.
    let mut bad = campaign_fields(&app, "620403");
    bad[0].1 = String::new();
    bad[8].1 = "2026-13-01".into();
    bad[4].1 = "下周".into();
    let page = o.post_owned("/console/campaigns/new", &bad).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.title().starts_with("错误"), "{}", page.title());
    for message in [
        "请填写专项工作名称",
        "范围超出本编办的辖区",
        "请填写开始日期",
    ] {
        assert!(page.body.contains(message), "{message}: {}", page.body);
    }
    assert!(page.body.contains("靖机编办发〔2015〕10号") && page.body.contains("2026-13-01"));
    assert_eq!(app.count("SELECT COUNT(*) FROM campaigns").await, 0);

    let created = o
        .post_owned("/console/campaigns/new", &campaign_fields(&app, "620421"))
        .await;
    assert_eq!(created.status, StatusCode::SEE_OTHER, "{}", created.body);
    let path = created
        .location
        .unwrap()
        .split('?')
        .next()
        .unwrap()
        .to_owned();
    let id: i64 = path.rsplit('/').next().unwrap().parse().unwrap();
    assert!(o.get(&path).await.body.contains("草稿"));
    assert!(
        !unit_user.get("/portal").await.body.contains("专项工作："),
        "a draft is not shown to units"
    );
    // Another county's office does not see it at all.
    let (mut elsewhere, _) = app
        .signed_in(Role::OfficeReviewer, None, Some(other_office))
        .await;
    assert_eq!(elsewhere.get(&path).await.status, StatusCode::NOT_FOUND);

    let published = o.post_follow(&format!("{path}/publish"), &[]).await;
    assert!(published.body.contains("已发布"), "{}", published.body);
    let home = unit_user.get("/portal").await;
    assert!(
        home.body
            .contains("专项工作：党政机关网站开办资格复核和网站标识挂载")
            && home.body.contains("未申请")
            && home.body.contains("填写网站开办审核申请"),
        "{}",
        home.body
    );
    let (mut outsider, _) = app.signed_in(Role::Unit, Some(outside), None).await;
    assert!(!outsider.get("/portal").await.body.contains("专项工作："));

    // After publication a date only moves later.
    let mut earlier = campaign_fields(&app, "620421");
    earlier[8].1 = date_in(&app, 5);
    let refused = o.post_owned(&format!("{path}/edit"), &earlier).await;
    assert!(refused.body.contains("只能推迟"), "{}", refused.body);
    let due: String = sqlx::query(
        "SELECT due_on FROM campaign_milestones WHERE campaign_id = $1 AND kind = 'application'",
    )
    .bind(id)
    .fetch_one(app.db.pool())
    .await
    .unwrap()
    .try_get(0)
    .unwrap();
    assert_eq!(due, date_in(&app, 10), "nothing changed on a refusal");

    // Reminders: each unit behind on a milestone gets the 7- and the 1-working-day reminder,
    // once each, however often the worker passes.
    for _ in 0..=10 {
        campaign::run_pass(&app.db, app.clock_now()).await.unwrap();
        campaign::run_pass(&app.db, app.clock_now()).await.unwrap();
        app.clock.advance(DAY);
    }
    let reminders = |unit: UnitId| {
        let app = &app;
        async move {
            app.count_for(
                "SELECT COUNT(*) FROM campaign_reminders WHERE unit_id = $1",
                unit.get(),
            )
            .await
        }
    };
    // application + badge (2 × 2) for idle; badge for late and stubborn; domain,
    // application and badge for nameless; nothing for good or outside.
    assert_eq!(reminders(idle).await, 4);
    assert_eq!(reminders(late).await, 2);
    assert_eq!(reminders(stubborn).await, 2);
    assert_eq!(reminders(nameless).await, 6);
    assert_eq!(reminders(good).await, 0);
    assert_eq!(reminders(outside).await, 0);
    let sent = app.outbox_bodies("campaign_reminder").await;
    assert_eq!(sent.len(), 2 * 14, "an SMS and an e-mail per reminder");
    assert!(
        sent.iter()
            .any(|(_, body, _)| body.contains("靖机编办发〔2015〕10号")
                && body.contains("将提请停止该单位的中英文域名解析")),
        "{sent:?}"
    );

    // Eleven days on, the sessions have expired: sign in again.
    let (mut o, _) = app
        .signed_in(Role::OfficeReviewer, None, Some(office))
        .await;
    let (mut elsewhere, _) = app
        .signed_in(Role::OfficeReviewer, None, Some(other_office))
        .await;
    // The deadline has passed (the last pass ran the day after): proposals, once.
    campaign::run_pass(&app.db, app.clock_now()).await.unwrap();
    assert_eq!(
        enforcements_of(&app, idle).await,
        vec![
            ("application".to_owned(), "proposed".to_owned()),
            ("badge".to_owned(), "proposed".to_owned())
        ]
    );
    assert_eq!(enforcements_of(&app, late).await.len(), 1);
    assert_eq!(enforcements_of(&app, good).await.len(), 0);
    assert_eq!(enforcements_of(&app, outside).await.len(), 0);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM campaign_enforcements")
            .await,
        6
    );
    let show = o.get(&path).await;
    assert!(show.body.contains("待确认停止解析（6）"), "{}", show.body);
    assert!(
        show.body.contains("<svg"),
        "the counts over time as a chart"
    );
    // The progress list: who is behind on the badge, filtered, and as a spreadsheet.
    let behind = o
        .get(&format!("{path}/progress?kind=badge&missing=1"))
        .await;
    assert!(behind.body.contains("共 4 个单位"), "{}", behind.body);
    assert!(behind.body.contains("靖远县水务局") && !behind.body.contains("靖远县教育局"));
    let (status, _, bytes) = o
        .get_bytes(&format!("{path}/progress?kind=badge&missing=1&format=xlsx"))
        .await;
    assert_eq!(status, StatusCode::OK);
    {
        use calamine::Reader;
        let mut book: calamine::Xlsx<_> = calamine::Xlsx::new(std::io::Cursor::new(bytes)).unwrap();
        let sheet = book.worksheet_range_at(0).unwrap().unwrap();
        let text: Vec<String> = sheet.rows().map(|r| r[0].to_string()).collect();
        assert!(text.iter().any(|t| t == "靖远县档案馆"), "{text:?}");
        assert!(!text.iter().any(|t| t == "靖远县教育局"), "{text:?}");
    }

    // late mounts its badge before the office decides: confirming everyone stops the
    // others and refuses late.
    set(
        &app,
        "UPDATE sites SET badge_state = 'mounted' WHERE unit_id = $1",
        late,
    )
    .await;
    let mut ticked: Vec<(String, String)> = Vec::new();
    for unit in [late, stubborn, idle] {
        for e in enforcement_ids(&app, unit, "proposed").await {
            ticked.push((format!("e_{e}"), "1".to_owned()));
        }
    }
    let mut no_reason = ticked.clone();
    no_reason.extend([
        ("action".to_owned(), "confirm".to_owned()),
        ("reason".to_owned(), " ".to_owned()),
    ]);
    let refused = o
        .post_owned(&format!("{path}/enforcements"), &no_reason)
        .await;
    assert!(refused.status.is_client_error(), "{}", refused.status);
    assert_eq!(held_names(&app, idle).await, 0);
    ticked.extend([
        ("action".to_owned(), "confirm".to_owned()),
        (
            "reason".to_owned(),
            "逾期未完成，依据文件停止解析。".to_owned(),
        ),
    ]);
    let done = o.post_owned(&format!("{path}/enforcements"), &ticked).await;
    assert_eq!(done.status, StatusCode::SEE_OTHER);
    let done = o.get(done.location.as_deref().unwrap()).await;
    assert!(
        done.body.contains("已确认停止解析：3 个单位") && done.body.contains("另有 1 个单位未处理"),
        "{}",
        done.body
    );
    assert_eq!(
        enforcements_of(&app, late).await,
        vec![("badge".to_owned(), "withdrawn".to_owned())]
    );
    assert_eq!(held_names(&app, idle).await, 2);
    assert_eq!(held_names(&app, stubborn).await, 2);
    assert_eq!(held_names(&app, late).await, 0);
    let zone = zone_text(&app).await;
    assert!(!zone.contains(&ace("靖远县水务局")) && !zone.contains(&ace("靖远林草")));
    assert!(zone.contains(&ace("靖远县教育局")) && zone.contains(&ace("靖远卫健")));
    // The names leave the answers of the authoritative server within seconds (dig).
    crate::dns::within(
        Duration::from_secs(5),
        "stopped names answered NXDOMAIN",
        || nxdomain("靖远县水务局") && nxdomain("靖远林草"),
    )
    .await;
    assert_eq!(answers("靖远县教育局"), "192.0.2.1");
    assert_eq!(answers("靖远卫健"), "192.0.2.1", "late caught up in time");

    // The 通报 of the day: figures per milestone, the units behind named, the stops counted.
    let (status, headers, pdf) = o.get_bytes(&format!("{path}/report.pdf")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers["content-type"], "application/pdf");
    let report = pdftotext(&pdf);
    for text in [
        "关于党政机关网站开办资格复核和网站标识挂载进展情况的通报",
        "靖机编办发〔2015〕10号",
        "范围内5个单位，已完成3个，完成率60.0%",
        "完成网站标识挂载（或发布网络红页）",
        "靖远县档案馆",
        "靖远县水务局",
        "已停止解析3项",
        "已达标，提请撤回1项",
        "英文域名停止解析申请（待发送，1个域名）",
        "620421编办（盖章）",
    ] {
        assert!(report.contains(text), "{text}: {report}");
    }
    assert!(
        !report.contains("靖远县教育局") && !report.contains("平川区文化局"),
        "a unit that is done, or outside the area, is not named: {report}"
    );
    let (status, _, _) = elsewhere.get_bytes(&format!("{path}/report.pdf")).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "another county's office");
    let decisions = app.outbox_bodies("campaign_decision").await;
    assert_eq!(
        decisions.len(),
        2 * 2,
        "idle and stubborn told, each by SMS and e-mail"
    );
    assert!(decisions[0].1.contains("停止解析"));

    // The English registry's stop request: stubborn's English domain, as a letter and a list.
    let request: i64 =
        sqlx::query("SELECT id FROM english_requests WHERE campaign_id = $1 AND kind = 'stop'")
            .bind(id)
            .fetch_one(app.db.pool())
            .await
            .unwrap()
            .try_get(0)
            .unwrap();
    let (status, _, pdf) = o
        .get_bytes(&format!("{path}/english/{request}/letter.pdf"))
        .await;
    assert_eq!(status, StatusCode::OK);
    let letter = pdftotext(&pdf);
    for text in [
        "中国互联网络信息中心",
        "lc.jingyuan.gov.cn",
        "靖机编办发〔2015〕10号",
        "靖远县林业和草原局",
    ] {
        assert!(letter.contains(text), "{text}: {letter}");
    }
    assert!(
        !letter.contains("wj.jingyuan.gov.cn"),
        "late was not stopped"
    );
    let (status, _, bytes) = o
        .get_bytes(&format!("{path}/english/{request}/list.xlsx"))
        .await;
    assert_eq!(status, StatusCode::OK);
    {
        use calamine::Reader;
        let mut book: calamine::Xlsx<_> = calamine::Xlsx::new(std::io::Cursor::new(bytes)).unwrap();
        let sheet = book.worksheet_range_at(0).unwrap().unwrap();
        let rows: Vec<Vec<String>> = sheet
            .rows()
            .map(|r| r.iter().map(ToString::to_string).collect())
            .collect();
        assert!(
            rows.iter()
                .any(|r| r.contains(&"lc.jingyuan.gov.cn".to_owned())
                    && r.contains(&"靖机编办发〔2015〕10号".to_owned())),
            "{rows:?}"
        );
    }
    // Tracked: 待发送 → 已发送 → 已停止, then done.
    let english_state = || async {
        sqlx::query("SELECT state FROM english_requests WHERE id = $1")
            .bind(request)
            .fetch_one(app.db.pool())
            .await
            .unwrap()
            .try_get::<String, _>(0)
            .unwrap()
    };
    o.post_follow(&format!("{path}/english/{request}"), &[])
        .await;
    assert_eq!(english_state().await, "sent");
    o.post_follow(&format!("{path}/english/{request}"), &[])
        .await;
    assert_eq!(english_state().await, "stopped");
    let again = o.post(&format!("{path}/english/{request}"), &[]).await;
    assert!(again.status.is_client_error(), "{}", again.status);
    assert_eq!(english_state().await, "stopped");

    // nameless's two proposals: a confirmation and a dismissal racing, one wins each row.
    let row = campaign_row(&app, id).await;
    let ids = enforcement_ids(&app, nameless, "proposed").await;
    assert_eq!(ids.len(), 2);
    let actor = govsite::store::audit::Actor::system("test");
    let (confirmed, dismissed) = tokio::join!(
        campaign::confirm(&app.db, &actor, &row, &ids, "逾期", app.clock_now()),
        campaign::dismiss(&app.db, &actor, &row, &ids, "另行处理", app.clock_now()),
    );
    let (confirmed, dismissed) = (confirmed.unwrap(), dismissed.unwrap());
    assert_eq!(confirmed.done.len() + dismissed.done.len(), 2);
    assert_eq!(confirmed.refused.len() + dismissed.refused.len(), 2);

    // stubborn mounts its badge: restoration is proposed, the office restores it, its names
    // come back and a restore request for its English domain is produced.
    set(
        &app,
        "UPDATE sites SET badge_state = 'mounted' WHERE unit_id = $1",
        stubborn,
    )
    .await;
    campaign::run_pass(&app.db, app.clock_now()).await.unwrap();
    assert_eq!(
        enforcements_of(&app, stubborn).await,
        vec![("badge".to_owned(), "restore_proposed".to_owned())]
    );
    let show = o.get(&path).await;
    assert!(
        show.body.contains("已整改，待恢复解析（1）"),
        "{}",
        show.body
    );
    let mut restore: Vec<(String, String)> = enforcement_ids(&app, stubborn, "restore_proposed")
        .await
        .into_iter()
        .map(|e| (format!("e_{e}"), "1".to_owned()))
        .collect();
    restore.push(("action".to_owned(), "restore".to_owned()));
    let restored = o
        .post_owned(&format!("{path}/enforcements"), &restore)
        .await;
    assert_eq!(restored.status, StatusCode::SEE_OTHER);
    assert_eq!(held_names(&app, stubborn).await, 0);
    assert_eq!(held_names(&app, idle).await, 2, "idle is still behind");
    assert!(zone_text(&app).await.contains(&ace("靖远林草")));
    crate::dns::within(Duration::from_secs(5), "restored name answered", || {
        answers("靖远林草") == "192.0.2.1"
    })
    .await;
    assert!(nxdomain("靖远县水务局"), "idle stays stopped");
    assert_eq!(
        app.count("SELECT COUNT(*) FROM english_requests WHERE kind = 'restore'")
            .await,
        1
    );
    // The other office cannot decide for this campaign.
    let foreign = elsewhere
        .post_owned(&format!("{path}/enforcements"), &restore)
        .await;
    assert_eq!(foreign.status, StatusCode::NOT_FOUND);

    let actions = app.audit_actions().await;
    for action in [
        "campaign_created",
        "campaign_published",
        "campaign_proposals_made",
        "campaign_stop_confirmed",
        "english_request_created",
        "english_request_advanced",
        "campaign_restore_proposed",
        "campaign_restored",
    ] {
        assert!(actions.iter().any(|a| a == action), "{action}");
    }
    app.shutdown().await.unwrap();
}

async fn campaign_row(app: &TestApp, id: i64) -> govsite::store::campaigns::CampaignRow {
    govsite::store::campaigns::find(&app.db, id)
        .await
        .unwrap()
        .unwrap()
}

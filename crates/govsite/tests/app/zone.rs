//! `govsite zone export`: the zones built from the database, checked by BIND's
//! `named-checkzone` (Debian's bind9-utils; scripts/test installs it).

use govsite::registry;
use govsite_core::domain_lifecycle::{DAY, Periods};
use govsite_core::org_type::Suffix;

use crate::domains::active_names;
use crate::helpers::TestApp;

async fn activate(app: &TestApp, unit_name: &str, n1: &str, n2: &str) -> Vec<i64> {
    let unit = app.unit(unit_name, "620421").await;
    active_names(app, unit, n1, n2).await
}

async fn set(app: &TestApp, sql: &'static str, id: i64) {
    sqlx::query(sql)
        .bind(id)
        .execute(app.db.pool())
        .await
        .unwrap();
}

fn named_checkzone(origin: &str, text: &str) -> String {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("zone.txt");
    std::fs::write(&path, text).unwrap();
    let out = std::process::Command::new("named-checkzone")
        .arg(origin)
        .arg(&path)
        .output()
        .expect("named-checkzone (Debian bind9-utils) must be installed; scripts/test installs it");
    let report = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "named-checkzone refused the zone: {report}\n{text}"
    );
    report
}

#[tokio::test]
async fn old_zone_changes_are_pruned_but_each_serial_stays() {
    let app = TestApp::spawn().await;
    activate(&app, "靖远县档案馆", "靖远县档案馆", "靖远档案").await;
    let serial = govsite::store::zones::serial(&app.db, Suffix::Zhengwu)
        .await
        .unwrap();
    let before = app.count("SELECT COUNT(*) FROM zone_changes").await;
    assert!(before >= 4, "names and variants recorded: {before}");
    sqlx::query("UPDATE zone_changes SET at = 0")
        .execute(app.db.pool())
        .await
        .unwrap();
    govsite::registry::lifecycle::housekeeping(&app.db, app.clock_now())
        .await
        .unwrap();
    assert_eq!(app.count("SELECT COUNT(*) FROM zone_changes").await, 1);
    assert_eq!(
        govsite::store::zones::serial(&app.db, Suffix::Zhengwu)
            .await
            .unwrap(),
        serial
    );
}

#[tokio::test]
async fn the_exported_zone_holds_live_names_only_and_bind_accepts_it() {
    let app = TestApp::spawn().await;
    let live = activate(
        &app,
        "靖远县人民政府办公室",
        "靖远县人民政府办公室",
        "靖远县政府办",
    )
    .await;
    let delegated = activate(&app, "靖远县公安局", "靖远县公安局", "靖远公安").await;
    let forwarded = activate(&app, "靖远县财政局", "靖远县财政局", "靖远财政").await;
    let held = activate(&app, "靖远县住建局", "靖远县住建局", "靖远住建").await;
    let ace = |label: &str| {
        govsite_core::domain_name::DomainName::parse(label, Suffix::Zhengwu)
            .unwrap()
            .ace()
    };
    // Own name servers, one inside the delegated name (glue) and one outside our zones.
    let inside = format!("ns1.{}", ace("靖远县公安局"));
    sqlx::query(
        "UPDATE domains SET plan = 'delegate', ipv4 = '', nameservers = $2
         WHERE id = $1",
    )
    .bind(delegated[0])
    .bind(format!("{inside}=192.0.2.53 ns.example.net"))
    .execute(app.db.pool())
    .await
    .unwrap();
    set(&app, "UPDATE domains SET plan = 'forward', ipv4 = '', forward_url = 'https://www.jingyuan.gov.cn/' WHERE id = $1", forwarded[0]).await;
    set(
        &app,
        "UPDATE domains SET held = 1, state = 'suspended' WHERE id = $1 OR variant_of = $1",
        held[0],
    )
    .await;
    // Inconsistent data: a resolving name without an address is left out and reported.
    set(&app, "UPDATE domains SET ipv4 = '' WHERE id = $1", live[1]).await;

    let args = govsite::config::ApexArgs {
        zone_ns: vec!["a.dns.govsite.cn".into(), "b.dns.govsite.cn.".into()],
        zone_rname: "hostmaster.govsite.cn.".into(),
        forward_ipv4: vec!["192.0.2.80".parse().unwrap()],
        forward_ipv6: vec![],
    };
    let (text, problems) = govsite::zone::master_file(&app.db, Suffix::Zhengwu, &args)
        .await
        .unwrap();
    let report = named_checkzone("xn--zfr164b", &text);
    assert!(report.contains("OK"), "{report}");
    let ace = |label: &str| {
        govsite_core::domain_name::DomainName::parse(label, Suffix::Zhengwu)
            .unwrap()
            .ace()
    };
    assert!(
        text.contains(&format!(
            "{}.\t3600\tIN\tA\t192.0.2.1",
            ace("靖远县人民政府办公室")
        )),
        "{text}"
    );
    // Traditional variants resolve like their name.
    assert!(text.contains(&format!(
        "{}.\t3600\tIN\tA\t192.0.2.1",
        ace("靖遠縣人民政府辦公室")
    )));
    assert_eq!(problems.len(), 1, "the name without address: {problems:?}");
    assert!(problems[0].reason.contains("没有IP地址"));
    assert!(!text.contains(&ace("靖远县政府办")));
    assert!(text.contains(&format!(
        "{}.\t3600\tIN\tNS\tns.example.net.",
        ace("靖远县公安局")
    )));
    assert!(
        text.contains(&format!("{inside}.\t3600\tIN\tA\t192.0.2.53")),
        "glue below the cut: {text}"
    );
    assert!(text.contains(&format!(
        "{}.\t3600\tIN\tNS\t{inside}.",
        ace("靖远县公安局")
    )));
    assert!(text.contains(&format!(
        "{}.\t3600\tIN\tA\t192.0.2.80",
        ace("靖远县财政局")
    )));
    assert!(
        !text.contains(&ace("靖远县住建局")),
        "a held name is out of the zone"
    );

    // Expiry: in the protection period a name stays; once suspended it leaves, and the serial
    // moves forward.
    let serial = |t: &str| -> u32 {
        t.lines()
            .find(|l| l.contains("\tSOA\t"))
            .unwrap()
            .split_whitespace()
            .nth(6)
            .unwrap()
            .parse()
            .unwrap()
    };
    let before = serial(&text);
    app.clock.advance(2 * 365 * DAY + 5 * DAY);
    registry::lifecycle::pass(&app.db, app.clock_now(), Periods::default())
        .await
        .unwrap();
    let (expired, _) = govsite::zone::master_file(&app.db, Suffix::Zhengwu, &args)
        .await
        .unwrap();
    assert!(
        expired.contains(&ace("靖远县人民政府办公室")),
        "still resolving while expired"
    );
    assert!(serial(&expired) > before);
    app.clock.advance(30 * DAY);
    registry::lifecycle::pass(&app.db, app.clock_now(), Periods::default())
        .await
        .unwrap();
    let (suspended, _) = govsite::zone::master_file(&app.db, Suffix::Zhengwu, &args)
        .await
        .unwrap();
    assert!(!suspended.contains(&ace("靖远县人民政府办公室")));
    named_checkzone("xn--zfr164b", &suspended);

    // The command line writes the same file to stdout; the other zone is empty but valid.
    let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_govsite"))
        .args([
            "zone",
            "export",
            "--zone",
            "公益",
            "--database-url",
            &app.url,
        ])
        .output()
        .await
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let gongyi = String::from_utf8(out.stdout).unwrap();
    assert!(gongyi.starts_with("; zone xn--55qw42g."), "{gongyi}");
    named_checkzone("xn--55qw42g", &gongyi);
    let bad = tokio::process::Command::new(env!("CARGO_BIN_EXE_govsite"))
        .args([
            "zone",
            "export",
            "--zone",
            "com",
            "--database-url",
            &app.url,
        ])
        .output()
        .await
        .unwrap();
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("--zone 应为 政务 或 公益"));
}

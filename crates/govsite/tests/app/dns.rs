//! The DNS and forwarding roles on a real database, checked with BIND's `dig` (Debian's
//! bind9-dnsutils; scripts/test installs it): changes made through govsite reach the answers,
//! in this process and in a separate `govsite serve --roles dns` on the same database.

use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use govsite::config::{ApexArgs, DnsArgs, ForwardArgs};
use govsite_core::domain_lifecycle::{DAY, Periods};
use govsite_core::domain_name::DomainName;
use govsite_core::org_type::Suffix;
use govsite_core::role::Role;
use reqwest::StatusCode;
use tokio::sync::watch;

use crate::domains::active_names;
use crate::helpers::TestApp;

pub fn apex_args() -> ApexArgs {
    ApexArgs {
        zone_ns: vec!["a.dns.govsite.cn.".into(), "b.dns.govsite.cn.".into()],
        zone_rname: "hostmaster.govsite.cn.".into(),
        forward_ipv4: vec!["192.0.2.80".parse().unwrap()],
        forward_ipv6: vec![],
    }
}

pub fn dns_args(addr: SocketAddr, notify: Vec<SocketAddr>, keys: Vec<String>) -> DnsArgs {
    DnsArgs {
        dns: addr,
        dns_notify: notify,
        dns_transfer_allow: vec!["127.0.0.1".into()],
        dns_tsig_key: keys,
        dns_udp_threads: 1,
    }
}

/// The DNS role of `app`'s database on a free port; stops with the returned sender.
pub async fn dns_role(
    app: &TestApp,
    notify: Vec<SocketAddr>,
    keys: Vec<String>,
) -> (govsite::dns::Dns, watch::Sender<bool>) {
    let (stop, stopped) = watch::channel(false);
    let dns = govsite::dns::start(
        app.db.clone(),
        &dns_args("127.0.0.1:0".parse().unwrap(), notify, keys),
        &apex_args(),
        stopped,
    )
    .await
    .expect("DNS role starts");
    (dns, stop)
}

pub fn ace(label: &str) -> String {
    format!(
        "{}.",
        DomainName::parse(label, Suffix::Zhengwu).unwrap().ace()
    )
}

/// `dig` against `server`, answer section only, one record per line.
pub fn dig(server: SocketAddr, args: &[&str]) -> String {
    let out = Command::new("dig")
        .arg(format!("@{}", server.ip()))
        .arg("-p")
        .arg(server.port().to_string())
        .args(["+norec", "+time=1", "+tries=1"])
        .args(args)
        .output()
        .expect("dig (Debian bind9-dnsutils) must be installed; scripts/test installs it");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

pub fn short(server: SocketAddr, name: &str, rtype: &str) -> String {
    dig(server, &["+short", name, rtype]).trim().to_owned()
}

/// The SOA serial `server` gives for 政务.
pub fn serial(server: SocketAddr) -> u32 {
    let soa = short(server, "xn--zfr164b.", "SOA");
    soa.split_whitespace()
        .nth(2)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0)
}

/// Waits until `check` holds, at most `limit`; returns how long it took.
pub async fn within(limit: Duration, what: &str, mut check: impl FnMut() -> bool) -> Duration {
    let start = Instant::now();
    loop {
        if check() {
            return start.elapsed();
        }
        assert!(start.elapsed() < limit, "not within {limit:?}: {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// An office of the name's county stops its resolution through the console.
pub async fn hold_through_console(app: &TestApp, id: i64, category: &str, reason: &str) {
    let jy = app.office("620421").await;
    let (mut office, _) = app.signed_in(Role::OfficeReviewer, None, Some(jy)).await;
    let held = office
        .post(
            &format!("/console/domains/{id}/hold"),
            &[
                ("action", "hold"),
                ("reason_code", category),
                ("reason", reason),
            ],
        )
        .await;
    assert_eq!(held.status, StatusCode::SEE_OTHER, "{}", held.body);
}

#[tokio::test]
async fn activation_suspension_and_restoration_reach_the_answers() {
    let app = TestApp::spawn().await;
    let (dns, _stop) = dns_role(&app, vec![], vec![]).await;
    let at = dns.server.addr;
    let name = ace("靖远县水务局");
    let status = |name: &str| {
        let full = dig(at, &[name, "A"]);
        full.split("status: ")
            .nth(1)
            .and_then(|s| s.split(',').next())
            .unwrap_or("")
            .to_owned()
    };
    assert_eq!(status(&name), "NXDOMAIN");
    let before = serial(at);

    let unit = app.unit("靖远县水务局", "620421").await;
    let ids = active_names(&app, unit, "靖远县水务局", "靖远水务").await;
    let took = within(Duration::from_secs(5), "activation answered", || {
        short(at, &name, "A") == "192.0.2.1"
    })
    .await;
    eprintln!("activation answered after {took:?}");
    assert_eq!(short(at, &ace("靖远水务"), "A"), "192.0.2.1");
    let after_activation = serial(at);
    assert!(after_activation > before, "{after_activation} > {before}");
    // Authoritative, EDNS answered.
    let full = dig(at, &[&name, "A"]);
    assert!(full.contains("flags: qr aa"), "{full}");

    // An office stops resolution through the console: NXDOMAIN with the SOA.
    let jy = app.office("620421").await;
    let (mut office, _) = app.signed_in(Role::OfficeReviewer, None, Some(jy)).await;
    let hold = format!("/console/domains/{}/hold", ids[0]);
    let held = office
        .post(
            &hold,
            &[
                ("action", "hold"),
                ("reason_code", "content"),
                ("reason", "首页内容违规"),
            ],
        )
        .await;
    assert_eq!(held.status, StatusCode::SEE_OTHER, "{}", held.body);
    within(Duration::from_secs(5), "suspension answered", || {
        status(&name) == "NXDOMAIN"
    })
    .await;
    let nx = dig(at, &[&name, "A"]);
    assert!(
        nx.contains("IN\tSOA"),
        "negative answers carry the SOA: {nx}"
    );
    let after_hold = serial(at);
    assert!(after_hold > after_activation);

    let released = office
        .post(&hold, &[("action", "release"), ("reason", "已整改")])
        .await;
    assert_eq!(released.status, StatusCode::SEE_OTHER);
    within(Duration::from_secs(5), "restoration answered", || {
        short(at, &name, "A") == "192.0.2.1"
    })
    .await;
    assert!(serial(at) > after_hold);

    // An address change (the unit's own page writes the same columns).
    sqlx::query("UPDATE domains SET ipv4 = '192.0.2.7', ipv6 = '2001:db8::7' WHERE id = $1")
        .bind(ids[0])
        .execute(app.db.pool())
        .await
        .unwrap();
    within(Duration::from_secs(5), "address change answered", || {
        short(at, &name, "AAAA") == "2001:db8::7" && short(at, &name, "A") == "192.0.2.7"
    })
    .await;
    // Expiry: past the protection period the worker suspends the name; DNS follows.
    sqlx::query("UPDATE domains SET expires_at = $1 WHERE id = $2 OR variant_of = $2")
        .bind(app.clock_now() - 40 * DAY)
        .bind(ids[0])
        .execute(app.db.pool())
        .await
        .unwrap();
    govsite::registry::lifecycle::pass(&app.db, app.clock_now(), Periods::default())
        .await
        .unwrap();
    within(Duration::from_secs(5), "expiry answered", || {
        status(&name) == "NXDOMAIN"
    })
    .await;
    // Outside our zones: REFUSED.
    assert!(dig(at, &["example.com.", "A"]).contains("status: REFUSED"));
}

#[tokio::test]
async fn a_name_with_inconsistent_data_is_left_out_and_the_others_still_answer() {
    let app = TestApp::spawn().await;
    let unit = app.unit("靖远县审计局", "620421").await;
    let ids = active_names(&app, unit, "靖远县审计局", "靖远审计").await;
    sqlx::query("UPDATE domains SET ipv4 = 'not an address' WHERE id = $1")
        .bind(ids[0])
        .execute(app.db.pool())
        .await
        .unwrap();
    let (dns, _stop) = dns_role(&app, vec![], vec![]).await;
    let at = dns.server.addr;
    assert!(dig(at, &[&ace("靖远县审计局"), "A"]).contains("status: NXDOMAIN"));
    assert_eq!(short(at, &ace("靖远审计"), "A"), "192.0.2.1");
}

/// A port free for both TCP and UDP on loopback, below Linux's ephemeral range (32768+), so
/// that the many client connections of a parallel test run cannot take it meanwhile.
pub fn free_port() -> u16 {
    loop {
        let mut b = [0u8; 2];
        getrandom::fill(&mut b).unwrap();
        let port = 20_000 + u16::from_be_bytes(b) % 12_000;
        let tcp = std::net::TcpListener::bind(("127.0.0.1", port));
        let udp = std::net::UdpSocket::bind(("127.0.0.1", port));
        if tcp.is_ok() && udp.is_ok() {
            return port;
        }
    }
}

struct Process(Child);

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[tokio::test]
async fn a_dns_process_of_its_own_follows_changes_made_by_the_web_process() {
    let app = TestApp::spawn().await;
    let port = free_port();
    let at: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
    let log = tempfile::NamedTempFile::new().unwrap();
    let _dns = Process(
        Command::new(env!("CARGO_BIN_EXE_govsite"))
            .args(["serve", "--roles", "dns", "--database-url", &app.url])
            .arg("--secret-key-file")
            .arg(&app.key_file)
            .args(["--dns", &at.to_string()])
            .env("GOVSITE_LOG", "info")
            .stdout(Stdio::null())
            .stderr(log.reopen().unwrap())
            .spawn()
            .unwrap(),
    );
    let started = Instant::now();
    while short(at, "xn--zfr164b.", "SOA").is_empty() {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "the DNS process does not answer:\n{}",
            std::fs::read_to_string(log.path()).unwrap_or_default()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let unit = app.unit("靖远县统计局", "620421").await;
    active_names(&app, unit, "靖远县统计局", "靖远统计").await;
    let started = Instant::now();
    while short(at, &ace("靖远县统计局"), "A") != "192.0.2.1" {
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "the other process did not answer the activation:\n{}",
            std::fs::read_to_string(log.path()).unwrap_or_default()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    eprintln!(
        "separate DNS process answered after {:?}",
        started.elapsed()
    );
}

pub(crate) async fn forward_role(
    app: &TestApp,
    keep_path: bool,
    status: u16,
) -> (SocketAddr, watch::Sender<bool>) {
    let (stop, stopped) = watch::channel(false);
    let addr = govsite::forward::start(
        app.db.clone(),
        &ForwardArgs {
            forward: "127.0.0.1:0".parse().unwrap(),
            forward_status: status,
            forward_keep_path: keep_path,
        },
        &app.base,
        stopped,
    )
    .await
    .unwrap();
    (addr, stop)
}

pub(crate) async fn get(addr: SocketAddr, host: &str, path: &str) -> (StatusCode, String, String) {
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let r = client
        .get(format!("http://{addr}{path}"))
        .header("Host", host)
        .send()
        .await
        .unwrap();
    let status = r.status();
    let location = r
        .headers()
        .get("location")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    (status, location, r.text().await.unwrap())
}

#[tokio::test]
async fn forwarding_redirects_plan_two_names_and_explains_a_suspension() {
    let app = TestApp::spawn().await;
    let unit = app.unit("靖远县财政局", "620421").await;
    let ids = active_names(&app, unit, "靖远县财政局", "靖远财政").await;
    let (plain, _s1) = forward_role(&app, false, 301).await;
    let (keep, _s2) = forward_role(&app, true, 302).await;
    let unicode = "靖远县财政局.政务";
    let punycode = ace("靖远县财政局");
    let punycode = punycode.trim_end_matches('.');

    // Plan 1 (addresses): nothing to forward.
    assert_eq!(get(plain, unicode, "/").await.0, StatusCode::NOT_FOUND);
    sqlx::query(
        "UPDATE domains SET plan = 'forward', forward_url = 'https://www.jingyuan.gov.cn/czj/'
         WHERE id = $1",
    )
    .bind(ids[0])
    .execute(app.db.pool())
    .await
    .unwrap();
    let mut seen = (StatusCode::NOT_FOUND, String::new(), String::new());
    let start = Instant::now();
    while seen.0 == StatusCode::NOT_FOUND && start.elapsed() < Duration::from_secs(5) {
        tokio::time::sleep(Duration::from_millis(50)).await;
        seen = get(plain, unicode, "/news?id=3").await;
    }
    eprintln!("forwarding applied after {:?}", start.elapsed());
    assert_eq!(seen.0, StatusCode::MOVED_PERMANENTLY);
    assert_eq!(seen.1, "https://www.jingyuan.gov.cn/czj/");
    let (s, loc, _) = get(plain, &format!("{}:8081", punycode.to_uppercase()), "/").await;
    assert_eq!(
        (s, loc.as_str()),
        (
            StatusCode::MOVED_PERMANENTLY,
            "https://www.jingyuan.gov.cn/czj/"
        )
    );
    let (s, loc, _) = get(keep, punycode, "/news?id=3").await;
    assert_eq!(s, StatusCode::FOUND);
    assert_eq!(loc, "https://www.jingyuan.gov.cn/czj/news?id=3");
    assert_eq!(
        get(plain, "example.com", "/").await.0,
        StatusCode::NOT_FOUND
    );

    // Suspended through the console: a notice naming the category, never the staff's text.
    hold_through_console(&app, ids[0], "badge", "联系人电话 13912345678 未接").await;
    let start = Instant::now();
    loop {
        let (s, _, body) = get(plain, unicode, "/").await;
        if s == StatusCode::SERVICE_UNAVAILABLE {
            assert!(body.contains("该域名已暂停解析"), "{body}");
            assert!(body.contains("未按期挂设网站标识"), "{body}");
            assert!(!body.contains("13912345678"));
            break;
        }
        assert!(start.elapsed() < Duration::from_secs(5), "notice not shown");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

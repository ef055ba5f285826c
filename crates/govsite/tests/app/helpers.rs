//! `TestApp`: the whole service on a fresh database (SQLite in a temp dir, or a new PostgreSQL
//! database when `GOVSITE_TEST_DATABASE_URL` names a server), on a random loopback port.

use std::collections::HashMap;
use std::sync::Arc;

use govsite::clock::OffsetClock;
use govsite::notify::sender::{HeldLog, HeldMessage, Senders};
use govsite::store::accounts::{self, NewAccount};
use govsite::store::{Backend, Db, offices, units};
use govsite::web::WebConfig;
use govsite_core::credit_code::{CreditCode, OrgCode};
use govsite_core::ids::{AccountId, OfficeId, UnitId};
use govsite_core::region::RegionCode;
use govsite_core::role::Role;
use govsite_core::unit::UnitForm;
use reqwest::StatusCode;
use reqwest::redirect::Policy;
use sqlx::Row;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

pub struct TestApp {
    pub base: String,
    /// The pre-check settings the web role was started with.
    pub site_checks: govsite::registry::site_checks::SiteCheckConfig,
    /// The database URL, for running the binary against the same data.
    pub url: String,
    /// The key file sealing the database's secrets (`--secret-key-file` for the binary).
    pub key_file: std::path::PathBuf,
    pub db: Db,
    pub clock: Arc<OffsetClock>,
    /// Messages held for want of a carrier, as the worker delivered them (links included).
    held: Option<HeldLog>,
    stop: Option<oneshot::Sender<()>>,
    server: Option<JoinHandle<anyhow::Result<()>>>,
    _dir: tempfile::TempDir,
    seq: std::sync::atomic::AtomicU32,
}

/// A fresh database URL: a new PostgreSQL database per test, or an SQLite file in `dir`.
pub async fn fresh_database_url(dir: &std::path::Path) -> String {
    match std::env::var("GOVSITE_TEST_DATABASE_URL") {
        Ok(admin_url) if !admin_url.is_empty() => {
            let name = format!(
                "govsite_test_{}",
                govsite::auth::token::random_token()
                    .to_lowercase()
                    .replace(['-', '_'], "")[..16]
                    .to_owned()
            );
            let admin = Db::connect(&admin_url)
                .await
                .expect("PostgreSQL test server reachable");
            sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
                .execute(admin.pool())
                .await
                .expect("create test database");
            admin.close().await;
            let (base, _) = admin_url.rsplit_once('/').expect("URL has a database path");
            format!("{base}/{name}")
        }
        _ => Db::sqlite_url_in(dir).expect("temp dir"),
    }
}

impl TestApp {
    pub async fn spawn() -> Self {
        Self::spawn_with(Senders::send_held_only(), false).await
    }

    pub async fn spawn_with(senders: Senders, staff_totp: bool) -> Self {
        Self::spawn_full(senders, staff_totp, Default::default()).await
    }

    pub async fn spawn_full(
        senders: Senders,
        staff_totp: bool,
        site_checks: govsite::registry::site_checks::SiteCheckConfig,
    ) -> Self {
        Self::spawn_configured(senders, staff_totp, site_checks, Vec::new(), true).await
    }

    /// An app whose /metrics nobody may read (not even loopback).
    pub async fn spawn_without_metrics() -> Self {
        Self::spawn_configured(
            Senders::send_held_only(),
            false,
            Default::default(),
            Vec::new(),
            false,
        )
        .await
    }

    /// An app behind a reverse proxy on loopback: its `X-Forwarded-For` names the client.
    pub async fn spawn_behind_proxy() -> Self {
        Self::spawn_configured(
            Senders::send_held_only(),
            false,
            Default::default(),
            vec!["127.0.0.1/32".parse().unwrap()],
            true,
        )
        .await
    }

    async fn spawn_configured(
        senders: Senders,
        staff_totp: bool,
        site_checks: govsite::registry::site_checks::SiteCheckConfig,
        trusted_proxies: Vec<ipnet::IpNet>,
        loopback_metrics: bool,
    ) -> Self {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let dir = tempfile::tempdir().expect("temp dir");
        let url = fresh_database_url(dir.path()).await;
        let key_file = dir.path().join("secret.key");
        let sealer = govsite::auth::seal::Sealer::load_or_create(&key_file).expect("key file");
        let db = Db::connect(&url)
            .await
            .expect("connect")
            .with_sealer(sealer);
        db.migrate().await.expect("migrate");
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        let clock = Arc::new(OffsetClock::default());
        let config = WebConfig {
            public_url: format!("http://{addr}"),
            staff_totp,
            site_checks: site_checks.clone(),
            badge_check_pages: 4,
            badge_check_every: std::time::Duration::from_secs(6 * 3600),
            trusted_proxies,
            audit_hash: Default::default(),
            jobs: true,
            metrics_allow: if loopback_metrics {
                vec!["127.0.0.1/32".parse().unwrap()]
            } else {
                Vec::new()
            },
            metrics_dns: None,
            api_per_minute: 600,
        };
        let held = senders.held_log();
        let (stop, stopped) = oneshot::channel::<()>();
        let server = tokio::spawn(govsite::server::run(
            db.clone(),
            config,
            clock.clone(),
            senders,
            listener,
            async move {
                let _ = stopped.await;
            },
        ));
        Self {
            base: format!("http://{addr}"),
            site_checks,
            url,
            key_file,
            db,
            clock,
            held,
            stop: Some(stop),
            server: Some(server),
            _dir: dir,
            seq: std::sync::atomic::AtomicU32::new(100),
        }
    }

    pub fn backend(&self) -> Backend {
        self.db.backend()
    }

    /// Stops the server the way SIGTERM does, and reports how it ended.
    pub async fn shutdown(mut self) -> anyhow::Result<()> {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        match self.server.take() {
            Some(handle) => handle.await?,
            None => Ok(()),
        }
    }

    /// A browser with its own cookie jar.
    pub fn browser(&self) -> Browser {
        Browser {
            client: reqwest::Client::builder()
                .cookie_store(true)
                .redirect(Policy::none())
                .build()
                .expect("client"),
            base: self.base.clone(),
        }
    }

    /// A browser whose requests come from another loopback address (another client).
    pub fn browser_from(&self, ip: std::net::IpAddr) -> Browser {
        Browser {
            client: reqwest::Client::builder()
                .cookie_store(true)
                .redirect(Policy::none())
                .local_address(ip)
                .build()
                .expect("client"),
            base: self.base.clone(),
        }
    }

    fn next_seq(&self) -> u32 {
        self.seq.fetch_add(1, std::sync::atomic::Ordering::SeqCst)
    }

    pub async fn office(&self, region: &str) -> OfficeId {
        let code = RegionCode::parse(region).unwrap();
        match offices::find_by_region(&self.db, code).await.unwrap() {
            Some(id) => id,
            None => offices::create(&self.db, code, &format!("{region}编办"), self.clock_now())
                .await
                .unwrap(),
        }
    }

    pub fn clock_now(&self) -> i64 {
        use govsite::clock::Clock;
        self.clock.now()
    }

    /// Stores a unit directly, as a registration would.
    pub async fn unit(&self, name: &str, region: &str) -> UnitId {
        self.unit_of_type(name, region, "government").await
    }

    /// Stores a unit of an organization type (`public_institution`, …).
    pub async fn unit_of_type(&self, name: &str, region: &str, org_type: &str) -> UnitId {
        let mut form = unit_form(name, region, self.next_seq());
        form.org_type = org_type.into();
        let details = form.parse().expect("valid unit");
        let mut conn = self.db.pool().acquire().await.unwrap();
        units::insert(&mut conn, &details, self.clock_now())
            .await
            .unwrap()
    }

    /// An active account with a random password of this test run (never shipped anywhere).
    pub async fn user(
        &self,
        role: Role,
        unit: Option<UnitId>,
        office: Option<OfficeId>,
    ) -> (String, String, AccountId) {
        let username = format!("u{}{}", role.as_str().replace('_', ""), self.next_seq());
        let password = format!("测试口令 {}", govsite::auth::token::random_token());
        let mut conn = self.db.pool().acquire().await.unwrap();
        let id = accounts::insert(
            &mut conn,
            &NewAccount {
                username: &username,
                display_name: &format!("测试{}", role.label()),
                role,
                unit_id: unit,
                office_id: office,
                email: &format!("{username}@test.example"),
                mobile: "13900000000",
                totp_required: false,
            },
            self.clock_now(),
        )
        .await
        .unwrap();
        let hash = govsite::auth::password::hash(&password).unwrap();
        accounts::set_password(&mut conn, id, &hash, self.clock_now())
            .await
            .unwrap();
        (username, password, id)
    }

    /// A signed-in browser for a new account of `role`.
    pub async fn signed_in(
        &self,
        role: Role,
        unit: Option<UnitId>,
        office: Option<OfficeId>,
    ) -> (Browser, String) {
        let (username, password, _) = self.user(role, unit, office).await;
        let mut b = self.browser();
        let page = b.sign_in(&username, &password).await;
        assert_eq!(
            page.status,
            StatusCode::SEE_OTHER,
            "sign-in of {username}: {}",
            page.body
        );
        (b, username)
    }

    pub async fn count(&self, sql: &'static str) -> i64 {
        sqlx::query(sql)
            .fetch_one(self.db.pool())
            .await
            .unwrap()
            .try_get::<i64, _>(0)
            .unwrap()
    }

    /// A count with one bound parameter.
    pub async fn count_for(&self, sql: &'static str, param: i64) -> i64 {
        sqlx::query(sql)
            .bind(param)
            .fetch_one(self.db.pool())
            .await
            .unwrap()
            .try_get::<i64, _>(0)
            .unwrap()
    }

    /// Bodies of outbox messages of `template`, oldest first.
    pub async fn outbox_bodies(&self, template: &str) -> Vec<(String, String, String)> {
        sqlx::query("SELECT recipient, body, status FROM outbox WHERE template = $1 ORDER BY id")
            .bind(template)
            .fetch_all(self.db.pool())
            .await
            .unwrap()
            .iter()
            .map(|r| {
                (
                    r.try_get("recipient").unwrap(),
                    r.try_get("body").unwrap(),
                    r.try_get("status").unwrap(),
                )
            })
            .collect()
    }

    /// The latest `template` message that `matching` accepts, as the worker delivered it
    /// (held in memory for want of a carrier, its one-time link made); waits up to 10 s for
    /// the worker. Checks on the way that no outbox row keeps a usable link.
    pub async fn delivered(
        &self,
        template: &str,
        matching: impl Fn(&HeldMessage) -> bool,
    ) -> HeldMessage {
        let log = self.held.as_ref().expect("the app keeps held messages");
        for _ in 0..200 {
            let found = log
                .lock()
                .unwrap()
                .iter()
                .rev()
                .find(|m| m.template == template && matching(m))
                .cloned();
            if let Some(m) = found {
                self.assert_no_link_stored().await;
                return m;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        panic!("no {template} message delivered: {:?}", log.lock().unwrap());
    }

    /// The path of the one-time link (`/activate/…` or `/password/reset/…`) in the latest
    /// delivered `template` message to `recipient`.
    pub async fn delivered_link(&self, template: &str, recipient: &str) -> String {
        let m = self.delivered(template, |m| m.recipient == recipient).await;
        link_path(&m.body, &self.base)
    }

    /// No outbox row, in any state, holds a one-time link.
    pub async fn assert_no_link_stored(&self) {
        let stored = self
            .count("SELECT COUNT(*) FROM outbox WHERE body LIKE '%/activate/%' OR body LIKE '%/password/reset/%'")
            .await;
        assert_eq!(stored, 0, "an outbox row keeps a one-time link");
    }

    /// Audit actions recorded, oldest first.
    pub async fn audit_actions(&self) -> Vec<String> {
        sqlx::query("SELECT action FROM audit_events ORDER BY id")
            .fetch_all(self.db.pool())
            .await
            .unwrap()
            .iter()
            .map(|r| r.try_get("action").unwrap())
            .collect()
    }
}

/// The path of the first link to `base` in `body`.
pub fn link_path(body: &str, base: &str) -> String {
    let start = body.find(base).expect("a link in the message") + base.len();
    let end = body[start..]
        .find(|c: char| c.is_whitespace())
        .map_or(body.len(), |e| start + e);
    body[start..end].to_owned()
}

/// A complete, valid unit form.
pub fn unit_form(name: &str, region: &str, seq: u32) -> UnitForm {
    let org = OrgCode::with_check_digit(&format!("T{seq:07}")).unwrap();
    let code = CreditCode::with_check_digit(&format!("11{region}{}", org.as_str())).unwrap();
    UnitForm {
        name: name.into(),
        credit_code: code.to_string(),
        org_type: "government".into(),
        region_code: region.into(),
        parent_org: "".into(),
        functions: "负责本单位职能范围内的工作。".into(),
        address: "甘肃省白银市靖远县乌兰镇".into(),
        postcode: "730600".into(),
        leader_name: "张三".into(),
        leader_phone: "0943-6123456".into(),
        leader_address: "靖远县新统办大楼".into(),
        leader_email: "zhang@test.example".into(),
        leader_postcode: "730600".into(),
        webmaster_name: "李四".into(),
        webmaster_phone: "13800000001".into(),
        webmaster_address: "靖远县新统办大楼".into(),
        webmaster_email: "li@test.example".into(),
        webmaster_postcode: "730600".into(),
        handler_name: "王五".into(),
        handler_phone: "".into(),
        handler_mobile: "13900000002".into(),
        handler_email: "wang@test.example".into(),
    }
}

pub fn form_fields(form: &UnitForm) -> Vec<(String, String)> {
    let value = serde_json::to_value(form).unwrap();
    value
        .as_object()
        .unwrap()
        .iter()
        .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_owned()))
        .collect()
}

#[derive(Debug)]
pub struct Page {
    pub status: StatusCode,
    pub location: Option<String>,
    pub body: String,
    pub headers: reqwest::header::HeaderMap,
}

impl Page {
    pub fn title(&self) -> &str {
        let start = self.body.find("<title>").map_or(0, |i| i + 7);
        let end = self.body[start..]
            .find("</title>")
            .map_or(start, |i| start + i);
        &self.body[start..end]
    }
}

pub struct Browser {
    pub client: reqwest::Client,
    pub base: String,
}

pub fn csrf_of(html: &str) -> Option<String> {
    let marker = "name=\"csrf-token\" content=\"";
    let start = html.find(marker)? + marker.len();
    let end = html[start..].find('"')? + start;
    Some(html[start..end].to_owned())
}

impl Browser {
    async fn page(resp: reqwest::Response) -> Page {
        let status = resp.status();
        let headers = resp.headers().clone();
        let location = headers
            .get("location")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let body = resp.text().await.unwrap_or_default();
        Page {
            status,
            location,
            body,
            headers,
        }
    }

    pub async fn get(&mut self, path: &str) -> Page {
        let resp = self
            .client
            .get(format!("{}{path}", self.base))
            .send()
            .await
            .expect("GET");
        Self::page(resp).await
    }

    /// GET of a download: status, headers and the raw bytes.
    pub async fn get_bytes(
        &mut self,
        path: &str,
    ) -> (StatusCode, reqwest::header::HeaderMap, Vec<u8>) {
        let resp = self
            .client
            .get(format!("{}{path}", self.base))
            .send()
            .await
            .expect("GET");
        let status = resp.status();
        let headers = resp.headers().clone();
        (status, headers, resp.bytes().await.expect("body").to_vec())
    }

    /// GET, following same-site redirects.
    pub async fn visit(&mut self, path: &str) -> Page {
        let mut page = self.get(path).await;
        for _ in 0..5 {
            match (&page.status, &page.location) {
                (s, Some(to)) if s.is_redirection() => page = self.get(&to.clone()).await,
                _ => break,
            }
        }
        page
    }

    /// The CSRF token of the current session, read from a page as a person's browser would.
    pub async fn csrf(&mut self) -> String {
        let page = self.visit("/help").await;
        csrf_of(&page.body).expect("pages carry a CSRF token")
    }

    /// POSTs a form with the session's CSRF token added.
    pub async fn post(&mut self, path: &str, fields: &[(&str, &str)]) -> Page {
        let token = self.csrf().await;
        let mut all: Vec<(&str, &str)> = vec![("csrf_token", token.as_str())];
        all.extend_from_slice(fields);
        self.post_raw(path, &all).await
    }

    pub async fn post_raw(&mut self, path: &str, fields: &[(&str, &str)]) -> Page {
        let resp = self
            .client
            .post(format!("{}{path}", self.base))
            .form(fields)
            .send()
            .await
            .expect("POST");
        Self::page(resp).await
    }

    /// POSTs a form that must answer post/redirect/get, and opens where it points, as a
    /// browser would.
    pub async fn post_follow(&mut self, path: &str, fields: &[(&str, &str)]) -> Page {
        let posted = self.post(path, fields).await;
        assert_eq!(
            posted.status,
            reqwest::StatusCode::SEE_OTHER,
            "{path} must redirect after a POST: {}",
            posted.body
        );
        let next = posted.location.clone().expect("a Location header");
        self.get(&next).await
    }

    pub async fn post_owned(&mut self, path: &str, fields: &[(String, String)]) -> Page {
        let refs: Vec<(&str, &str)> = fields
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        self.post(path, &refs).await
    }

    /// POSTs a multipart form: the session's CSRF token and one file in `field`.
    pub async fn upload(&mut self, path: &str, field: &str, file_name: &str, bytes: &[u8]) -> Page {
        self.multipart(path, &[], Some((field, file_name, bytes)))
            .await
    }

    /// POSTs a multipart form: the session's CSRF token, `fields`, and a file when given
    /// (field, file name, bytes).
    pub async fn multipart(
        &mut self,
        path: &str,
        fields: &[(&str, &str)],
        file: Option<(&str, &str, &[u8])>,
    ) -> Page {
        let csrf = self.csrf().await;
        let boundary = "govsite-test-boundary-7MA4YWxk";
        let mut body = Vec::new();
        for (name, value) in [("csrf_token", csrf.as_str())].iter().chain(fields) {
            body.extend_from_slice(
                format!(
                    "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
                )
                .as_bytes(),
            );
        }
        if let Some((field, file_name, bytes)) = file {
            body.extend_from_slice(
                format!(
                    "--{boundary}\r\nContent-Disposition: form-data; name=\"{field}\"; filename=\"{file_name}\"\r\nContent-Type: application/octet-stream\r\n\r\n"
                )
                .as_bytes(),
            );
            body.extend_from_slice(bytes);
            body.extend_from_slice(b"\r\n");
        }
        body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
        let resp = self
            .client
            .post(format!("{}{path}", self.base))
            .header(
                "content-type",
                format!("multipart/form-data; boundary={boundary}"),
            )
            .body(body)
            .send()
            .await
            .expect("POST");
        Self::page(resp).await
    }

    pub async fn sign_in(&mut self, username: &str, password: &str) -> Page {
        self.post("/login", &[("username", username), ("password", password)])
            .await
    }
}

/// Fields of a form page as name → value (inputs only), to check that input is kept.
pub fn input_values(html: &str) -> HashMap<String, String> {
    let mut out = HashMap::new();
    for chunk in html.split("<input").skip(1) {
        let end = chunk.find('>').unwrap_or(chunk.len());
        let tag = &chunk[..end];
        let attr = |name: &str| {
            let marker = format!(" {name}=\"");
            tag.find(&marker).map(|i| {
                let rest = &tag[i + marker.len()..];
                rest[..rest.find('"').unwrap_or(rest.len())].to_owned()
            })
        };
        if let (Some(n), Some(v)) = (attr("name"), attr("value")) {
            out.insert(n, v);
        }
    }
    out
}

/// Waits (bounded) until a `govsite serve` on loopback `port` answers /readyz.
pub async fn wait_ready(port: u16) {
    let client = reqwest::Client::new();
    for _ in 0..200 {
        if client
            .get(format!("http://127.0.0.1:{port}/readyz"))
            .send()
            .await
            .is_ok_and(|r| r.status().is_success())
        {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("govsite serve on port {port} did not start");
}

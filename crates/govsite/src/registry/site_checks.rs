//! Automatic pre-checks of a website application, shown to reviewers as advice (never a
//! verdict on their own): the Chinese domain resolves in our zone to the declared IPv4, the
//! English domain resolves to it through a configurable resolver, the site answers over
//! HTTP/HTTPS with a `<title>` that resembles the site name, and no other site of the unit
//! already uses the domain.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::Duration;

use govsite_core::domain_lifecycle::DomainState;
use govsite_core::site_form::Target;
use hickory_proto::op::{Message, MessageType, OpCode, Query};
use hickory_proto::rr::{Name, RData, RecordType};
use serde::{Deserialize, Serialize};

use crate::store::sites::{self, SiteApplication};
use crate::store::{Db, StoreResult, domains};

/// Where and how the checks look.
#[derive(Debug, Clone)]
pub struct SiteCheckConfig {
    /// The recursive resolver asked for English domains.
    pub resolver: SocketAddr,
    pub http_port: u16,
    pub https_port: u16,
    pub timeout: Duration,
    /// Fetch pages from private and loopback addresses too. Off in production: a resolver
    /// answer must not make the service fetch its own network (SSRF); tests turn it on to
    /// reach their local web server.
    pub allow_private: bool,
    /// An extra trusted root certificate (DER), for test servers with their own CA; `None`
    /// in production (the web PKI roots only).
    pub extra_root: Option<Vec<u8>>,
    /// Where every fetch really connects (the Host stays the site's), instead of the address
    /// resolved or declared: tests and demos, so nothing leaves the machine. `None` in
    /// production. The public-address rule still applies to the address the check found.
    pub connect_to: Option<IpAddr>,
    /// The proxy every fetch goes through, when one is configured; otherwise fetches ignore
    /// the proxy variables of the environment (see [`SiteCheckConfig::client_builder`]).
    pub proxy: Option<String>,
}

impl SiteCheckConfig {
    /// The socket a fetch of `addr` really connects to.
    pub fn connect_addr(&self, addr: SocketAddr) -> SocketAddr {
        self.connect_to
            .map_or(addr, |ip| SocketAddr::new(ip, addr.port()))
    }

    /// A client builder for outbound fetches: through the configured proxy, or none at all
    /// (HTTP_PROXY and friends are ignored, so the address the check pinned is the one
    /// reached); with the extra root certificate of tests, if any.
    pub fn client_builder(&self) -> Result<reqwest::ClientBuilder, String> {
        let mut builder = match &self.proxy {
            Some(url) => reqwest::Client::builder()
                .proxy(reqwest::Proxy::all(url).map_err(|e| format!("代理地址无效：{e}"))?),
            None => reqwest::Client::builder().no_proxy(),
        };
        if let Some(der) = &self.extra_root
            && let Ok(cert) = reqwest::Certificate::from_der(der)
        {
            builder = builder.add_root_certificate(cert);
        }
        Ok(builder)
    }
}

impl Default for SiteCheckConfig {
    fn default() -> Self {
        Self {
            resolver: system_resolver(),
            http_port: 80,
            https_port: 443,
            timeout: Duration::from_secs(5),
            allow_private: false,
            extra_root: None,
            connect_to: None,
            proxy: None,
        }
    }
}

/// The first `nameserver` of /etc/resolv.conf, or 127.0.0.1:53.
pub fn system_resolver() -> SocketAddr {
    std::fs::read_to_string("/etc/resolv.conf")
        .ok()
        .and_then(|text| {
            text.lines().find_map(|l| {
                l.trim()
                    .strip_prefix("nameserver")
                    .and_then(|a| a.trim().parse::<IpAddr>().ok())
            })
        })
        .map_or_else(
            || SocketAddr::from((Ipv4Addr::LOCALHOST, 53)),
            |ip| SocketAddr::new(ip, 53),
        )
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Pass,
    Warn,
    Fail,
    Skip,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Check {
    pub key: String,
    pub label: String,
    pub outcome: Outcome,
    pub detail: String,
}

/// A red-page application needs no name or address: whether the unit's red page exists and
/// is published is what the reviewers want to know (its preview is linked from the review).
async fn red_page(db: &Db, unit: govsite_core::ids::UnitId) -> StoreResult<Check> {
    use govsite_core::red_page::RedPageState as S;
    let page = crate::store::red_pages::find(db, unit).await?;
    let (outcome, detail) = match page.map(|p| (p.state, p.version_number)) {
        Some((S::Published, Some(n))) => (
            Outcome::Pass,
            format!("网络红页已发布（第{n}版），标识发放后自动显示在页面底部"),
        ),
        Some((S::TakenDown, _)) => (
            Outcome::Warn,
            "网络红页已被编办下线，尚未重新发布".to_owned(),
        ),
        Some(_) => (
            Outcome::Warn,
            "网络红页已创建，尚未发布；可在审核页面预览草稿".to_owned(),
        ),
        None => (
            Outcome::Warn,
            "单位尚未创建网络红页；审核通过后请单位在“红页管理”中完善并发布".to_owned(),
        ),
    };
    Ok(check("red_page", "网络红页", outcome, detail))
}

fn check(key: &str, label: &str, outcome: Outcome, detail: impl Into<String>) -> Check {
    Check {
        key: key.to_owned(),
        label: label.to_owned(),
        outcome,
        detail: detail.into(),
    }
}

/// Runs every check of `app` and stores the result on it.
pub async fn run_and_store(
    db: &Db,
    config: &SiteCheckConfig,
    app: &SiteApplication,
    now: i64,
) -> StoreResult<Vec<Check>> {
    let checks = run(db, config, app).await?;
    sites::set_prechecks(
        db,
        app.id,
        &serde_json::to_string(&checks).unwrap_or_default(),
        now,
    )
    .await?;
    Ok(checks)
}

pub fn parse_stored(json: &str) -> Vec<Check> {
    serde_json::from_str(json).unwrap_or_default()
}

pub async fn run(
    db: &Db,
    config: &SiteCheckConfig,
    app: &SiteApplication,
) -> StoreResult<Vec<Check>> {
    let Ok(request) = app.form.parse() else {
        return Ok(vec![check(
            "form",
            "申请表",
            Outcome::Fail,
            "申请表未填写完整，无法检查",
        )]);
    };
    let Target::Domain { ace, ipv4, .. } = &request.target else {
        return Ok(vec![red_page(db, app.unit_id).await?]);
    };
    let mut out = Vec::new();
    out.push(chinese_domain(db, ace, *ipv4).await?);
    let english = request.english_domain.as_deref();
    let resolved = match english {
        Some(host) => {
            let (c, addr) = english_domain(config, host, *ipv4).await;
            out.push(c);
            addr
        }
        None => {
            out.push(check(
                "english_dns",
                "英文域名解析",
                Outcome::Skip,
                "未填写英文域名",
            ));
            None
        }
    };
    // Visitors reach the site by its English name when it has one (through the address the
    // resolver gave), otherwise by the Chinese name at the declared address.
    let (host, addr) = match (english, resolved) {
        (Some(h), Some(a)) => (h.to_owned(), a),
        _ => (ace.clone(), *ipv4),
    };
    out.extend(http(config, &host, addr, &request.site_name).await);
    out.push(
        match sites::other_site_on_domain(db, app.unit_id, ace, app.site_id).await? {
            Some(name) => check(
                "other_site",
                "域名占用",
                Outcome::Warn,
                format!("本单位的网站“{name}”已使用该中文域名"),
            ),
            None => check(
                "other_site",
                "域名占用",
                Outcome::Pass,
                "本单位没有其他网站使用该中文域名",
            ),
        },
    );
    Ok(out)
}

async fn chinese_domain(db: &Db, ace: &str, declared: Ipv4Addr) -> StoreResult<Check> {
    const KEY: &str = "chinese_dns";
    const LABEL: &str = "中文域名解析";
    let Some(d) = domains::by_ace(db, ace).await? else {
        return Ok(check(KEY, LABEL, Outcome::Fail, "该中文域名未在本平台注册"));
    };
    let name = d.unicode();
    let c = if d.held || d.state != DomainState::Active {
        check(
            KEY,
            LABEL,
            Outcome::Fail,
            format!(
                "{name} 当前{}，不在解析中",
                if d.held {
                    "已停止解析"
                } else {
                    d.state_label
                }
            ),
        )
    } else if d.plan != "resolve" {
        check(
            KEY,
            LABEL,
            Outcome::Warn,
            format!(
                "{name} 采用{}方式，本平台不直接解析其地址，请人工核对",
                if d.plan == "forward" {
                    "转发"
                } else {
                    "自有DNS服务器"
                }
            ),
        )
    } else if d
        .ipv4
        .split([',', ' '])
        .any(|a| a.trim().parse() == Ok(declared))
    {
        check(
            KEY,
            LABEL,
            Outcome::Pass,
            format!("{name} 在本平台解析到 {declared}，与申请一致"),
        )
    } else {
        check(
            KEY,
            LABEL,
            Outcome::Fail,
            format!(
                "{name} 在本平台解析到 {}，与申请填写的 {declared} 不一致",
                if d.ipv4.is_empty() {
                    "（无IPv4地址）"
                } else {
                    &d.ipv4
                }
            ),
        )
    };
    Ok(c)
}

/// Asks the resolver for the A records of `host`.
pub(crate) async fn resolve_a(
    config: &SiteCheckConfig,
    host: &str,
) -> Result<Vec<Ipv4Addr>, String> {
    let name = Name::from_ascii(format!("{host}.")).map_err(|_| "域名格式不正确".to_owned())?;
    let id = u16::from_be_bytes({
        let mut b = [0u8; 2];
        getrandom::fill(&mut b).map_err(|e| e.to_string())?;
        b
    });
    let mut m = Message::new();
    m.set_id(id)
        .set_message_type(MessageType::Query)
        .set_op_code(OpCode::Query)
        .set_recursion_desired(true)
        .add_query(Query::query(name, RecordType::A));
    let bytes = m.to_vec().map_err(|e| e.to_string())?;
    let bind: SocketAddr = if config.resolver.is_ipv4() {
        "0.0.0.0:0"
    } else {
        "[::]:0"
    }
    .parse()
    .map_err(|_| "bind".to_owned())?;
    let socket = tokio::net::UdpSocket::bind(bind)
        .await
        .map_err(|e| e.to_string())?;
    socket
        .send_to(&bytes, config.resolver)
        .await
        .map_err(|e| format!("无法连接解析服务器：{e}"))?;
    let mut buf = vec![0u8; 4096];
    let deadline = tokio::time::Instant::now() + config.timeout;
    loop {
        let (n, from) = tokio::time::timeout_at(deadline, socket.recv_from(&mut buf))
            .await
            .map_err(|_| "解析服务器无应答".to_owned())?
            .map_err(|e| e.to_string())?;
        if from != config.resolver {
            continue;
        }
        let Ok(answer) = Message::from_vec(&buf[..n]) else {
            continue;
        };
        if answer.id() != id {
            continue;
        }
        return Ok(answer
            .answers()
            .iter()
            .filter_map(|r| match r.data() {
                RData::A(a) => Some(a.0),
                _ => None,
            })
            .collect());
    }
}

async fn english_domain(
    config: &SiteCheckConfig,
    host: &str,
    declared: Ipv4Addr,
) -> (Check, Option<Ipv4Addr>) {
    const KEY: &str = "english_dns";
    const LABEL: &str = "英文域名解析";
    match resolve_a(config, host).await {
        Ok(addrs) if addrs.contains(&declared) => (
            check(
                KEY,
                LABEL,
                Outcome::Pass,
                format!("{host} 解析到 {declared}，与申请一致"),
            ),
            Some(declared),
        ),
        Ok(addrs) if addrs.is_empty() => (
            check(
                KEY,
                LABEL,
                Outcome::Fail,
                format!("{host} 没有IPv4解析记录"),
            ),
            None,
        ),
        Ok(addrs) => {
            let list: Vec<String> = addrs.iter().map(ToString::to_string).collect();
            (
                check(
                    KEY,
                    LABEL,
                    Outcome::Warn,
                    format!(
                        "{host} 解析到 {}，与申请填写的 {declared} 不一致（可能使用了CDN）",
                        list.join("、")
                    ),
                ),
                addrs.first().copied(),
            )
        }
        Err(e) => (
            check(KEY, LABEL, Outcome::Fail, format!("{host} 解析失败：{e}")),
            None,
        ),
    }
}

/// Largest page read when looking for the title.
const MAX_PAGE: usize = 512 * 1024;

async fn http(config: &SiteCheckConfig, host: &str, addr: Ipv4Addr, site_name: &str) -> Vec<Check> {
    let mut out = Vec::new();
    for (scheme, port, key, label) in [
        ("http", config.http_port, "http", "HTTP访问"),
        ("https", config.https_port, "https", "HTTPS访问"),
    ] {
        out.push(match fetch_title(config, scheme, host, SocketAddr::from((addr, port))).await {
            Ok(Fetched::Redirect(status, to)) => check(
                key,
                label,
                Outcome::Warn,
                format!("{scheme}://{host}/ 返回 {status}，重定向至 {to}（未跟随，请人工核对）"),
            ),
            Ok(Fetched::Page(status, title)) => {
                let similar = resembles(&title, site_name);
                let outcome = if (200..400).contains(&status) && similar {
                    Outcome::Pass
                } else {
                    Outcome::Warn
                };
                let detail = if title.is_empty() {
                    format!("{scheme}://{host}/ 返回 {status}，页面没有标题")
                } else if similar {
                    format!("{scheme}://{host}/ 返回 {status}，标题“{title}”与网站名称相符")
                } else {
                    format!("{scheme}://{host}/ 返回 {status}，标题“{title}”与网站名称“{site_name}”不相符")
                };
                check(key, label, outcome, detail)
            }
            Err(e) => check(key, label, Outcome::Warn, format!("{scheme}://{host}/ 无法访问：{e}")),
        });
    }
    out
}

enum Fetched {
    Page(u16, String),
    Redirect(u16, String),
}

/// Fetches the home page at `addr` (only a public address unless the configuration allows
/// private ones) without following redirects: a redirect could lead anywhere.
async fn fetch_title(
    config: &SiteCheckConfig,
    scheme: &str,
    host: &str,
    addr: SocketAddr,
) -> Result<Fetched, String> {
    let public = match addr.ip() {
        IpAddr::V4(a) => govsite_core::site_form::is_public_ipv4(a),
        IpAddr::V6(a) => govsite_core::site_form::is_public_ipv6(a),
    };
    if !public && !config.allow_private {
        return Err(format!("{} 不是公网地址，未访问", addr.ip()));
    }
    let client = config
        .client_builder()?
        .resolve(host, config.connect_addr(addr))
        .timeout(config.timeout)
        .redirect(reqwest::redirect::Policy::none())
        .user_agent("govsite-precheck/1.0 (website review pre-check; +/help)")
        .build()
        .map_err(|e| e.to_string())?;
    let port = if scheme == "http" {
        config.http_port
    } else {
        config.https_port
    };
    let url = format!("{scheme}://{host}:{port}/");
    let mut response = client
        .get(&url)
        .send()
        .await
        .map_err(|e| describe(e, scheme))?;
    let status = response.status().as_u16();
    if response.status().is_redirection() {
        let to = response
            .headers()
            .get(reqwest::header::LOCATION)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .chars()
            .take(200)
            .collect();
        return Ok(Fetched::Redirect(status, to));
    }
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(|e| describe(e, scheme))? {
        body.extend_from_slice(&chunk);
        if body.len() >= MAX_PAGE {
            break;
        }
    }
    Ok(Fetched::Page(
        status,
        title_of(&String::from_utf8_lossy(&body)),
    ))
}

fn describe(e: reqwest::Error, scheme: &str) -> String {
    if e.is_timeout() {
        "连接超时".to_owned()
    } else if e.is_connect() && scheme == "https" {
        "无法建立安全连接（端口未开放或证书无效）".to_owned()
    } else if e.is_connect() {
        "连接被拒绝".to_owned()
    } else {
        "请求失败".to_owned()
    }
}

/// The text of the first `<title>`, whitespace collapsed, at most 100 characters.
pub fn title_of(html: &str) -> String {
    let lower = html.to_ascii_lowercase();
    let Some(start) = lower.find("<title") else {
        return String::new();
    };
    let Some(open_end) = lower[start..].find('>') else {
        return String::new();
    };
    let from = start + open_end + 1;
    let to = lower[from..]
        .find("</title")
        .map_or(html.len(), |i| from + i);
    html.get(from..to)
        .unwrap_or("")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .chars()
        .take(100)
        .collect()
}

/// Whether a page title resembles the site name: one contains the other, or they share at
/// least half of their character pairs (Dice coefficient over bigrams).
pub fn resembles(title: &str, site_name: &str) -> bool {
    let t: Vec<char> = title.chars().filter(|c| !c.is_whitespace()).collect();
    let n: Vec<char> = site_name.chars().filter(|c| !c.is_whitespace()).collect();
    if t.is_empty() || n.is_empty() {
        return false;
    }
    let (ts, ns): (String, String) = (t.iter().collect(), n.iter().collect());
    if ts.contains(&ns) || ns.contains(&ts) {
        return true;
    }
    let pairs = |v: &[char]| -> Vec<(char, char)> { v.windows(2).map(|w| (w[0], w[1])).collect() };
    let (a, mut b) = (pairs(&t), pairs(&n));
    if a.is_empty() || b.is_empty() {
        return false;
    }
    let total = a.len() + b.len();
    let mut shared = 0;
    for p in &a {
        if let Some(i) = b.iter().position(|q| q == p) {
            b.swap_remove(i);
            shared += 1;
        }
    }
    shared * 2 * 2 >= total
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn titles_and_resemblance() {
        assert_eq!(
            title_of("<html><head><TITLE lang=zh>\n 靖远县人民政府网\n</title>"),
            "靖远县人民政府网"
        );
        assert_eq!(title_of("<p>no title</p>"), "");
        assert_eq!(title_of("<title>unterminated"), "unterminated");
        assert!(resembles("靖远县人民政府网 - 首页", "靖远县人民政府网"));
        assert!(resembles("靖远县政府门户网站", "靖远县人民政府网站"));
        assert!(!resembles("某某公司欢迎您", "靖远县人民政府网"));
        assert!(!resembles("", "靖远县人民政府网"));
    }
}

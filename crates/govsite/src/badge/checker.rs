//! The mount checker: for each issued badge it fetches the site's home page and up to N pages
//! linked from it (same site), with timeouts, a size limit, at most three redirects and only
//! to the site's own hosts, public addresses only, one page at a time per site with a pause
//! between them, and a User-Agent that says who it is. On each page it looks for our script
//! for this code and tells apart: live, missing, a static copy of the image without the
//! script, another code, the script over http on an https page, and the badge not at the
//! bottom. Each visit is stored with its evidence; the badge becomes mounted, or overdue
//! once its deadline has passed (the unit and its 编办 are told once).

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use govsite_core::badge_check::Finding;
use serde::{Deserialize, Serialize};

use crate::registry::site_checks::{SiteCheckConfig, resolve_a};
use crate::store::badge_checks::{self, CheckTarget as Target};
use crate::store::{Db, StoreResult};

/// Block-level markup that may not follow the badge if it is to be at the bottom.
const CONTENT_AFTER: [&str; 8] = [
    "<p", "<div", "<table", "<section", "<main", "<article", "<ul", "<h",
];

/// Tags longer than this are not read (a hostile page cannot make each search run to its end).
const TAG_MAX: usize = 4096;
/// At most this many tags of one kind are read per page.
const TAGS_MAX: usize = 2000;

/// The opening tag at `i` (lower case), at most [`TAG_MAX`] bytes.
fn tag_at(lower: &str, i: usize) -> &str {
    let mut cut = lower.len().min(i + TAG_MAX);
    while !lower.is_char_boundary(cut) {
        cut -= 1;
    }
    let window = &lower[i..cut];
    &window[..window.find('>').unwrap_or(window.len())]
}

/// Reads one page's HTML for the badge of `code`, served from `our_host` (our public host:
/// a script of the same path from elsewhere is not our badge).
pub fn inspect(html: &str, code: &str, page_is_https: bool, our_host: &str) -> Finding {
    let lower = html.to_ascii_lowercase();
    let mut script_at = None;
    let mut other_code = false;
    let mut insecure = false;
    for (i, _) in lower.match_indices("<script").take(TAGS_MAX) {
        let tag = tag_at(&lower, i);
        let Some(src_l) = attr(tag, "src") else {
            continue;
        };
        // The same bytes of the original page keep the code's case (ours is upper case).
        let at = i + tag.find(&src_l).unwrap_or(0);
        let src = html.get(at..at + src_l.len()).unwrap_or("");
        if super::book::host_of(src).as_deref() != Some(our_host) {
            continue;
        }
        if let Some(c) = badge_code_in(src) {
            if c == code {
                script_at = Some(i);
                insecure |= src_l.starts_with("http://");
            } else {
                other_code = true;
            }
        }
    }
    let code_l = code.to_ascii_lowercase();
    let ours = |path: &str| lower.contains(&format!("{our_host}{path}"));
    match script_at {
        None if other_code => Finding::WrongCode,
        None if ours(&format!("/b/{code_l}.png"))
            || ours(&format!("/b/{code_l}.svg"))
            || ours("/b/static/") =>
        {
            Finding::StaticCopy
        }
        None => Finding::Missing,
        Some(_) if insecure && page_is_https => Finding::HttpOnHttps,
        Some(at) => {
            let end = lower[at..]
                .find("</script>")
                .map_or(lower.len(), |e| at + e);
            let tail = &lower[end..lower.rfind("</body>").unwrap_or(lower.len()).max(end)];
            // Our <noscript> fallback may follow; real content may not.
            let tail = strip_noscript(tail);
            if CONTENT_AFTER.iter().any(|t| tail.contains(t)) {
                Finding::NotBottom
            } else {
                Finding::Live
            }
        }
    }
}

fn strip_noscript(s: &str) -> String {
    let mut out = String::new();
    let mut rest = s;
    while let Some(i) = rest.find("<noscript") {
        out.push_str(&rest[..i]);
        rest = rest[i..]
            .find("</noscript>")
            .map_or("", |e| &rest[i + e + 11..]);
    }
    out.push_str(rest);
    out
}

fn attr(tag: &str, name: &str) -> Option<String> {
    let i = tag.find(&format!("{name}="))? + name.len() + 1;
    let rest = &tag[i..];
    let (quote, rest) = match rest.chars().next()? {
        q @ ('"' | '\'') => (Some(q), &rest[1..]),
        _ => (None, rest),
    };
    let end = match quote {
        Some(q) => rest.find(q)?,
        None => rest
            .find(|c: char| c.is_whitespace() || c == '>')
            .unwrap_or(rest.len()),
    };
    Some(rest[..end].to_owned())
}

/// The badge code in a script URL of ours (`…/b/CA` + 21 digits + `.js`), as written.
fn badge_code_in(src: &str) -> Option<String> {
    let i = src.find("/b/CA")?;
    let code = src.get(i + 3..i + 26)?;
    (src.get(i + 26..i + 29) == Some(".js") && govsite_core::badge::BadgeCode::is_canonical(code))
        .then(|| code.to_owned())
}

/// Same-site links of a page, absolute, without fragments, at most `max`.
fn links(html: &str, base_scheme: &str, host: &str, port: u16, max: usize) -> Vec<String> {
    let lower = html.to_ascii_lowercase();
    let mut out = Vec::new();
    for (i, _) in lower.match_indices("<a ").take(TAGS_MAX) {
        if out.len() >= max {
            break;
        }
        let tag = tag_at(&lower, i);
        let Some(href) = attr(tag, "href") else {
            continue;
        };
        let href = href.split('#').next().unwrap_or("").to_owned();
        let path = if let Some(p) = href.strip_prefix('/').filter(|p| !p.starts_with('/')) {
            format!("/{p}")
        } else if let Some(rest) = href.strip_prefix(&format!("{base_scheme}://{host}")) {
            let rest = rest.strip_prefix(&format!(":{port}")).unwrap_or(rest);
            if rest.is_empty() {
                "/".to_owned()
            } else if rest.starts_with('/') {
                rest.to_owned()
            } else {
                continue;
            }
        } else {
            continue;
        };
        if path == "/" || path.len() > 300 {
            continue;
        }
        let url = format!("{base_scheme}://{host}:{port}{path}");
        if !out.contains(&url) {
            out.push(url);
        }
    }
    out
}

/// How the checker behaves.
#[derive(Debug, Clone)]
pub struct CheckerConfig {
    pub sites: SiteCheckConfig,
    /// Pages linked from the home page checked besides it.
    pub linked_pages: usize,
    pub max_page_bytes: usize,
    /// Pause between two pages of one site.
    pub politeness: Duration,
    /// Sites checked at once.
    pub parallel: usize,
    pub user_agent: String,
    /// Our public host: only a script from here is our badge.
    pub badge_host: String,
}

impl CheckerConfig {
    pub fn new(sites: SiteCheckConfig, public_url: &str) -> Self {
        Self {
            sites,
            linked_pages: 4,
            max_page_bytes: 1024 * 1024,
            politeness: Duration::from_secs(1),
            parallel: 16,
            user_agent: format!(
                "govsite-badge-checker/1.0 (checks the website identifier badge; {public_url}/help#checker)"
            ),
            badge_host: super::book::host_of(public_url).unwrap_or_default(),
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PageEvidence {
    pub url: String,
    pub status: u16,
    pub finding: Finding,
    pub detail: String,
}

/// Checks one site: its home page over HTTPS, or HTTP when HTTPS does not answer, then up
/// to `linked_pages` pages linked from it.
pub async fn check_site(config: &CheckerConfig, target: &Target) -> (Finding, Vec<PageEvidence>) {
    let Some(host) = target.hosts.first().cloned() else {
        return (Finding::Unreachable, Vec::new());
    };
    let addr = match resolve_a(&config.sites, &host).await {
        Ok(a) if !a.is_empty() => a[0],
        Ok(_) => return unreachable(&host, "没有IPv4解析记录"),
        Err(e) => return unreachable(&host, &e),
    };
    if !config.sites.allow_private && !govsite_core::site_form::is_public_ipv4(addr) {
        return unreachable(&host, &format!("{addr} 不是公网地址，未访问"));
    }
    let hosts = Arc::new(target.hosts.clone());
    let allowed = hosts.clone();
    let mut builder = match config.sites.client_builder() {
        Ok(b) => b,
        Err(e) => return unreachable(&host, &e),
    }
    .timeout(config.sites.timeout)
    .user_agent(config.user_agent.clone())
    // At most three redirects, and only within the site's own hosts.
    .redirect(reqwest::redirect::Policy::custom(move |attempt| {
        let ok = attempt.previous().len() < 3
            && attempt
                .url()
                .host_str()
                .is_some_and(|h| allowed.iter().any(|a| a == h));
        if ok { attempt.follow() } else { attempt.stop() }
    }));
    for h in hosts.iter() {
        for port in [config.sites.http_port, config.sites.https_port] {
            let at = SocketAddr::new(IpAddr::V4(addr), port);
            builder = builder.resolve(h, config.sites.connect_addr(at));
        }
    }
    let Ok(client) = builder.build() else {
        return unreachable(&host, "HTTP客户端无法创建");
    };
    let mut evidence = Vec::new();
    let mut home = None;
    for (scheme, port) in [
        ("https", config.sites.https_port),
        ("http", config.sites.http_port),
    ] {
        let url = format!("{scheme}://{host}:{port}/");
        match fetch(config, &client, &url).await {
            Ok((status, body, final_https)) => {
                home = Some((scheme, port, body.clone()));
                evidence.push(judge(
                    config,
                    &url,
                    status,
                    &body,
                    &target.code,
                    final_https,
                ));
                break;
            }
            Err(e) => evidence.push(PageEvidence {
                url,
                status: 0,
                finding: Finding::Unreachable,
                detail: e,
            }),
        }
    }
    let Some((scheme, port, body)) = home else {
        return (Finding::Unreachable, evidence);
    };
    // The failed HTTPS attempt is evidence, not a finding, when HTTP answered.
    evidence.retain(|e| e.status != 0);
    for url in links(&body, scheme, &host, port, config.linked_pages) {
        tokio::time::sleep(config.politeness).await;
        match fetch(config, &client, &url).await {
            Ok((status, body, https)) => {
                evidence.push(judge(config, &url, status, &body, &target.code, https))
            }
            Err(e) => evidence.push(PageEvidence {
                url,
                status: 0,
                finding: Finding::Unreachable,
                detail: e,
            }),
        }
    }
    let worst = evidence
        .iter()
        .map(|e| e.finding)
        .max_by_key(|f| f.rank())
        .unwrap_or(Finding::Unreachable);
    (worst, evidence)
}

fn unreachable(host: &str, why: &str) -> (Finding, Vec<PageEvidence>) {
    (
        Finding::Unreachable,
        vec![PageEvidence {
            url: host.to_owned(),
            status: 0,
            finding: Finding::Unreachable,
            detail: why.to_owned(),
        }],
    )
}

fn judge(
    config: &CheckerConfig,
    url: &str,
    status: u16,
    body: &str,
    code: &str,
    https: bool,
) -> PageEvidence {
    let finding = if (200..300).contains(&status) {
        inspect(body, code, https, &config.badge_host)
    } else {
        Finding::Unreachable
    };
    PageEvidence {
        url: url.to_owned(),
        status,
        finding,
        detail: finding.label().to_owned(),
    }
}

async fn fetch(
    config: &CheckerConfig,
    client: &reqwest::Client,
    url: &str,
) -> Result<(u16, String, bool), String> {
    let mut response = client.get(url).send().await.map_err(|e| {
        if e.is_timeout() {
            "超时".to_owned()
        } else if e.is_redirect() {
            "重定向过多或跳出本网站".to_owned()
        } else {
            "无法连接".to_owned()
        }
    })?;
    let status = response.status().as_u16();
    let https = response.url().scheme() == "https";
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(|_| "读取中断".to_owned())? {
        body.extend_from_slice(&chunk);
        if body.len() >= config.max_page_bytes {
            body.truncate(config.max_page_bytes);
            break;
        }
    }
    Ok((status, String::from_utf8_lossy(&body).into_owned(), https))
}

/// Checks every open, self-built site with a badge that is not suspended or revoked; stores
/// each visit and moves badge states. Returns how many sites were checked.
pub async fn run_once(db: &Db, config: &CheckerConfig, now: i64) -> StoreResult<usize> {
    let targets = badge_checks::targets(db).await?;
    let semaphore = Arc::new(tokio::sync::Semaphore::new(config.parallel.max(1)));
    let mut set = tokio::task::JoinSet::new();
    for t in targets {
        let config = config.clone();
        let permit = semaphore.clone().acquire_owned().await;
        set.spawn(async move {
            let _permit = permit;
            let result = check_site(&config, &t).await;
            (t, result)
        });
    }
    let mut checked = judge_red_pages(db, now).await?;
    while let Some(done) = set.join_next().await {
        let Ok((t, (finding, evidence))) = done else {
            continue;
        };
        let evidence = serde_json::to_string(&evidence).unwrap_or_default();
        crate::registry::badges::record_visit(db, &t, finding, &evidence, now).await?;
        checked += 1;
    }
    Ok(checked)
}

/// The red-page part of a round, judged from the database and never fetched: a published
/// red page carries the badge by itself, an unpublished one does not. Returns how many.
pub async fn judge_red_pages(db: &Db, now: i64) -> StoreResult<usize> {
    let mut checked = 0;
    for (t, published) in badge_checks::red_page_targets(db).await? {
        let (finding, detail) = if published {
            (Finding::Live, "网络红页已发布，标识自动显示在页面底部")
        } else {
            (Finding::Missing, "网络红页尚未发布")
        };
        let evidence = [PageEvidence {
            url: String::new(),
            status: 0,
            finding,
            detail: detail.to_owned(),
        }];
        let evidence = serde_json::to_string(&evidence).unwrap_or_default();
        crate::registry::badges::record_visit(db, &t, finding, &evidence, now).await?;
        checked += 1;
    }
    Ok(checked)
}

/// The checker as a worker: the first round five minutes after start, then every `every`.
pub async fn run(
    db: Db,
    config: CheckerConfig,
    clock: crate::clock::SharedClock,
    every: Duration,
    mut stop: tokio::sync::watch::Receiver<bool>,
) {
    let mut wait = Duration::from_secs(300);
    loop {
        tokio::select! {
            _ = tokio::time::sleep(wait) => {}
            _ = stop.changed() => return,
        }
        wait = every;
        match run_once(&db, &config, clock.now()).await {
            Ok(n) => tracing::info!(sites = n, "badge mount check done"),
            Err(e) => tracing::warn!(error = %e, "badge mount check failed"),
        }
    }
}

/// `govsite badge-check`: one round now, with a summary on stdout.
pub async fn command(args: crate::config::BadgeCheckArgs) -> anyhow::Result<()> {
    let db = args.database.connect().await?;
    db.migrate().await?;
    let mut config = CheckerConfig::new(
        args.site_checks.config(),
        args.public_url.trim_end_matches('/'),
    );
    config.parallel = args.parallel.max(1);
    config.linked_pages = args.linked_pages;
    config.politeness = Duration::from_millis(args.politeness_ms);
    let start = std::time::Instant::now();
    let n = run_once(&db, &config, chrono::Utc::now().timestamp()).await?;
    let secs = start.elapsed().as_secs_f64();
    let counts = badge_checks::outcome_counts(&db).await?;
    println!(
        "checked {n} sites in {secs:.1} s ({:.0} sites per minute)",
        n as f64 * 60.0 / secs.max(0.001)
    );
    for (outcome, n) in counts {
        println!("  {outcome}: {n}");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const CODE: &str = "CA620040021000000010001";

    #[test]
    fn findings() {
        let page = |body: &str| format!("<html><body><main><p>正文</p></main>{body}</body></html>");
        let script = format!("<script src=\"https://b.example/b/{CODE}.js\" async></script>");
        let inspect =
            |html: &str, code: &str, https: bool| super::inspect(html, code, https, "b.example");
        assert_eq!(inspect(&page(&script), CODE, true), Finding::Live);
        let with_fallback = format!(
            "{script}<noscript><a href=\"x\"><img src=\"https://b.example/b/{CODE}.png\"></a></noscript>"
        );
        assert_eq!(inspect(&page(&with_fallback), CODE, true), Finding::Live);
        assert_eq!(inspect(&page(""), CODE, false), Finding::Missing);
        assert_eq!(
            inspect(
                &page(&format!("<img src=\"https://b.example/b/{CODE}.png\">")),
                CODE,
                false
            ),
            Finding::StaticCopy
        );
        assert_eq!(
            inspect(&page(&script.replace("0001.js", "0002.js")), CODE, false),
            Finding::WrongCode
        );
        let http = script.replace("https://", "http://");
        assert_eq!(inspect(&page(&http), CODE, true), Finding::HttpOnHttps);
        assert_eq!(inspect(&page(&http), CODE, false), Finding::Live);
        let top = format!("<html><body>{script}<div>正文</div><p>更多</p></body></html>");
        assert_eq!(inspect(&top, CODE, false), Finding::NotBottom);
        assert_eq!(
            inspect("<script src=/b/CA62.js>", CODE, false),
            Finding::Missing
        );
    }

    #[test]
    fn same_site_links_only() {
        let html = "<a href=\"/news/1.html#top\">1</a><a href='https://evil.example/x'>x</a>\
                    <a href=\"http://www.site.example:8080/about\">a</a><a href=\"//cdn.example/\">c</a><a href=/>home</a>";
        assert_eq!(
            links(html, "http", "www.site.example", 8080, 5),
            vec![
                "http://www.site.example:8080/news/1.html",
                "http://www.site.example:8080/about"
            ]
        );
    }
}

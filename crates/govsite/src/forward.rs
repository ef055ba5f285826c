//! The forwarding role: a request whose Host is a plan-2 name (Unicode or ACE) is redirected to
//! the unit's target URL; a plan-3 name shows the unit's published 网络红页; a suspended name
//! gets a notice page naming the reason category; anything else 404. The table is in memory, loaded at start and kept current by following
//! `zone_changes` like the DNS role.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, RwLock};

use anyhow::Context;
use axum::Router;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use govsite_core::hold::HoldCategory;
use govsite_core::ids::UnitId;
use minijinja::context;
use tokio::net::TcpListener;
use tokio::sync::watch;

use crate::config::ForwardArgs;
use crate::red_page::RedPages;
use crate::red_page::book::Place;
use crate::red_page::serve;
use crate::store::changes::Follower;
use crate::store::forwards::{self, ForwardRow};
use crate::store::zones::ZoneChanges;
use crate::store::{Db, StoreResult};

/// Where a name leads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    Redirect(String),
    /// The unit's red page, served here for the name.
    RedPage(UnitId),
    /// Resolution stopped: the public reason category.
    Notice(&'static str),
}

type Table = Arc<RwLock<HashMap<String, Target>>>;

#[derive(Clone)]
struct Forwarder {
    table: Table,
    red_pages: Arc<RedPages>,
    db: Db,
    status: StatusCode,
    keep_path: bool,
}

const EXPIRED: &str = "域名注册已到期，未按期续费";

fn row_target(r: &ForwardRow) -> Option<Target> {
    if r.plan != "forward" && r.plan != "red_page" {
        return None;
    }
    if r.held != 0 {
        let category = HoldCategory::parse(&r.hold_category).unwrap_or(HoldCategory::Other);
        return Some(Target::Notice(category.label()));
    }
    match r.state.as_str() {
        "suspended" => Some(Target::Notice(EXPIRED)),
        "active" | "expired" if r.plan == "red_page" => Some(Target::RedPage(r.unit_id)),
        "active" | "expired" if !r.forward_url.is_empty() => {
            Some(Target::Redirect(r.forward_url.clone()))
        }
        _ => None,
    }
}

async fn load(db: &Db) -> StoreResult<HashMap<String, Target>> {
    let mut out = HashMap::new();
    for r in forwards::all(db).await? {
        if let Some(t) = row_target(&r) {
            out.insert(r.ace, t);
        }
    }
    Ok(out)
}

async fn reload(db: &Db, table: &Table, aces: &[String]) -> StoreResult<()> {
    let mut fresh = Vec::with_capacity(aces.len());
    for ace in aces {
        let t = forwards::by_ace(db, ace)
            .await?
            .as_ref()
            .and_then(row_target);
        fresh.push((ace.clone(), t));
    }
    let mut table = table.write().unwrap_or_else(|e| e.into_inner());
    for (ace, t) in fresh {
        match t {
            Some(t) => table.insert(ace, t),
            None => table.remove(&ace),
        };
    }
    Ok(())
}

/// Binds `args.forward`, loads the table (and the red pages, whose badge and verification
/// links lead to `public_url`) and serves until `stop`.
pub async fn start(
    db: Db,
    args: &ForwardArgs,
    public_url: &str,
    stop: watch::Receiver<bool>,
) -> anyhow::Result<SocketAddr> {
    crate::pages::compile()?;
    let mut cursor = Follower::<ZoneChanges>::now(&db).await?;
    let table: Table = Arc::new(RwLock::new(load(&db).await?));
    let listener = TcpListener::bind(args.forward)
        .await
        .with_context(|| format!("cannot listen on {}", args.forward))?;
    let addr = listener.local_addr()?;
    let red_pages = crate::red_page::book::start(&db, public_url, stop.clone()).await;
    let state = Forwarder {
        table: table.clone(),
        red_pages,
        db: db.clone(),
        status: StatusCode::from_u16(args.forward_status).unwrap_or(StatusCode::MOVED_PERMANENTLY),
        keep_path: args.forward_keep_path,
    };
    let app = Router::new().fallback(forward).with_state(state);
    let mut web_stop = stop.clone();
    tokio::spawn(async move {
        let _ = axum::serve(listener, app)
            .with_graceful_shutdown(async move {
                let _ = web_stop.wait_for(|s| *s).await;
            })
            .await;
    });
    tokio::spawn(async move {
        let mut stop = stop;
        let mut resync = false;
        loop {
            tokio::select! {
                _ = tokio::time::sleep(crate::dns::POLL) => {}
                _ = stop.changed() => return,
            }
            if *stop.borrow() {
                return;
            }
            if resync {
                match load(&db).await {
                    Ok(all) => {
                        *table.write().unwrap_or_else(|e| e.into_inner()) = all;
                        resync = false;
                    }
                    Err(e) => tracing::error!(error = %e, "forwarding table reload failed"),
                }
                continue;
            }
            match cursor.poll(&db).await {
                Ok(changes) if changes.is_empty() => {}
                Ok(changes) => {
                    let aces: Vec<String> = changes.into_iter().map(|c| c.ace).collect();
                    if let Err(e) = reload(&db, &table, &aces).await {
                        tracing::error!(error = %e, "forwarding table update failed; reloading it");
                        resync = true;
                    }
                }
                Err(e) => tracing::error!(error = %e, "cannot read zone changes"),
            }
        }
    });
    tracing::info!(%addr, "forwarding answering");
    Ok(addr)
}

/// `target` with the request's path appended to its path and the queries joined; a fragment
/// of the target stays at the end.
fn keep_path(target: &str, path: &str, query: Option<&str>) -> String {
    let (rest, fragment) = target
        .split_once('#')
        .map_or((target, None), |(r, f)| (r, Some(f)));
    let (base, target_query) = rest
        .split_once('?')
        .map_or((rest, None), |(b, q)| (b, Some(q)));
    let mut out = format!("{}{}", base.trim_end_matches('/'), path);
    let queries: Vec<&str> = [target_query, query]
        .into_iter()
        .flatten()
        .filter(|q| !q.is_empty())
        .collect();
    if !queries.is_empty() {
        out.push('?');
        out.push_str(&queries.join("&"));
    }
    if let Some(f) = fragment {
        out.push('#');
        out.push_str(f);
    }
    out
}

/// The Host header as a name in our table: port and trailing dot dropped, IDNA to ACE.
fn host_key(headers: &HeaderMap) -> Option<String> {
    // Browsers send ACE; some clients send the Unicode form as raw UTF-8.
    let host = std::str::from_utf8(headers.get(header::HOST)?.as_bytes()).ok()?;
    let host = match host.rsplit_once(':') {
        Some((h, port)) if port.bytes().all(|b| b.is_ascii_digit()) => h,
        _ => host,
    };
    let host = host.trim().trim_end_matches('.');
    if host.is_empty() || host.len() > 253 {
        return None;
    }
    idna::domain_to_ascii(host).ok()
}

async fn forward(State(f): State<Forwarder>, request: Request) -> Response {
    let key = host_key(request.headers());
    let found = key.and_then(|k| {
        f.table
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .get(&k)
            .cloned()
    });
    match found {
        Some(Target::Redirect(url)) => {
            let location = if f.keep_path {
                keep_path(&url, request.uri().path(), request.uri().query())
            } else {
                url
            };
            match HeaderValue::from_str(&location) {
                Ok(v) => (
                    f.status,
                    [
                        (header::LOCATION, v),
                        (
                            header::CACHE_CONTROL,
                            HeaderValue::from_static("max-age=3600"),
                        ),
                    ],
                )
                    .into_response(),
                Err(_) => page(
                    StatusCode::NOT_FOUND,
                    "转发地址无效",
                    "该域名的转发地址无效，请联系域名所属单位。",
                ),
            }
        }
        Some(Target::RedPage(unit)) => match f.red_pages.of_unit(unit) {
            Some(shelf) => {
                let rest = request.uri().path().trim_start_matches('/');
                serve::respond(
                    &f.red_pages,
                    &f.db,
                    &shelf,
                    Place::OwnName,
                    rest,
                    request.headers(),
                )
                .await
            }
            None => page(
                StatusCode::NOT_FOUND,
                "网络红页尚未发布",
                "该单位的网络红页尚未发布或已撤下。",
            ),
        },
        Some(Target::Notice(category)) => page(
            StatusCode::SERVICE_UNAVAILABLE,
            "该域名已暂停解析",
            &format!(
                "该域名已被暂停解析。原因类别：{category}。如有疑问，请联系域名所属单位或其所属编办。"
            ),
        ),
        None => page(
            StatusCode::NOT_FOUND,
            "未找到转发设置",
            "本服务没有该域名的转发设置。",
        ),
    }
}

fn page(status: StatusCode, title: &str, text: &str) -> Response {
    let no_store = [(header::CACHE_CONTROL, HeaderValue::from_static("no-store"))];
    match crate::pages::render("forward_notice.html", context! { title, text }) {
        Ok(html) => (status, no_store, Html(html)).into_response(),
        Err(e) => {
            // Only if the template set did not compile (start-up refuses that).
            tracing::error!(error = %e, "forwarding page not rendered");
            (status, no_store, text.to_owned()).into_response()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn target(state: &str, held: i64, category: &str, plan: &str, url: &str) -> Option<Target> {
        row_target(&ForwardRow {
            unit_id: UnitId::new(7),
            ace: "xn--x".into(),
            state: state.into(),
            held,
            hold_category: category.into(),
            plan: plan.into(),
            forward_url: url.into(),
        })
    }

    #[test]
    fn what_each_state_leads_to() {
        let url = "https://www.example.cn/";
        assert_eq!(
            target("active", 0, "", "forward", url),
            Some(Target::Redirect(url.into()))
        );
        assert_eq!(target("active", 0, "", "address", url), None);
        assert_eq!(
            target("suspended", 1, "badge", "forward", url),
            Some(Target::Notice("未按期挂设网站标识"))
        );
        assert_eq!(
            target("suspended", 0, "", "forward", url),
            Some(Target::Notice(EXPIRED))
        );
        assert_eq!(target("deleted", 0, "", "forward", url), None);
        assert_eq!(
            target("active", 0, "", "red_page", ""),
            Some(Target::RedPage(UnitId::new(7)))
        );
        assert_eq!(
            target("active", 1, "content", "red_page", ""),
            Some(Target::Notice(HoldCategory::Content.label()))
        );
    }

    #[test]
    fn an_unknown_hold_category_reads_as_other() {
        assert_eq!(
            target("active", 1, "", "forward", "https://a.cn/"),
            Some(Target::Notice("其他原因"))
        );
    }

    #[tokio::test]
    async fn the_notice_page_escapes_quotes_and_tags() {
        let resp = page(
            StatusCode::SERVICE_UNAVAILABLE,
            "该域名已暂停解析",
            "原因类别：O'Brien <script>alert(1)</script>",
        );
        assert_eq!(resp.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(resp.headers()[header::CACHE_CONTROL], "no-store");
        assert_eq!(
            resp.headers()[header::CONTENT_TYPE],
            "text/html; charset=utf-8"
        );
        let bytes = axum::body::to_bytes(resp.into_body(), usize::MAX)
            .await
            .unwrap();
        let html = String::from_utf8(bytes.to_vec()).unwrap();
        assert!(html.contains("<title>该域名已暂停解析</title>"), "{html}");
        assert!(
            html.contains("O&#x27;Brien &lt;script&gt;alert(1)"),
            "{html}"
        );
        assert!(!html.contains("<script>"), "{html}");
    }

    #[test]
    fn the_kept_path_joins_the_target_cleanly() {
        assert_eq!(
            keep_path("https://a.cn/x/", "/p", Some("q=1")),
            "https://a.cn/x/p?q=1"
        );
        assert_eq!(
            keep_path("https://a.cn/?s=2#top", "/p", Some("q=1")),
            "https://a.cn/p?s=2&q=1#top"
        );
        assert_eq!(keep_path("https://a.cn", "/", None), "https://a.cn/");
    }

    #[test]
    fn hosts_unicode_ace_ports_and_junk() {
        let mut h = HeaderMap::new();
        h.insert(
            header::HOST,
            HeaderValue::from_str("靖远县财政局.政务:8081").unwrap(),
        );
        let ace = host_key(&h).unwrap();
        assert!(
            ace.starts_with("xn--") && ace.ends_with(".xn--zfr164b"),
            "{ace}"
        );
        h.insert(
            header::HOST,
            HeaderValue::from_str(&format!("{}.", ace.to_uppercase())).unwrap(),
        );
        assert_eq!(host_key(&h).unwrap(), ace);
        h.insert(header::HOST, HeaderValue::from_static(""));
        assert_eq!(host_key(&h), None);
        assert_eq!(host_key(&HeaderMap::new()), None);
    }
}

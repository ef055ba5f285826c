//! `/metrics` in the OpenMetrics text format (prometheus-client), for the addresses in
//! `--metrics-allow` only (loopback by default; the socket's peer, never a forwarded header):
//! HTTP requests and latency per route, DNS queries by type and response code and the zone
//! serials served, and, read from the database at each scrape, the outbox by state, the review
//! queues and their overdue items, open 用户问答 questions, badges by state and the checker's
//! progress.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;

use axum::extract::{ConnectInfo, MatchedPath, Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

use crate::clock::SharedClock;
use crate::store::{Db, metrics};

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct HttpLabels {
    method: &'static str,
    route: &'static str,
    status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RouteLabels {
    route: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct DnsLabels {
    qtype: String,
    rcode: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ZoneLabels {
    zone: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct KeyLabels {
    key: String,
}

/// The DNS role's counters and zones, when this process serves DNS.
#[derive(Clone)]
pub struct DnsSource {
    pub stats: Arc<govsite_dns::stats::QueryStats>,
    pub zones: govsite_dns::server::Shared,
}

impl std::fmt::Debug for DnsSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DnsSource").finish_non_exhaustive()
    }
}

/// Everything the endpoint reports; cheap to clone.
#[derive(Clone)]
pub struct Metrics {
    inner: Arc<Inner>,
}

struct Inner {
    registry: Registry,
    requests: Family<HttpLabels, Counter>,
    seconds: Family<RouteLabels, Histogram>,
    dns_queries: Family<DnsLabels, Gauge>,
    zone_serial: Family<ZoneLabels, Gauge>,
    outbox: Family<KeyLabels, Gauge>,
    reviews: Family<KeyLabels, Gauge>,
    questions: Family<KeyLabels, Gauge>,
    badges: Family<KeyLabels, Gauge>,
    checker: Family<KeyLabels, Gauge>,
    allow: Vec<ipnet::IpNet>,
    dns: Option<DnsSource>,
    db: Db,
    clock: SharedClock,
}

impl Metrics {
    pub fn new(
        db: Db,
        clock: SharedClock,
        allow: Vec<ipnet::IpNet>,
        dns: Option<DnsSource>,
    ) -> Self {
        let mut registry = Registry::with_prefix("govsite");
        let requests = Family::<HttpLabels, Counter>::default();
        registry.register(
            "http_requests",
            "HTTP requests answered, by method, route and status",
            requests.clone(),
        );
        let seconds = Family::<RouteLabels, Histogram>::new_with_constructor(|| {
            Histogram::new(exponential_buckets(0.0005, 2.0, 16))
        });
        registry.register(
            "http_request_duration_seconds",
            "Time to answer, by route",
            seconds.clone(),
        );
        let gauge = |registry: &mut Registry, name: &str, help: &str| {
            let f = Family::<KeyLabels, Gauge>::default();
            registry.register(name, help, f.clone());
            f
        };
        let dns_queries = Family::<DnsLabels, Gauge>::default();
        registry.register(
            "dns_queries",
            "DNS queries answered since start, by question type and response code",
            dns_queries.clone(),
        );
        let zone_serial = Family::<ZoneLabels, Gauge>::default();
        registry.register(
            "dns_zone_serial",
            "SOA serial served, by zone",
            zone_serial.clone(),
        );
        let outbox = gauge(&mut registry, "outbox_messages", "Outbox messages by state");
        let reviews = gauge(
            &mut registry,
            "review_queue",
            "Applications waiting for review, by stage, and those past their time limit",
        );
        let questions = gauge(
            &mut registry,
            "questions",
            "用户问答 questions by state, and open ones past their reply limit",
        );
        let badges = gauge(&mut registry, "badges", "Issued badges by state");
        let checker = gauge(
            &mut registry,
            "badge_checker",
            "The mount checker: sites visited in the last day, and seconds since its last visit",
        );
        Self {
            inner: Arc::new(Inner {
                registry,
                requests,
                seconds,
                dns_queries,
                zone_serial,
                outbox,
                reviews,
                questions,
                badges,
                checker,
                allow,
                dns,
                db,
                clock,
            }),
        }
    }

    fn allowed(&self, peer: std::net::IpAddr) -> bool {
        self.inner.allow.iter().any(|n| n.contains(&peer))
    }

    /// Reads the figures that live in the database and the DNS role into the gauges.
    async fn refresh(&self) -> Result<(), crate::store::StoreError> {
        let i = &self.inner;
        let now = i.clock.now();
        let today = govsite_core::deadline::cst_date(now).to_string();
        let set = |family: &Family<KeyLabels, Gauge>, rows: Vec<(String, i64)>| {
            family.clear();
            for (key, n) in rows {
                family.get_or_create(&KeyLabels { key }).set(n);
            }
        };
        set(&i.outbox, metrics::outbox(&i.db).await?);
        let all = crate::store::dashboard::Area { lo: 0, hi: 999_999 };
        set(
            &i.reviews,
            crate::store::dashboard::reviews(&i.db, all, &today).await?,
        );
        set(&i.questions, metrics::questions(&i.db, &today).await?);
        set(&i.badges, metrics::badges(&i.db).await?);
        let (sites, last) = metrics::checker(&i.db, now - 86_400).await?;
        set(
            &i.checker,
            vec![
                ("sites_visited_last_day".to_owned(), sites),
                (
                    "seconds_since_last_visit".to_owned(),
                    last.map_or(-1, |t| now - t),
                ),
            ],
        );
        if let Some(dns) = &i.dns {
            for (qtype, rcode, n) in dns.stats.snapshot() {
                i.dns_queries
                    .get_or_create(&DnsLabels {
                        qtype: qtype.to_owned(),
                        rcode: rcode.to_owned(),
                    })
                    .set(n as i64);
            }
            let zones = govsite_dns::server::read(&dns.zones);
            for z in &zones.zones {
                i.zone_serial
                    .get_or_create(&ZoneLabels {
                        zone: z.suffix.label().trim_start_matches('.').to_owned(),
                    })
                    .set(i64::from(z.serial()));
            }
        }
        Ok(())
    }
}

/// Counts every request by the route that answered it, and times it.
pub async fn track(State(metrics): State<Metrics>, req: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = method_label(req.method());
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map_or("unmatched", |p| route_label(p.as_str()));
    let resp = next.run(req).await;
    let i = &metrics.inner;
    i.requests
        .get_or_create(&HttpLabels {
            method,
            route,
            status: resp.status().as_u16(),
        })
        .inc();
    i.seconds
        .get_or_create(&RouteLabels { route })
        .observe(started.elapsed().as_secs_f64());
    resp
}

/// The method as a label, without an allocation per request.
fn method_label(m: &axum::http::Method) -> &'static str {
    use axum::http::Method;
    match *m {
        Method::GET => "GET",
        Method::HEAD => "HEAD",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::DELETE => "DELETE",
        Method::OPTIONS => "OPTIONS",
        _ => "OTHER",
    }
}

/// A matched route template as a label. The templates are the router's own (a fixed set of a
/// few hundred), each kept once for the life of the process, so the badge and every other
/// path count a request without allocating.
fn route_label(route: &str) -> &'static str {
    use std::collections::HashSet;
    use std::sync::{LazyLock, RwLock};
    static ROUTES: LazyLock<RwLock<HashSet<&'static str>>> = LazyLock::new(Default::default);
    if let Some(known) = ROUTES.read().ok().and_then(|r| r.get(route).copied()) {
        return known;
    }
    let Ok(mut routes) = ROUTES.write() else {
        return "unmatched";
    };
    if let Some(known) = routes.get(route) {
        return known;
    }
    let kept: &'static str = Box::leak(route.to_owned().into_boxed_str());
    routes.insert(kept);
    kept
}

/// `GET /metrics`: the figures for an allowed address, 404 for anyone else.
pub async fn endpoint(
    State(metrics): State<Metrics>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
) -> Response {
    if !metrics.allowed(peer.ip()) {
        return StatusCode::NOT_FOUND.into_response();
    }
    if let Err(e) = metrics.refresh().await {
        tracing::warn!(error = %e, "metrics: database figures not read");
        return StatusCode::SERVICE_UNAVAILABLE.into_response();
    }
    let mut body = String::new();
    if encode(&mut body, &metrics.inner.registry).is_err() {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    }
    (
        [(
            header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        body,
    )
        .into_response()
}

//! Every issued badge in memory, with its script's bytes made in advance (plain, gzip and
//! brotli, with an ETag), so that a page view costs a hash lookup and an atomic increment.
//! The book follows `site_changes` (filled by triggers on `sites`) every half second and
//! rebuilds only the sites listed there, with a full reload every five minutes as a safety
//! net; hits are counted in memory and written in batches, never one database write per view.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock, RwLock};
use std::time::Duration;

use govsite_core::badge_state::BadgeState;
use govsite_core::deadline::cst_date;
use govsite_core::ids::SiteId;
use tokio::sync::watch;

use super::art::{self, Colour, Variant};
pub use crate::static_body::Encoded;
use crate::store::badge_book::{self, BookRow, SiteChanges};
use crate::store::changes::Follower;
use crate::store::{Db, StoreResult};

/// An issued badge as the hot path needs it.
#[derive(Debug)]
pub struct Entry {
    pub site_id: SiteId,
    pub colour: Colour,
    /// Valid, Suspended or Revoked (Mismatch is decided per request).
    pub state: Variant,
    /// Registered hosts, lower case: the Chinese domain (ACE and Unicode), the English one.
    pub hosts: Vec<String>,
    pub script: Encoded,
    pub hits: AtomicU64,
}

impl Entry {
    /// Whether a page on `host` may show this badge: exactly one of its registered hosts,
    /// with or without `www.`; not any other name under them (a registered `gov.cn`-like
    /// name would otherwise lend the badge to every site below it).
    pub fn allows(&self, host: &str) -> bool {
        fn bare(h: &str) -> &str {
            h.strip_prefix("www.").unwrap_or(h)
        }
        let host = bare(host);
        self.hosts.iter().any(|h| bare(h) == host)
    }
}

/// The eight static images, made once per process.
#[derive(Debug)]
pub struct Images {
    pub svg: HashMap<(Colour, Variant), Encoded>,
    pub png: HashMap<(Colour, Variant), Encoded>,
}

pub fn images() -> &'static Images {
    static IMAGES: OnceLock<Images> = OnceLock::new();
    IMAGES.get_or_init(|| {
        let pngs = art::png_all().unwrap_or_default();
        let mut svg = HashMap::new();
        let mut png = HashMap::new();
        for (i, pair) in art::pairs().into_iter().enumerate() {
            svg.insert(pair, Encoded::new(art::svg(pair.0, pair.1).into_bytes()));
            if let Some(p) = pngs.get(i) {
                png.insert(pair, Encoded::new(p.clone()));
            }
        }
        Images { svg, png }
    })
}

/// Hot-link observations kept before a flush, at most this many distinct (site, host).
const HOTLINK_KEYS: usize = 10_000;
/// Distinct hosts kept per site between two flushes.
const HOSTS_PER_SITE: usize = 20;

#[derive(Debug)]
pub struct Book {
    public_url: String,
    badges: RwLock<HashMap<Box<str>, Arc<Entry>>>,
    hotlinks: Mutex<HashMap<(SiteId, String), u64>>,
}

impl Book {
    pub fn new(public_url: &str) -> Self {
        Self {
            public_url: public_url.trim_end_matches('/').to_owned(),
            badges: RwLock::new(HashMap::new()),
            hotlinks: Mutex::new(HashMap::new()),
        }
    }

    pub fn get(&self, code: &str) -> Option<Arc<Entry>> {
        self.badges
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .get(code)
            .cloned()
    }

    /// The plain script of a badge (for tests and the benchmark's check).
    pub fn script_of(&self, code: &str) -> Option<String> {
        self.get(code)
            .map(|e| String::from_utf8_lossy(&e.script.raw).into_owned())
    }

    pub fn len(&self) -> usize {
        self.badges.read().unwrap_or_else(|e| e.into_inner()).len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Notes a page on `host` showing a badge it is not registered for. Referers can be
    /// forged, so what one flush writes is bounded: at most [`HOSTS_PER_SITE`] hosts per site
    /// (the rest are counted together as "其他"), and [`HOTLINK_KEYS`] in all.
    pub fn hotlink(&self, site_id: SiteId, host: &str) {
        let mut map = self.hotlinks.lock().unwrap_or_else(|e| e.into_inner());
        let mut host: String = host.chars().take(100).collect();
        if !map.contains_key(&(site_id, host.clone()))
            && map.keys().filter(|(s, _)| *s == site_id).count() >= HOSTS_PER_SITE
        {
            host = "其他".to_owned();
        }
        if map.len() < HOTLINK_KEYS || map.contains_key(&(site_id, host.clone())) {
            *map.entry((site_id, host)).or_default() += 1;
        }
    }

    fn entry(&self, r: BookRow) -> (Box<str>, Entry) {
        let colour = if r.public_institution {
            Colour::Blue
        } else {
            Colour::Red
        };
        let state = match r.badge_state {
            Some(BadgeState::Issued | BadgeState::Mounted | BadgeState::Overdue) => Variant::Valid,
            Some(BadgeState::Suspended) => Variant::Suspended,
            // An unknown stored state (logged by the store) is never shown as valid.
            Some(BadgeState::Revoked) | None => Variant::Revoked,
        };
        let mut hosts: Vec<String> = [&r.domain_ace, &r.domain_label, &r.english_domain]
            .into_iter()
            .map(|h| h.trim().trim_end_matches('.').to_lowercase())
            .filter(|h| !h.is_empty())
            .collect();
        if r.red_page {
            hosts.extend(host_of(&self.public_url));
            // The names that show the red page through the forwarding role, both forms.
            for ace in &r.red_page_names {
                hosts.push(ace.to_lowercase());
                let (unicode, _) = idna::domain_to_unicode(ace);
                hosts.push(unicode.to_lowercase());
            }
        }
        hosts.dedup();
        let script = Encoded::new(
            script(&self.public_url, &r.badge_code, colour, state, &hosts).into_bytes(),
        );
        (
            r.badge_code.into_boxed_str(),
            Entry {
                site_id: r.site_id,
                colour,
                state,
                hosts,
                script,
                hits: AtomicU64::new(0),
            },
        )
    }

    /// Replaces the whole book from the database. Returns a follower of `site_changes` taken
    /// before reading, so that a change committed during the load is applied again after it.
    pub async fn load_all(&self, db: &Db) -> StoreResult<Follower<SiteChanges>> {
        let follower = Follower::now(db).await?;
        let rows = badge_book::all(db).await?;
        let mut map = HashMap::with_capacity(rows.len());
        for r in rows {
            let (code, entry) = self.entry(r);
            map.insert(code, Arc::new(entry));
        }
        let old = std::mem::replace(
            &mut *self.badges.write().unwrap_or_else(|e| e.into_inner()),
            map,
        );
        self.keep_hits(old);
        Ok(follower)
    }

    /// Rebuilds the badges of these sites from the database.
    pub async fn reload_sites(&self, db: &Db, ids: &[SiteId]) -> StoreResult<()> {
        for chunk in ids.chunks(500) {
            let fresh: Vec<_> = badge_book::of_sites(db, chunk)
                .await?
                .into_iter()
                .map(|r| self.entry(r))
                .collect();
            let mut map = self.badges.write().unwrap_or_else(|e| e.into_inner());
            for (code, entry) in fresh {
                if let Some(old) = map.get(&code) {
                    entry
                        .hits
                        .store(old.hits.swap(0, Ordering::Relaxed), Ordering::Relaxed);
                }
                map.insert(code, Arc::new(entry));
            }
        }
        Ok(())
    }

    /// Hits still counted on entries that were replaced wholesale are not lost: they go to
    /// the entries now in the book (same code) or are dropped if the badge vanished.
    fn keep_hits(&self, old: HashMap<Box<str>, Arc<Entry>>) {
        let map = self.badges.read().unwrap_or_else(|e| e.into_inner());
        for (code, e) in old {
            let n = e.hits.swap(0, Ordering::Relaxed);
            if n > 0
                && let Some(now) = map.get(&code)
            {
                now.hits.fetch_add(n, Ordering::Relaxed);
            }
        }
    }

    /// Writes the counted hits and hot-links, one statement per badge and day.
    pub async fn flush(&self, db: &Db, day: &str) -> StoreResult<usize> {
        let counts: Vec<(SiteId, u64)> = self
            .badges
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .values()
            .filter_map(|e| {
                let n = e.hits.swap(0, Ordering::Relaxed);
                (n > 0).then_some((e.site_id, n))
            })
            .collect();
        let hotlinks: Vec<((SiteId, String), u64)> =
            std::mem::take(&mut *self.hotlinks.lock().unwrap_or_else(|e| e.into_inner()))
                .into_iter()
                .collect();
        if counts.is_empty() && hotlinks.is_empty() {
            return Ok(0);
        }
        badge_book::add_hits(db, day, &counts, &hotlinks).await?;
        Ok(counts.len() + hotlinks.len())
    }
}

/// The host of a URL, lower case, without port or trailing dot.
pub fn host_of(url: &str) -> Option<String> {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let authority = rest.split(['/', '?', '#']).next()?;
    let authority = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    let host = if authority.starts_with('[') {
        authority.split(']').next()?.trim_start_matches('[')
    } else {
        authority.split(':').next()?
    };
    let host = host.trim_end_matches('.').to_lowercase();
    (!host.is_empty()).then_some(host)
}

/// The script a page loads. It reads nothing but `location.hostname`, writes no markup
/// (`document.write` is never used), sets no inline event handlers, and only adds an `<a>`
/// with an `<img>` from our host just after itself, centred: safe under a strict
/// Content-Security-Policy that allows our host for scripts and images.
pub fn script(base: &str, code: &str, colour: Colour, state: Variant, hosts: &[String]) -> String {
    let hosts = serde_json::to_string(hosts).unwrap_or_else(|_| "[]".into());
    format!(
        "/* {alt} {code}: {base}/v/{code} */\n\
(function () {{\n\
  var b = {{ code: \"{code}\", state: \"{state}\", colour: \"{colour}\", hosts: {hosts}, base: \"{base}\", alt: \"{alt}\" }};\n\
  var h = String(location.hostname || \"\").toLowerCase().replace(/\\.$/, \"\");\n\
  var ok = b.hosts.some(function (x) {{ return h === x || (h.length > x.length && h.slice(-x.length - 1) === \".\" + x); }});\n\
  var v = b.state !== \"valid\" ? b.state : (ok ? \"valid\" : \"mismatch\");\n\
  var d = document, me = d.currentScript;\n\
  var box = d.createElement(\"div\");\n\
  box.className = \"govsite-badge\";\n\
  box.style.textAlign = \"center\"; box.style.clear = \"both\"; box.style.margin = \"8px auto\";\n\
  var a = d.createElement(\"a\");\n\
  a.href = b.base + \"/v/\" + b.code; a.target = \"_blank\"; a.rel = \"noopener\";\n\
  a.title = b.alt + \"：点击查看核验信息\";\n\
  var i = d.createElement(\"img\");\n\
  i.src = b.base + \"/b/static/\" + b.colour + \"-\" + v + \".svg\"; i.alt = b.alt + (v === \"valid\" ? \"\" : \"（\" + {{ suspended: \"已暂停\", revoked: \"已注销\", mismatch: \"与本网站不符\" }}[v] + \"）\");\n\
  i.width = 110; i.height = 55; i.style.border = \"0\";\n\
  a.appendChild(i); box.appendChild(a);\n\
  if (me && me.parentNode && me.parentNode !== d.head) me.parentNode.insertBefore(box, me.nextSibling);\n\
  else (d.body || d.documentElement).appendChild(box);\n\
}})();\n",
        alt = colour.alt(),
        state = state.as_str(),
        colour = colour.as_str(),
    )
}

/// Follows `site_changes` with `follower` (what [`Book::load_all`] returned; `None` when the
/// load at start failed, and it is tried again at each tick) and flushes hits until `stop`,
/// then flushes once more.
pub async fn run(
    db: Db,
    book: Arc<Book>,
    clock: crate::clock::SharedClock,
    mut follower: Option<Follower<SiteChanges>>,
    mut stop: watch::Receiver<bool>,
) {
    let mut tick = tokio::time::interval(Duration::from_millis(500));
    let mut n: u64 = 0;
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            _ = stop.changed() => break,
        }
        n += 1;
        let result = if follower.is_none() || n.is_multiple_of(600) {
            // A safety net, and the old changes go.
            // `site_changes.at` is written by the database in real time, not by the clock.
            let _ = badge_book::prune_changes(&db, chrono::Utc::now().timestamp() - 3600).await;
            book.load_all(&db).await.map(|f| follower = Some(f))
        } else if let Some(follower) = follower.as_mut() {
            match follower.poll(&db).await {
                Ok(sites) if sites.is_empty() => Ok(()),
                Ok(sites) => book.reload_sites(&db, &sites).await,
                Err(e) => Err(e),
            }
        } else {
            Ok(())
        };
        if let Err(e) = result {
            tracing::warn!(error = %e, "badge book refresh failed");
        }
        if n.is_multiple_of(20) {
            let day = cst_date(clock.now()).to_string();
            if let Err(e) = book.flush(&db, &day).await {
                tracing::warn!(error = %e, "badge hits flush failed");
            }
        }
    }
    let day = cst_date(clock.now()).to_string();
    let _ = book.flush(&db, &day).await;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts_and_urls() {
        assert_eq!(
            host_of("https://WWW.Jingyuan.gov.cn:8443/a?b").as_deref(),
            Some("www.jingyuan.gov.cn")
        );
        assert_eq!(
            host_of("http://user@[2001:db8::1]:80/").as_deref(),
            Some("2001:db8::1")
        );
        assert_eq!(host_of("").as_deref(), None);
        let e = Entry {
            site_id: SiteId::new(1),
            colour: Colour::Red,
            state: Variant::Valid,
            hosts: vec!["jingyuan.gov.cn".into()],
            script: Encoded::new(b"x".to_vec()),
            hits: AtomicU64::new(0),
        };
        assert!(e.allows("jingyuan.gov.cn") && e.allows("www.jingyuan.gov.cn"));
        assert!(!e.allows("evil-jingyuan.gov.cn") && !e.allows("gov.cn"));
        assert!(
            !e.allows("news.jingyuan.gov.cn") && !e.allows("x.www.jingyuan.gov.cn"),
            "not every name under a registered host"
        );
    }

    #[test]
    fn encodings_round_trip() {
        let body = script(
            "https://x.example",
            "CA620040021000000010001",
            Colour::Red,
            Variant::Valid,
            &["a.example".into()],
        );
        assert!(!body.contains("document.write"));
        let e = Encoded::new(body.clone().into_bytes());
        let mut out = String::new();
        std::io::Read::read_to_string(&mut flate2::read::GzDecoder::new(&e.gzip()[..]), &mut out)
            .unwrap();
        assert_eq!(out, body);
        let mut out = Vec::new();
        brotli::BrotliDecompress(&mut &e.br()[..], &mut out).unwrap();
        assert_eq!(out, body.as_bytes());
        assert!(e.br().len() < body.len() && e.gzip().len() < body.len());
    }
}

//! Every published red page in memory, found by slug (a Chinese name of the unit, or its
//! 用户账号) or by unit. Each page is rendered on its first request after a publication and
//! kept with its ETag and compressed copies, so a view costs two hash lookups. The book
//! follows `red_page_changes` (filled by triggers on red pages, red-page sites and names)
//! every half second and reloads only the units listed, with a full reload every ten minutes.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use govsite_core::badge_state::BadgeState;
use govsite_core::ids::UnitId;
use tokio::sync::watch;

use super::render::{self, BadgeMark, Frame, PagePath};
use crate::static_body::Encoded;
use crate::store::changes::Follower;
use crate::store::red_pages::{self, Published, RedPageChanges};
use crate::store::{Db, StoreResult};

/// Which host a page is served on: the web role under `/r/{slug}/`, or the unit's own name
/// through the forwarding role (at `/`, the badge and verification from the web role).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Place {
    Web,
    OwnName,
}

/// One published red page.
#[derive(Debug)]
pub struct Shelf {
    pub published: Published,
    /// The slug of its links: its first name in Unicode, else the unit's 用户账号.
    pub slug: String,
    /// The slugs that find it (names in ACE and Unicode, lower case; the login).
    keys: Vec<String>,
    rendered: Mutex<HashMap<(Place, PagePath), Arc<Encoded>>>,
}

impl Shelf {
    fn new(published: Published) -> Self {
        let mut keys = Vec::new();
        let mut first_unicode = None;
        for ace in &published.names {
            let (unicode, _) = idna::domain_to_unicode(ace);
            keys.push(ace.to_lowercase());
            keys.push(unicode.to_lowercase());
            first_unicode.get_or_insert(unicode);
        }
        if !published.login.is_empty() {
            keys.push(published.login.to_lowercase());
        }
        keys.dedup();
        let slug = first_unicode.unwrap_or_else(|| published.login.clone());
        Self {
            published,
            slug,
            keys,
            rendered: Mutex::new(HashMap::new()),
        }
    }

    /// The badge this page carries: the red-page site's, once issued and not revoked.
    pub fn badge(&self) -> Option<BadgeMark> {
        match &self.published.badge {
            Some((code, state)) if *state != BadgeState::Revoked => Some(BadgeMark {
                code: code.clone(),
                blue: self.published.public_institution,
            }),
            _ => None,
        }
    }
}

/// `/r/{slug}/` with the slug percent-encoded.
pub fn web_base(slug: &str) -> String {
    let encoded: String = form_urlencoded::byte_serialize(slug.as_bytes())
        .collect::<String>()
        .replace('+', "%20");
    format!("/r/{encoded}/")
}

#[derive(Debug)]
pub struct RedPages {
    /// The platform's public URL, without a trailing `/`.
    public_url: String,
    units: RwLock<HashMap<UnitId, Arc<Shelf>>>,
    slugs: RwLock<HashMap<String, UnitId>>,
}

impl RedPages {
    pub fn new(public_url: &str) -> Self {
        Self {
            public_url: public_url.trim_end_matches('/').to_owned(),
            units: RwLock::default(),
            slugs: RwLock::default(),
        }
    }

    /// The published page of `unit`.
    pub fn of_unit(&self, unit: UnitId) -> Option<Arc<Shelf>> {
        self.units
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .get(&unit)
            .cloned()
    }

    /// The published page a slug names: a Chinese name (Unicode or ACE, any case) or a login.
    pub fn by_slug(&self, slug: &str) -> Option<Arc<Shelf>> {
        let key = slug.trim().trim_end_matches('.').to_lowercase();
        let unit = {
            let slugs = self.slugs.read().unwrap_or_else(|e| e.into_inner());
            slugs.get(&key).copied().or_else(|| {
                let ace = idna::domain_to_ascii(&key).ok()?;
                slugs.get(&ace).copied()
            })
        }?;
        self.of_unit(unit)
    }

    pub fn len(&self) -> usize {
        self.units.read().unwrap_or_else(|e| e.into_inner()).len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The bytes of one HTML page of `shelf` for `place`, rendered on first request.
    pub fn page(&self, shelf: &Shelf, place: Place, path: &PagePath) -> Option<Arc<Encoded>> {
        let key = (place, path.clone());
        if let Some(hit) = shelf
            .rendered
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(&key)
        {
            return Some(hit.clone());
        }
        let frame = self.frame(shelf, place);
        let html = render::page(&shelf.published.content, &frame, path)?;
        let body = Arc::new(Encoded::new(html.into_bytes()));
        shelf
            .rendered
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(key, body.clone());
        Some(body)
    }

    fn frame(&self, shelf: &Shelf, place: Place) -> Frame {
        let web_base = web_base(&shelf.slug);
        let canonical = Some(format!("{}{web_base}", self.public_url));
        match place {
            Place::Web => Frame {
                base: web_base,
                web: String::new(),
                canonical,
                preview: None,
                badge: shelf.badge(),
            },
            Place::OwnName => Frame {
                base: "/".to_owned(),
                web: self.public_url.clone(),
                canonical,
                preview: None,
                badge: shelf.badge(),
            },
        }
    }

    /// The platform's origin (scheme, host, port), for the own-name pages' policy.
    pub fn public_url(&self) -> &str {
        &self.public_url
    }

    fn put(&self, shelf: Shelf) {
        let unit = shelf.published.unit_id;
        let shelf = Arc::new(shelf);
        let old = self
            .units
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .insert(unit, shelf.clone());
        let mut slugs = self.slugs.write().unwrap_or_else(|e| e.into_inner());
        if let Some(old) = old {
            for k in &old.keys {
                // A name that moved to another unit keeps finding that unit.
                if slugs.get(k) == Some(&unit) {
                    slugs.remove(k);
                }
            }
        }
        for k in &shelf.keys {
            slugs.insert(k.clone(), unit);
        }
    }

    fn remove(&self, unit: UnitId) {
        let old = self
            .units
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .remove(&unit);
        if let Some(old) = old {
            let mut slugs = self.slugs.write().unwrap_or_else(|e| e.into_inner());
            for k in &old.keys {
                if slugs.get(k) == Some(&unit) {
                    slugs.remove(k);
                }
            }
        }
    }

    /// Replaces the whole book; returns a follower taken before reading.
    pub async fn load_all(&self, db: &Db) -> StoreResult<Follower<RedPageChanges>> {
        let follower = Follower::now(db).await?;
        let all = red_pages::published(db, None).await?;
        let mut units = HashMap::with_capacity(all.len());
        let mut slugs = HashMap::new();
        for p in all {
            let shelf = Shelf::new(p);
            for k in &shelf.keys {
                slugs.insert(k.clone(), shelf.published.unit_id);
            }
            units.insert(shelf.published.unit_id, Arc::new(shelf));
        }
        *self.units.write().unwrap_or_else(|e| e.into_inner()) = units;
        *self.slugs.write().unwrap_or_else(|e| e.into_inner()) = slugs;
        Ok(follower)
    }

    /// Reloads these units (a unit whose page is no longer published leaves the book).
    pub async fn reload(&self, db: &Db, units: &[UnitId]) -> StoreResult<()> {
        let mut seen = std::collections::HashSet::new();
        for unit in units.iter().filter(|u| seen.insert(**u)) {
            match red_pages::published(db, Some(*unit)).await?.pop() {
                Some(p) => self.put(Shelf::new(p)),
                None => self.remove(*unit),
            }
        }
        Ok(())
    }
}

/// Follows `red_page_changes` until `stop`: every half second the units changed, every ten
/// minutes (and after a failed load) everything.
pub async fn run(
    db: Db,
    book: Arc<RedPages>,
    mut follower: Option<Follower<RedPageChanges>>,
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
        let result = if follower.is_none() || n.is_multiple_of(1200) {
            let _ = red_pages::prune_changes(&db, chrono::Utc::now().timestamp() - 3600).await;
            book.load_all(&db).await.map(|f| follower = Some(f))
        } else if let Some(follower) = follower.as_mut() {
            match follower.poll(&db).await {
                Ok(units) if units.is_empty() => Ok(()),
                Ok(units) => book.reload(&db, &units).await,
                Err(e) => Err(e),
            }
        } else {
            Ok(())
        };
        if let Err(e) = result {
            tracing::warn!(error = %e, "red page book refresh failed");
        }
    }
}

/// A loaded book and its follower running until `stop` (a failed first load is retried by
/// the follower).
pub async fn start(db: &Db, public_url: &str, stop: watch::Receiver<bool>) -> Arc<RedPages> {
    let book = Arc::new(RedPages::new(public_url));
    let follower = match book.load_all(db).await {
        Ok(f) => Some(f),
        Err(e) => {
            tracing::warn!(error = %e, "red pages not loaded at start; retrying");
            None
        }
    };
    tokio::spawn(run(db.clone(), book.clone(), follower, stop));
    book
}

//! The DNS role: both zones loaded from the database at start, kept current by following
//! `zone_changes` (only the changed names are reloaded), served by `govsite_dns`, with NOTIFY
//! to the secondaries after each change.

use std::collections::BTreeMap;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use anyhow::Context;
use govsite_core::org_type::Suffix;
use govsite_core::zone::Entry;
use govsite_dns::server::{self, Running, Shared};
use govsite_dns::zone::{Zone, Zones};
use tokio::sync::watch;

use crate::config::{ApexArgs, DnsArgs};
use crate::store::{Db, StoreResult};
use crate::zone;
use crate::zone_feed::{Change, Cursor};

const SUFFIXES: [Suffix; 2] = [Suffix::Zhengwu, Suffix::Gongyi];
/// How often the change table is read: changes are answered well within a second.
pub const POLL: Duration = Duration::from_millis(200);
/// A batch naming more names than this reloads the whole zone instead of each name.
const RELOAD_ABOVE: usize = 2_000;

/// The running role: its address and the zones (tests read their serials).
pub struct Dns {
    pub server: Running,
    pub zones: Shared,
}

/// Both zones from the database, in one pass over the names.
async fn load_all(db: &Db, apex: &ApexArgs) -> StoreResult<Vec<Zone>> {
    let started = Instant::now();
    let mut zones = Vec::with_capacity(SUFFIXES.len());
    for suffix in SUFFIXES {
        let serial = zone::serial(db, suffix).await?;
        zones.push(Zone::new(suffix, &zone::apex(apex, serial)));
    }
    zone::each_live(db, |suffix, e| {
        let index = SUFFIXES.iter().position(|s| *s == suffix).unwrap_or(0);
        if let Err(p) = zones[index].insert(&e) {
            tracing::warn!(name = %format!("{}{}", p.label, suffix.label()), reason = %p.reason, "name left out of the zone");
        }
    })
    .await?;
    for z in &mut zones {
        z.shrink();
        tracing::info!(
            zone = z.suffix.label(),
            names = z.len(),
            serial = z.serial(),
            "zone loaded"
        );
    }
    tracing::info!(
        elapsed_ms = started.elapsed().as_millis() as u64,
        "zones loaded"
    );
    Ok(zones)
}

/// Loads the zones, starts answering on `args.dns`, and follows the database until `stop`.
pub async fn start(
    db: Db,
    args: &DnsArgs,
    apex: &ApexArgs,
    stop: watch::Receiver<bool>,
) -> anyhow::Result<Dns> {
    let mut cursor = Cursor::now(&db).await?;
    let zones = load_all(&db, apex).await?;
    let zones: Shared = Arc::new(RwLock::new(Zones::new(zones)));
    let config = args.server_config()?;
    let notify = config.notify.clone();
    let server = server::start(config, zones.clone())
        .await
        .with_context(|| format!("cannot serve DNS on {}", args.dns))?;
    tracing::info!(addr = %server.addr, "DNS answering");
    let follower = zones.clone();
    let apex = apex.clone();
    tokio::spawn(async move {
        let mut stop = stop;
        // After a failed update the changes already read are not lost: the zones are reloaded
        // whole at the next tick.
        let mut resync = false;
        loop {
            tokio::select! {
                _ = tokio::time::sleep(POLL) => {}
                _ = stop.changed() => return,
            }
            if *stop.borrow() {
                return;
            }
            if resync {
                resync = reload_all(&db, &follower, &apex, &notify).await.is_err();
                continue;
            }
            match cursor.poll(&db).await {
                Ok(changes) if changes.is_empty() => {}
                Ok(changes) => {
                    if let Err(e) = apply(&db, &follower, &apex, &notify, changes).await {
                        tracing::error!(error = %e, "zone update failed; reloading the zones");
                        resync = true;
                    }
                }
                Err(e) => tracing::error!(error = %e, "cannot read zone changes"),
            }
        }
    });
    Ok(Dns { server, zones })
}

/// Applies a batch of changes: each changed name is read again and replaced (or the whole
/// zone reloaded for a large batch), the serial moves on, the secondaries are told.
async fn apply(
    db: &Db,
    zones: &Shared,
    apex: &ApexArgs,
    notify: &[std::net::SocketAddr],
    changes: Vec<Change>,
) -> StoreResult<()> {
    let mut by_zone: BTreeMap<usize, (i64, Vec<Change>)> = BTreeMap::new();
    for c in changes {
        let index = SUFFIXES.iter().position(|s| *s == c.suffix).unwrap_or(0);
        let slot = by_zone.entry(index).or_insert((0, Vec::new()));
        slot.0 = slot.0.max(c.id);
        slot.1.push(c);
    }
    for (index, (latest, mut changes)) in by_zone {
        let suffix = SUFFIXES[index];
        changes.sort_by(|a, b| a.ace.cmp(&b.ace));
        changes.dedup_by(|a, b| a.ace == b.ace);
        if changes.len() > RELOAD_ABOVE {
            drop(changes);
            reload_all(db, zones, apex, notify).await?;
            continue;
        } else {
            let mut now: Vec<(String, Option<Entry>)> = Vec::with_capacity(changes.len());
            for c in &changes {
                now.push((c.label().to_owned(), zone::entry(db, &c.ace).await?));
            }
            let mut all = server::read_mut(zones);
            let zone = &mut all.zones[index];
            for (label, entry) in &now {
                if let Err(p) = zone.put(label, entry.as_ref()) {
                    tracing::warn!(name = %format!("{}{}", p.label, suffix.label()), reason = %p.reason, "name left out of the zone");
                }
            }
            let serial = next_serial(zone.serial(), latest);
            zone.commit(serial);
        }
        tracing::info!(zone = suffix.label(), names = changes.len(), "zone updated");
        server::notify_secondaries(zones, index, notify);
    }
    Ok(())
}

/// Reloads both zones whole from the database.
async fn reload_all(
    db: &Db,
    zones: &Shared,
    apex: &ApexArgs,
    notify: &[std::net::SocketAddr],
) -> StoreResult<()> {
    let fresh = load_all(db, apex).await.inspect_err(|e| {
        tracing::error!(error = %e, "zone reload failed; tried again shortly");
    })?;
    for (index, mut zone) in fresh.into_iter().enumerate() {
        let latest = i64::from(zone.serial());
        let mut all = server::read_mut(zones);
        zone.restart_at(next_serial(all.zones[index].serial(), latest));
        all.zones[index] = zone;
        drop(all);
        server::notify_secondaries(zones, index, notify);
    }
    Ok(())
}

/// The serial after a change numbered `latest`: the change's number, or one more than now if
/// a late commit (PostgreSQL) brings a lower number.
fn next_serial(current: u32, latest: i64) -> u32 {
    let latest = latest as u32;
    if latest.wrapping_sub(current) as i32 > 0 {
        latest
    } else {
        current.wrapping_add(1)
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_serial_always_grows() {
        assert_eq!(super::next_serial(10, 15), 15);
        assert_eq!(super::next_serial(15, 12), 16);
        assert_eq!(super::next_serial(u32::MAX, 3), 3);
    }
}

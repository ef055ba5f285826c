//! The DNS role: both zones loaded from the database at start, kept current by following
//! `zone_changes` (only the changed names are reloaded), served by `govsite_dns`, with NOTIFY
//! to the secondaries after each change.

use std::collections::BTreeMap;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use anyhow::Context;
use govsite_core::org_type::Suffix;
use govsite_dns::server::{self, Running, Shared};
use govsite_dns::zone::{Zone, Zones};
use tokio::sync::watch;

use crate::config::{ApexArgs, DnsArgs};
use crate::store::changes::Follower;
use crate::store::zones::{self as stored, ZoneChange as Change, ZoneChanges};
use crate::store::{Db, StoreResult};
use crate::zone;

const SUFFIXES: [Suffix; 2] = [Suffix::Zhengwu, Suffix::Gongyi];
/// How often the change table is read: changes are answered well within a second.
pub const POLL: Duration = Duration::from_millis(200);

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
        let serial = stored::serial(db, suffix).await?;
        zones.push(Zone::new(suffix, &zone::apex(apex, serial)));
    }
    stored::each_live(db, |suffix, e| {
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
    let mut cursor = Follower::<ZoneChanges>::now(&db).await?;
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
                    if let Err(e) = apply(&db, &follower, &notify, changes).await {
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

/// The zones for writing, without queueing behind readers: a waiting writer would block every
/// UDP thread (std's lock prefers writers) for as long as a transfer holds a read lock.
async fn write_lock(zones: &Shared) -> std::sync::RwLockWriteGuard<'_, Zones> {
    loop {
        let busy = match zones.try_write() {
            Ok(guard) => return guard,
            Err(std::sync::TryLockError::Poisoned(e)) => return e.into_inner(),
            Err(std::sync::TryLockError::WouldBlock) => true,
        };
        if busy {
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
    }
}

/// Applies a batch of changes: the changed names are read again (500 per query) and
/// replaced, the serial moves on, the secondaries are told.
async fn apply(
    db: &Db,
    zones: &Shared,
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
        let aces: Vec<String> = changes.iter().map(|c| c.ace.clone()).collect();
        let mut now = stored::entries_by_ace(db, &aces).await?;
        let current = server::read(zones).zones[index].serial();
        let serial = serial_after(db, suffix, current, latest).await?;
        let mut all = write_lock(zones).await;
        let zone = &mut all.zones[index];
        for c in &changes {
            if let Err(p) = zone.put(c.label(), now.remove(&c.ace).as_ref()) {
                tracing::warn!(name = %format!("{}{}", p.label, suffix.label()), reason = %p.reason, "name left out of the zone");
            }
        }
        zone.commit(serial);
        drop(all);
        tracing::info!(
            zone = suffix.label(),
            names = changes.len(),
            serial,
            "zone updated"
        );
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
        let current = server::read(zones).zones[index].serial();
        let serial = serial_after(db, SUFFIXES[index], current, i64::from(zone.serial())).await?;
        zone.restart_at(serial);
        write_lock(zones).await.zones[index] = zone;
        server::notify_secondaries(zones, index, notify);
    }
    Ok(())
}

/// The serial after a change numbered `latest`: that number if it is newer than `current`
/// (RFC 1982), else a fresh number from the database (a late PostgreSQL commit).
async fn serial_after(db: &Db, suffix: Suffix, current: u32, latest: i64) -> StoreResult<u32> {
    if newer(latest as u32, current) {
        Ok(latest as u32)
    } else {
        stored::bump_serial(db, suffix).await
    }
}

fn newer(a: u32, b: u32) -> bool {
    a != b && (a.wrapping_sub(b) as i32) > 0
}

#[cfg(test)]
mod tests {
    #[test]
    fn serial_arithmetic() {
        assert!(super::newer(15, 10));
        assert!(!super::newer(12, 15));
        assert!(!super::newer(15, 15));
        assert!(super::newer(3, u32::MAX));
    }
}

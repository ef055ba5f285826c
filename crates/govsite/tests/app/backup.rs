//! `govsite backup` while the service runs and writes, `govsite restore` into a fresh place,
//! and every table compared: the quiet ones row for row, the busy ones as a consistent earlier
//! state (every restored row as it is in the source, the audit chain holding).

use std::collections::HashSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use govsite::store::audit::{self, Actor, Event};
use govsite::store::{Db, backup};
use sqlx::Row;

use crate::helpers::{TestApp, fresh_database_url};

/// Tables that the service's own background work or the test's writer changes while the
/// backup runs.
const BUSY: [&str; 5] = [
    "audit_events",
    "audit_chain",
    "outbox",
    "one_time_tokens",
    "sessions",
];

async fn govsite(args: &[&str]) -> std::process::Output {
    tokio::process::Command::new(env!("CARGO_BIN_EXE_govsite"))
        .args(args)
        .env("GOVSITE_LOG", "warn")
        .output()
        .await
        .unwrap()
}

async fn audit_rows(db: &Db) -> HashSet<(i64, String, String)> {
    sqlx::query("SELECT id, action, reason FROM audit_events")
        .fetch_all(db.pool())
        .await
        .unwrap()
        .iter()
        .map(|r| (r.get("id"), r.get("action"), r.get("reason")))
        .collect()
}

#[tokio::test]
async fn a_busy_database_is_backed_up_and_restored_table_for_table() {
    let app = TestApp::spawn().await;
    govsite::demo::load(&app.db, &app.base, 30).await.unwrap();

    // A writer keeps recording while the backup runs.
    let stop = Arc::new(AtomicBool::new(false));
    let writer = {
        let (db, stop, now) = (app.db.clone(), stop.clone(), app.clock_now());
        tokio::spawn(async move {
            let mut n = 0;
            while !stop.load(Ordering::Relaxed) {
                let event = Event {
                    action: "sign_in_failed",
                    subject_type: "account",
                    subject_id: n.to_string(),
                    reason: "backup test",
                    ..Event::default()
                };
                audit::record_alone(&db, &Actor::system("writer"), &event, now)
                    .await
                    .unwrap();
                n += 1;
            }
            n
        })
    };
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("govsite.backup");
    let file_arg = file.display().to_string();
    let out = govsite(&["backup", "--out", &file_arg, "--database-url", &app.url]).await;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("密钥文件不在备份中"));
    // Never over an existing file.
    let again = govsite(&["backup", "--out", &file_arg, "--database-url", &app.url]).await;
    assert!(!again.status.success());
    stop.store(true, Ordering::Relaxed);
    let written = writer.await.unwrap();
    assert!(written > 0, "the writer wrote during the backup");

    // Restored into a fresh place.
    let target_dir = tempfile::tempdir().unwrap();
    let target = fresh_database_url(target_dir.path()).await;
    let out = govsite(&["restore", "--from", &file_arg, "--database-url", &target]).await;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let restored = Db::connect(&target).await.unwrap();
    let tables = backup::tables(&app.db).await.unwrap();
    assert_eq!(backup::tables(&restored).await.unwrap(), tables);
    assert!(tables.len() > 30, "{tables:?}");
    let mut compared = 0;
    for t in &tables {
        let (rows, sum) = backup::checksum(&restored, t).await.unwrap();
        let (src_rows, src_sum) = backup::checksum(&app.db, t).await.unwrap();
        if BUSY.contains(&t.as_str()) {
            assert!(rows <= src_rows, "{t}: {rows} restored of {src_rows}");
        } else {
            assert_eq!((rows, sum), (src_rows, src_sum), "{t}");
            compared += 1;
        }
    }
    assert!(compared > 25);
    // The busy audit trail: an earlier state of the source, every row as it is there.
    let copy = audit_rows(&restored).await;
    let source = audit_rows(&app.db).await;
    assert!(!copy.is_empty() && copy.is_subset(&source));
    assert!(
        copy.len() < source.len(),
        "the writer went on after the snapshot"
    );
    // The chain sealed at the snapshot holds in the copy.
    let v = govsite::registry::audit_chain::verify(&restored)
        .await
        .unwrap();
    assert!(v.broken.is_none());
    // The ledger balances in the copy: its entries sum to zero.
    assert_eq!(
        govsite::store::ledger::trial_balance(&restored)
            .await
            .unwrap(),
        0
    );
    restored.close().await;

    // A database with data is not overwritten unless told.
    let refused = govsite(&["restore", "--from", &file_arg, "--database-url", &target]).await;
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("--force"));
    let forced = govsite(&[
        "restore",
        "--from",
        &file_arg,
        "--database-url",
        &target,
        "--force",
    ])
    .await;
    assert!(
        forced.status.success(),
        "{}",
        String::from_utf8_lossy(&forced.stderr)
    );
    // Not a backup at all: refused in words.
    let junk = dir.path().join("junk.bin");
    std::fs::write(&junk, b"not a backup").unwrap();
    let out = govsite(&[
        "restore",
        "--from",
        &junk.display().to_string(),
        "--database-url",
        &target,
    ])
    .await;
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("不是 govsite backup 生成的备份文件"));
    app.shutdown().await.unwrap();
}

#[tokio::test]
async fn scheduled_backups_keep_the_newest_and_each_restores() {
    let app = TestApp::spawn().await;
    govsite::demo::load(&app.db, &app.base, 0).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let now = app.clock_now();
    let mut written = Vec::new();
    for hour in 0..4 {
        let file = govsite::backup::scheduled(&app.db, &app.url, dir.path(), 2, now + hour * 3600)
            .await
            .unwrap();
        written.push(file);
    }
    let mut kept: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    kept.sort();
    assert_eq!(kept, written[2..], "the two newest are kept");
    // The newest restores into a fresh database with every table.
    let target_dir = tempfile::tempdir().unwrap();
    let target = fresh_database_url(target_dir.path()).await;
    let from = written[3].display().to_string();
    let out = govsite(&["restore", "--from", &from, "--database-url", &target]).await;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let restored = Db::connect(&target).await.unwrap();
    assert_eq!(
        backup::count(&restored, "units").await.unwrap(),
        backup::count(&app.db, "units").await.unwrap()
    );
    restored.close().await;
    app.shutdown().await.unwrap();
}

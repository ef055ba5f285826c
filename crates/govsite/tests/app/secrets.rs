//! Secrets at rest: the signing keys and TOTP secrets are sealed with the key file kept outside
//! the database; a database from before sealing is sealed at start; a wrong key file stops the
//! service with a plain message.

use std::process::Stdio;
use std::time::Duration;

use govsite::store::{accounts, policy, secrets};
use govsite_core::role::Role;
use sqlx::Row;

use crate::helpers::TestApp;

async fn setting(app: &TestApp, key: &str) -> Option<String> {
    sqlx::query("SELECT value FROM settings WHERE key = $1")
        .bind(key)
        .fetch_optional(app.db.pool())
        .await
        .unwrap()
        .map(|r| r.try_get("value").unwrap())
}

#[tokio::test]
async fn signing_keys_are_kept_sealed() {
    let app = TestApp::spawn().await;
    // The public pages make both keys on first use.
    let pem = reqwest::get(format!("{}/v/key.pem", app.base))
        .await
        .unwrap();
    assert_eq!(pem.status(), 200);
    let login = reqwest::get(format!("{}/login", app.base)).await.unwrap();
    assert_eq!(login.status(), 200);
    for key in ["badge_signing_key", "form_signing_key"] {
        let stored = setting(&app, key).await.expect("made on first use");
        assert!(stored.starts_with("sealed:v1:"), "{key}: {stored}");
    }
    // The same database under another key file opens nothing.
    let other = tempfile::tempdir().unwrap();
    let stranger = govsite::store::Db::connect(&app.url)
        .await
        .unwrap()
        .with_sealer(govsite::auth::seal::Sealer::load_or_create(&other.path().join("k")).unwrap());
    let refused = policy::badge_signing_key(&stranger, 0).await.unwrap_err();
    assert!(
        refused.to_string().contains("--secret-key-file"),
        "{refused}"
    );
    stranger.close().await;
}

/// `govsite serve --roles dns` on the app's database with `key_file`, its stderr captured.
fn serve(app: &TestApp, key_file: &std::path::Path) -> tokio::process::Child {
    tokio::process::Command::new(env!("CARGO_BIN_EXE_govsite"))
        .args(["serve", "--roles", "dns", "--database-url", &app.url])
        .arg("--dns")
        .arg(format!("127.0.0.1:{}", crate::dns::free_port()))
        .arg("--secret-key-file")
        .arg(key_file)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap()
}

#[tokio::test]
async fn plain_secrets_are_sealed_at_start_and_a_wrong_key_file_stops_the_service() {
    let app = TestApp::spawn().await;
    // A database written before sealing: both kinds of secret in plain text.
    let plain_key = [9u8; 32];
    sqlx::query(
        "INSERT INTO settings (key, value, updated_by, updated_at)
         VALUES ('badge_signing_key', $1, 'system', 0)",
    )
    .bind(data_encoding::BASE64.encode(&plain_key))
    .execute(app.db.pool())
    .await
    .unwrap();
    let (_, _, id) = app.user(Role::OfficeReviewer, None, None).await;
    sqlx::query("UPDATE accounts SET totp_secret = 'JBSWY3DPEHPK3PXP' WHERE id = $1")
        .bind(id.get())
        .execute(app.db.pool())
        .await
        .unwrap();

    let mut first = serve(&app, &app.key_file);
    let mut sealed = false;
    for _ in 0..400 {
        let badge = setting(&app, "badge_signing_key").await.unwrap();
        let totp = accounts::find(&app.db, id)
            .await
            .unwrap()
            .unwrap()
            .totp_secret;
        if badge.starts_with("sealed:v1:") && totp.is_some_and(|t| t.starts_with("sealed:v1:")) {
            sealed = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    first.kill().await.unwrap();
    assert!(sealed, "the secrets were sealed at start");
    // Sealed, they are the same secrets.
    assert_eq!(
        policy::badge_signing_key(&app.db, 0).await.unwrap(),
        plain_key
    );
    let stored = accounts::find(&app.db, id)
        .await
        .unwrap()
        .unwrap()
        .totp_secret
        .unwrap();
    assert_eq!(
        secrets::open_totp(&app.db, id, &stored).unwrap(),
        "JBSWY3DPEHPK3PXP"
    );

    // Another key file: the service refuses to start and says why.
    let other = tempfile::tempdir().unwrap();
    let wrong = serve(&app, &other.path().join("secret.key"));
    let out = tokio::time::timeout(Duration::from_secs(60), wrong.wait_with_output())
        .await
        .expect("stops by itself")
        .unwrap();
    assert!(!out.status.success());
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(
        said.contains("not the one the database was sealed with"),
        "{said}"
    );
}

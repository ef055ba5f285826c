//! Secrets at rest: the signing keys and TOTP secrets are sealed with the key file kept outside
//! the database; a database from before sealing is sealed at start; a wrong key file stops the
//! service with a plain message.

use std::process::Stdio;
use std::time::Duration;

use govsite::store::{accounts, secrets};
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
    let form = setting(&app, "form_signing_key")
        .await
        .expect("made on first use");
    assert!(form.starts_with("sealed:v1:"), "{form}");
    let badge: String = sqlx::query("SELECT secret FROM signing_keys")
        .fetch_one(app.db.pool())
        .await
        .unwrap()
        .try_get("secret")
        .unwrap();
    assert!(badge.starts_with("sealed:v1:"), "{badge}");
    // The same database under another key file opens nothing.
    let other = tempfile::tempdir().unwrap();
    let stranger = govsite::store::Db::connect(&app.url)
        .await
        .unwrap()
        .with_sealer(govsite::auth::seal::Sealer::load_or_create(&other.path().join("k")).unwrap());
    let refused = secrets::current_badge_key(&stranger, 0).await.unwrap_err();
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
        secrets::current_badge_key(&app.db, 0).await.unwrap().seed,
        plain_key,
        "the old key becomes the first published key"
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

/// A public JSON document of the app.
pub async fn get_json(app: &TestApp, path: &str) -> serde_json::Value {
    reqwest::get(format!("{}{path}", app.base))
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

/// 32 or 64 bytes from base64.
pub fn bytes<const N: usize>(b64: &serde_json::Value) -> [u8; N] {
    data_encoding::BASE64
        .decode(b64.as_str().unwrap().as_bytes())
        .unwrap()
        .try_into()
        .unwrap()
}

/// Whether the statement's Ed25519 signature over its canonical facts holds for `public`.
pub fn signed_by(statement: &serde_json::Value, facts: &str, public: &[u8; 32]) -> bool {
    use ed25519_dalek::Verifier;
    ed25519_dalek::VerifyingKey::from_bytes(public)
        .unwrap()
        .verify(
            facts.as_bytes(),
            &ed25519_dalek::Signature::from_bytes(&bytes(&statement["signature"])),
        )
        .is_ok()
}

/// The signed facts of `code`, checked against the key `/v/keys.json` publishes for its id.
async fn signed_facts(app: &TestApp, code: &str) -> serde_json::Value {
    let json = get_json(app, &format!("/v/{code}.json")).await;
    let kid = json["key_id"].as_str().unwrap();
    assert_eq!(json["facts"]["key_id"], kid, "the key id is signed too");
    let keys = get_json(app, "/v/keys.json").await;
    let published = keys["keys"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["key_id"] == kid)
        .expect("the signing key is published");
    let facts = serde_json::to_string(&json["facts"]).unwrap();
    assert!(
        signed_by(&json, &facts, &bytes(&published["public_key"])),
        "verifies with the published key"
    );
    json
}

#[tokio::test]
async fn the_badge_key_rotates_and_old_statements_still_verify() {
    let app = TestApp::spawn().await;
    let unit = app.unit("靖远县人民政府", "620421").await;
    let code = crate::badges::issue(
        &app,
        unit,
        "靖远县人民政府网",
        "xn--gmq25jo2kfugo7iz49c16k.xn--zfr164b",
        "靖远县人民政府.政务",
        "www.jingyuan.gov.cn",
    )
    .await;
    let before = signed_facts(&app, &code).await;
    let old_kid = before["key_id"].as_str().unwrap().to_owned();
    let old_pem = reqwest::get(format!("{}/v/keys/{old_kid}.pem", app.base))
        .await
        .unwrap();
    assert_eq!(old_pem.status(), 200);
    let old_pem = old_pem.text().await.unwrap();

    // The command prints the new key id on its last line and audits the change.
    let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_govsite"))
        .args(["keys", "rotate", "--database-url", &app.url])
        .arg("--secret-key-file")
        .arg(&app.key_file)
        .output()
        .await
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8(out.stdout).unwrap();
    let new_kid = stdout.lines().last().unwrap().trim().to_owned();
    assert_ne!(new_kid, old_kid);
    assert!(
        app.audit_actions()
            .await
            .contains(&"badge_key_rotated".to_owned())
    );

    // Within a minute every node signs with the new key …
    app.clock.advance(61);
    let after = signed_facts(&app, &code).await;
    assert_eq!(after["key_id"], new_kid.as_str());
    assert!(
        after["public_key_url"]
            .as_str()
            .unwrap()
            .ends_with(&format!("/v/keys/{new_kid}.pem"))
    );
    // … and the retired key is still published, unchanged, with its retirement date.
    let keys = get_json(&app, "/v/keys.json").await;
    let keys = keys["keys"].as_array().unwrap();
    assert_eq!(keys.len(), 2);
    assert_eq!(keys[0]["key_id"], new_kid.as_str());
    assert!(keys[0]["retired_at"].is_null());
    assert_eq!(keys[1]["key_id"], old_kid.as_str());
    assert!(keys[1]["retired_at"].is_string());
    let still = reqwest::get(format!("{}/v/keys/{old_kid}.pem", app.base))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(still, old_pem);
    assert_eq!(
        reqwest::get(format!("{}/v/keys/0000000000000000.pem", app.base))
            .await
            .unwrap()
            .status(),
        404
    );
}

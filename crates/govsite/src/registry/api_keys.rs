//! Creating and revoking API keys, each with its audit row. A key is 256 random bits shown
//! once; the database keeps its SHA-256 only.

use govsite_core::api_key::{self, MAX_LIVE_KEYS, NewKey};
use govsite_core::ids::ApiKeyId;

use super::RegistryError;
use crate::auth::token;
use crate::store::accounts::{Account, AccountStatus};
use crate::store::api_keys::{self, NewApiKey};
use crate::store::audit::{self, Actor, Event};
use crate::store::{Db, StoreError};

/// A key just made: its id and the key itself, which exists nowhere else.
#[derive(Debug)]
pub struct Created {
    pub id: ApiKeyId,
    pub key: String,
}

/// A sealed fresh key opens only for the session it was made in and the key it stands for.
fn purpose(session: &str, hint: &str) -> String {
    format!("api_key_reveal:{session}:{hint}")
}

/// Makes a key for `account` (checked by `api_key::KeyForm::check` for its role). With
/// `reveal_session`, the key is also kept sealed for that session's one look at it.
pub async fn create(
    db: &Db,
    actor: &Actor,
    account: &Account,
    new: &NewKey,
    reveal_session: Option<&str>,
    now: i64,
) -> Result<Created, RegistryError> {
    if account.status != AccountStatus::Active {
        return Err(RegistryError::Refused(
            "账号未启用，不能创建接口密钥".into(),
        ));
    }
    if !api_key::scopes_for(account.role).contains(&new.scope) {
        return Err(RegistryError::Invalid("该账号的角色不能持有该权限的密钥"));
    }
    let key = format!("{}{}", api_key::PREFIX, token::random_token());
    let key_hash = token::hash_token(&key);
    let hint = api_key::hint(&key);
    let sealed = match reveal_session {
        Some(session) => Some((
            db.sealer()?
                .seal(&purpose(session, &hint), key.as_bytes())
                .map_err(StoreError::from)?,
            session,
        )),
        None => None,
    };
    let mut tx = db.begin().await?;
    if api_keys::live_count(&mut tx, account.id, now).await? >= MAX_LIVE_KEYS {
        return Err(RegistryError::Refused(format!(
            "每个账号最多同时持有 {MAX_LIVE_KEYS} 个有效密钥，请先吊销不再使用的密钥"
        )));
    }
    let row = NewApiKey {
        account: account.id,
        label: &new.label,
        scope: new.scope,
        key_hash: &key_hash,
        hint: &hint,
        expires_at: now + i64::from(new.days) * 86_400,
        reveal: sealed.as_ref().map(|(s, session)| (s.as_str(), *session)),
    };
    let id = api_keys::insert(&mut tx, &row, now).await?;
    let reason = format!(
        "{}（{}，{} 天，{}）",
        new.label,
        new.scope.label(),
        new.days,
        hint
    );
    audit::record(
        &mut tx,
        actor,
        &on_account("api_key_created", account, &reason),
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(Created { id, key })
}

/// The audit row of a key made or revoked: recorded against the key's account.
fn on_account<'a>(action: &'a str, account: &Account, reason: &'a str) -> Event<'a> {
    Event {
        action,
        subject_type: "account",
        subject_id: account.id.to_string(),
        reason,
        ..Event::default()
    }
}

/// The fresh key of `id`, once, for the session that created it.
pub async fn reveal(db: &Db, id: ApiKeyId, session: &str) -> Result<Option<String>, RegistryError> {
    let Some(key) = api_keys::find(db, id).await? else {
        return Ok(None);
    };
    let Some(sealed) = api_keys::take_reveal(db, id, session).await? else {
        return Ok(None);
    };
    let opened = db
        .sealer()?
        .open(&purpose(session, &key.hint), &sealed)
        .map_err(StoreError::from)?;
    Ok(String::from_utf8(opened).ok())
}

/// Revokes a key of `account` at once: the next request with it is refused.
pub async fn revoke(
    db: &Db,
    actor: &Actor,
    account: &Account,
    id: ApiKeyId,
    now: i64,
) -> Result<(), RegistryError> {
    let mut tx = db.begin().await?;
    if !api_keys::revoke(&mut tx, id, account.id, now).await? {
        return Err(RegistryError::Refused("该密钥不存在或已吊销".into()));
    }
    let reason = format!("密钥 {id}");
    audit::record(
        &mut tx,
        actor,
        &on_account("api_key_revoked", account, &reason),
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

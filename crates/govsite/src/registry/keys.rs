//! Rotating the key that signs the badge facts (`/v/{code}.json`): a fresh key signs from now
//! on (each web node reads it within a minute), the old ones stay published at
//! `/v/keys.json` and `/v/keys/{kid}.pem` so statements signed before still verify.

use crate::store::audit::{self, Actor, Event};
use crate::store::{Db, secrets};

use super::RegistryError;

/// Retires the key in use and makes a fresh one, audited; returns the new key id.
pub async fn rotate_badge_key(db: &Db, actor: &Actor, now: i64) -> Result<String, RegistryError> {
    // A database still on the key kept in `settings` gets it as a published key first.
    let old = secrets::current_badge_key(db, now).await?;
    let new = secrets::new_key(db)?;
    let mut tx = db.begin().await?;
    secrets::retire_keys(&mut tx, now).await?;
    secrets::insert_key(&mut tx, &new, now).await?;
    let event = Event {
        action: "badge_key_rotated",
        subject_type: "signing_key",
        subject_id: new.kid.clone(),
        from_state: &old.kid,
        to_state: &new.kid,
        ..Event::default()
    };
    audit::record(&mut tx, actor, &event, now).await?;
    tx.commit().await?;
    Ok(new.kid)
}

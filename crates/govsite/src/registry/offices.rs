//! A 编办's decisions about itself: its own details (address, room, contact, phone, hours),
//! which its units see wherever they must bring paper or ask for help.

use govsite_core::ids::OfficeId;
use govsite_core::office::OfficeDetailsForm;

use super::RegistryError;
use crate::store::Db;
use crate::store::audit::{self, Actor, Event};
use crate::store::offices;

pub async fn set_details(
    db: &Db,
    actor: &Actor,
    office: OfficeId,
    form: &OfficeDetailsForm,
    now: i64,
) -> Result<(), RegistryError> {
    let details = form.check().map_err(RegistryError::Form)?;
    let mut tx = db.begin().await?;
    offices::set_details(&mut tx, office, &details, now).await?;
    let room = if details.room.is_empty() {
        String::new()
    } else {
        format!(" {}", details.room)
    };
    let event = Event {
        action: "office_details_updated",
        subject_type: "office",
        subject_id: office.to_string(),
        reason: &format!("{}{room}", details.address),
        ..Event::default()
    };
    audit::record(&mut tx, actor, &event, now).await?;
    tx.commit().await?;
    Ok(())
}

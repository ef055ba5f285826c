//! 「显示完整」: a staff member asks to see one contact of one unit in full. The grant and its
//! audit row (who saw whose which contact, when; never the value) are one transaction.

use govsite_core::ids::{AccountId, UnitId};

use super::RegistryError;
use crate::store::Db;
use crate::store::audit::{self, Actor, Event};
use crate::store::contact_reveals;

/// The contacts a unit has, by field, with the words the audit log uses.
pub const FIELDS: [(&str, &str); 7] = [
    ("leader_phone", "分管领导电话"),
    ("leader_email", "分管领导电子邮箱"),
    ("webmaster_phone", "网站负责人电话"),
    ("webmaster_email", "网站负责人电子邮箱"),
    ("handler_mobile", "经办人手机"),
    ("handler_phone", "经办人电话"),
    ("handler_email", "经办人电子邮箱"),
];

/// How long a reveal lasts for the account that asked.
pub const REVEAL_SECONDS: i64 = 15 * 60;

pub async fn reveal(
    db: &Db,
    actor: &Actor,
    account: AccountId,
    unit: UnitId,
    field: &str,
    now: i64,
) -> Result<(), RegistryError> {
    let Some((field, label)) = FIELDS.iter().find(|(f, _)| *f == field) else {
        return Err(RegistryError::Invalid("没有这项联系方式"));
    };
    let mut tx = db.begin().await?;
    contact_reveals::insert(&mut tx, account, unit, field, now).await?;
    let event = Event {
        action: "contact_revealed",
        subject_type: "unit",
        subject_id: unit.to_string(),
        reason: label,
        ..Event::default()
    };
    audit::record(&mut tx, actor, &event, now).await?;
    tx.commit().await?;
    Ok(())
}

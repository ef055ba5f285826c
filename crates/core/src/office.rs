//! A 编办's own details: where units bring paper and whom they ask (the seed's notice ends
//! with 「联系地址：……大楼4楼0427房间 … 联系人 … 联系电话」). Edited by the office, shown to its
//! units wherever they must bring paper or ask for help.

use serde::{Deserialize, Serialize};

use crate::FieldErrors;
use crate::contact::{self, Phone};

/// The details as stored and shown.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct OfficeDetails {
    pub address: String,
    pub room: String,
    pub contact_name: String,
    pub contact_phone: String,
    /// Office hours, free text (e.g. 工作日 8:30–12:00，14:30–18:00).
    pub hours: String,
}

impl OfficeDetails {
    /// Whether the office has said where it is (units are told to ask it otherwise).
    pub fn is_set(&self) -> bool {
        !self.address.is_empty()
    }
}

/// The form as typed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct OfficeDetailsForm {
    pub address: String,
    pub room: String,
    pub contact_name: String,
    pub contact_phone: String,
    pub hours: String,
}

impl OfficeDetailsForm {
    pub fn of(d: &OfficeDetails) -> Self {
        Self {
            address: d.address.clone(),
            room: d.room.clone(),
            contact_name: d.contact_name.clone(),
            contact_phone: d.contact_phone.clone(),
            hours: d.hours.clone(),
        }
    }

    /// Every error at once.
    pub fn check(&self) -> Result<OfficeDetails, FieldErrors> {
        let mut e = FieldErrors::new();
        let address = e
            .check(
                "address",
                contact::required_text("联系地址", &self.address, 200),
            )
            .unwrap_or_default();
        let room = e
            .check("room", contact::optional_text("房间号", &self.room, 50))
            .unwrap_or_default();
        let contact_name = e
            .check(
                "contact_name",
                contact::required_text("联系人", &self.contact_name, 30),
            )
            .unwrap_or_default();
        let contact_phone = e
            .check(
                "contact_phone",
                Phone::parse_any("联系电话", &self.contact_phone).map(|p| p.to_string()),
            )
            .unwrap_or_default();
        let hours = e
            .check(
                "hours",
                contact::optional_text("办公时间", &self.hours, 100),
            )
            .unwrap_or_default();
        if e.is_empty() {
            Ok(OfficeDetails {
                address,
                room,
                contact_name,
                contact_phone,
                hours,
            })
        } else {
            Err(e)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_seed_office_and_every_error_at_once() {
        let ok = OfficeDetailsForm {
            address: "靖远县新统办大楼4楼".into(),
            room: "0427房间".into(),
            contact_name: "编办联系人".into(),
            contact_phone: "0943-6123999".into(),
            hours: String::new(),
        };
        assert!(ok.check().unwrap().is_set());
        let bad = OfficeDetailsForm {
            contact_phone: "123".into(),
            ..OfficeDetailsForm::default()
        };
        let e = bad.check().unwrap_err();
        for f in ["address", "contact_name", "contact_phone"] {
            assert!(e.get(f).is_some(), "{f}");
        }
    }
}

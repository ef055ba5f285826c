//! Platform settings the administrator keeps: the registry's bank account for transfers, its
//! support contacts, and the reply time limit of 用户问答. Shown to units on 财务管理 and 帮助.

use serde::{Deserialize, Serialize};

use crate::contact::{Email, Phone};
use crate::field_errors::FieldErrors;
use crate::question::DEFAULT_REPLY_DAYS;

/// The support line of the registry centre, until the administrator sets another.
pub const DEFAULT_SUPPORT_PHONE: &str = "010-52035000";
/// Days a website application's 经办人 ID number is kept after the application ends.
pub const DEFAULT_HANDLER_ID_DAYS: u32 = 180;

/// The settings as stored and shown; the bank account is all three fields or none.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlatformSettings {
    pub reply_days: u32,
    pub bank_name: String,
    pub bank_account_name: String,
    pub bank_account_no: String,
    pub support_phone: String,
    pub support_email: String,
    pub handler_id_days: u32,
}

impl Default for PlatformSettings {
    fn default() -> Self {
        Self {
            reply_days: DEFAULT_REPLY_DAYS,
            bank_name: String::new(),
            bank_account_name: String::new(),
            bank_account_no: String::new(),
            support_phone: DEFAULT_SUPPORT_PHONE.to_owned(),
            support_email: String::new(),
            handler_id_days: DEFAULT_HANDLER_ID_DAYS,
        }
    }
}

impl PlatformSettings {
    /// The keys in the settings table, with each value as stored.
    pub fn entries(&self) -> [(&'static str, String); 7] {
        [
            ("question_reply_days", self.reply_days.to_string()),
            ("bank_name", self.bank_name.clone()),
            ("bank_account_name", self.bank_account_name.clone()),
            ("bank_account_no", self.bank_account_no.clone()),
            ("support_phone", self.support_phone.clone()),
            ("support_email", self.support_email.clone()),
            ("handler_id_days", self.handler_id_days.to_string()),
        ]
    }

    /// Settings from stored `(key, value)` pairs; a key never set keeps its default.
    pub fn from_entries<'a>(entries: impl IntoIterator<Item = (&'a str, &'a str)>) -> Self {
        let mut s = Self::default();
        for (key, value) in entries {
            match key {
                "question_reply_days" => {
                    if let Ok(d) = value.parse() {
                        s.reply_days = d;
                    }
                }
                "bank_name" => s.bank_name = value.to_owned(),
                "bank_account_name" => s.bank_account_name = value.to_owned(),
                "bank_account_no" => s.bank_account_no = value.to_owned(),
                "support_phone" => s.support_phone = value.to_owned(),
                "support_email" => s.support_email = value.to_owned(),
                "handler_id_days" => {
                    if let Ok(d) = value.parse() {
                        s.handler_id_days = d;
                    }
                }
                _ => {}
            }
        }
        s
    }

    pub fn has_bank_account(&self) -> bool {
        !self.bank_account_no.is_empty()
    }

    /// The form's fields, to refill it.
    pub fn form(&self) -> SettingsForm {
        SettingsForm {
            reply_days: self.reply_days.to_string(),
            bank_name: self.bank_name.clone(),
            bank_account_name: self.bank_account_name.clone(),
            bank_account_no: self.bank_account_no.clone(),
            support_phone: self.support_phone.clone(),
            support_email: self.support_email.clone(),
            handler_id_days: self.handler_id_days.to_string(),
        }
    }
}

/// The settings form as typed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct SettingsForm {
    pub reply_days: String,
    pub bank_name: String,
    pub bank_account_name: String,
    pub bank_account_no: String,
    pub support_phone: String,
    pub support_email: String,
    pub handler_id_days: String,
}

impl SettingsForm {
    /// Checks every field at once.
    pub fn parse(&self) -> Result<PlatformSettings, FieldErrors> {
        let mut e = FieldErrors::new();
        let reply_days = self
            .reply_days
            .trim()
            .parse::<u32>()
            .ok()
            .filter(|d| (1..=15).contains(d));
        if reply_days.is_none() {
            e.add("reply_days", "答复时限应为1至15个工作日");
        }
        let handler_id_days = self
            .handler_id_days
            .trim()
            .parse::<u32>()
            .ok()
            .filter(|d| (30..=3650).contains(d));
        if handler_id_days.is_none() {
            e.add(
                "handler_id_days",
                "身份证号保存期限应为30至3650天（纸质材料核对需要时间，也不宜久存）",
            );
        }
        let bank = [
            self.bank_name.trim(),
            self.bank_account_name.trim(),
            self.bank_account_no.trim(),
        ];
        let given = bank.iter().filter(|v| !v.is_empty()).count();
        if given != 0 && given != 3 {
            for (field, value, label) in [
                ("bank_name", bank[0], "开户银行"),
                ("bank_account_name", bank[1], "户名"),
                ("bank_account_no", bank[2], "账号"),
            ] {
                if value.is_empty() {
                    e.add(
                        field,
                        format!("请填写{label}（收款账户的三项须一并填写，或全部留空）"),
                    );
                }
            }
        }
        let account_no: String = bank[2].chars().filter(|c| !c.is_whitespace()).collect();
        let well_formed =
            (8..=32).contains(&account_no.len()) && account_no.chars().all(|c| c.is_ascii_digit());
        if !account_no.is_empty() && !well_formed {
            e.add("bank_account_no", "账号应为8至32位数字");
        }
        for (field, value) in [("bank_name", bank[0]), ("bank_account_name", bank[1])] {
            if value.chars().count() > 60 {
                e.add(field, "不能超过60个字");
            }
        }
        let phone = e.check(
            "support_phone",
            Phone::parse_any("服务电话", self.support_phone.trim()),
        );
        let email = match self.support_email.trim() {
            "" => Some(String::new()),
            v => e
                .check("support_email", Email::parse("服务邮箱", v))
                .map(|m| m.as_str().to_owned()),
        };
        e.into_result(|| PlatformSettings {
            reply_days: reply_days.unwrap_or(DEFAULT_REPLY_DAYS),
            bank_name: bank[0].to_owned(),
            bank_account_name: bank[1].to_owned(),
            bank_account_no: account_no,
            support_phone: phone.map(|p| p.as_str().to_owned()).unwrap_or_default(),
            support_email: email.unwrap_or_default(),
            handler_id_days: handler_id_days.unwrap_or(DEFAULT_HANDLER_ID_DAYS),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_round_trip_and_the_bank_account_is_all_or_nothing() {
        let d = PlatformSettings::default();
        assert_eq!(d.support_phone, "010-52035000");
        assert_eq!(d.form().parse().unwrap(), d);
        let stored = d.entries();
        let back = PlatformSettings::from_entries(stored.iter().map(|(k, v)| (*k, v.as_str())));
        assert_eq!(back, d);

        let mut f = d.form();
        f.bank_name = "中国工商银行北京分行".into();
        let e = f.parse().unwrap_err();
        assert!(e.get("bank_account_name").is_some() && e.get("bank_account_no").is_some());
        f.bank_account_name = "注册管理中心".into();
        f.bank_account_no = "0200 0012 3456 7890".into();
        let ok = f.parse().unwrap();
        assert_eq!(ok.bank_account_no, "0200001234567890");
        f.bank_account_no = "12ab".into();
        f.reply_days = "0".into();
        f.support_phone = "x".into();
        f.support_email = "nobody".into();
        assert_eq!(f.parse().unwrap_err().len(), 4);
        f.handler_id_days = "7".into();
        assert!(f.parse().unwrap_err().get("handler_id_days").is_some());
    }
}

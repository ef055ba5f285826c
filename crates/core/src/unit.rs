//! 单位信息: the registration form of a unit and its contacts (annex 7), parsed into checked
//! details with every field error reported at once.

use serde::{Deserialize, Serialize};

use crate::contact::{Email, Mobile, Phone, Postcode, optional_text, required_text};
use crate::credit_code::CreditCode;
use crate::field_errors::FieldErrors;
use crate::org_type::OrgType;
use crate::region::RegionCode;

/// What the form posts: every field a string, so nothing the user typed is lost on error.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct UnitForm {
    pub name: String,
    pub credit_code: String,
    pub org_type: String,
    pub region_code: String,
    pub parent_org: String,
    pub functions: String,
    pub address: String,
    pub postcode: String,
    pub leader_name: String,
    pub leader_phone: String,
    pub leader_address: String,
    pub leader_email: String,
    pub leader_postcode: String,
    pub webmaster_name: String,
    pub webmaster_phone: String,
    pub webmaster_address: String,
    pub webmaster_email: String,
    pub webmaster_postcode: String,
    pub handler_name: String,
    pub handler_phone: String,
    pub handler_mobile: String,
    pub handler_email: String,
}

/// A person of annex 7 (分管领导 or 网站负责人).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContactPerson {
    pub name: String,
    pub phone: Phone,
    pub address: String,
    pub email: Email,
    pub postcode: Postcode,
}

/// 经办人: the person who handles the unit's applications and receives its notices.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Handler {
    pub name: String,
    pub phone: Option<Phone>,
    pub mobile: Mobile,
    pub email: Email,
}

/// A unit's checked details.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnitDetails {
    pub name: String,
    pub credit_code: CreditCode,
    pub org_type: OrgType,
    pub region: RegionCode,
    pub parent_org: String,
    pub functions: String,
    pub address: String,
    pub postcode: Postcode,
    pub leader: ContactPerson,
    pub webmaster: ContactPerson,
    pub handler: Handler,
}

const NAME_MAX: usize = 60;
const ADDRESS_MAX: usize = 100;
const FUNCTIONS_MAX: usize = 1000;
const PERSON_MAX: usize = 30;

impl UnitForm {
    /// Checks every field; on failure returns all errors in form order.
    pub fn parse(&self) -> Result<UnitDetails, FieldErrors> {
        let mut e = FieldErrors::new();
        let name = e.check("name", required_text("开办主体名称", &self.name, NAME_MAX));
        let credit_code = e.check("credit_code", CreditCode::parse(&self.credit_code));
        let org_type = e.check("org_type", OrgType::parse(&self.org_type));
        let region = e.check("region_code", RegionCode::parse(&self.region_code));
        let parent_org = e.check(
            "parent_org",
            optional_text("上级主管单位", &self.parent_org, NAME_MAX),
        );
        let functions = e.check(
            "functions",
            required_text("开办主体职能", &self.functions, FUNCTIONS_MAX),
        );
        let address = e.check(
            "address",
            required_text("通讯地址", &self.address, ADDRESS_MAX),
        );
        let postcode = e.check("postcode", Postcode::parse("邮编", &self.postcode));
        let leader = self.person(&mut e, "leader", "分管领导");
        let webmaster = self.person(&mut e, "webmaster", "网站负责人");

        let handler_name = e.check(
            "handler_name",
            required_text("经办人姓名", &self.handler_name, PERSON_MAX),
        );
        let handler_phone = if self.handler_phone.trim().is_empty() {
            Some(None)
        } else {
            e.check(
                "handler_phone",
                Phone::parse_fixed("经办人固定电话", &self.handler_phone),
            )
            .map(Some)
        };
        let handler_mobile = e.check(
            "handler_mobile",
            Mobile::parse("经办人手机号码", &self.handler_mobile),
        );
        let handler_email = e.check(
            "handler_email",
            Email::parse("经办人电子邮箱", &self.handler_email),
        );

        if !e.is_empty() {
            return Err(e);
        }
        // Every Option below is Some: each None recorded an error above.
        let details = (|| {
            Some(UnitDetails {
                name: name?,
                credit_code: credit_code?,
                org_type: org_type?,
                region: region?,
                parent_org: parent_org?,
                functions: functions?,
                address: address?,
                postcode: postcode?,
                leader: leader?,
                webmaster: webmaster?,
                handler: Handler {
                    name: handler_name?,
                    phone: handler_phone?,
                    mobile: handler_mobile?,
                    email: handler_email?,
                },
            })
        })();
        details.ok_or(e)
    }

    fn person(
        &self,
        e: &mut FieldErrors,
        prefix: &str,
        who: &'static str,
    ) -> Option<ContactPerson> {
        let (name, phone, address, email, postcode) = match prefix {
            "leader" => (
                &self.leader_name,
                &self.leader_phone,
                &self.leader_address,
                &self.leader_email,
                &self.leader_postcode,
            ),
            _ => (
                &self.webmaster_name,
                &self.webmaster_phone,
                &self.webmaster_address,
                &self.webmaster_email,
                &self.webmaster_postcode,
            ),
        };
        let labels = person_labels(who);
        let name = e.check(
            &format!("{prefix}_name"),
            required_text(labels[0], name, PERSON_MAX),
        );
        let phone = e.check(
            &format!("{prefix}_phone"),
            Phone::parse_any(labels[1], phone),
        );
        let address = e.check(
            &format!("{prefix}_address"),
            required_text(labels[2], address, ADDRESS_MAX),
        );
        let email = e.check(&format!("{prefix}_email"), Email::parse(labels[3], email));
        let postcode = e.check(
            &format!("{prefix}_postcode"),
            Postcode::parse(labels[4], postcode),
        );
        Some(ContactPerson {
            name: name?,
            phone: phone?,
            address: address?,
            email: email?,
            postcode: postcode?,
        })
    }
}

/// Field labels repeat the person's role so each message stands on its own.
fn person_labels(who: &'static str) -> [&'static str; 5] {
    match who {
        "分管领导" => [
            "分管领导姓名",
            "分管领导电话或手机",
            "分管领导通讯地址",
            "分管领导电子邮箱",
            "分管领导邮编",
        ],
        _ => [
            "网站负责人姓名",
            "网站负责人电话或手机",
            "网站负责人通讯地址",
            "网站负责人电子邮箱",
            "网站负责人邮编",
        ],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(crate) fn valid_form() -> UnitForm {
        UnitForm {
            name: "靖远县人民政府".into(),
            credit_code: CreditCode::with_check_digit("11620421013920121")
                .unwrap()
                .to_string(),
            org_type: "government".into(),
            region_code: "620421".into(),
            parent_org: "白银市人民政府".into(),
            functions: "贯彻执行上级决定，管理本县行政事务。".into(),
            address: "甘肃省白银市靖远县乌兰镇".into(),
            postcode: "730600".into(),
            leader_name: "张三".into(),
            leader_phone: "0943-6123456".into(),
            leader_address: "靖远县新统办大楼".into(),
            leader_email: "zhang@example.cn".into(),
            leader_postcode: "730600".into(),
            webmaster_name: "李四".into(),
            webmaster_phone: "13800000000".into(),
            webmaster_address: "靖远县新统办大楼".into(),
            webmaster_email: "li@example.cn".into(),
            webmaster_postcode: "730600".into(),
            handler_name: "王五".into(),
            handler_phone: "".into(),
            handler_mobile: "13900000000".into(),
            handler_email: "wang@example.cn".into(),
        }
    }

    #[test]
    fn valid_form_parses() {
        let details = valid_form().parse().unwrap();
        assert_eq!(details.org_type, OrgType::Government);
        assert_eq!(details.handler.phone, None);
    }

    #[test]
    fn every_error_is_reported_in_plain_chinese() {
        let mut form = valid_form();
        form.credit_code = "91350100M000100Y44".into();
        form.postcode = "7306".into();
        form.webmaster_email = "li".into();
        form.handler_mobile = "".into();
        form.handler_phone = "6123456".into();
        let errors = form.parse().unwrap_err();
        assert_eq!(errors.len(), 5);
        assert_eq!(errors.get("postcode"), Some("邮编应为6位数字"));
        assert_eq!(errors.get("handler_mobile"), Some("请输入经办人手机号码"));
        assert_eq!(
            errors.get("webmaster_email"),
            Some("网站负责人电子邮箱应为有效的电子邮箱地址，例如 name@example.cn")
        );
        assert!(errors.get("credit_code").unwrap().contains("校验位"));
        assert!(errors.get("handler_phone").unwrap().contains("区号"));
    }

    #[test]
    fn empty_form_reports_every_required_field() {
        let errors = UnitForm::default().parse().unwrap_err();
        // Everything except 上级主管单位 and 经办人固定电话 is required.
        assert_eq!(errors.len(), 20);
    }
}

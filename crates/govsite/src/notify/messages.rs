//! The texts people receive, in Chinese. Links are absolute, built from the public URL.

use crate::store::outbox::{Channel, LINK_PLACEHOLDER, NewMessage};

pub const SIGNATURE: &str = "政务和公益机构域名注册管理平台";

/// "72小时" or "7天": how long a link of `ttl` seconds stays valid, in words.
fn validity(ttl: i64) -> String {
    if ttl >= 86_400 && ttl % 86_400 == 0 && ttl > 3 * 86_400 {
        format!("{}天", ttl / 86_400)
    } else {
        format!("{}小时", (ttl / 3600).max(1))
    }
}

/// The activation e-mail of a new account; the worker puts the link in at delivery.
pub fn activation_email(to: &str, display_name: &str, username: &str, ttl: i64) -> NewMessage {
    let within = validity(ttl);
    NewMessage {
        channel: Channel::Email,
        recipient: to.to_owned(),
        subject: "请激活您的账号".to_owned(),
        body: format!(
            "{display_name}：\n\n您在{SIGNATURE}的账号已创建，用户账号为 {username}。\n\
             请在{within}内打开以下链接设置密码、激活账号（链接只能使用一次）：\n\n{LINK_PLACEHOLDER}\n\n\
             本平台不会以任何方式向您索取密码，也不会为任何账号设置默认密码。\n\
             如非本人操作，请忽略本邮件。\n\n{SIGNATURE}\n"
        ),
        template: "activation",
    }
}

/// A short SMS telling the handler where the activation link went.
pub fn activation_sms(to: &str, username: &str, ttl: i64) -> NewMessage {
    let within = validity(ttl);
    NewMessage {
        channel: Channel::Sms,
        recipient: to.to_owned(),
        subject: String::new(),
        body: format!(
            "【{SIGNATURE}】您的单位账号 {username} 已登记，激活链接已发送至经办人电子邮箱，请在{within}内完成激活。"
        ),
        template: "activation_sms",
    }
}

/// The reset e-mail; the worker puts the link in at delivery.
pub fn reset_email(to: &str, display_name: &str, username: &str, ttl: i64) -> NewMessage {
    let within = validity(ttl);
    NewMessage {
        channel: Channel::Email,
        recipient: to.to_owned(),
        subject: "重设密码".to_owned(),
        body: format!(
            "{display_name}：\n\n有人为账号 {username} 申请了重设密码。请在{within}内打开以下链接设置新密码\
             （链接只能使用一次）：\n\n{LINK_PLACEHOLDER}\n\n如非本人操作，请忽略本邮件，您的密码不会改变。\n\n{SIGNATURE}\n"
        ),
        template: "password_reset",
    }
}

pub fn password_changed_email(to: &str, display_name: &str, username: &str) -> NewMessage {
    NewMessage {
        channel: Channel::Email,
        recipient: to.to_owned(),
        subject: "您的密码已修改".to_owned(),
        body: format!(
            "{display_name}：\n\n账号 {username} 的密码刚刚修改成功，其他设备上的登录已退出。\n\
             如非本人操作，请立即通过“忘记密码”重设密码并联系所属编办。\n\n{SIGNATURE}\n"
        ),
        template: "password_changed",
    }
}

/// The holder of an account is told that someone keeps failing to sign in with it.
pub fn sign_in_failures_email(
    to: &str,
    display_name: &str,
    username: &str,
    failures: i64,
) -> NewMessage {
    NewMessage {
        channel: Channel::Email,
        recipient: to.to_owned(),
        subject: "账号多次登录失败提醒".to_owned(),
        body: format!(
            "{display_name}：\n\n账号 {username} 在15分钟内已有 {failures} 次登录失败（密码错误）。\
             为保护账号，此后登录须填写验证码，多次失败的设备须等待后再试；您本人仍可正常登录。\n\
             如非本人操作，建议通过“忘记密码”重设一个更长的密码，并开启两步验证（工作人员账号）。\n\n{SIGNATURE}\n"
        ),
        template: "sign_in_failures",
    }
}

/// A notice to a unit's handler, by e-mail and SMS, with the same text.
pub fn unit_notice(
    email: &str,
    mobile: &str,
    subject: &str,
    text: &str,
    template: &'static str,
) -> [NewMessage; 2] {
    [
        NewMessage {
            channel: Channel::Email,
            recipient: email.to_owned(),
            subject: subject.to_owned(),
            body: format!("您好：\n\n{text}\n\n请登录平台查看详情。\n\n{SIGNATURE}\n"),
            template,
        },
        NewMessage {
            channel: Channel::Sms,
            recipient: mobile.to_owned(),
            subject: String::new(),
            body: format!("【{SIGNATURE}】{text}"),
            template,
        },
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn link_messages_hold_a_placeholder_and_say_how_long_the_link_lasts() {
        let m = activation_email("a@b.cn", "甲", "40000001", 72 * 3600);
        assert!(m.body.contains(LINK_PLACEHOLDER));
        assert!(m.body.contains("72小时内"));
        assert!(
            activation_email("a@b.cn", "甲", "1", 7 * 86_400)
                .body
                .contains("7天内")
        );
        assert!(
            reset_email("a@b.cn", "甲", "1", 3600)
                .body
                .contains("1小时内")
        );
    }
}

//! 用户问答: a unit's question, where it goes, the states of its thread, and the public
//! (anonymised) text of a question published to 常见问题.

use crate::field_errors::FieldErrors;

/// Working days staff have to answer, unless the administrator sets another number.
pub const DEFAULT_REPLY_DAYS: u32 = 3;
/// Longest title and text, in characters.
pub const MAX_TITLE: usize = 60;
pub const MAX_TEXT: usize = 2000;

/// Who answers a question: the unit's own 编办 (policy, qualification, its reviews) or the
/// registry centre (technical and money matters it alone handles).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Desk {
    Office,
    Registry,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Category {
    Domain,
    SiteReview,
    Badge,
    RedPage,
    Fees,
    Other,
}

impl Category {
    pub const ALL: [Self; 6] = [
        Self::Domain,
        Self::SiteReview,
        Self::Badge,
        Self::RedPage,
        Self::Fees,
        Self::Other,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Domain => "domain",
            Self::SiteReview => "site_review",
            Self::Badge => "badge",
            Self::RedPage => "red_page",
            Self::Fees => "fees",
            Self::Other => "other",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.as_str() == s)
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Domain => "域名",
            Self::SiteReview => "网站审核",
            Self::Badge => "网站标识",
            Self::RedPage => "红页",
            Self::Fees => "费用",
            Self::Other => "其他",
        }
    }

    /// Domain names and website reviews are the 编办's first-level work, and it answers
    /// questions it cannot place; badges, red pages and fees are run by the registry.
    pub fn desk(self) -> Desk {
        match self {
            Self::Domain | Self::SiteReview | Self::Other => Desk::Office,
            Self::Badge | Self::RedPage | Self::Fees => Desk::Registry,
        }
    }
}

/// Where a thread stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QuestionState {
    /// Waiting for staff (asked, or the unit added to it): the reply time limit runs.
    Open,
    /// Staff asked the unit for more; waiting for the unit.
    AskedBack,
    Answered,
    Closed,
}

/// What someone does to a thread.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QuestionEvent {
    /// Staff answer (also a further answer to an answered question).
    Answer,
    /// Staff ask the unit for more.
    AskBack,
    /// The unit adds to its question (answering an ask-back, or asking a follow-up).
    Reply,
    /// Either side closes the thread.
    Close,
}

impl QuestionState {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Open => "open",
            Self::AskedBack => "asked_back",
            Self::Answered => "answered",
            Self::Closed => "closed",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [Self::Open, Self::AskedBack, Self::Answered, Self::Closed]
            .into_iter()
            .find(|c| c.as_str() == s)
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Open => "待答复",
            Self::AskedBack => "待补充",
            Self::Answered => "已答复",
            Self::Closed => "已关闭",
        }
    }

    /// The state after `event`, or `None` when it cannot happen now.
    pub fn after(self, event: QuestionEvent) -> Option<Self> {
        use QuestionEvent::*;
        match (self, event) {
            (Self::Closed, _) => None,
            (Self::Open | Self::Answered, Answer) => Some(Self::Answered),
            (Self::Open, AskBack) => Some(Self::AskedBack),
            (Self::AskedBack | Self::Answered, Reply) => Some(Self::Open),
            (_, Close) => Some(Self::Closed),
            _ => None,
        }
    }

    /// Whether the reply time limit runs (staff owe an answer).
    pub fn awaits_staff(self) -> bool {
        self == Self::Open
    }
}

/// A question as the unit typed it, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Asked {
    pub category: Category,
    pub title: String,
    pub text: String,
}

/// Checks the ask form: every error at once, in plain Chinese.
pub fn parse_asked(category: &str, title: &str, text: &str) -> Result<Asked, FieldErrors> {
    let mut errors = FieldErrors::new();
    let category = Category::parse(category.trim());
    if category.is_none() {
        errors.add("category", "请选择问题类别");
    }
    let title = title.trim();
    if title.is_empty() {
        errors.add("title", "请填写问题标题");
    } else if title.chars().count() > MAX_TITLE {
        errors.add("title", format!("问题标题不能超过{MAX_TITLE}个字"));
    }
    check_text(&mut errors, "text", text);
    errors.into_result(|| Asked {
        category: category.unwrap_or(Category::Other),
        title: title.to_owned(),
        text: text.trim().to_owned(),
    })
}

/// A post's text: required, at most [`MAX_TEXT`] characters.
pub fn check_text(errors: &mut FieldErrors, field: &str, text: &str) {
    let text = text.trim();
    if text.is_empty() {
        errors.add(field, "请填写内容");
    } else if text.chars().count() > MAX_TEXT {
        errors.add(field, format!("内容不能超过{MAX_TEXT}个字"));
    }
}

/// The text a question is published under in 常见问题: the unit's name becomes 「我单位」,
/// and e-mail addresses and runs of seven or more digits (mobiles, fixed lines, ID numbers)
/// become 「***」. Staff read and may edit the result before publishing.
pub fn anonymise(text: &str, unit_name: &str) -> String {
    let text = match unit_name.trim() {
        "" => text.to_owned(),
        name => text.replace(name, "我单位"),
    };
    let mut out = String::with_capacity(text.len());
    let mut run = String::new();
    for c in text.chars().chain(std::iter::once('\n')) {
        if c.is_ascii_alphanumeric() || "@._+-".contains(c) {
            run.push(c);
            continue;
        }
        out.push_str(if looks_personal(&run) { "***" } else { &run });
        run.clear();
        out.push(c);
    }
    out.pop();
    out
}

/// An e-mail address, or seven or more digits with only `-`, `+` or an ID number's check
/// letter between them (a date such as 2026-12-01 is not personal).
fn looks_personal(run: &str) -> bool {
    if run.contains('@') && run.contains('.') {
        return true;
    }
    let is_date = run.len() == 10 && run.as_bytes()[4] == b'-' && run.as_bytes()[7] == b'-';
    let digits = run.chars().filter(char::is_ascii_digit).count();
    !is_date
        && digits >= 7
        && run
            .chars()
            .all(|c| c.is_ascii_digit() || matches!(c, '-' | '+' | 'x' | 'X'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_category_goes_to_one_desk() {
        assert_eq!(Category::Domain.desk(), Desk::Office);
        assert_eq!(Category::Fees.desk(), Desk::Registry);
        assert_eq!(Category::parse("badge"), Some(Category::Badge));
        assert_eq!(Category::parse("nonsense"), None);
        for c in Category::ALL {
            assert_eq!(Category::parse(c.as_str()), Some(c));
        }
    }

    #[test]
    fn a_thread_moves_only_as_people_expect() {
        use QuestionEvent::*;
        use QuestionState::*;
        assert_eq!(Open.after(Answer), Some(Answered));
        assert_eq!(Open.after(AskBack), Some(AskedBack));
        assert_eq!(AskedBack.after(Reply), Some(Open));
        assert_eq!(Answered.after(Reply), Some(Open), "a follow-up reopens");
        assert_eq!(AskedBack.after(Answer), None, "waiting for the unit");
        assert_eq!(Open.after(Reply), None);
        assert_eq!(Closed.after(Reply), None);
        assert_eq!(Answered.after(Close), Some(Closed));
        assert!(Open.awaits_staff() && !AskedBack.awaits_staff());
    }

    #[test]
    fn the_ask_form_reports_every_error() {
        let e = parse_asked("x", "", "").unwrap_err();
        assert_eq!(e.len(), 3);
        assert!(parse_asked("fees", &"长".repeat(61), "问").is_err());
        let ok = parse_asked("fees", " 如何缴费 ", " 请问怎样转账？ ").unwrap();
        assert_eq!(
            (ok.title.as_str(), ok.text.as_str()),
            ("如何缴费", "请问怎样转账？")
        );
    }

    #[test]
    fn the_public_text_names_nobody() {
        let out = anonymise(
            "靖远县民政局的网站标识不显示，联系人13912345678，邮箱 li@jy.gov.cn，电话 0943-6123456，身份证 62042119800101001X。",
            "靖远县民政局",
        );
        assert_eq!(
            out,
            "我单位的网站标识不显示，联系人***，邮箱 ***，电话 ***，身份证 ***。"
        );
        assert_eq!(
            anonymise("2026-12-01 续费 1200 元", ""),
            "2026-12-01 续费 1200 元"
        );
    }
}

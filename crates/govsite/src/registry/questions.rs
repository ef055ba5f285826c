//! 用户问答: a unit asks (routed by category to its own 编办 or to the registry), staff answer,
//! ask back or close, the unit adds to its question or closes it; an answered question may be
//! published, anonymised, to 常见问题. Each step is one transaction with its audit row; the
//! unit is told of every answer and ask-back (e-mail, SMS, 消息中心), the desk's staff of every
//! question and addition (消息中心).

use govsite_core::deadline::{self, Deadline};
use govsite_core::ids::{AccountId, OfficeId};
use govsite_core::question::{Asked, Category, Desk, QuestionEvent, QuestionState};
use govsite_core::region::RegionCode;

use super::RegistryError;
use super::notices::{self, Notice};
use crate::store::audit::{self, Actor, Event};
use crate::store::questions::{self, Attachment, NewFaq, NewPost, NewQuestion, QuestionRow};
use crate::store::units::UnitRecord;
use crate::store::{Db, accounts, calendar, inbox, offices, policy};

const SUBJECT: &str = "question";

/// The office that answers for a unit: its own region's, else the nearest above it; `None`
/// when no office covers the region (the registry answers).
async fn office_for(db: &Db, region: i64) -> Result<Option<OfficeId>, RegistryError> {
    let mut here = RegionCode::from_i64(region);
    while let Some(code) = here {
        if let Some(id) = offices::find_by_region(db, code).await? {
            return Ok(Some(id));
        }
        here = offices::region(db, code)
            .await?
            .and_then(|r| r.parent_code)
            .and_then(RegionCode::from_i64);
    }
    Ok(None)
}

/// The last day staff have to answer something asked at `now`.
async fn reply_due(db: &Db, now: i64) -> Result<String, RegistryError> {
    let days = policy::reply_days(db).await?;
    let cal = calendar::load(db).await?;
    Ok(deadline::due(Deadline::Reply { days }, &cal, now).to_string())
}

/// Tells the staff of the desk a question goes to, in 消息中心.
async fn tell_desk(
    db: &Db,
    tx: &mut sqlx::AnyConnection,
    q_office: Option<OfficeId>,
    subject: &str,
    text: &str,
    now: i64,
) -> Result<(), RegistryError> {
    for r in accounts::reviewers(db, q_office).await? {
        inbox::insert(tx, r.id, subject, text, "question_for_staff", now).await?;
    }
    Ok(())
}

/// A unit asks. Returns the new question's id.
pub async fn ask(
    db: &Db,
    actor: &Actor,
    unit: &UnitRecord,
    asked: &Asked,
    attachment: Option<Attachment<'_>>,
    now: i64,
) -> Result<i64, RegistryError> {
    let author = actor.id.ok_or(RegistryError::Invalid("请先登录"))?;
    let office = match asked.category.desk() {
        Desk::Office => office_for(db, unit.region_code).await?,
        Desk::Registry => None,
    };
    let due_on = reply_due(db, now).await?;
    let mut tx = db.begin().await?;
    let new = NewQuestion {
        unit: unit.id,
        asked_by: author,
        category: asked.category,
        office,
        title: &asked.title,
        due_on: &due_on,
    };
    let id = questions::insert(&mut tx, &new, now).await?;
    let post = NewPost {
        question: id,
        kind: "question",
        author,
        body: &asked.text,
        attachment,
    };
    questions::add_post(&mut tx, &post, now).await?;
    let event = Event {
        action: "question_asked",
        subject_type: SUBJECT,
        subject_id: id.to_string(),
        to_state: QuestionState::Open.as_str(),
        ..Event::default()
    };
    audit::record(&mut tx, actor, &event, now).await?;
    let text = format!(
        "{}提出了{}类问题“{}”，请于 {due_on} 前答复。",
        unit.form.name,
        asked.category.label(),
        asked.title
    );
    tell_desk(db, &mut tx, office, "新的用户问答", &text, now).await?;
    tx.commit().await?;
    Ok(id)
}

/// Who acts on a thread: the asking unit, or staff of the desk it was routed to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    Unit,
    Staff,
}

/// One step on a thread: `event` with its text (and attachment). Staff answers and ask-backs
/// tell the unit; the unit's additions restart the reply time limit and tell the desk.
pub async fn step(
    db: &Db,
    actor: &Actor,
    q: &QuestionRow,
    (side, event): (Side, QuestionEvent),
    body: &str,
    attachment: Option<Attachment<'_>>,
    now: i64,
) -> Result<(), RegistryError> {
    let author: AccountId = actor.id.ok_or(RegistryError::Invalid("请先登录"))?;
    let allowed = matches!(
        (side, event),
        (
            Side::Staff,
            QuestionEvent::Answer | QuestionEvent::AskBack | QuestionEvent::Close
        ) | (Side::Unit, QuestionEvent::Reply | QuestionEvent::Close)
    );
    let next = q
        .state
        .after(event)
        .filter(|_| allowed)
        .ok_or_else(|| RegistryError::Refused(refusal(q.state, event).to_owned()))?;
    let due_on = match next {
        QuestionState::Open => Some(reply_due(db, now).await?),
        _ => None,
    };
    let (kind, action) = match event {
        QuestionEvent::Answer => ("answer", "question_answered"),
        QuestionEvent::AskBack => ("ask_back", "question_asked_back"),
        QuestionEvent::Reply => ("reply", "question_replied"),
        QuestionEvent::Close => ("close", "question_closed"),
    };
    let mut tx = db.begin().await?;
    if !questions::set_state(&mut tx, q.id, q.state, next, due_on.as_deref(), now).await? {
        return Err(RegistryError::Refused(
            "该问题刚被他人处理过，请刷新页面后再试。".to_owned(),
        ));
    }
    let post = NewPost {
        question: q.id,
        kind,
        author,
        body,
        attachment,
    };
    questions::add_post(&mut tx, &post, now).await?;
    let event_row = Event {
        action,
        subject_type: SUBJECT,
        subject_id: q.id.to_string(),
        from_state: q.state.as_str(),
        to_state: next.as_str(),
        ..Event::default()
    };
    audit::record(&mut tx, actor, &event_row, now).await?;
    match (side, event) {
        (Side::Staff, QuestionEvent::Answer | QuestionEvent::AskBack) => {
            let (subject, text) = if event == QuestionEvent::Answer {
                (
                    "您的问题已有答复",
                    format!("您单位在“用户问答”中提出的问题“{}”已有答复。", q.title),
                )
            } else {
                (
                    "您的问题需要补充说明",
                    format!(
                        "您单位在“用户问答”中提出的问题“{}”需要补充说明，请登录平台查看并回复。",
                        q.title
                    ),
                )
            };
            let notice = Notice {
                subject,
                text: &text,
                template: "question_reply",
            };
            notices::to_unit(
                &mut tx,
                govsite_core::ids::UnitId::new(q.unit_id),
                notice,
                now,
            )
            .await?;
        }
        (Side::Unit, QuestionEvent::Reply) => {
            let text = format!(
                "{}对问题“{}”作了补充，请于 {} 前答复。",
                q.unit_name,
                q.title,
                due_on.as_deref().unwrap_or_default()
            );
            let office = q.office_id.map(OfficeId::new);
            tell_desk(db, &mut tx, office, "用户问答有新的补充", &text, now).await?;
        }
        _ => {}
    }
    tx.commit().await?;
    Ok(())
}

fn refusal(state: QuestionState, event: QuestionEvent) -> &'static str {
    match (state, event) {
        (QuestionState::Closed, _) => "该问题已关闭，如有新的问题请重新提问。",
        (QuestionState::AskedBack, QuestionEvent::Answer) => {
            "已请单位补充说明，待单位回复后再答复。"
        }
        _ => "该问题当前状态不能进行此操作，请刷新页面。",
    }
}

/// Staff publish an answered (or closed after an answer) question to 常见问题, with the
/// anonymised texts they checked. Returns the entry's id.
pub async fn publish(
    db: &Db,
    actor: &Actor,
    q: &QuestionRow,
    (title, question, answer): (&str, &str, &str),
    now: i64,
) -> Result<i64, RegistryError> {
    let by = actor.id.ok_or(RegistryError::Invalid("请先登录"))?;
    let answered = questions::posts(db, q.id)
        .await?
        .iter()
        .any(|p| p.kind == "answer");
    if !answered {
        return Err(RegistryError::Refused(
            "只有已答复的问题才能发布到常见问题。".to_owned(),
        ));
    }
    if questions::faq_of_question(db, q.id).await?.is_some() {
        return Err(RegistryError::Refused(
            "该问题已发布到常见问题。".to_owned(),
        ));
    }
    let mut errors = govsite_core::FieldErrors::new();
    if title.trim().is_empty() || title.trim().chars().count() > govsite_core::question::MAX_TITLE {
        errors.add("faq_title", "请填写标题（不超过60个字）");
    }
    govsite_core::question::check_text(&mut errors, "faq_question", question);
    govsite_core::question::check_text(&mut errors, "faq_answer", answer);
    if !errors.is_empty() {
        return Err(RegistryError::Form(errors));
    }
    let mut tx = db.begin().await?;
    let entry = NewFaq {
        question: q.id,
        category: q.category,
        title: title.trim(),
        question_text: question.trim(),
        answer: answer.trim(),
        by,
    };
    let id = questions::publish(&mut tx, &entry, now).await?;
    let event = Event {
        action: "faq_published",
        subject_type: "faq",
        subject_id: id.to_string(),
        ..Event::default()
    };
    audit::record(&mut tx, actor, &event, now).await?;
    tx.commit().await?;
    Ok(id)
}

/// Takes an entry off 常见问题.
pub async fn withdraw(db: &Db, actor: &Actor, faq: i64, now: i64) -> Result<(), RegistryError> {
    let mut tx = db.begin().await?;
    if !questions::withdraw(&mut tx, faq, now).await? {
        return Err(RegistryError::Refused("该条目已撤下。".to_owned()));
    }
    let event = Event {
        action: "faq_withdrawn",
        subject_type: "faq",
        subject_id: faq.to_string(),
        ..Event::default()
    };
    audit::record(&mut tx, actor, &event, now).await?;
    tx.commit().await?;
    Ok(())
}

/// The category labels for forms, in order.
pub fn categories() -> Vec<(&'static str, &'static str)> {
    Category::ALL
        .iter()
        .map(|c| (c.as_str(), c.label()))
        .collect()
}

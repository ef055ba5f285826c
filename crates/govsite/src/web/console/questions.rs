//! 用户问答 for staff: the questions routed to the reader's desk (an office reviewer's own
//! 编办, or the registry for registry reviewers), overdue ones highlighted; a thread with
//! answer, ask back and close; publishing an answered question, anonymised, to 常见问题.
//! Also the attachment download, for the asking unit and the desk's staff alike.

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use govsite_core::FieldErrors;
use govsite_core::deadline::cst_date;
use govsite_core::question::{self, QuestionEvent, QuestionState};
use govsite_core::role::Role;
use minijinja::context;
use serde::{Deserialize, Serialize};

use crate::registry::RegistryError;
use crate::registry::questions::{self as decide, Side};
use crate::store::accounts::Account;
use crate::store::questions::{self, QuestionRow};
use crate::web::WebState;
use crate::web::auth::actor;
use crate::web::error::AppError;
use crate::web::form::{self, Query};
use crate::web::session::Ctx;

pub fn routes() -> Router<WebState> {
    Router::new()
        .route("/console/questions", get(queue))
        .route("/console/questions/{id}", get(thread))
        .route("/console/questions/{id}/reply", post(reply))
        .route("/console/questions/{id}/publish", post(publish))
        .route("/console/faq/{id}/withdraw", post(withdraw))
        .route("/questions/attachments/{post}", get(attachment))
}

fn is_desk_staff(role: Role) -> bool {
    matches!(role, Role::OfficeReviewer | Role::RegistryReviewer)
}

/// Whether `user` answers `q`: an office reviewer for questions routed to their office, a
/// registry reviewer for those routed to the registry.
fn answers(user: &Account, q: &QuestionRow) -> bool {
    match user.role {
        Role::OfficeReviewer => user.office_id.is_some_and(|o| Some(o.get()) == q.office_id),
        Role::RegistryReviewer => q.office_id.is_none(),
        _ => false,
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct QueueQuery {
    state: String,
}

async fn queue(
    State(web): State<WebState>,
    ctx: Ctx,
    Query(q): Query<QueueQuery>,
) -> Result<Html<String>, AppError> {
    let user = ctx.require(is_desk_staff)?;
    let state = QuestionState::parse(&q.state);
    let desk = match user.role {
        Role::OfficeReviewer => Some(user.office_id.ok_or(AppError::Forbidden)?),
        _ => None,
    };
    let items = questions::queue(&web.db, desk, state).await?;
    let today = cst_date(web.now()).to_string();
    let rows: Vec<_> = items
        .iter()
        .map(|i| {
            let overdue = i.state.awaits_staff() && i.due_on < today;
            context! { q => i, overdue => overdue }
        })
        .collect();
    web.page(
        &ctx,
        "console/questions.html",
        context! {
            title => "用户问答",
            rows => rows,
            state => state.map_or("", QuestionState::as_str),
            states => [QuestionState::Open, QuestionState::AskedBack, QuestionState::Answered, QuestionState::Closed]
                .iter().map(|s| (s.as_str(), s.label())).collect::<Vec<_>>(),
        },
    )
}

async fn desk_question(web: &WebState, ctx: &Ctx, id: &str) -> Result<QuestionRow, AppError> {
    let user = ctx.require(is_desk_staff)?;
    let id = id.parse::<i64>().map_err(|_| AppError::NotFound)?;
    questions::find(&web.db, id)
        .await?
        .filter(|q| answers(user, q))
        .ok_or(AppError::NotFound)
}

#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(default)]
struct ReplyForm {
    action: String,
    text: String,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(default)]
struct PublishForm {
    faq_title: String,
    faq_question: String,
    faq_answer: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct DoneQuery {
    done: String,
}

async fn thread(
    State(web): State<WebState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Query(d): Query<DoneQuery>,
) -> Result<Response, AppError> {
    let q = desk_question(&web, &ctx, &id).await?;
    Ok(thread_page(&web, &ctx, &q, &d.done, (None, None), None)
        .await?
        .into_response())
}

async fn thread_page(
    web: &WebState,
    ctx: &Ctx,
    q: &QuestionRow,
    done: &str,
    (typed, publish_typed): (Option<&ReplyForm>, Option<&PublishForm>),
    errors: Option<&FieldErrors>,
) -> Result<Html<String>, AppError> {
    let posts = questions::posts(&web.db, q.id).await?;
    let published = questions::faq_of_question(&web.db, q.id).await?;
    let answered = posts.iter().any(|p| p.kind == "answer");
    // The public version, proposed anonymised for staff to check.
    let proposal = match publish_typed {
        Some(p) => p.clone(),
        None => PublishForm {
            faq_title: q.title.clone(),
            faq_question: question::anonymise(
                &posts
                    .iter()
                    .filter(|p| matches!(p.kind.as_str(), "question" | "reply"))
                    .map(|p| p.body.as_str())
                    .collect::<Vec<_>>()
                    .join("\n"),
                &q.unit_name,
            ),
            faq_answer: question::anonymise(
                &posts
                    .iter()
                    .filter(|p| p.kind == "answer")
                    .map(|p| p.body.as_str())
                    .collect::<Vec<_>>()
                    .join("\n"),
                &q.unit_name,
            ),
        },
    };
    let today = cst_date(web.now()).to_string();
    web.page(
        ctx,
        "console/question.html",
        context! {
            title => if errors.is_some() { format!("错误：{}", q.title) } else { q.title.clone() },
            q => q,
            overdue => q.state.awaits_staff() && q.due_on < today,
            posts => posts,
            done => done,
            can_answer => q.state.after(QuestionEvent::Answer).is_some(),
            can_ask_back => q.state.after(QuestionEvent::AskBack).is_some(),
            can_close => q.state.after(QuestionEvent::Close).is_some(),
            can_publish => answered && published.is_none(),
            published => published,
            typed => typed,
            proposal => proposal,
            errors => errors,
        },
    )
}

async fn reply(
    State(web): State<WebState>,
    ctx: Ctx,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, AppError> {
    let q = desk_question(&web, &ctx, &id).await?;
    let f: ReplyForm = form::parse(&body)?;
    let event = match f.action.as_str() {
        "answer" => QuestionEvent::Answer,
        "ask_back" => QuestionEvent::AskBack,
        "close" => QuestionEvent::Close,
        _ => return Err(AppError::BadRequest("请选择要进行的操作。")),
    };
    let text = if event == QuestionEvent::Close && f.text.trim().is_empty() {
        "工作人员已关闭该问题。".to_owned()
    } else {
        f.text.trim().to_owned()
    };
    let mut errors = FieldErrors::new();
    question::check_text(&mut errors, "text", &text);
    if !errors.is_empty() {
        let page = thread_page(&web, &ctx, &q, "", (Some(&f), None), Some(&errors)).await?;
        return Ok((StatusCode::BAD_REQUEST, page).into_response());
    }
    decide::step(
        &web.db,
        &actor(&ctx),
        &q,
        (Side::Staff, event),
        &text,
        None,
        web.now(),
    )
    .await?;
    Ok(Redirect::to(&format!("/console/questions/{}?done={}", q.id, f.action)).into_response())
}

async fn publish(
    State(web): State<WebState>,
    ctx: Ctx,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, AppError> {
    let q = desk_question(&web, &ctx, &id).await?;
    let f: PublishForm = form::parse(&body)?;
    let texts = (
        f.faq_title.as_str(),
        f.faq_question.as_str(),
        f.faq_answer.as_str(),
    );
    match decide::publish(&web.db, &actor(&ctx), &q, texts, web.now()).await {
        Ok(_) => Ok(
            Redirect::to(&format!("/console/questions/{}?done=published", q.id)).into_response(),
        ),
        Err(RegistryError::Form(errors)) => {
            let page = thread_page(&web, &ctx, &q, "", (None, Some(&f)), Some(&errors)).await?;
            Ok((StatusCode::BAD_REQUEST, page).into_response())
        }
        Err(e) => Err(e.into()),
    }
}

async fn withdraw(
    State(web): State<WebState>,
    ctx: Ctx,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let id = id.parse::<i64>().map_err(|_| AppError::NotFound)?;
    let entry = questions::faq_find(&web.db, id)
        .await?
        .ok_or(AppError::NotFound)?;
    // Only the desk that answered the question takes its entry down.
    let q = desk_question(
        &web,
        &ctx,
        &entry.question_id.unwrap_or_default().to_string(),
    )
    .await?;
    decide::withdraw(&web.db, &actor(&ctx), id, web.now()).await?;
    Ok(Redirect::to(&format!("/console/questions/{}?done=withdrawn", q.id)).into_response())
}

/// A post's attachment, for the asking unit or the desk's staff; anyone else gets 404.
async fn attachment(
    State(web): State<WebState>,
    ctx: Ctx,
    Path(post): Path<String>,
) -> Result<Response, AppError> {
    let user = ctx.user()?;
    let post = post.parse::<i64>().map_err(|_| AppError::NotFound)?;
    let (question, name, content_type, bytes) = questions::attachment(&web.db, post)
        .await?
        .ok_or(AppError::NotFound)?;
    let q = questions::find(&web.db, question)
        .await?
        .ok_or(AppError::NotFound)?;
    let own_unit = user.role == Role::Unit && user.unit_id.is_some_and(|u| u.get() == q.unit_id);
    if !(own_unit || answers(user, &q)) {
        return Err(AppError::NotFound);
    }
    let ext = name.rsplit_once('.').map_or("bin", |(_, e)| e);
    let encoded: String = form_urlencoded::byte_serialize(name.as_bytes()).collect();
    let disposition = format!(
        "attachment; filename=\"attachment.{}\"; filename*=UTF-8''{}",
        ext.chars()
            .filter(char::is_ascii_alphanumeric)
            .collect::<String>(),
        encoded.replace('+', "%20")
    );
    Ok((
        [
            (header::CONTENT_TYPE, content_type),
            (header::CONTENT_DISPOSITION, disposition),
            (header::CACHE_CONTROL, "no-store".to_owned()),
        ],
        bytes,
    )
        .into_response())
}

//! 用户问答 for units: ask (category, title, text, an optional image or PDF), read the thread,
//! add to it, close it. Each unit sees only its own questions.

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use govsite_core::FieldErrors;
use govsite_core::question::{self, QuestionEvent};
use minijinja::context;
use serde::Serialize;

use super::own_unit;
use crate::attachment;
use crate::registry::questions::{self as decide, Side};
use crate::store::questions::{self, Attachment, QuestionRow};
use crate::web::WebState;
use crate::web::auth::actor;
use crate::web::error::AppError;
use crate::web::form::{self, Query};
use crate::web::session::Ctx;

pub fn routes() -> Router<WebState> {
    let upload = || axum::extract::DefaultBodyLimit::max(crate::web::UPLOAD_LIMIT);
    Router::new()
        .route("/portal/questions", get(list))
        .route(
            "/portal/questions/new",
            get(new_form).post(ask).layer(upload()),
        )
        .route("/portal/questions/{id}", get(thread))
        .route("/portal/questions/{id}/reply", post(reply).layer(upload()))
        .route("/portal/questions/{id}/close", post(close))
}

#[derive(Debug, Default, serde::Deserialize)]
#[serde(default)]
pub(crate) struct DoneQuery {
    pub done: String,
}

/// What was typed in the ask form, kept when it is shown again.
#[derive(Debug, Default, Serialize)]
struct AskForm {
    category: String,
    title: String,
    text: String,
}

/// The fields and the one file of a multipart form.
struct Posted {
    fields: Vec<(String, String)>,
    file: Option<(String, Bytes)>,
}

impl Posted {
    async fn read(headers: &HeaderMap, body: Bytes) -> Result<Self, AppError> {
        let mut fields = Vec::new();
        let mut file = None;
        for p in form::multipart(headers, body).await? {
            match p.file_name {
                Some(name) if p.name == "attachment" => file = Some((name, p.bytes)),
                Some(_) => {}
                None => fields.push((p.name, String::from_utf8_lossy(&p.bytes).into_owned())),
            }
        }
        Ok(Self { fields, file })
    }

    fn get(&self, name: &str) -> String {
        self.fields
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    }

    /// The attachment checked, or its error under the field `attachment`.
    fn attachment(&self, errors: &mut FieldErrors) -> Option<attachment::Checked> {
        let (name, bytes) = self.file.as_ref()?;
        match attachment::check(name, bytes) {
            Ok(a) => a,
            Err(e) => {
                errors.add("attachment", e.to_string());
                None
            }
        }
    }
}

fn as_attachment(a: &attachment::Checked) -> Attachment<'_> {
    Attachment {
        name: &a.name,
        content_type: a.content_type,
        bytes: &a.bytes,
    }
}

async fn list(
    State(web): State<WebState>,
    ctx: Ctx,
    Query(q): Query<DoneQuery>,
) -> Result<Html<String>, AppError> {
    let unit = own_unit(&web, &ctx).await?;
    let items = questions::of_unit(&web.db, unit.id).await?;
    web.page(
        &ctx,
        "portal/questions.html",
        context! { title => "用户问答", items => items, done => q.done },
    )
}

async fn new_form(State(web): State<WebState>, ctx: Ctx) -> Result<Html<String>, AppError> {
    own_unit(&web, &ctx).await?;
    ask_page(&web, &ctx, &AskForm::default(), None)
}

fn ask_page(
    web: &WebState,
    ctx: &Ctx,
    form: &AskForm,
    errors: Option<&FieldErrors>,
) -> Result<Html<String>, AppError> {
    web.page(
        ctx,
        "portal/question_new.html",
        context! {
            title => if errors.is_some() { "错误：我要提问" } else { "我要提问" },
            form => form,
            errors => errors,
            categories => decide::categories(),
            max_text => question::MAX_TEXT,
        },
    )
}

async fn ask(
    State(web): State<WebState>,
    ctx: Ctx,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, AppError> {
    let unit = own_unit(&web, &ctx).await?;
    let posted = Posted::read(&headers, body).await?;
    let form = AskForm {
        category: posted.get("category"),
        title: posted.get("title"),
        text: posted.get("text"),
    };
    let mut errors = FieldErrors::new();
    let asked = question::parse_asked(&form.category, &form.title, &form.text);
    if let Err(e) = &asked {
        for f in e.iter() {
            errors.add(f.field.clone(), f.message.clone());
        }
    }
    let file = posted.attachment(&mut errors);
    let asked = match asked {
        Ok(a) if errors.is_empty() => a,
        _ => {
            // A good file is not kept across the form's return: say so (a refused one has
            // its own error already).
            if file.is_some() {
                errors.add("attachment", "为安全起见，页面重新显示后附件需要重新选择");
            }
            let page = ask_page(&web, &ctx, &form, Some(&errors))?;
            return Ok((StatusCode::BAD_REQUEST, page).into_response());
        }
    };
    let id = decide::ask(
        &web.db,
        &actor(&ctx),
        &unit,
        &asked,
        file.as_ref().map(as_attachment),
        web.now(),
    )
    .await?;
    Ok(Redirect::to(&format!("/portal/questions/{id}?done=asked")).into_response())
}

/// The unit's own question, or 404.
async fn own_question(web: &WebState, ctx: &Ctx, id: &str) -> Result<QuestionRow, AppError> {
    let unit = own_unit(web, ctx).await?;
    let id = id.parse::<i64>().map_err(|_| AppError::NotFound)?;
    questions::find(&web.db, id)
        .await?
        .filter(|q| q.unit_id == unit.id.get())
        .ok_or(AppError::NotFound)
}

async fn thread(
    State(web): State<WebState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Query(q): Query<DoneQuery>,
) -> Result<Response, AppError> {
    let question = own_question(&web, &ctx, &id).await?;
    Ok(thread_page(&web, &ctx, &question, &q.done, "", None)
        .await?
        .into_response())
}

async fn thread_page(
    web: &WebState,
    ctx: &Ctx,
    q: &QuestionRow,
    done: &str,
    typed: &str,
    errors: Option<&FieldErrors>,
) -> Result<Html<String>, AppError> {
    let posts = questions::posts(&web.db, q.id).await?;
    let can_reply = q.state.after(QuestionEvent::Reply).is_some();
    web.page(
        ctx,
        "portal/question.html",
        context! {
            title => if errors.is_some() { format!("错误：{}", q.title) } else { q.title.clone() },
            q => q,
            posts => posts,
            done => done,
            can_reply => can_reply,
            can_close => q.state.after(QuestionEvent::Close).is_some(),
            typed => typed,
            errors => errors,
            base => format!("/portal/questions/{}", q.id),
        },
    )
}

async fn reply(
    State(web): State<WebState>,
    ctx: Ctx,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, AppError> {
    let q = own_question(&web, &ctx, &id).await?;
    let posted = Posted::read(&headers, body).await?;
    let text = posted.get("text");
    let mut errors = FieldErrors::new();
    question::check_text(&mut errors, "text", &text);
    let file = posted.attachment(&mut errors);
    if !errors.is_empty() {
        let page = thread_page(&web, &ctx, &q, "", &text, Some(&errors)).await?;
        return Ok((StatusCode::BAD_REQUEST, page).into_response());
    }
    decide::step(
        &web.db,
        &actor(&ctx),
        &q,
        (Side::Unit, QuestionEvent::Reply),
        text.trim(),
        file.as_ref().map(as_attachment),
        web.now(),
    )
    .await?;
    Ok(Redirect::to(&format!("/portal/questions/{}?done=replied", q.id)).into_response())
}

async fn close(
    State(web): State<WebState>,
    ctx: Ctx,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let q = own_question(&web, &ctx, &id).await?;
    decide::step(
        &web.db,
        &actor(&ctx),
        &q,
        (Side::Unit, QuestionEvent::Close),
        "单位已关闭该问题。",
        None,
        web.now(),
    )
    .await?;
    Ok(Redirect::to(&format!("/portal/questions/{}?done=closed", q.id)).into_response())
}

//! 红页管理: the unit edits its 网络红页 (profile, sections, footer, notices, logo), previews
//! the draft exactly as it will be public, publishes it as a version, rolls back to an earlier
//! version, or withdraws it. Only the signed-in unit's own red page is reachable here.

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use govsite_core::deadline::cst_date;
use govsite_core::red_page::{NOTICES_PER_PAGE, NoticeForm, RedPageContent, RedPageForm, SECTIONS};
use minijinja::context;
use serde::Deserialize;

use super::own_unit;
use crate::red_page::book::web_base;
use crate::red_page::image;
use crate::red_page::render::{self, BadgeMark, Frame, PagePath};
use crate::registry::RegistryError;
use crate::registry::red_pages as decide;
use crate::store::domains;
use crate::store::red_pages::{self, RedPage};
use crate::store::units::UnitRecord;
use crate::web::WebState;
use crate::web::auth::actor;
use crate::web::error::AppError;
use crate::web::form::{self, PathText, Query, page_number};
use crate::web::session::Ctx;

pub fn routes() -> Router<WebState> {
    Router::new()
        .route("/portal/red-page", get(overview))
        .route("/portal/red-page/edit", get(edit).post(save))
        .route("/portal/red-page/notices", get(notices))
        .route(
            "/portal/red-page/notices/new",
            get(new_notice).post(create_notice),
        )
        .route(
            "/portal/red-page/notices/{id}",
            get(edit_notice).post(update_notice),
        )
        .route("/portal/red-page/notices/{id}/delete", post(delete_notice))
        // The session layer has already read (and limited) the body: axum's own 2 MB limit
        // must not cut an upload the image check would refuse with its own words.
        .route(
            "/portal/red-page/logo",
            post(upload_logo).layer(axum::extract::DefaultBodyLimit::max(
                crate::web::UPLOAD_LIMIT,
            )),
        )
        .route("/portal/red-page/logo/remove", post(remove_logo))
        .route("/portal/red-page/publish", post(publish))
        .route("/portal/red-page/unpublish", post(unpublish))
        .route("/portal/red-page/rollback", post(rollback))
        .route(
            "/portal/red-page/preview",
            get(|| async { Redirect::permanent("/portal/red-page/preview/") }),
        )
        .route("/portal/red-page/preview/", get(preview_home))
        .route("/portal/red-page/preview/{*rest}", get(preview_page))
}

/// The draft a unit starts from: its own 单位信息.
fn initial(unit: &UnitRecord) -> RedPageContent {
    RedPageContent::from_unit(
        &unit.form.name,
        &unit.form.functions,
        &unit.form.address,
        &unit.form.postcode,
    )
}

/// The unit's draft: stored, or its first one.
async fn draft(
    web: &WebState,
    unit: &UnitRecord,
) -> Result<(Option<RedPage>, RedPageContent), AppError> {
    let page = red_pages::find(&web.db, unit.id).await?;
    let draft = page
        .as_ref()
        .map_or_else(|| initial(unit), |p| p.draft.clone());
    Ok((page, draft))
}

/// What just happened, for the page after a redirect.
const DONE: [(&str, &str); 8] = [
    ("saved", "红页草稿已保存。发布后公众才能看到修改。"),
    ("published", "红页已发布，公众现在可以访问。"),
    ("rolled_back", "已回滚并重新发布所选版本。"),
    (
        "unpublished",
        "红页已撤下，公众不再能访问；网站标识恢复为待挂标。",
    ),
    ("logo", "红页图片已上传到草稿。"),
    ("logo_removed", "已从草稿中移除红页图片。"),
    ("notice_saved", "公告已保存到草稿。"),
    ("notice_deleted", "公告已从草稿中删除。"),
];

#[derive(Deserialize, Default)]
#[serde(default)]
struct DoneQuery {
    done: String,
    page: Option<String>,
}

fn done_text(key: &str) -> Option<&'static str> {
    DONE.iter().find(|(k, _)| *k == key).map(|(_, t)| *t)
}

async fn overview(
    State(web): State<WebState>,
    ctx: Ctx,
    Query(q): Query<DoneQuery>,
) -> Result<Html<String>, AppError> {
    overview_page(&web, &ctx, done_text(&q.done), None).await
}

async fn overview_page(
    web: &WebState,
    ctx: &Ctx,
    done: Option<&str>,
    logo_error: Option<String>,
) -> Result<Html<String>, AppError> {
    let unit = own_unit(web, ctx).await?;
    let (page, draft) = draft(web, &unit).await?;
    let versions = red_pages::versions(&web.db, unit.id).await?;
    let site = red_pages::site(&web.db, unit.id).await?;
    let names: Vec<_> = domains::of_unit(&web.db, unit.id)
        .await?
        .into_iter()
        .filter(|d| d.variant_of.is_none() && matches!(d.state.as_str(), "active" | "expired"))
        .collect();
    let slug = red_pages::slug(&web.db, unit.id).await?.unwrap_or_default();
    let own_names: Vec<String> = names
        .iter()
        .filter(|d| d.plan == "red_page")
        .map(|d| d.unicode())
        .collect();
    let public = page.as_ref().is_some_and(|p| p.state.is_public());
    web.page(
        ctx,
        "portal/red_page.html",
        context! {
            title => "红页管理",
            done => done,
            logo_error => logo_error,
            page => page,
            draft => draft,
            public => public,
            versions => versions,
            site => site.as_ref().map(|s| context! {
                name => s.name,
                badge_code => s.badge_code,
                badge_state => s.badge_state.as_str(),
                badge_state_label => s.badge_state.label(),
                mount_due => s.mount_due,
            }),
            public_path => web_base(&slug),
            public_url => format!("{}{}", web.config.public_url, web_base(&slug)),
            own_names => own_names,
            has_names => !names.is_empty(),
            max_mb => image::MAX_BYTES / (1024 * 1024),
        },
    )
}

async fn edit(State(web): State<WebState>, ctx: Ctx) -> Result<Html<String>, AppError> {
    let unit = own_unit(&web, &ctx).await?;
    let (_, draft) = draft(&web, &unit).await?;
    edit_page(&web, &ctx, &RedPageForm::of(&draft), None)
}

fn edit_page(
    web: &WebState,
    ctx: &Ctx,
    form: &RedPageForm,
    errors: Option<&govsite_core::FieldErrors>,
) -> Result<Html<String>, AppError> {
    let sections: Vec<_> = SECTIONS
        .iter()
        .map(|(key, title)| context! { key => key, title => title })
        .collect();
    web.page(
        ctx,
        "portal/red_page_edit.html",
        context! {
            title => if errors.is_some() { "错误：编辑红页内容" } else { "编辑红页内容" },
            form => form,
            errors => errors,
            sections => sections,
        },
    )
}

async fn save(State(web): State<WebState>, ctx: Ctx, body: Bytes) -> Result<Response, AppError> {
    let unit = own_unit(&web, &ctx).await?;
    let form: RedPageForm = form::parse(&body)?;
    match decide::save_profile(&web.db, unit.id, &initial(&unit), &form, web.now()).await {
        Ok(()) => Ok(Redirect::to("/portal/red-page?done=saved").into_response()),
        Err(RegistryError::Form(errors)) => {
            Ok(edit_page(&web, &ctx, &form, Some(&errors))?.into_response())
        }
        Err(e) => Err(e.into()),
    }
}

async fn notices(
    State(web): State<WebState>,
    ctx: Ctx,
    Query(q): Query<DoneQuery>,
) -> Result<Html<String>, AppError> {
    let unit = own_unit(&web, &ctx).await?;
    let (_, draft) = draft(&web, &unit).await?;
    let pages = draft.notice_pages();
    let page = (page_number(q.page.as_deref()) as usize).min(pages);
    let list: Vec<_> = draft
        .notices_newest_first()
        .into_iter()
        .skip((page - 1) * NOTICES_PER_PAGE)
        .take(NOTICES_PER_PAGE)
        .cloned()
        .collect();
    web.page(
        &ctx,
        "portal/red_page_notices.html",
        context! {
            title => "红页公告",
            done => done_text(&q.done),
            notices => list,
            total => draft.notices.len(),
            page => page,
            pages => pages,
        },
    )
}

fn notice_page(
    web: &WebState,
    ctx: &Ctx,
    id: Option<u32>,
    form: &NoticeForm,
    errors: Option<&govsite_core::FieldErrors>,
) -> Result<Html<String>, AppError> {
    let title = match (id, errors.is_some()) {
        (None, false) => "新增公告",
        (None, true) => "错误：新增公告",
        (Some(_), false) => "修改公告",
        (Some(_), true) => "错误：修改公告",
    };
    web.page(
        ctx,
        "portal/red_page_notice.html",
        context! { title => title, id => id, form => form, errors => errors },
    )
}

async fn new_notice(State(web): State<WebState>, ctx: Ctx) -> Result<Html<String>, AppError> {
    own_unit(&web, &ctx).await?;
    let form = NoticeForm {
        date: cst_date(web.now()).to_string(),
        ..NoticeForm::default()
    };
    notice_page(&web, &ctx, None, &form, None)
}

fn notice_id(raw: &str) -> Result<u32, AppError> {
    raw.parse::<u32>()
        .ok()
        .filter(|n| *n > 0)
        .ok_or(AppError::NotFound)
}

async fn edit_notice(
    State(web): State<WebState>,
    ctx: Ctx,
    PathText(raw): PathText,
) -> Result<Html<String>, AppError> {
    let id = notice_id(&raw)?;
    let unit = own_unit(&web, &ctx).await?;
    let (_, draft) = draft(&web, &unit).await?;
    let notice = draft.notice(id).ok_or(AppError::NotFound)?;
    notice_page(&web, &ctx, Some(id), &NoticeForm::of(notice), None)
}

async fn put_notice(
    web: &WebState,
    ctx: &Ctx,
    id: Option<u32>,
    body: &Bytes,
) -> Result<Response, AppError> {
    let unit = own_unit(web, ctx).await?;
    let form: NoticeForm = form::parse(body)?;
    match decide::put_notice(&web.db, unit.id, &initial(&unit), id, &form, web.now()).await {
        Ok(_) => Ok(Redirect::to("/portal/red-page/notices?done=notice_saved").into_response()),
        Err(RegistryError::Form(errors)) => {
            Ok(notice_page(web, ctx, id, &form, Some(&errors))?.into_response())
        }
        Err(e) => Err(e.into()),
    }
}

async fn create_notice(
    State(web): State<WebState>,
    ctx: Ctx,
    body: Bytes,
) -> Result<Response, AppError> {
    put_notice(&web, &ctx, None, &body).await
}

async fn update_notice(
    State(web): State<WebState>,
    ctx: Ctx,
    PathText(raw): PathText,
    body: Bytes,
) -> Result<Response, AppError> {
    let id = notice_id(&raw)?;
    put_notice(&web, &ctx, Some(id), &body).await
}

async fn delete_notice(
    State(web): State<WebState>,
    ctx: Ctx,
    PathText(raw): PathText,
) -> Result<Response, AppError> {
    let id = notice_id(&raw)?;
    let unit = own_unit(&web, &ctx).await?;
    decide::remove_notice(&web.db, unit.id, &initial(&unit), id, web.now()).await?;
    Ok(Redirect::to("/portal/red-page/notices?done=notice_deleted").into_response())
}

/// The logo form: one file field `logo`. A refused image shows its reason on the overview.
async fn upload_logo(
    State(web): State<WebState>,
    ctx: Ctx,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, AppError> {
    let unit = own_unit(&web, &ctx).await?;
    let parts = form::multipart(&headers, body).await?;
    let file = parts
        .into_iter()
        .find(|p| p.name == "logo" && p.file_name.is_some());
    let checked = match file {
        Some(f) => {
            let name = f.file_name.clone().unwrap_or_default();
            tokio::task::spawn_blocking(move || image::check(&name, &f.bytes))
                .await
                .map_err(|_| AppError::BadRequest("图片处理失败，请重新上传。"))?
        }
        None => Err(image::ImageError::Empty),
    };
    match checked {
        Ok(img) => {
            decide::set_logo(
                &web.db,
                &actor(&ctx),
                unit.id,
                &initial(&unit),
                &img,
                web.now(),
            )
            .await?;
            Ok(Redirect::to("/portal/red-page?done=logo").into_response())
        }
        Err(e) => Ok((
            axum::http::StatusCode::BAD_REQUEST,
            overview_page(&web, &ctx, None, Some(e.to_string())).await?,
        )
            .into_response()),
    }
}

async fn remove_logo(State(web): State<WebState>, ctx: Ctx) -> Result<Response, AppError> {
    let unit = own_unit(&web, &ctx).await?;
    decide::remove_logo(&web.db, unit.id, web.now()).await?;
    Ok(Redirect::to("/portal/red-page?done=logo_removed").into_response())
}

async fn publish(State(web): State<WebState>, ctx: Ctx) -> Result<Response, AppError> {
    let unit = own_unit(&web, &ctx).await?;
    decide::publish(&web.db, &actor(&ctx), unit.id, web.now()).await?;
    Ok(Redirect::to("/portal/red-page?done=published").into_response())
}

async fn unpublish(State(web): State<WebState>, ctx: Ctx) -> Result<Response, AppError> {
    let unit = own_unit(&web, &ctx).await?;
    decide::unpublish(&web.db, &actor(&ctx), unit.id, web.now()).await?;
    Ok(Redirect::to("/portal/red-page?done=unpublished").into_response())
}

#[derive(Deserialize)]
struct RollbackForm {
    #[serde(default)]
    version_id: String,
}

async fn rollback(
    State(web): State<WebState>,
    ctx: Ctx,
    body: Bytes,
) -> Result<Response, AppError> {
    let unit = own_unit(&web, &ctx).await?;
    let form: RollbackForm = form::parse(&body)?;
    let version = form
        .version_id
        .trim()
        .parse::<i64>()
        .map_err(|_| AppError::BadRequest("没有这个红页版本"))?;
    decide::rollback(&web.db, &actor(&ctx), unit.id, version, web.now()).await?;
    Ok(Redirect::to("/portal/red-page?done=rolled_back").into_response())
}

async fn preview_home(
    State(web): State<WebState>,
    ctx: Ctx,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    preview(&web, &ctx, "", &headers).await
}

async fn preview_page(
    State(web): State<WebState>,
    ctx: Ctx,
    PathText(rest): PathText,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    preview(&web, &ctx, &rest, &headers).await
}

async fn preview(
    web: &WebState,
    ctx: &Ctx,
    rest: &str,
    headers: &HeaderMap,
) -> Result<Response, AppError> {
    let unit = own_unit(web, ctx).await?;
    let (_, draft) = draft(web, &unit).await?;
    preview_response(
        web,
        &unit,
        &draft,
        "/portal/red-page/preview/",
        "草稿预览",
        rest,
        headers,
    )
    .await
}

/// A page of `content` as it will be public, under `base` (the unit's preview, or a
/// reviewer's): the same rendering as the public page, with a banner naming the preview.
pub(crate) async fn preview_response(
    web: &WebState,
    unit: &UnitRecord,
    content: &RedPageContent,
    base: &str,
    banner: &'static str,
    rest: &str,
    headers: &HeaderMap,
) -> Result<Response, AppError> {
    let path = PagePath::parse(rest).ok_or(AppError::NotFound)?;
    match path {
        PagePath::Css => Ok((
            [(axum::http::header::CONTENT_TYPE, "text/css; charset=utf-8")],
            render::CSS,
        )
            .into_response()),
        PagePath::Logo(id) => {
            let img = red_pages::image(&web.db, id)
                .await?
                .filter(|i| i.unit_id == unit.id)
                .ok_or(AppError::NotFound)?;
            Ok(crate::red_page::serve::image_response(&img, headers))
        }
        _ => {
            let site = red_pages::site(&web.db, unit.id).await?;
            let frame = Frame {
                base: base.to_owned(),
                web: String::new(),
                canonical: None,
                preview: Some(banner),
                badge: site
                    .filter(|s| s.badge_state != govsite_core::badge_state::BadgeState::Revoked)
                    .map(|s| BadgeMark {
                        code: s.badge_code,
                        blue: unit.org_type == "public_institution",
                    }),
            };
            let html = render::page(content, &frame, &path).ok_or(AppError::NotFound)?;
            Ok(Html(html).into_response())
        }
    }
}

//! Forms arrive as strings: a body is decoded into an all-`String` struct so that whatever the
//! user typed can be shown again beside the errors.

use axum::body::Bytes;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use serde::de::DeserializeOwned;

use super::error::AppError;

/// A query string decoded into `T`; anything unreadable is a plain-Chinese 400, not axum's
/// English rejection.
pub struct Query<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for Query<T> {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, AppError> {
        let query = parts.uri.query().unwrap_or("");
        refuse_control_characters(query.as_bytes())?;
        serde_urlencoded::from_str(query)
            .map(Query)
            .map_err(|_| AppError::BadRequest("网址中的查询参数无法识别，请检查后重试。"))
    }
}

/// The one path parameter of a route, as text; an undecodable one is a 404.
pub struct PathText(pub String);

impl<S: Send + Sync> FromRequestParts<S> for PathText {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, AppError> {
        axum::extract::Path::<String>::from_request_parts(parts, state)
            .await
            .map(|p| PathText(p.0))
            .map_err(|_| AppError::NotFound)
    }
}

/// The one path parameter of a route as a typed id (`/…/{id}`); anything but a plain positive
/// decimal is a 404, like an id that does not exist.
pub struct PathId<T>(pub T);

impl<S: Send + Sync, T: std::str::FromStr> FromRequestParts<S> for PathId<T> {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, AppError> {
        let PathText(raw) = PathText::from_request_parts(parts, state).await?;
        raw.parse().map(PathId).map_err(|_| AppError::NotFound)
    }
}

/// Control characters (NUL above all, which PostgreSQL refuses in text) have no place in any
/// field; tabs and line breaks do.
fn refuse_control_characters(encoded: &[u8]) -> Result<(), AppError> {
    let bad = form_urlencoded::parse(encoded).any(|(k, v)| {
        k.chars()
            .chain(v.chars())
            .any(|c| c.is_control() && !matches!(c, '\t' | '\n' | '\r'))
    });
    if bad {
        Err(AppError::BadRequest(
            "提交的内容含有无法识别的控制字符，请删除后重新提交。",
        ))
    } else {
        Ok(())
    }
}

/// The decoded name/value pairs of a form body, for forms whose field names vary.
pub fn pairs(body: &Bytes) -> Result<Vec<(String, String)>, AppError> {
    refuse_control_characters(body)?;
    Ok(form_urlencoded::parse(body).into_owned().collect())
}

/// Decodes a URL-encoded body. Unknown fields are ignored; malformed bodies are a 400.
pub fn parse<T: DeserializeOwned>(body: &Bytes) -> Result<T, AppError> {
    refuse_control_characters(body)?;
    serde_urlencoded::from_bytes(body)
        .map_err(|_| AppError::BadRequest("提交的表单内容无法识别，请返回上一页重新填写。"))
}

/// The page number of a `?page=` value, 1 when absent or nonsense, at most 100000.
pub fn page_number(raw: Option<&str>) -> u32 {
    raw.and_then(|p| p.trim().parse::<u32>().ok())
        .filter(|p| *p >= 1)
        .map_or(1, |p| p.min(100_000))
}

/// A same-site path to return to after sign-in; anything else becomes the portal home.
pub fn safe_next(next: &str) -> &str {
    // Browsers drop tabs and newlines and read '\\' as '/', so "/\t/evil" would leave the site.
    let ok = next.starts_with('/')
        && !next.starts_with("//")
        && !next
            .chars()
            .any(|c| c.is_control() || c.is_whitespace() || c == '\\');
    if ok { next } else { "/portal" }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_paths_stay_on_site() {
        assert_eq!(safe_next("/console/units?page=2"), "/console/units?page=2");
        assert_eq!(safe_next("//evil.example/"), "/portal");
        assert_eq!(safe_next("https://evil.example/"), "/portal");
        assert_eq!(safe_next("/\\evil"), "/portal");
        assert_eq!(safe_next("/\t/evil.example/"), "/portal");
        assert_eq!(safe_next("/\n/evil.example/"), "/portal");
        assert_eq!(safe_next("/ /evil.example/"), "/portal");
        assert_eq!(page_number(Some("-1")), 1);
        assert_eq!(page_number(Some("99999999999")), 1);
        assert_eq!(page_number(Some("3")), 3);
    }
}

/// One part of a multipart body: a field, or a file with the name the browser gave it.
#[derive(Debug)]
pub struct Part {
    pub name: String,
    pub file_name: Option<String>,
    pub bytes: Bytes,
}

/// The boundary of a `multipart/form-data` request, if it is one.
pub fn multipart_boundary(headers: &axum::http::HeaderMap) -> Option<String> {
    let ct = headers
        .get(axum::http::header::CONTENT_TYPE)?
        .to_str()
        .ok()?;
    multer::parse_boundary(ct).ok()
}

/// The parts of a multipart body already read (and size-limited) by the session layer; at
/// most 40 parts, control characters refused in the fields.
pub async fn multipart(
    headers: &axum::http::HeaderMap,
    body: Bytes,
) -> Result<Vec<Part>, AppError> {
    let bad = || AppError::BadRequest("上传的内容无法识别，请重新选择文件后提交。");
    let boundary = multipart_boundary(headers).ok_or_else(bad)?;
    let stream = futures_util::stream::once(async move { Ok::<Bytes, std::io::Error>(body) });
    let mut reader = multer::Multipart::new(stream, boundary);
    let mut out = Vec::new();
    while let Some(field) = reader.next_field().await.map_err(|_| bad())? {
        if out.len() >= 40 {
            return Err(bad());
        }
        let name = field.name().unwrap_or_default().to_owned();
        let file_name = field.file_name().map(str::to_owned);
        let bytes = field.bytes().await.map_err(|_| bad())?;
        if file_name.is_none()
            && String::from_utf8_lossy(&bytes)
                .chars()
                .any(|c| c.is_control() && !matches!(c, '\t' | '\n' | '\r'))
        {
            return Err(AppError::BadRequest(
                "提交的内容含有无法识别的控制字符，请删除后重新提交。",
            ));
        }
        out.push(Part {
            name,
            file_name,
            bytes,
        });
    }
    Ok(out)
}

/// A date typed as `YYYY-MM-DD`, as the start of that day in China Standard Time (unix
/// seconds); anything else is `None` (no bound).
pub fn day_start(raw: &str) -> Option<i64> {
    chrono::NaiveDate::parse_from_str(raw.trim(), "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|t| t.and_utc().timestamp() - 8 * 3600)
}

/// The page a list asks for (`after` / `before` / `page` / `last`, see
/// `govsite_core::paging`) and the page its keyset links were followed from (`at`).
pub fn page_request(
    after: &str,
    before: &str,
    page: &str,
    last: &str,
    at: &str,
) -> (govsite_core::paging::PageRequest, u32) {
    (
        govsite_core::paging::PageRequest::from_query(after, before, page, last),
        at.parse::<u32>().unwrap_or(1).max(1),
    )
}

/// The registry's region filter from a query (a six-digit code: a province, a city or a
/// county); an office's lists stay within its own region, so for it there is none.
pub fn area(scope: crate::store::units::Scope, code: &str) -> Option<(i64, i64)> {
    match scope {
        crate::store::units::Scope::All => govsite_core::region::RegionCode::parse(code)
            .ok()
            .map(govsite_core::region::RegionCode::area),
        crate::store::units::Scope::Region(_) => None,
    }
}

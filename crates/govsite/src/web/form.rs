//! Forms arrive as strings: a body is decoded into an all-`String` struct so that whatever the
//! user typed can be shown again beside the errors.

use axum::body::Bytes;
use serde::de::DeserializeOwned;

use super::error::AppError;

/// Decodes a URL-encoded body. Unknown fields are ignored; malformed bodies are a 400.
pub fn parse<T: DeserializeOwned>(body: &Bytes) -> Result<T, AppError> {
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
    let ok = next.starts_with('/')
        && !next.starts_with("//")
        && !next.starts_with("/\\")
        && !next.contains(['\r', '\n']);
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
        assert_eq!(page_number(Some("-1")), 1);
        assert_eq!(page_number(Some("99999999999")), 1);
        assert_eq!(page_number(Some("3")), 3);
    }
}

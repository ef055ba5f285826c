//! The captcha of the website application (figure 6's 验证码): a small sum in Chinese words
//! ("七加五等于几？"), drawn as an image by default, or given as text for people who cannot
//! see the image (screen readers, 适老化) — a different challenge, not the image's answer.
//! It slows scripted submission; the real limit is the rate limit on wrong answers
//! ([`MAX_WRONG_PER_HOUR`] per account).

use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use super::WebState;
use super::error::AppError;
use super::form::PathText;
use super::session::Ctx;
use crate::auth::token::{hash_token, random_bytes, random_token, well_formed};
use crate::store::{captchas, throttle};

pub const MAX_WRONG_PER_HOUR: i64 = 10;

const DIGITS: [&str; 21] = [
    "零", "一", "二", "三", "四", "五", "六", "七", "八", "九", "十", "十一", "十二", "十三",
    "十四", "十五", "十六", "十七", "十八", "十九", "二十",
];

/// A challenge as a page shows it.
#[derive(Debug, Clone, Serialize)]
pub struct Challenge {
    pub token: String,
    /// The question in words when it is the text variant; empty for the image variant.
    pub text: String,
}

fn question() -> (String, String) {
    let b = random_bytes::<3>().unwrap_or([7, 5, 0]);
    let x = usize::from(b[0]) % 20 + 1;
    let y = usize::from(b[1]) % 9 + 1;
    if b[2].is_multiple_of(2) || x <= y {
        (
            format!("{}加{}等于几？", DIGITS[x], DIGITS[y]),
            (x + y).to_string(),
        )
    } else {
        (
            format!("{}减{}等于几？", DIGITS[x], DIGITS[y]),
            (x - y).to_string(),
        )
    }
}

/// A fresh challenge, stored as `question<TAB>answer` under the token's hash.
pub async fn issue(web: &WebState, text: bool) -> Result<Challenge, AppError> {
    let token = random_token();
    let (q, answer) = question();
    captchas::insert(
        &web.db,
        &hash_token(&token),
        &format!("{q}\t{answer}"),
        web.now(),
    )
    .await?;
    Ok(Challenge {
        token,
        text: if text { q } else { String::new() },
    })
}

/// Uses the challenge up and says whether `answer` is right. Wrong answers count against the
/// account; past the limit every attempt is refused for an hour.
pub async fn verify(
    web: &WebState,
    ctx: &Ctx,
    token: &str,
    answer: &str,
) -> Result<bool, AppError> {
    let key = ctx
        .user
        .as_ref()
        .map_or_else(|| ctx.ip.clone(), |u| u.id.get().to_string());
    let now = web.now();
    if throttle::failures_since(&web.db, throttle::Scope::Captcha, &key, now - 3600).await?
        >= MAX_WRONG_PER_HOUR
    {
        return Err(AppError::TooMany("验证码错误次数过多，请一小时后再试。"));
    }
    let attempt = throttle::record_failure(&web.db, throttle::Scope::Captcha, &key, now).await?;
    if !well_formed(token) {
        return Ok(false);
    }
    let stored = captchas::take(&web.db, &hash_token(token), now).await?;
    let right = stored
        .as_deref()
        .and_then(|s| s.split_once('\t'))
        .is_some_and(|(_, a)| a == answer.trim());
    if right {
        throttle::forget(&web.db, attempt).await?;
    }
    Ok(right)
}

/// `/captcha/{token}.svg`: the question drawn with each character turned and shifted a
/// little over a few lines of noise. Never cached.
pub async fn image(
    State(web): State<WebState>,
    PathText(raw): PathText,
) -> Result<Response, AppError> {
    let token = raw.strip_suffix(".svg").ok_or(AppError::NotFound)?;
    if !well_formed(token) {
        return Err(AppError::NotFound);
    }
    let stored = captchas::peek(&web.db, &hash_token(token), web.now())
        .await?
        .ok_or(AppError::NotFound)?;
    let q = stored.split_once('\t').map_or("", |(q, _)| q);
    Ok((
        [
            (header::CONTENT_TYPE, "image/svg+xml"),
            (header::CACHE_CONTROL, "no-store"),
        ],
        svg(q),
    )
        .into_response())
}

fn svg(q: &str) -> String {
    let noise = random_bytes::<32>().unwrap_or([3; 32]);
    let chars: Vec<char> = q.chars().collect();
    let width = 28 * chars.len() + 20;
    let mut out = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"48\" viewBox=\"0 0 {width} 48\"><rect width=\"100%\" height=\"100%\" fill=\"#f4f1ea\"/>"
    );
    for i in 0..4 {
        let (a, b) = (
            usize::from(noise[i * 2]) % 48,
            usize::from(noise[i * 2 + 1]) % 48,
        );
        out.push_str(&format!(
            "<line x1=\"0\" y1=\"{a}\" x2=\"{width}\" y2=\"{b}\" stroke=\"#9a8f7a\" stroke-width=\"1\"/>"
        ));
    }
    for (i, c) in chars.iter().enumerate() {
        let n = noise[(i + 8) % 32];
        let angle = i32::from(n % 31) - 15;
        let dy = i32::from(n % 7) - 3;
        let x = 10 + 28 * i;
        out.push_str(&format!(
            "<text x=\"{x}\" y=\"{}\" font-size=\"24\" font-family=\"sans-serif\" fill=\"#2b2b2b\" transform=\"rotate({angle} {} 24)\">{c}</text>",
            32 + dy,
            x + 12
        ));
    }
    out.push_str("</svg>");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn questions_have_their_answers() {
        for _ in 0..200 {
            let (q, a) = question();
            let n: usize = a.parse().unwrap();
            assert!(n <= 29, "{q} {a}");
            assert!(q.ends_with("等于几？"));
        }
        assert!(svg("七加五等于几？").contains(">七</text>"));
    }
}

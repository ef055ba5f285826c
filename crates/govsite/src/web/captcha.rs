//! The captcha of the website application (figure 6's 验证码): a small sum in Chinese words
//! ("七加五等于几？"), drawn as an image by default, or given as text for people who cannot
//! see the image (screen readers, 适老化) — a different challenge, not the image's answer.
//! It slows scripted submission; the real limit is the rate limit on wrong answers
//! ([`MAX_WRONG_PER_HOUR`] per account). A challenge is a signed token carrying its expiry;
//! its question comes from a MAC of its nonce, so showing one writes nothing, and its use is
//! recorded at submission so that it serves once.

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

/// The question and answer a challenge's random bytes stand for.
fn question_from(b: [u8; 3]) -> (String, String) {
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

#[cfg(test)]
fn question() -> (String, String) {
    question_from(random_bytes::<3>().unwrap_or([7, 5, 0]))
}

/// A challenge lives this long.
const LIFETIME: i64 = 600;

/// A challenge's token: `expiry~nonce`, signed with the form key. Its question is drawn from
/// a MAC of the nonce, so only the server knows it; nothing is stored until it is used.
fn challenge_of(key: &[u8; 32], token: &str, now: i64) -> Option<(String, String)> {
    let value = super::signed::verify(key, token)?;
    let (expiry, nonce) = value.split_once('~')?;
    if expiry.parse::<i64>().ok()? < now || !well_formed(nonce) {
        return None;
    }
    let t = super::signed::tag(key, format!("captcha:{nonce}").as_bytes());
    Some(question_from([t[0], t[1], t[2]]))
}

/// A fresh challenge: nothing is written (a public page may be viewed any number of times).
pub async fn issue(web: &WebState, text: bool) -> Result<Challenge, AppError> {
    let key = web.form_key().await?;
    let token = super::signed::sign(
        &key,
        &format!("{}~{}", web.now() + LIFETIME, random_token()),
    );
    let text = if text {
        challenge_of(&key, &token, web.now()).map_or_else(String::new, |(q, _)| q)
    } else {
        String::new()
    };
    Ok(Challenge { token, text })
}

/// Uses the challenge up and says whether `answer` is right. Wrong answers count against the
/// account; past the limit every attempt is refused for an hour. A challenge is used once,
/// right or wrong: its use is recorded at submission (a POST), not when it is shown.
pub async fn verify(
    web: &WebState,
    ctx: &Ctx,
    token: &str,
    answer: &str,
) -> Result<bool, AppError> {
    let key = ctx
        .user
        .as_ref()
        .map_or_else(|| ctx.limit_key.clone(), |u| u.id.get().to_string());
    let now = web.now();
    if throttle::failures_since(&web.db, throttle::Scope::Captcha, &key, now - 3600).await?
        >= MAX_WRONG_PER_HOUR
    {
        return Err(AppError::TooMany("验证码错误次数过多，请一小时后再试。"));
    }
    let attempt = throttle::record_failure(&web.db, throttle::Scope::Captcha, &key, now).await?;
    let Some((_, expected)) = challenge_of(&web.form_key().await?, token, now) else {
        return Ok(false);
    };
    if !captchas::use_once(&web.db, &hash_token(token), now + LIFETIME, now).await? {
        return Ok(false);
    }
    let right = expected == answer.trim();
    if right {
        throttle::forget(&web.db, attempt).await?;
    }
    Ok(right)
}

/// `/captcha/{token}.svg`: the question drawn with each character turned and shifted a
/// little over a few lines of noise. Never cached; read from the token alone.
pub async fn image(
    State(web): State<WebState>,
    PathText(raw): PathText,
) -> Result<Response, AppError> {
    let token = raw.strip_suffix(".svg").ok_or(AppError::NotFound)?;
    let (q, _) =
        challenge_of(&web.form_key().await?, token, web.now()).ok_or(AppError::NotFound)?;
    Ok((
        [
            (header::CONTENT_TYPE, "image/svg+xml"),
            (header::CACHE_CONTROL, "no-store"),
        ],
        svg(&q),
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

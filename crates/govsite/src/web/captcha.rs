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
use crate::auth::token::{hash_token, random_token, well_formed};
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

/// The sum a challenge's random bytes stand for: `x + y` or `x − y`, never below zero.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Sum {
    x: usize,
    y: usize,
    minus: bool,
}

impl Sum {
    fn from_bytes(b: [u8; 3]) -> Self {
        let x = usize::from(b[0]) % 20 + 1;
        let y = usize::from(b[1]) % 9 + 1;
        Self {
            x,
            y,
            minus: !b[2].is_multiple_of(2) && x > y,
        }
    }

    /// The text question, in words ("十七减五等于几？").
    fn words(self) -> String {
        let op = if self.minus { "减" } else { "加" };
        format!("{}{op}{}等于几？", DIGITS[self.x], DIGITS[self.y])
    }

    /// What the picture shows ("17 - 5 = ?").
    fn symbols(self) -> String {
        let op = if self.minus { '-' } else { '+' };
        format!("{} {op} {} = ?", self.x, self.y)
    }

    fn answer(self) -> String {
        if self.minus {
            self.x - self.y
        } else {
            self.x + self.y
        }
        .to_string()
    }
}

/// A challenge lives this long.
const LIFETIME: i64 = 600;

/// A challenge's token: `expiry~nonce`, signed with the form key. Its question is drawn from
/// a MAC of the nonce, so only the server knows it; nothing is stored until it is used.
/// With the sum comes the seed of its picture's noise, also from the MAC: the same challenge
/// is always the same picture, so fetching it many times and averaging removes no noise.
fn challenge_of(key: &[u8; 32], token: &str, now: i64) -> Option<(Sum, u64)> {
    let value = super::signed::verify(key, token)?;
    let (expiry, nonce) = value.split_once('~')?;
    if expiry.parse::<i64>().ok()? < now || !well_formed(nonce) {
        return None;
    }
    let t = super::signed::tag(key, format!("captcha:{nonce}").as_bytes());
    let mut seed = [0u8; 8];
    seed.copy_from_slice(&t[8..16]);
    Some((
        Sum::from_bytes([t[0], t[1], t[2]]),
        u64::from_le_bytes(seed),
    ))
}

/// A fresh challenge: nothing is written (a public page may be viewed any number of times).
pub async fn issue(web: &WebState, text: bool) -> Result<Challenge, AppError> {
    let key = web.form_key().await?;
    let token = super::signed::sign(
        &key,
        &format!("{}~{}", web.now() + LIFETIME, random_token()),
    );
    let text = if text {
        challenge_of(&key, &token, web.now()).map_or_else(String::new, |(sum, _)| sum.words())
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
    let Some((sum, _)) = challenge_of(&web.form_key().await?, token, now) else {
        return Ok(false);
    };
    if !captchas::use_once(&web.db, &hash_token(token), now + LIFETIME, now).await? {
        return Ok(false);
    }
    let right = sum.answer() == answer.trim();
    if right {
        throttle::forget(&web.db, attempt).await?;
    }
    Ok(right)
}

/// `/captcha/{token}.png`: the sum drawn as a distorted picture ([`super::captcha_image`]),
/// the same for every fetch of one challenge. Never cached; read from the token alone.
pub async fn image(
    State(web): State<WebState>,
    PathText(raw): PathText,
) -> Result<Response, AppError> {
    let token = raw.strip_suffix(".png").ok_or(AppError::NotFound)?;
    let (sum, seed) =
        challenge_of(&web.form_key().await?, token, web.now()).ok_or(AppError::NotFound)?;
    let png = tokio::task::spawn_blocking(move || super::captcha_image::png(&sum.symbols(), seed))
        .await
        .map_err(|e| AppError::Internal(anyhow::anyhow!("captcha drawing: {e}")))?;
    Ok((
        [
            (header::CONTENT_TYPE, "image/png"),
            (header::CACHE_CONTROL, "no-store"),
        ],
        png,
    )
        .into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sums_have_their_answers_in_words_and_symbols() {
        for b in 0..=255u8 {
            let sum = Sum::from_bytes([b, b.wrapping_mul(7), b.wrapping_mul(13)]);
            let n: usize = sum.answer().parse().unwrap();
            assert!(n <= 29, "{sum:?}");
            assert!(sum.words().ends_with("等于几？"));
            assert!(sum.symbols().ends_with("= ?"));
        }
        let seventeen_minus_five = Sum::from_bytes([16, 4, 1]);
        assert_eq!(seventeen_minus_five.words(), "十七减五等于几？");
        assert_eq!(seventeen_minus_five.symbols(), "17 - 5 = ?");
        assert_eq!(seventeen_minus_five.answer(), "12");
    }
}

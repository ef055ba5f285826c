//! Requests per key per minute, counted in this process (each web process counts its own: two
//! processes behind a proxy allow twice the rate, which docs/DEPLOY.md says). A fixed window
//! on the service clock: the count starts again at each minute's turn.

use std::collections::HashMap;
use std::sync::Mutex;

use govsite_core::ids::ApiKeyId;

#[derive(Debug)]
pub struct RateLimiter {
    per_minute: u32,
    windows: Mutex<HashMap<ApiKeyId, (i64, u32)>>,
}

impl RateLimiter {
    pub fn new(per_minute: u32) -> Self {
        Self {
            per_minute,
            windows: Mutex::new(HashMap::new()),
        }
    }

    /// Counts one request of `key` at `now` (unix seconds): `Ok` while within the limit,
    /// else the seconds until the window turns.
    pub fn admit(&self, key: ApiKeyId, now: i64) -> Result<(), u64> {
        let minute = now.div_euclid(60);
        let mut windows = self.windows.lock().unwrap_or_else(|e| e.into_inner());
        // Old windows go once the map grows: at most one entry per key seen this minute.
        if windows.len() > 10_000 {
            windows.retain(|_, (m, _)| *m == minute);
        }
        let entry = windows.entry(key).or_insert((minute, 0));
        if entry.0 != minute {
            *entry = (minute, 0);
        }
        if entry.1 >= self.per_minute {
            return Err(u64::try_from(60 - now.rem_euclid(60)).unwrap_or(60));
        }
        entry.1 += 1;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_is_held_to_its_limit_within_a_minute_and_free_again_after() {
        let r = RateLimiter::new(3);
        let (a, b) = (ApiKeyId::new(1), ApiKeyId::new(2));
        for _ in 0..3 {
            assert!(r.admit(a, 600).is_ok());
        }
        assert_eq!(r.admit(a, 615), Err(45));
        assert!(r.admit(b, 615).is_ok(), "another key has its own count");
        assert!(r.admit(a, 660).is_ok(), "the next minute");
    }
}

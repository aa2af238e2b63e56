//! Pacing by Greenhouse's rate-limit headers, shared by every call of one credential.
//!
//! Greenhouse counts calls in fixed windows and says where a credential stands on every
//! response (`X-RateLimit-Limit`, `-Remaining`, `-Reset` in epoch seconds). Calls spend the
//! remaining budget here before they are sent, so concurrent calls share it; with nothing
//! left they wait for the window's reset instead of earning a 429. After a 429 every call of
//! the credential waits out its `Retry-After`.

use std::{
    sync::Mutex,
    time::{Duration, Instant, SystemTime, UNIX_EPOCH},
};

use rand::Rng;
use reqwest::header::HeaderMap;

/// The longest wait a header can impose: a bogus reset or `Retry-After` (milliseconds sent
/// as seconds, a skewed clock) must not park a call for hours.
const LONGEST_WAIT: Duration = Duration::from_secs(300);

/// Spread added to every wait, so callers released together do not arrive together, and a
/// reset rounded to the second has surely passed on Greenhouse's side.
const JITTER_MS: u64 = 250;

#[derive(Debug, Default)]
pub(super) struct Pace(Mutex<Window>);

#[derive(Debug, Default)]
struct Window {
    limit: Option<u64>,
    remaining: Option<u64>,
    reset: Option<Instant>,
    /// After a 429: no call of this credential before then.
    blocked_until: Option<Instant>,
}

impl Pace {
    /// Waits until a call may be sent, and counts it against the window.
    pub(super) async fn admit(&self) {
        while let Some(until) = self.try_admit(Instant::now()) {
            tokio::time::sleep_until(until.into()).await;
        }
    }

    /// Waits out a 429's `Retry-After` only (the token endpoint is not counted in the
    /// window, but a refused credential waits before asking for a token again).
    pub(super) async fn unblocked(&self) {
        while let Some(until) = self.blocked(Instant::now()) {
            tokio::time::sleep_until(until.into()).await;
        }
    }

    fn blocked(&self, now: Instant) -> Option<Instant> {
        let window = self
            .0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        window.blocked_until.filter(|until| *until > now)
    }

    /// `None` when the call may go now (and is counted), else when to ask again.
    fn try_admit(&self, now: Instant) -> Option<Instant> {
        let mut window = self
            .0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some(until) = window.blocked_until.filter(|until| *until > now) {
            return Some(until);
        }
        if window.reset.is_some_and(|reset| reset <= now) {
            // A new window: its budget is the limit, as far as we know it.
            window.reset = None;
            window.remaining = window.limit;
        }
        match (window.remaining, window.reset) {
            (Some(0), Some(reset)) => Some(reset),
            (Some(remaining), _) => {
                window.remaining = Some(remaining.saturating_sub(1));
                None
            }
            (None, _) => None,
        }
    }

    /// Takes Greenhouse's word for where the window stands.
    pub(super) fn observe(&self, headers: &HeaderMap) {
        let number =
            |name: &str| -> Option<u64> { headers.get(name)?.to_str().ok()?.trim().parse().ok() };
        let limit = number("x-ratelimit-limit");
        let remaining = number("x-ratelimit-remaining");
        let reset = number("x-ratelimit-reset").map(|epoch| reset_at(epoch, Instant::now()));
        let mut window = self
            .0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if limit.is_some() {
            window.limit = limit;
        }
        if remaining.is_some() {
            window.remaining = remaining;
        }
        if reset.is_some() {
            window.reset = reset;
        }
    }

    /// A 429: nobody calls before `retry_after` (and a little jitter) has passed.
    pub(super) fn block(&self, retry_after: Duration) {
        let until = Instant::now() + retry_after.min(LONGEST_WAIT) + jitter();
        let mut window = self
            .0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        window.blocked_until = Some(
            window
                .blocked_until
                .map_or(until, |current| current.max(until)),
        );
    }
}

/// When a window that resets at `epoch` seconds is over, on this process's monotonic clock.
fn reset_at(epoch: u64, now: Instant) -> Instant {
    let wait = UNIX_EPOCH
        .checked_add(Duration::from_secs(epoch))
        .and_then(|reset| reset.duration_since(SystemTime::now()).ok())
        .unwrap_or_default();
    now + wait.min(LONGEST_WAIT) + jitter()
}

fn jitter() -> Duration {
    Duration::from_millis(rand::thread_rng().gen_range(0..=JITTER_MS))
}

#[cfg(test)]
mod tests {
    use reqwest::header::HeaderValue;

    use super::*;

    fn headers(limit: u64, remaining: u64, reset_in: Duration) -> HeaderMap {
        let reset = (SystemTime::now() + reset_in)
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_secs();
        let mut headers = HeaderMap::new();
        headers.insert("x-ratelimit-limit", HeaderValue::from(limit));
        headers.insert("x-ratelimit-remaining", HeaderValue::from(remaining));
        headers.insert("x-ratelimit-reset", HeaderValue::from(reset));
        headers
    }

    #[test]
    fn calls_go_while_nothing_is_known() {
        let pace = Pace::default();
        assert_eq!(pace.try_admit(Instant::now()), None);
        assert_eq!(pace.try_admit(Instant::now()), None);
    }

    #[test]
    fn concurrent_calls_share_the_remaining_budget() {
        let pace = Pace::default();
        pace.observe(&headers(10, 2, Duration::from_secs(30)));
        let now = Instant::now();
        assert_eq!(pace.try_admit(now), None);
        assert_eq!(pace.try_admit(now), None);
        let until = pace
            .try_admit(now)
            .expect("the third call waits for the reset");
        assert!(until >= now + Duration::from_secs(28), "{until:?}");
    }

    #[test]
    fn a_new_window_restores_the_limit() {
        let pace = Pace::default();
        pace.observe(&headers(2, 0, Duration::from_secs(30)));
        let later = Instant::now() + Duration::from_secs(40);
        assert_eq!(pace.try_admit(later), None);
        assert_eq!(pace.try_admit(later), None);
        assert_eq!(
            pace.try_admit(later),
            None,
            "no reset known: go and read the headers"
        );
    }

    #[test]
    fn a_block_holds_every_call_until_it_ends() {
        let pace = Pace::default();
        pace.block(Duration::from_secs(2));
        let now = Instant::now();
        let until = pace.try_admit(now).expect("blocked");
        assert!(until >= now + Duration::from_millis(1900), "{until:?}");
        assert_eq!(pace.try_admit(now + Duration::from_secs(3)), None);
    }

    #[test]
    fn a_bogus_reset_waits_at_most_the_longest_wait() {
        let now = Instant::now();
        assert!(reset_at(u64::MAX, now) <= now + LONGEST_WAIT + Duration::from_millis(JITTER_MS));
        assert!(
            reset_at(1_700_000_000_000, now)
                <= now + LONGEST_WAIT + Duration::from_millis(JITTER_MS)
        );
        assert!(
            reset_at(0, now) <= now + Duration::from_millis(JITTER_MS),
            "a past reset: no wait"
        );
    }
}

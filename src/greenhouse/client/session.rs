//! One credential's state in the client: its OAuth token and its rate-limit window.
//!
//! The token is minted with the client-credentials grant, reused until shortly before it
//! expires, and minted by one call at a time: concurrent calls wait for that call's token
//! instead of minting their own (the token endpoint has its own, small rate limit).

use std::{
    fmt,
    sync::Arc,
    time::{Duration, Instant},
};

use chrono::{DateTime, Utc};
use serde::Deserialize;
use tokio::sync::Mutex;
use url::Url;

use super::{Failure, pace::Pace, wire};
use crate::greenhouse::{Credentials, HarvestError};

/// A token is renewed this long before it expires (or halfway through a shorter life).
const RENEW_BEFORE_EXPIRY: Duration = Duration::from_secs(60);

/// Greenhouse's documented token lifetime, for an answer that states none.
const DEFAULT_LIFETIME: Duration = Duration::from_secs(3600);

#[derive(Debug, Default)]
pub(super) struct Session {
    /// Held while minting: that is what makes minting single-flight.
    token: Mutex<Option<AccessToken>>,
    pub(super) pace: Pace,
}

/// A bearer token; never printed.
#[derive(Clone)]
pub(super) struct AccessToken {
    value: Arc<str>,
    renew_at: Instant,
}

impl AccessToken {
    pub(super) fn expose(&self) -> &str {
        &self.value
    }

    fn is_fresh(&self, now: Instant) -> bool {
        now < self.renew_at
    }
}

impl fmt::Debug for AccessToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AccessToken")
            .field("renew_at", &self.renew_at)
            .finish_non_exhaustive()
    }
}

impl Session {
    /// The cached token, or a new one from `mint` when there is none or it is about to expire.
    pub(super) async fn token<F>(&self, mint: impl FnOnce() -> F) -> Result<AccessToken, Failure>
    where
        F: Future<Output = Result<AccessToken, Failure>>,
    {
        let mut slot = self.token.lock().await;
        if let Some(token) = slot.as_ref().filter(|token| token.is_fresh(Instant::now())) {
            return Ok(token.clone());
        }
        let token = mint().await?;
        *slot = Some(token.clone());
        Ok(token)
    }

    /// Greenhouse refused `rejected` (expired or revoked early): drop it, unless a concurrent
    /// call has already replaced it.
    pub(super) async fn forget(&self, rejected: &AccessToken) {
        let mut slot = self.token.lock().await;
        if slot
            .as_ref()
            .is_some_and(|token| Arc::ptr_eq(&token.value, &rejected.value))
        {
            *slot = None;
        }
    }
}

/// The token endpoint's answer: `expires_at` (RFC 3339) or `expires_in` (seconds).
#[derive(Deserialize)]
struct Grant {
    access_token: String,
    #[serde(default)]
    expires_at: Option<DateTime<Utc>>,
    #[serde(default)]
    expires_in: Option<u64>,
}

impl Grant {
    fn lifetime(&self) -> Duration {
        match (self.expires_at, self.expires_in) {
            (Some(at), _) => (at - Utc::now()).to_std().unwrap_or_default(),
            (None, Some(seconds)) => Duration::from_secs(seconds),
            (None, None) => DEFAULT_LIFETIME,
        }
    }
}

/// `POST {auth}/token` with the client-credentials grant, acting as the credential's user.
/// Nothing is done on Greenhouse's side, so every transient failure may be repeated.
pub(super) async fn mint(
    http: &reqwest::Client,
    token_url: Url,
    credentials: &Credentials,
    pace: &Pace,
) -> Result<AccessToken, Failure> {
    pace.unblocked().await;
    let started = Instant::now();
    let transient = |error: reqwest::Error| Failure::Transient {
        reached: false,
        reason: format!("token request: {}", super::describe(error)),
    };
    let response = http
        .post(token_url)
        .basic_auth(
            &credentials.client_id,
            Some(credentials.client_secret.expose()),
        )
        .form(&[
            ("grant_type", "client_credentials"),
            ("sub", &credentials.user_id.to_string()),
        ])
        .send()
        .await
        .map_err(transient)?;
    let status = response.status();
    tracing::debug!(
        client_id = %credentials.client_id,
        status = status.as_u16(),
        elapsed_ms = started.elapsed().as_millis() as u64,
        "Greenhouse token minted"
    );
    let retry_after = wire::retry_after(response.headers());
    let body = response.bytes().await.map_err(transient)?;
    if status.is_success() {
        let grant: Grant = serde_json::from_slice(&body).map_err(|error| {
            Failure::Final(HarvestError::Unavailable(format!(
                "unexpected answer from the token endpoint: {error}"
            )))
        })?;
        let lifetime = grant.lifetime();
        let renew_at = Instant::now() + lifetime - RENEW_BEFORE_EXPIRY.min(lifetime / 2);
        return Ok(AccessToken {
            value: grant.access_token.into(),
            renew_at,
        });
    }
    let problem = wire::Problem::parse(&body);
    let invalid_client = problem.error.as_deref() == Some("invalid_client");
    let messages = problem.messages_or(status);
    Err(match status.as_u16() {
        401 => Failure::Final(HarvestError::Unauthorized(messages.join("; "))),
        _ if invalid_client => Failure::Final(HarvestError::Unauthorized(messages.join("; "))),
        403 => Failure::Final(HarvestError::Forbidden(messages.join("; "))),
        429 => {
            pace.block(retry_after.unwrap_or(super::DEFAULT_RETRY_AFTER));
            Failure::RateLimited
        }
        code @ 500..=599 => Failure::Transient {
            reached: false,
            reason: format!("token request: HTTP {code}: {}", messages.join("; ")),
        },
        code => Failure::Final(HarvestError::Rejected {
            status: code,
            messages,
        }),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn token(value: &str, renew_in: Duration) -> AccessToken {
        AccessToken {
            value: value.into(),
            renew_at: Instant::now() + renew_in,
        }
    }

    #[tokio::test]
    async fn a_fresh_token_is_reused_and_a_stale_one_replaced() {
        let session = Session::default();
        let first = session
            .token(|| async { Ok(token("one", Duration::from_secs(60))) })
            .await
            .unwrap();
        let again = session
            .token(|| async { panic!("a fresh token is not minted again") })
            .await
            .unwrap();
        assert_eq!(again.expose(), first.expose());

        let session = Session::default();
        session
            .token(|| async { Ok(token("stale", Duration::ZERO)) })
            .await
            .unwrap();
        let replaced = session
            .token(|| async { Ok(token("new", Duration::from_secs(60))) })
            .await
            .unwrap();
        assert_eq!(replaced.expose(), "new");
    }

    #[tokio::test]
    async fn forgetting_a_replaced_token_keeps_its_replacement() {
        let session = Session::default();
        let old = session
            .token(|| async { Ok(token("old", Duration::from_secs(60))) })
            .await
            .unwrap();
        session.forget(&old).await;
        let new = session
            .token(|| async { Ok(token("new", Duration::from_secs(60))) })
            .await
            .unwrap();
        session.forget(&old).await;
        let kept = session
            .token(|| async { panic!("the replacement was kept") })
            .await
            .unwrap();
        assert_eq!(kept.expose(), new.expose());
    }

    #[test]
    fn a_grant_states_its_lifetime_either_way() {
        let grant = |json: &str| serde_json::from_str::<Grant>(json).unwrap().lifetime();
        let at = (Utc::now() + chrono::Duration::minutes(60)).to_rfc3339();
        let lifetime = grant(&format!(r#"{{"access_token":"t","expires_at":"{at}"}}"#));
        assert!(lifetime > Duration::from_secs(3590) && lifetime <= Duration::from_secs(3600));
        assert_eq!(
            grant(r#"{"access_token":"t","token_type":"Bearer","expires_in":120}"#),
            Duration::from_secs(120)
        );
        assert_eq!(grant(r#"{"access_token":"t"}"#), DEFAULT_LIFETIME);
        assert_eq!(
            grant(r#"{"access_token":"t","expires_at":"2001-01-01T00:00:00Z"}"#),
            Duration::ZERO
        );
    }

    #[test]
    fn a_token_never_prints() {
        let printed = format!("{:?}", token("s3cr3t-token", Duration::from_secs(1)));
        assert!(!printed.contains("s3cr3t"), "{printed}");
    }
}

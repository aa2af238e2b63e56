//! The HTTP implementation of [`Harvest`](super::Harvest): OAuth tokens cached per
//! credential, cursors followed verbatim, pacing by the rate-limit headers, transient
//! failures retried with capped, jittered backoff.

use std::time::Duration;

use url::Url;

/// How the client reaches Greenhouse and how long it waits.
#[derive(Debug, Clone)]
pub struct ClientConfig {
    /// `GREENHOUSE_API_URL` (`https://harvest.greenhouse.io`); calls go to `{api_url}/v3/…`.
    pub api_url: Url,
    /// `GREENHOUSE_AUTH_URL` (`https://auth.greenhouse.io`); tokens from `{auth_url}/token`.
    pub auth_url: Url,
    /// `GREENHOUSE_TIMEOUT`: one HTTP call.
    pub timeout: Duration,
    /// Tries of one call on 5xx and timeouts before it is `Unavailable` (a durable job
    /// retries later, at its own pace).
    pub max_tries: usize,
    /// First wait between those tries; doubles, capped, with jitter.
    pub retry_base: Duration,
}

/// The client; cheap to clone, shares its tokens and rate-limit windows.
#[derive(Clone)]
pub struct HarvestClient {
    config: ClientConfig,
}

impl HarvestClient {
    pub fn new(config: ClientConfig) -> Self {
        Self { config }
    }

    pub fn config(&self) -> &ClientConfig {
        &self.config
    }
}

//! One typed configuration, read once at start-up from flags and environment variables.
//! Every value is parsed here: a bad one stops the start with clap's message naming it.

use std::{net::SocketAddr, path::PathBuf, str::FromStr, time::Duration};

use lettre::message::Mailbox;
use url::Url;

use crate::mail::SmtpUrl;

#[derive(clap::Args, Debug, Clone)]
pub struct ServerConfig {
    #[command(flatten)]
    pub database: DatabaseConfig,

    /// Address the HTTP server listens on.
    #[arg(
        long = "bind",
        env = "INTROGATE_BIND",
        default_value = "127.0.0.1:8080"
    )]
    pub bind: SocketAddr,

    /// Base of the links in emails.
    #[arg(long, env = "APP_URL", default_value = "http://localhost:8080")]
    pub app_url: AppUrl,

    #[command(flatten)]
    pub mail: MailConfig,

    /// Sends each response's database work in a `Server-Timing` header. Off by default: the
    /// statement count tells an outsider whether another tenant's id exists.
    #[arg(long, env = "SERVER_TIMING")]
    pub server_timing: bool,

    /// Origins allowed to call the API from a browser, comma-separated (none by default).
    #[arg(long, env = "CORS_ORIGINS", value_delimiter = ',')]
    pub cors_origins: Vec<Origin>,

    #[command(flatten)]
    pub greenhouse: GreenhouseConfig,

    #[command(flatten)]
    pub limits: LimitsConfig,

    #[command(flatten)]
    pub live: LiveConfig,

    /// How often undecided requests are checked for reminders and expiry.
    #[arg(long, env = "INTRO_FOLLOW_UP_INTERVAL", default_value = "60s", value_parser = parse_duration)]
    pub intro_follow_up_interval: Duration,
}

#[derive(clap::Args, Debug, Clone)]
pub struct DatabaseConfig {
    /// `sqlite://path?mode=rwc` (embedded) or `postgres://user@host/db`.
    #[arg(
        long,
        env = "DATABASE_URL",
        default_value = "sqlite://introgate.db?mode=rwc",
        // The URL may hold a password: `--help` does not show the environment's value.
        hide_env_values = true
    )]
    pub database_url: DatabaseUrl,

    /// 32 random bytes, as 64 hex digits or base64: encrypts stored third-party
    /// credentials. Generated beside the database file on SQLite when unset; required on
    /// PostgreSQL.
    #[arg(
        long,
        env = "INTROGATE_SECRET_KEY",
        hide_env_values = true,
        value_parser = crate::secret_key::SecretKeyParser
    )]
    pub secret_key: Option<crate::secret_key::SecretKey>,
}

#[derive(clap::Args, Debug, Clone)]
pub struct MailConfig {
    /// `smtp://host:port` (plain), `smtp://user:pass@host:587` (STARTTLS required) or
    /// `smtps://user:pass@host:465`. Unset: emails are written as .eml files into MAIL_DIR.
    #[arg(long, env = "SMTP_URL", hide_env_values = true)]
    pub smtp_url: Option<SmtpUrl>,

    #[arg(long, env = "MAIL_DIR", default_value = "./mail")]
    pub mail_dir: PathBuf,

    #[arg(
        long,
        env = "MAIL_FROM",
        default_value = "introgate <no-reply@localhost>"
    )]
    pub mail_from: Mailbox,

    /// First retry delay of a transiently failed email; doubles each attempt.
    #[arg(long, env = "MAIL_RETRY_BASE", default_value = "5s", value_parser = parse_duration)]
    pub mail_retry_base: Duration,

    /// Longest delay between two attempts.
    #[arg(long, env = "MAIL_RETRY_MAX", default_value = "10m", value_parser = parse_duration)]
    pub mail_retry_max: Duration,

    /// Attempts before an email is marked failed for good.
    #[arg(long, env = "MAIL_MAX_ATTEMPTS", default_value_t = 12)]
    pub mail_max_attempts: u32,

    /// How often the delivery worker looks for due emails when nothing wakes it.
    #[arg(long, env = "MAIL_POLL_INTERVAL", default_value = "2s", value_parser = parse_duration)]
    pub mail_poll_interval: Duration,
}

/// Greenhouse Harvest v3: where it is, how long a call may take, how often to sync.
#[derive(clap::Args, Debug, Clone)]
pub struct GreenhouseConfig {
    #[arg(
        long,
        env = "GREENHOUSE_API_URL",
        default_value = "https://harvest.greenhouse.io"
    )]
    pub greenhouse_api_url: Url,

    #[arg(
        long,
        env = "GREENHOUSE_AUTH_URL",
        default_value = "https://auth.greenhouse.io"
    )]
    pub greenhouse_auth_url: Url,

    /// How often each connected company's open jobs are imported again.
    #[arg(long, env = "GREENHOUSE_SYNC_INTERVAL", default_value = "15m", value_parser = parse_duration)]
    pub greenhouse_sync_interval: Duration,

    /// How often each connected company's application statuses are polled (a signed
    /// webhook from Greenhouse triggers a poll sooner).
    #[arg(long, env = "GREENHOUSE_POLL_INTERVAL", default_value = "10m", value_parser = parse_duration)]
    pub greenhouse_poll_interval: Duration,

    /// The server's address as Greenhouse reaches it, for `Company.greenhouse.webhookUrl`;
    /// unset: `APP_URL`.
    #[arg(long, env = "GREENHOUSE_WEBHOOK_BASE_URL")]
    pub greenhouse_webhook_base_url: Option<AppUrl>,

    /// One HTTP call to Greenhouse.
    #[arg(long, env = "GREENHOUSE_TIMEOUT", default_value = "30s", value_parser = parse_duration)]
    pub greenhouse_timeout: Duration,

    /// First wait before a failed push of an introduction is tried again; doubles each
    /// attempt, up to an hour.
    #[arg(long, env = "GREENHOUSE_RETRY_BASE", default_value = "30s", value_parser = parse_duration)]
    pub greenhouse_retry_base: Duration,

    /// Attempts before a push is `FAILED` and the company's and network's admins are told.
    #[arg(long, env = "GREENHOUSE_MAX_ATTEMPTS", default_value_t = 12, value_parser = clap::value_parser!(u32).range(1..))]
    pub greenhouse_max_attempts: u32,
}

impl Default for GreenhouseConfig {
    fn default() -> Self {
        Self {
            greenhouse_api_url: Url::parse("https://harvest.greenhouse.io").expect("a URL"),
            greenhouse_auth_url: Url::parse("https://auth.greenhouse.io").expect("a URL"),
            greenhouse_sync_interval: Duration::from_secs(15 * 60),
            greenhouse_poll_interval: Duration::from_secs(10 * 60),
            greenhouse_webhook_base_url: None,
            greenhouse_timeout: Duration::from_secs(30),
            greenhouse_retry_base: Duration::from_secs(30),
            greenhouse_max_attempts: 12,
        }
    }
}

impl GreenhouseConfig {
    /// When a failed push is tried again, and how often at most.
    pub fn push_retry(&self) -> crate::retry::RetryPolicy {
        crate::retry::RetryPolicy {
            base: self.greenhouse_retry_base,
            max: Duration::from_secs(3600),
            max_attempts: self.greenhouse_max_attempts,
        }
    }

    /// The client's settings: a call is tried 3 times on 5xx and timeouts, 500 ms apart at
    /// first (durable work is retried later at its own pace).
    pub fn client(&self) -> crate::greenhouse::ClientConfig {
        crate::greenhouse::ClientConfig {
            api_url: self.greenhouse_api_url.clone(),
            auth_url: self.greenhouse_auth_url.clone(),
            timeout: self.greenhouse_timeout,
            max_tries: 3,
            retry_base: Duration::from_millis(500),
        }
    }
}

/// Limits that keep one request from monopolising the server.
#[derive(clap::Args, Debug, Clone)]
pub struct LimitsConfig {
    #[arg(long, env = "GRAPHQL_MAX_DEPTH", default_value_t = 15)]
    pub max_depth: usize,

    /// Connections are charged by page size times the cost of what each item selects.
    #[arg(long, env = "GRAPHQL_MAX_COMPLEXITY", default_value_t = 20_000)]
    pub max_complexity: usize,

    #[arg(long, env = "GRAPHQL_MAX_ALIASES", default_value_t = 30)]
    pub max_aliases: usize,

    /// Field selections of a document once its fragments are expanded (a fragment spread
    /// twice counts twice, a duplicated field too). GraphiQL's introspection query is 230.
    #[arg(long, env = "GRAPHQL_MAX_FIELDS", default_value_t = 500, value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..))]
    pub max_fields: usize,

    /// Lexical tokens of a document, counted before it is parsed.
    #[arg(long, env = "GRAPHQL_MAX_TOKENS", default_value_t = 10_000, value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..))]
    pub max_tokens: usize,

    /// Operations in one batched (JSON array) request.
    #[arg(long, env = "GRAPHQL_MAX_BATCH", default_value_t = 10)]
    pub max_batch: usize,

    /// Room for LinkedIn's largest export (30,000 connections, about 3 MB) in `importContacts`.
    #[arg(long, env = "GRAPHQL_MAX_BODY_BYTES", default_value_t = 8 * 1024 * 1024)]
    pub max_body_bytes: usize,

    /// Answers the objects of a list in one pass where their selection allows (see
    /// `graphql::one_pass`); `false` resolves every field on its own, as before.
    #[arg(long, env = "GRAPHQL_ONE_PASS", default_value_t = true, action = clap::ArgAction::Set)]
    pub one_pass: bool,

    /// One HTTP request, a batch as a whole, or one operation over WebSocket.
    #[arg(long, env = "GRAPHQL_REQUEST_TIMEOUT", default_value = "15s", value_parser = parse_duration)]
    pub request_timeout: Duration,

    /// Failed sign-ins of one account (from any address) before every further attempt is
    /// refused, the right password too, until the window passes.
    #[arg(long, env = "SIGN_IN_MAX_FAILURES_PER_ACCOUNT", default_value_t = 50)]
    pub sign_in_max_failures_per_account: u32,

    /// Failed sign-ins from one client address (unknown emails included) in a window.
    #[arg(long, env = "SIGN_IN_MAX_FAILURES_PER_CLIENT", default_value_t = 300)]
    pub sign_in_max_failures_per_client: u32,

    #[arg(long, env = "SIGN_IN_FAILURE_WINDOW", default_value = "15m", value_parser = parse_duration)]
    pub sign_in_failure_window: Duration,

    /// Invitations (each one an email) to one address, from any network, in a window.
    #[arg(long, env = "INVITATION_MAX_PER_ADDRESS", default_value_t = 3, value_parser = clap::value_parser!(u32).range(1..))]
    pub invitation_max_per_address: u32,

    #[arg(long, env = "INVITATION_WINDOW", default_value = "1h", value_parser = parse_duration)]
    pub invitation_window: Duration,
}

impl Default for LimitsConfig {
    fn default() -> Self {
        Self {
            max_depth: 15,
            max_complexity: 20_000,
            max_aliases: 30,
            max_fields: 500,
            max_tokens: 10_000,
            max_batch: 10,
            max_body_bytes: 8 * 1024 * 1024,
            request_timeout: Duration::from_secs(15),
            one_pass: true,
            sign_in_max_failures_per_account: 50,
            sign_in_max_failures_per_client: 300,
            sign_in_failure_window: Duration::from_secs(15 * 60),
            invitation_max_per_address: 3,
            invitation_window: Duration::from_secs(3600),
        }
    }
}

impl LimitsConfig {
    pub fn sign_in(&self) -> crate::services::throttle::SignInLimits {
        crate::services::throttle::SignInLimits {
            per_account: self.sign_in_max_failures_per_account,
            per_client: self.sign_in_max_failures_per_client,
            window: self.sign_in_failure_window,
        }
    }

    pub fn invitations(&self) -> crate::services::throttle::InvitationLimits {
        crate::services::throttle::InvitationLimits {
            per_address: self.invitation_max_per_address,
            window: self.invitation_window,
        }
    }
}

/// Subscriptions over WebSocket and the event log behind them.
#[derive(clap::Args, Debug, Clone)]
pub struct LiveConfig {
    /// How long a new WebSocket may wait before `connection_init` (then closed with 4408).
    #[arg(long, env = "GRAPHQL_WS_INIT_TIMEOUT", default_value = "10s", value_parser = parse_duration)]
    pub ws_init_timeout: Duration,

    /// How often the server pings an idle WebSocket.
    #[arg(long, env = "GRAPHQL_WS_KEEPALIVE", default_value = "15s", value_parser = parse_duration)]
    pub ws_keepalive: Duration,

    /// How long events are kept for subscribers resuming with `after` (at least 7 days).
    #[arg(long, env = "EVENT_RETENTION", default_value = "7d", value_parser = parse_retention)]
    pub event_retention: Duration,

    /// How often each process re-reads the event logs it follows, in case a signal was lost.
    #[arg(long, env = "LIVE_SWEEP_INTERVAL", default_value = "5s", value_parser = parse_duration)]
    pub live_sweep_interval: Duration,
}

impl Default for LiveConfig {
    fn default() -> Self {
        Self {
            ws_init_timeout: Duration::from_secs(10),
            ws_keepalive: Duration::from_secs(15),
            event_retention: MIN_RETENTION,
            live_sweep_interval: Duration::from_secs(5),
        }
    }
}

const MIN_RETENTION: Duration = Duration::from_secs(7 * 24 * 3600);

fn parse_retention(text: &str) -> Result<Duration, String> {
    let retention = parse_duration(text)?;
    if retention < MIN_RETENTION {
        return Err(format!(
            "`{text}` is shorter than the 7 days events must be kept"
        ));
    }
    Ok(retention)
}

/// Durations as `250ms`, `5s`, `10m`, `1h`, `7d` (or `1h 30m`).
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    humantime::parse_duration(text)
        .map_err(|e| format!("`{text}` is not a duration like 250ms, 5s, 10m, 1h or 7d: {e}"))
}

/// Where the data lives. Its `Debug` hides a password the URL may hold.
#[derive(Clone, PartialEq, Eq)]
pub enum DatabaseUrl {
    Sqlite { url: String, file: Option<PathBuf> },
    Postgres(String),
}

impl std::fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Sqlite { url, .. } => f.debug_tuple("Sqlite").field(url).finish(),
            Self::Postgres(url) => {
                let mut shown = Url::parse(url).map_err(|_| std::fmt::Error)?;
                if shown.password().is_some() {
                    let _ = shown.set_password(Some("***"));
                }
                f.debug_tuple("Postgres").field(&shown.as_str()).finish()
            }
        }
    }
}

impl FromStr for DatabaseUrl {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        if let Some(rest) = text.strip_prefix("sqlite:") {
            let path = rest.trim_start_matches("//");
            let path = path.split('?').next().unwrap_or_default();
            let file = (!path.is_empty() && path != ":memory:").then(|| PathBuf::from(path));
            Ok(Self::Sqlite {
                url: text.to_owned(),
                file,
            })
        } else if text.starts_with("postgres://") || text.starts_with("postgresql://") {
            Url::parse(text).map_err(|e| format!("not a valid PostgreSQL URL: {e}"))?;
            Ok(Self::Postgres(text.to_owned()))
        } else {
            Err("expected sqlite://… or postgres://…".into())
        }
    }
}

/// The public base URL, without a trailing slash, so links are `{base}/path`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppUrl(String);

impl AppUrl {
    pub fn link(&self, path: &str) -> String {
        format!("{}/{}", self.0, path.trim_start_matches('/'))
    }

    pub fn host(&self) -> String {
        Url::parse(&self.0)
            .ok()
            .and_then(|u| u.host_str().map(str::to_owned))
            .unwrap_or_else(|| "localhost".into())
    }
}

impl FromStr for AppUrl {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let url = Url::parse(text).map_err(|e| format!("not a URL: {e}"))?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err("APP_URL must be http:// or https://".into());
        }
        Ok(Self(text.trim_end_matches('/').to_owned()))
    }
}

/// A browser origin (`scheme://host[:port]`), as sent in the `Origin` header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origin(pub String);

impl FromStr for Origin {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let url = Url::parse(text.trim()).map_err(|e| format!("`{text}` is not an origin: {e}"))?;
        if url.path() != "/" || url.query().is_some() || url.host().is_none() {
            return Err(format!(
                "`{text}` is not an origin: use scheme://host[:port]"
            ));
        }
        Ok(Self(url.origin().ascii_serialization()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_as_people_write_them() {
        assert_eq!(parse_duration("250ms"), Ok(Duration::from_millis(250)));
        assert_eq!(parse_duration("7d"), Ok(Duration::from_secs(7 * 86400)));
        assert_eq!(parse_duration("1h 30m"), Ok(Duration::from_secs(5400)));
        assert!(parse_duration("soon").is_err());
        assert!(parse_retention("3d").is_err());
    }

    #[test]
    fn a_database_password_never_prints() {
        let url: DatabaseUrl = "postgres://app:s3cret@db.internal:5432/introgate"
            .parse()
            .unwrap();
        let shown = format!("{url:?}");
        assert!(!shown.contains("s3cret"), "{shown}");
        assert!(shown.contains("db.internal"), "{shown}");
    }
}

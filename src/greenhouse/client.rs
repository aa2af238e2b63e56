//! The HTTP implementation of [`Harvest`](super::Harvest): OAuth tokens cached per
//! credential, cursors followed verbatim, pacing by the rate-limit headers, transient
//! failures retried with capped, jittered backoff.
//!
//! One call goes through three layers, innermost first:
//! 1. `exchange`: a token (cached, or minted once for all concurrent callers), the request,
//!    and after a 401 one fresh token and one more request;
//! 2. a 429 is waited out (`Retry-After`, shared by the credential's calls through its
//!    [`Pace`](pace::Pace)) and repeated, at most [`RATE_LIMITED_REPEATS`] times;
//! 3. 5xx, timeouts and connection failures are repeated with backoff, up to
//!    `max_tries` — except a create that may have reached Greenhouse: creates are not
//!    idempotent, so the caller looks the record up before creating it again.

mod pace;
mod session;
mod wire;

use std::{
    collections::HashMap,
    fmt,
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use backon::{ConstantBuilder, ExponentialBuilder, Retryable};
use chrono::{DateTime, SecondsFormat, Utc};
use reqwest::Method;
use serde::{Deserialize, de::DeserializeOwned};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use url::Url;

use self::session::{AccessToken, Session};
use super::{
    Application, ApplicationStage, AppliedTag, Candidate, CandidatePatch, Credentials, Harvest,
    HarvestError, HarvestResult, Job, NewApplication, NewCandidate, NewNote, Note, NoteVisibility,
    Source, Stage, Tag, User,
};

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

/// The longest wait between tries, as a multiple of `retry_base` (three doublings).
const RETRY_CAP_FACTOR: u32 = 8;

/// How often a call refused with 429 is repeated (after its `Retry-After`) before it is
/// `Unavailable`.
const RATE_LIMITED_REPEATS: usize = 5;

/// The wait after a 429 that names none.
const DEFAULT_RETRY_AFTER: Duration = Duration::from_secs(1);

/// Greenhouse's largest page.
const PER_PAGE: usize = 500;

/// Greenhouse's most ids in one id filter (`ids`, `job_ids`, `candidate_ids`, …).
const MAX_IDS_PER_REQUEST: usize = 50;

/// The client; cheap to clone, shares its tokens and rate-limit windows.
#[derive(Clone)]
pub struct HarvestClient {
    config: ClientConfig,
    http: reqwest::Client,
    /// By credential: client id, user and secret (a changed secret is another credential).
    sessions: Arc<Mutex<HashMap<[u8; 32], Arc<Session>>>>,
}

impl fmt::Debug for HarvestClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let credentials = self.sessions.lock().map_or(0, |sessions| sessions.len());
        f.debug_struct("HarvestClient")
            .field("config", &self.config)
            .field("credentials", &credentials)
            .finish_non_exhaustive()
    }
}

impl HarvestClient {
    pub fn new(config: ClientConfig) -> Self {
        let http = reqwest::Client::builder()
            .timeout(config.timeout)
            .connect_timeout(config.timeout)
            // Greenhouse does not redirect API calls; following one would carry the token
            // somewhere unexpected.
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("introgate/", env!("CARGO_PKG_VERSION")))
            .build()
            .expect("the HTTP client builds (rustls, no custom certificates)");
        Self {
            config,
            http,
            sessions: Arc::default(),
        }
    }

    pub fn config(&self) -> &ClientConfig {
        &self.config
    }

    fn session(&self, credentials: &Credentials) -> Arc<Session> {
        let key: [u8; 32] = Sha256::new()
            .chain_update(credentials.client_id.as_bytes())
            .chain_update([0])
            .chain_update(credentials.user_id.to_be_bytes())
            .chain_update(credentials.client_secret.expose().as_bytes())
            .finalize()
            .into();
        let mut sessions = self
            .sessions
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        sessions.entry(key).or_default().clone()
    }

    /// `{api_url}/v3/{segments…}`.
    fn endpoint(&self, segments: &[&str]) -> HarvestResult<Url> {
        with_path(&self.config.api_url, "v3", segments)
    }

    /// One request, with every retry this client makes; a success's body and next page.
    #[tracing::instrument(level = "debug", skip_all, fields(client_id = %credentials.client_id))]
    async fn call(&self, credentials: &Credentials, request: &Request) -> HarvestResult<Reply> {
        let session = self.session(credentials);
        let transient = ExponentialBuilder::default()
            .with_min_delay(self.config.retry_base)
            .with_max_delay(self.config.retry_base * RETRY_CAP_FACTOR)
            .with_max_times(self.config.max_tries.saturating_sub(1))
            .with_jitter();
        let paced = || async {
            (|| self.exchange(&session, credentials, request))
                .retry(
                    ConstantBuilder::default()
                        // The wait is the Pace's, shared by the credential's calls.
                        .with_delay(Duration::ZERO)
                        .with_max_times(RATE_LIMITED_REPEATS),
                )
                .when(|failure| matches!(failure, Failure::RateLimited))
                .await
        };
        paced
            .retry(transient)
            .when(|failure| failure.may_repeat(request.idempotency))
            .notify(|failure, wait| {
                tracing::debug!(
                    method = %request.method,
                    path = request.url.path(),
                    wait_ms = wait.as_millis() as u64,
                    %failure,
                    "Greenhouse call repeated"
                );
            })
            .await
            .map_err(Failure::into_error)
    }

    /// The request with a valid token; after a 401, one fresh token and one more request.
    async fn exchange(
        &self,
        session: &Session,
        credentials: &Credentials,
        request: &Request,
    ) -> Result<Reply, Failure> {
        let token = self.token(session, credentials).await?;
        match self.send(session, &token, request).await? {
            Sent::Done(reply) => Ok(reply),
            Sent::TokenRefused(_) => {
                // Expired or revoked before its time: nothing was done, so it may be repeated.
                session.forget(&token).await;
                let token = self.token(session, credentials).await?;
                match self.send(session, &token, request).await? {
                    Sent::Done(reply) => Ok(reply),
                    Sent::TokenRefused(message) => {
                        Err(Failure::Final(HarvestError::Unauthorized(message)))
                    }
                }
            }
        }
    }

    async fn token(
        &self,
        session: &Session,
        credentials: &Credentials,
    ) -> Result<AccessToken, Failure> {
        let token_url = with_path(&self.config.auth_url, "token", &[]).map_err(Failure::Final)?;
        session
            .token(|| session::mint(&self.http, token_url, credentials, &session.pace))
            .await
    }

    async fn send(
        &self,
        session: &Session,
        token: &AccessToken,
        request: &Request,
    ) -> Result<Sent, Failure> {
        session.pace.admit().await;
        let started = Instant::now();
        let mut builder = self
            .http
            .request(request.method.clone(), request.url.clone())
            .bearer_auth(token.expose());
        if let Some(body) = &request.body {
            builder = builder.json(body);
        }
        let response = builder
            .send()
            .await
            .map_err(|error| request.transport_failure(error))?;
        session.pace.observe(response.headers());
        let status = response.status();
        // The path only: queries may hold email addresses.
        tracing::debug!(
            method = %request.method,
            path = request.url.path(),
            status = status.as_u16(),
            elapsed_ms = started.elapsed().as_millis() as u64,
            "Greenhouse call"
        );
        let retry_after = wire::retry_after(response.headers());
        let next = wire::next_link(response.headers(), &request.url);
        let body = response
            .bytes()
            .await
            .map_err(|error| request.transport_failure(error))?;
        if status.is_success() {
            return Ok(Sent::Done(Reply {
                next,
                body: body.to_vec(),
            }));
        }
        let messages = wire::Problem::parse(&body).messages_or(status);
        let summary = || messages.join("; ");
        Err(match status.as_u16() {
            401 => return Ok(Sent::TokenRefused(summary())),
            429 => {
                session
                    .pace
                    .block(retry_after.unwrap_or(DEFAULT_RETRY_AFTER));
                Failure::RateLimited
            }
            403 => Failure::Final(HarvestError::Forbidden(summary())),
            404 => Failure::Final(HarvestError::NotFound(summary())),
            code @ 500..=599 => Failure::Transient {
                reached: true,
                reason: format!("{request}: HTTP {code}: {}", summary()),
            },
            code => Failure::Final(HarvestError::Rejected {
                status: code,
                messages,
            }),
        })
    }

    /// Every page of a list: the first request carries `per_page` and the filters, the next
    /// ones are the `Link` header's URLs as given.
    async fn list<T: DeserializeOwned>(
        &self,
        credentials: &Credentials,
        resource: &str,
        filters: &[(&str, String)],
    ) -> HarvestResult<Vec<T>> {
        let mut url = self.endpoint(&[resource])?;
        url.query_pairs_mut()
            .append_pair("per_page", &PER_PAGE.to_string())
            .extend_pairs(filters);
        let mut items = Vec::new();
        let mut next = Some(url);
        while let Some(url) = next.take() {
            let request = Request::read(url);
            let reply = self.call(credentials, &request).await?;
            items.extend(request.decode::<Vec<T>>(&reply.body)?);
            // A page that names itself as next would never end.
            next = reply.next.filter(|next| *next != request.url);
        }
        Ok(items)
    }

    /// A list filtered by ids, in Greenhouse's chunks of 50; no ids, no request.
    async fn list_by_ids<T: DeserializeOwned>(
        &self,
        credentials: &Credentials,
        resource: &str,
        id_filter: &str,
        ids: &[i64],
        other_filters: &[(&str, String)],
    ) -> HarvestResult<Vec<T>> {
        let mut ids = ids.to_vec();
        ids.sort_unstable();
        ids.dedup();
        let mut items = Vec::new();
        for chunk in ids.chunks(MAX_IDS_PER_REQUEST) {
            let chunk: Vec<String> = chunk.iter().map(i64::to_string).collect();
            let mut filters = vec![(id_filter, chunk.join(","))];
            filters.extend_from_slice(other_filters);
            items.extend(self.list(credentials, resource, &filters).await?);
        }
        Ok(items)
    }

    /// A write with a JSON body; its answer decoded.
    async fn write<T: DeserializeOwned>(
        &self,
        credentials: &Credentials,
        method: Method,
        segments: &[&str],
        body: Value,
    ) -> HarvestResult<T> {
        let idempotency = if method == Method::POST {
            Idempotency::Creates
        } else {
            Idempotency::Idempotent
        };
        let request = Request {
            method,
            url: self.endpoint(segments)?,
            body: Some(body),
            idempotency,
        };
        let reply = self.call(credentials, &request).await?;
        request.decode(&reply.body)
    }
}

/// `{base}/{first}/{rest…}`, keeping the base's own path.
fn with_path(base: &Url, first: &str, rest: &[&str]) -> HarvestResult<Url> {
    let mut url = base.clone();
    url.path_segments_mut()
        .map_err(|()| HarvestError::Unavailable(format!("{base} cannot be a base URL")))?
        .pop_if_empty()
        .push(first)
        .extend(rest);
    Ok(url)
}

/// Whether a request may be sent again after it may have reached Greenhouse.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Idempotency {
    /// Reads and `PATCH`: the same request twice does what it does once.
    Idempotent,
    /// `POST` creates: a second one may create a second record.
    Creates,
}

struct Request {
    method: Method,
    url: Url,
    body: Option<Value>,
    idempotency: Idempotency,
}

impl Request {
    fn read(url: Url) -> Self {
        Self {
            method: Method::GET,
            url,
            body: None,
            idempotency: Idempotency::Idempotent,
        }
    }

    fn transport_failure(&self, error: reqwest::Error) -> Failure {
        Failure::Transient {
            // Refused connections never carried the request.
            reached: !error.is_connect(),
            reason: format!("{self}: {}", describe(error)),
        }
    }

    fn decode<T: DeserializeOwned>(&self, body: &[u8]) -> HarvestResult<T> {
        serde_json::from_slice(body).map_err(|error| {
            HarvestError::Unavailable(format!("{self}: unexpected answer: {error}"))
        })
    }
}

/// `GET /v3/jobs`: method and path, never the query (it may hold email addresses).
impl fmt::Display for Request {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.method, self.url.path())
    }
}

/// A transport error in words, without its URL (whose query may hold email addresses).
fn describe(error: reqwest::Error) -> String {
    let error = error.without_url();
    if error.is_timeout() {
        "timed out".to_owned()
    } else if error.is_connect() {
        "could not connect".to_owned()
    } else {
        let mut text = error.to_string();
        let mut source = std::error::Error::source(&error);
        while let Some(cause) = source {
            text.push_str(&format!(": {cause}"));
            source = cause.source();
        }
        text
    }
}

struct Reply {
    next: Option<Url>,
    body: Vec<u8>,
}

enum Sent {
    Done(Reply),
    /// 401: the token was refused.
    TokenRefused(String),
}

/// Why one exchange failed, as the retry layers see it.
#[derive(Debug)]
enum Failure {
    /// 429: waited out and repeated, whatever the method (nothing was done).
    RateLimited,
    /// 5xx, timeout, connection: repeated, unless it was a create that may have been done.
    Transient { reached: bool, reason: String },
    /// Not repeated.
    Final(HarvestError),
}

impl Failure {
    fn may_repeat(&self, idempotency: Idempotency) -> bool {
        match self {
            Self::Transient { reached, .. } => idempotency == Idempotency::Idempotent || !reached,
            Self::RateLimited | Self::Final(_) => false,
        }
    }

    fn into_error(self) -> HarvestError {
        match self {
            Self::RateLimited => HarvestError::Unavailable(format!(
                "rate limited: still refused after {RATE_LIMITED_REPEATS} waits"
            )),
            Self::Transient { reason, .. } => HarvestError::Unavailable(reason),
            Self::Final(error) => error,
        }
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::RateLimited => f.write_str("rate limited"),
            Self::Transient { reason, .. } => f.write_str(reason),
            Self::Final(error) => write!(f, "{error}"),
        }
    }
}

/// `POST /v3/notes` answers with the new note's id only.
#[derive(Deserialize)]
struct Created {
    id: i64,
    #[serde(default)]
    created_at: Option<DateTime<Utc>>,
}

/// `POST /v3/candidate_tags` answers with the tag; its name may be left out.
#[derive(Deserialize)]
struct CreatedTag {
    id: i64,
    #[serde(default)]
    name: Option<String>,
}

fn visibility(visibility: NoteVisibility) -> &'static str {
    match visibility {
        NoteVisibility::Public => "public",
        NoteVisibility::Private => "private",
        NoteVisibility::AdminOnly => "admin_only",
    }
}

fn to_json(value: &impl serde::Serialize) -> HarvestResult<Value> {
    serde_json::to_value(value).map_err(|error| {
        HarvestError::Unavailable(format!("could not encode the request: {error}"))
    })
}

#[async_trait::async_trait]
impl Harvest for HarvestClient {
    async fn verify(&self, credentials: &Credentials) -> HarvestResult<User> {
        let user_id = credentials.user_id;
        let users: Vec<User> = self
            .list(credentials, "users", &[("ids", user_id.to_string())])
            .await?;
        let user = users
            .into_iter()
            .find(|user| user.id == user_id)
            .ok_or_else(|| {
                HarvestError::Forbidden(format!("Greenhouse user {user_id} does not exist"))
            })?;
        if !user.site_admin {
            return Err(HarvestError::Forbidden(format!(
                "Greenhouse user {user_id} is not a Site Admin"
            )));
        }
        Ok(user)
    }

    async fn sources(&self, credentials: &Credentials) -> HarvestResult<Vec<Source>> {
        self.list(credentials, "sources", &[]).await
    }

    async fn open_jobs(&self, credentials: &Credentials) -> HarvestResult<Vec<Job>> {
        self.list(credentials, "jobs", &[("status", "open".to_owned())])
            .await
    }

    async fn job_stages(
        &self,
        credentials: &Credentials,
        job_ids: &[i64],
    ) -> HarvestResult<Vec<Stage>> {
        self.list_by_ids(credentials, "job_interview_stages", "job_ids", job_ids, &[])
            .await
    }

    async fn candidates_by_email(
        &self,
        credentials: &Credentials,
        email: &str,
    ) -> HarvestResult<Vec<Candidate>> {
        self.list(credentials, "candidates", &[("email", email.to_owned())])
            .await
    }

    async fn candidates_by_ids(
        &self,
        credentials: &Credentials,
        candidate_ids: &[i64],
    ) -> HarvestResult<Vec<Candidate>> {
        self.list_by_ids(credentials, "candidates", "ids", candidate_ids, &[])
            .await
    }

    async fn create_candidate(
        &self,
        credentials: &Credentials,
        candidate: &NewCandidate,
    ) -> HarvestResult<Candidate> {
        self.write(
            credentials,
            Method::POST,
            &["candidates"],
            to_json(candidate)?,
        )
        .await
    }

    async fn update_candidate(
        &self,
        credentials: &Credentials,
        candidate_id: i64,
        patch: &CandidatePatch,
    ) -> HarvestResult<Candidate> {
        let id = candidate_id.to_string();
        self.write(
            credentials,
            Method::PATCH,
            &["candidates", &id],
            to_json(patch)?,
        )
        .await
    }

    async fn applications_of(
        &self,
        credentials: &Credentials,
        candidate_ids: &[i64],
    ) -> HarvestResult<Vec<Application>> {
        self.list_by_ids(
            credentials,
            "applications",
            "candidate_ids",
            candidate_ids,
            &[],
        )
        .await
    }

    async fn applications_updated_since(
        &self,
        credentials: &Credentials,
        since: DateTime<Utc>,
    ) -> HarvestResult<Vec<Application>> {
        // Whole seconds, rounded down: `gte` then still includes `since` itself.
        let since = since.to_rfc3339_opts(SecondsFormat::Secs, true);
        self.list(
            credentials,
            "applications",
            &[("updated_at", format!("gte|{since}"))],
        )
        .await
    }

    async fn create_application(
        &self,
        credentials: &Credentials,
        application: &NewApplication,
    ) -> HarvestResult<Application> {
        self.write(
            credentials,
            Method::POST,
            &["applications"],
            to_json(application)?,
        )
        .await
    }

    async fn current_stages(
        &self,
        credentials: &Credentials,
        application_ids: &[i64],
    ) -> HarvestResult<Vec<ApplicationStage>> {
        self.list_by_ids(
            credentials,
            "application_stages",
            "application_ids",
            application_ids,
            &[("current", "true".to_owned())],
        )
        .await
    }

    async fn notes_of(
        &self,
        credentials: &Credentials,
        candidate_ids: &[i64],
    ) -> HarvestResult<Vec<Note>> {
        self.list_by_ids(credentials, "notes", "candidate_ids", candidate_ids, &[])
            .await
    }

    async fn create_note(&self, credentials: &Credentials, note: &NewNote) -> HarvestResult<Note> {
        let body = json!({
            "candidate_id": note.candidate_id,
            "body": note.body,
            "note_type": "NOTE",
            "visibility": visibility(note.visibility),
        });
        let created: Created = self
            .write(credentials, Method::POST, &["notes"], body)
            .await?;
        Ok(Note {
            id: created.id,
            candidate_id: note.candidate_id,
            body: note.body.clone(),
            created_at: created.created_at,
        })
    }

    async fn candidate_tags(&self, credentials: &Credentials) -> HarvestResult<Vec<Tag>> {
        self.list(credentials, "candidate_tags", &[]).await
    }

    async fn create_candidate_tag(
        &self,
        credentials: &Credentials,
        name: &str,
    ) -> HarvestResult<Tag> {
        let created: CreatedTag = self
            .write(
                credentials,
                Method::POST,
                &["candidate_tags"],
                json!({ "name": name }),
            )
            .await?;
        Ok(Tag {
            id: created.id,
            name: created.name.unwrap_or_else(|| name.to_owned()),
        })
    }

    async fn applied_tags(
        &self,
        credentials: &Credentials,
        candidate_ids: &[i64],
    ) -> HarvestResult<Vec<AppliedTag>> {
        self.list_by_ids(
            credentials,
            "applied_candidate_tags",
            "candidate_ids",
            candidate_ids,
            &[],
        )
        .await
    }

    async fn apply_tag(
        &self,
        credentials: &Credentials,
        candidate_id: i64,
        tag_id: i64,
    ) -> HarvestResult<()> {
        let body = json!({ "candidate_id": candidate_id, "candidate_tag_id": tag_id });
        let _: serde::de::IgnoredAny = self
            .write(credentials, Method::POST, &["applied_candidate_tags"], body)
            .await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoints_keep_the_base_path() {
        let base: Url = "https://harvest.greenhouse.io".parse().unwrap();
        assert_eq!(
            with_path(&base, "v3", &["candidates", "12"])
                .unwrap()
                .as_str(),
            "https://harvest.greenhouse.io/v3/candidates/12"
        );
        let proxied: Url = "http://proxy.test/greenhouse/".parse().unwrap();
        assert_eq!(
            with_path(&proxied, "token", &[]).unwrap().as_str(),
            "http://proxy.test/greenhouse/token"
        );
    }

    #[test]
    fn only_what_cannot_have_been_done_is_repeated_for_a_create() {
        let timed_out = Failure::Transient {
            reached: true,
            reason: "timed out".into(),
        };
        let refused = Failure::Transient {
            reached: false,
            reason: "could not connect".into(),
        };
        assert!(timed_out.may_repeat(Idempotency::Idempotent));
        assert!(!timed_out.may_repeat(Idempotency::Creates));
        assert!(refused.may_repeat(Idempotency::Creates));
        assert!(
            !Failure::Final(HarvestError::Forbidden("no".into()))
                .may_repeat(Idempotency::Idempotent)
        );
    }
}

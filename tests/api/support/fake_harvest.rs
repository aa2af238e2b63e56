//! A fake Greenhouse Harvest v3 on loopback, for the client's tests and the rules' tests.
//!
//! One axum app serves the token endpoint (`POST /token`) and the `/v3` resources introgate
//! uses, as `shared/greenhouse-harvest-v3.md` describes them: OAuth client credentials with
//! expiring tokens, bare JSON arrays ordered by id descending, `per_page` (default 100, at
//! most 500), a `Link` cursor that must come alone, id filters of at most 50 ids, pipe-syntax
//! time filters, fixed-window rate limits with their headers, and the documented error
//! bodies. Its records are its own wire structs written from the facts, not introgate's
//! types, so a serde mistake in the client shows.
//!
//! Tests seed and inspect it through [`FakeHarvest`]'s typed methods, and inject faults:
//! the next N requests to a method and path fail, answer 429, or answer slowly after doing
//! their work.

#![allow(
    dead_code,
    reason = "seeds and inspectors for the rules' tests too, not all of them used yet"
)]

use std::{
    collections::{BTreeMap, HashMap, HashSet},
    net::SocketAddr,
    sync::{Arc, Mutex, MutexGuard},
    time::{Duration, Instant, SystemTime, UNIX_EPOCH},
};

use axum::{
    Extension, Json, Router,
    extract::{Path, RawQuery, Request, State},
    http::{HeaderMap, HeaderValue, StatusCode, header},
    middleware::{self, Next},
    response::{IntoResponse, Response},
    routing::{get, patch, post},
};
use base64::Engine;
use chrono::{DateTime, SecondsFormat, Utc};
use introgate::greenhouse::{ApplicationStatus, ClientSecret, Credentials, JobStatus};
use serde::Serialize;
use serde_json::{Value, json};
use tokio::task::JoinHandle;
use url::Url;

pub const CLIENT_ID: &str = "fake-client";
pub const CLIENT_SECRET: &str = "fake-secret-do-not-print";

const CURSOR_WITH_OTHER_PARAMS: &str = "When passing a cursor, do not include other query params.";
const MAX_PER_PAGE: usize = 500;
const DEFAULT_PER_PAGE: usize = 100;
const MAX_IDS: usize = 50;
/// The stages every job gets unless a test adds its own.
const DEFAULT_STAGES: [&str; 3] = ["Application Review", "Phone Screen", "Offer"];

// ---------------------------------------------------------------------------------------
// Records, as Harvest v3 sends them.

#[derive(Debug, Clone, Serialize)]
pub struct FakeUser {
    pub id: i64,
    pub first_name: String,
    pub last_name: String,
    pub site_admin: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct FakeSourceType {
    pub id: i64,
    pub name: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct FakeSource {
    pub id: i64,
    pub name: String,
    #[serde(rename = "type")]
    pub kind: FakeSourceType,
}

#[derive(Debug, Clone, Serialize)]
pub struct FakeJob {
    pub id: i64,
    pub name: String,
    /// `open`, `closed` or `draft`.
    pub status: String,
    pub requisition_id: Option<String>,
    pub department_id: Option<i64>,
    pub office_ids: Vec<i64>,
    pub opened_at: Option<DateTime<Utc>>,
    pub closed_at: Option<DateTime<Utc>>,
    pub updated_at: DateTime<Utc>,
    pub custom_fields: Value,
}

#[derive(Debug, Clone, Serialize)]
pub struct FakeStage {
    pub id: i64,
    pub job_id: i64,
    pub name: String,
    pub sort_order: i64,
    pub active: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FakeAddress {
    pub value: String,
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct FakeCandidate {
    pub id: i64,
    pub first_name: String,
    pub last_name: String,
    pub company: Option<String>,
    pub title: Option<String>,
    pub email_addresses: Vec<FakeAddress>,
    pub social_media_addresses: Vec<FakeAddress>,
    /// Tag names.
    pub tags: Vec<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Serialize)]
pub struct FakeApplication {
    pub id: i64,
    pub candidate_id: i64,
    pub job_id: Option<i64>,
    /// `in_process`, `rejected`, `hired` or `converted`.
    pub status: String,
    pub stage_id: Option<i64>,
    pub source_id: Option<i64>,
    pub referrer_id: Option<i64>,
    pub prospect: bool,
    pub prospective_job_ids: Vec<i64>,
    pub rejected_at: Option<DateTime<Utc>>,
    pub last_activity_at: DateTime<Utc>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Serialize)]
pub struct FakeApplicationStage {
    /// Not sent (the item has no id of its own); orders and pages the list.
    #[serde(skip)]
    pub id: i64,
    pub application_id: i64,
    pub job_interview_stage_id: i64,
    pub current: bool,
    pub entered_at: DateTime<Utc>,
    pub exited_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Serialize)]
pub struct FakeNote {
    pub id: i64,
    pub candidate_id: i64,
    pub application_id: Option<i64>,
    pub user_id: i64,
    pub body: String,
    #[serde(rename = "type")]
    pub kind: String,
    /// Read-side: `publicly_visible`, `privately_visible` or `admin_only_visible`.
    pub visibility: String,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Serialize)]
pub struct FakeTag {
    pub id: i64,
    pub name: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct FakeAppliedTag {
    pub id: i64,
    pub candidate_id: i64,
    pub candidate_tag_id: i64,
}

/// One request as the fake received it.
#[derive(Debug, Clone)]
pub struct RecordedRequest {
    pub method: String,
    pub path: String,
    /// The raw query string, as sent.
    pub query: Option<String>,
}

/// The body of an injected error.
#[derive(Debug, Clone)]
pub enum ErrorBody {
    Json(Value),
    Text(String),
    Empty,
}

// ---------------------------------------------------------------------------------------
// State.

struct ApiClient {
    secret: String,
    forbidden: bool,
}

struct IssuedToken {
    user_id: i64,
    client_id: String,
    expires: Instant,
}

/// Who an API call acts as.
#[derive(Clone)]
struct Caller {
    user_id: i64,
}

struct Cursor {
    resource: String,
    filters: Vec<(String, String)>,
    per_page: usize,
    after_id: i64,
}

struct Fault {
    method: String,
    path: String,
    /// `None`: every request.
    remaining: Option<usize>,
    status: StatusCode,
    body: ErrorBody,
    retry_after: Option<u64>,
}

struct Slowness {
    method: String,
    path: String,
    remaining: Option<usize>,
    delay: Duration,
}

struct RateLimit {
    calls: u64,
    window: Duration,
    started: Option<Instant>,
    used: u64,
}

struct FakeState {
    base_url: String,
    next_id: i64,
    clients: HashMap<String, ApiClient>,
    tokens: HashMap<String, IssuedToken>,
    minted: HashMap<String, usize>,
    token_lifetime: Duration,
    expires_in_style: bool,
    enforce_site_admin: bool,
    admin_id: i64,
    users: BTreeMap<i64, FakeUser>,
    sources: BTreeMap<i64, FakeSource>,
    jobs: BTreeMap<i64, FakeJob>,
    stages: BTreeMap<i64, FakeStage>,
    candidates: BTreeMap<i64, FakeCandidate>,
    applications: BTreeMap<i64, FakeApplication>,
    application_stages: BTreeMap<i64, FakeApplicationStage>,
    notes: BTreeMap<i64, FakeNote>,
    tags: BTreeMap<i64, FakeTag>,
    applied_tags: BTreeMap<i64, FakeAppliedTag>,
    cursors: HashMap<String, Cursor>,
    requests: Vec<RecordedRequest>,
    faults: Vec<Fault>,
    slow: Vec<Slowness>,
    rate_limit: RateLimit,
    throttled: usize,
}

type Shared = Arc<Mutex<FakeState>>;

fn lock(state: &Shared) -> MutexGuard<'_, FakeState> {
    state
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl FakeState {
    fn id(&mut self) -> i64 {
        self.next_id += 1;
        self.next_id
    }
}

fn rfc3339(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// `path` matches `pattern`, which may end with `/*` for any last segment.
fn path_matches(pattern: &str, path: &str) -> bool {
    match pattern.strip_suffix("/*") {
        Some(prefix) => path
            .strip_prefix(prefix)
            .is_some_and(|rest| rest.starts_with('/') && !rest[1..].contains('/')),
        None => pattern == path,
    }
}

// ---------------------------------------------------------------------------------------
// The typed API tests use.

pub struct FakeHarvest {
    address: SocketAddr,
    state: Shared,
    task: JoinHandle<()>,
}

impl Drop for FakeHarvest {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl FakeHarvest {
    /// Starts on 127.0.0.1:0 with one OAuth client ([`CLIENT_ID`], [`CLIENT_SECRET`]) and
    /// one Site Admin user; rate limits generous, tokens living an hour.
    pub async fn start() -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind the fake Harvest");
        let address = listener.local_addr().unwrap();
        let mut state = FakeState {
            base_url: format!("http://{address}"),
            next_id: 1000,
            clients: HashMap::new(),
            tokens: HashMap::new(),
            minted: HashMap::new(),
            token_lifetime: Duration::from_secs(3600),
            expires_in_style: false,
            enforce_site_admin: true,
            admin_id: 0,
            users: BTreeMap::new(),
            sources: BTreeMap::new(),
            jobs: BTreeMap::new(),
            stages: BTreeMap::new(),
            candidates: BTreeMap::new(),
            applications: BTreeMap::new(),
            application_stages: BTreeMap::new(),
            notes: BTreeMap::new(),
            tags: BTreeMap::new(),
            applied_tags: BTreeMap::new(),
            cursors: HashMap::new(),
            requests: Vec::new(),
            faults: Vec::new(),
            slow: Vec::new(),
            rate_limit: RateLimit {
                calls: 100_000,
                window: Duration::from_secs(30),
                started: None,
                used: 0,
            },
            throttled: 0,
        };
        state.clients.insert(
            CLIENT_ID.to_owned(),
            ApiClient {
                secret: CLIENT_SECRET.to_owned(),
                forbidden: false,
            },
        );
        let admin_id = state.id();
        state.admin_id = admin_id;
        state.users.insert(
            admin_id,
            FakeUser {
                id: admin_id,
                first_name: "Ada".into(),
                last_name: "Admin".into(),
                site_admin: true,
            },
        );
        let state = Arc::new(Mutex::new(state));
        let app = Router::new()
            .route("/token", post(mint_token))
            .route("/v3/{resource}", get(list).post(create))
            .route("/v3/{resource}/{id}", patch(update))
            .fallback(|| async { message(StatusCode::NOT_FOUND, "Resource not found") })
            .layer(middleware::from_fn_with_state(state.clone(), gate))
            .with_state(state.clone());
        let task = tokio::spawn(async move {
            axum::serve(listener, app).await.ok();
        });
        Self {
            address,
            state,
            task,
        }
    }

    fn with<R>(&self, change: impl FnOnce(&mut FakeState) -> R) -> R {
        change(&mut lock(&self.state))
    }

    /// The base of both the API (`/v3/…`) and the token endpoint (`/token`).
    pub fn url(&self) -> Url {
        format!("http://{}", self.address).parse().unwrap()
    }

    /// The default client acting as the default Site Admin.
    pub fn credentials(&self) -> Credentials {
        self.credentials_for(self.admin_id())
    }

    /// The default client acting as `user_id`.
    pub fn credentials_for(&self, user_id: i64) -> Credentials {
        Credentials {
            client_id: CLIENT_ID.to_owned(),
            client_secret: ClientSecret::new(CLIENT_SECRET),
            user_id,
        }
    }

    pub fn admin_id(&self) -> i64 {
        self.with(|s| s.admin_id)
    }

    pub fn add_client(&self, client_id: &str, secret: &str) {
        self.with(|s| {
            s.clients.insert(
                client_id.to_owned(),
                ApiClient {
                    secret: secret.to_owned(),
                    forbidden: false,
                },
            )
        });
    }

    pub fn add_user(&self, first_name: &str, last_name: &str, site_admin: bool) -> i64 {
        self.with(|s| {
            let id = s.id();
            s.users.insert(
                id,
                FakeUser {
                    id,
                    first_name: first_name.into(),
                    last_name: last_name.into(),
                    site_admin,
                },
            );
            id
        })
    }

    /// Every API call of this client answers 403 (a missing scope).
    pub fn forbid(&self, client_id: &str) {
        self.with(|s| {
            if let Some(client) = s.clients.get_mut(client_id) {
                client.forbidden = true;
            }
        });
    }

    /// Lists require the token's user to be a Site Admin (on by default, as Greenhouse).
    pub fn enforce_site_admin(&self, enforce: bool) {
        self.with(|s| s.enforce_site_admin = enforce);
    }

    /// Lifetime of tokens minted from now on.
    pub fn set_token_lifetime(&self, lifetime: Duration) {
        self.with(|s| s.token_lifetime = lifetime);
    }

    /// Tokens state `expires_in` (seconds) instead of `expires_at`.
    pub fn use_expires_in(&self, yes: bool) {
        self.with(|s| s.expires_in_style = yes);
    }

    /// Every token minted so far is refused from now on (401).
    pub fn revoke_tokens(&self) {
        self.with(|s| s.tokens.clear());
    }

    pub fn tokens_minted(&self, client_id: &str) -> usize {
        self.with(|s| s.minted.get(client_id).copied().unwrap_or(0))
    }

    pub fn add_source(&self, name: &str) -> i64 {
        self.with(|s| {
            let id = s.id();
            let type_id = s.id();
            s.sources.insert(
                id,
                FakeSource {
                    id,
                    name: name.into(),
                    kind: FakeSourceType {
                        id: type_id,
                        name: "Referrals".into(),
                    },
                },
            );
            id
        })
    }

    /// A job with the default interview stages.
    pub fn add_job(&self, name: &str, status: JobStatus) -> i64 {
        self.with(|s| add_job(s, name, status))
    }

    /// `count` open jobs (named `Job 1`, `Job 2`, …); their ids, oldest first.
    pub fn add_jobs(&self, count: usize) -> Vec<i64> {
        self.add_jobs_with_status(count, JobStatus::Open)
    }

    pub fn add_jobs_with_status(&self, count: usize, status: JobStatus) -> Vec<i64> {
        self.with(|s| {
            let first = s.jobs.len();
            (1..=count)
                .map(|n| add_job(s, &format!("Job {}", first + n), status))
                .collect()
        })
    }

    pub fn set_job_status(&self, job_id: i64, status: JobStatus) {
        self.with(|s| {
            let job = s.jobs.get_mut(&job_id).expect("no such job");
            job.status = job_status(status).into();
            job.closed_at = (status == JobStatus::Closed).then(Utc::now);
            job.updated_at = Utc::now();
        });
    }

    pub fn remove_job(&self, job_id: i64) {
        self.with(|s| s.jobs.remove(&job_id));
    }

    pub fn jobs(&self) -> Vec<FakeJob> {
        self.with(|s| s.jobs.values().cloned().collect())
    }

    /// A job's interview stages, in order.
    pub fn stages_of(&self, job_id: i64) -> Vec<FakeStage> {
        self.with(|s| stages_of(s, job_id))
    }

    pub fn add_stage(&self, job_id: i64, name: &str) -> i64 {
        self.with(|s| {
            let sort_order = stages_of(s, job_id).len() as i64;
            add_stage(s, job_id, name, sort_order)
        })
    }

    /// A candidate with one personal email address.
    pub fn add_candidate(&self, first_name: &str, last_name: &str, email: &str) -> i64 {
        self.with(|s| {
            let id = s.id();
            let now = Utc::now();
            s.candidates.insert(
                id,
                FakeCandidate {
                    id,
                    first_name: first_name.into(),
                    last_name: last_name.into(),
                    company: None,
                    title: None,
                    email_addresses: vec![FakeAddress {
                        value: email.into(),
                        kind: Some("personal".into()),
                    }],
                    social_media_addresses: vec![],
                    tags: vec![],
                    created_at: now,
                    updated_at: now,
                },
            );
            id
        })
    }

    pub fn candidates(&self) -> Vec<FakeCandidate> {
        self.with(|s| s.candidates.values().cloned().collect())
    }

    pub fn candidate(&self, id: i64) -> Option<FakeCandidate> {
        self.with(|s| s.candidates.get(&id).cloned())
    }

    pub fn applications(&self) -> Vec<FakeApplication> {
        self.with(|s| s.applications.values().cloned().collect())
    }

    pub fn application(&self, id: i64) -> Option<FakeApplication> {
        self.with(|s| s.applications.get(&id).cloned())
    }

    /// As a recruiter would: the status changes and `updated_at` moves.
    pub fn set_application_status(&self, application_id: i64, status: ApplicationStatus) {
        self.with(|s| {
            let now = Utc::now();
            let application = s
                .applications
                .get_mut(&application_id)
                .expect("no such application");
            application.status = application_status(status).into();
            application.rejected_at = (status == ApplicationStatus::Rejected).then_some(now);
            application.last_activity_at = now;
            application.updated_at = now;
        });
    }

    /// As a recruiter would: the application enters `stage_id` and `updated_at` moves.
    pub fn move_application(&self, application_id: i64, stage_id: i64) {
        self.with(|s| enter_stage(s, application_id, stage_id, Utc::now()));
    }

    pub fn application_stages(&self) -> Vec<FakeApplicationStage> {
        self.with(|s| s.application_stages.values().cloned().collect())
    }

    pub fn notes(&self) -> Vec<FakeNote> {
        self.with(|s| s.notes.values().cloned().collect())
    }

    pub fn add_tag(&self, name: &str) -> i64 {
        self.with(|s| {
            let id = s.id();
            s.tags.insert(
                id,
                FakeTag {
                    id,
                    name: name.into(),
                },
            );
            id
        })
    }

    pub fn tags(&self) -> Vec<FakeTag> {
        self.with(|s| s.tags.values().cloned().collect())
    }

    pub fn applied_tags(&self) -> Vec<FakeAppliedTag> {
        self.with(|s| s.applied_tags.values().cloned().collect())
    }

    /// Every request received, token requests included, oldest first.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.with(|s| s.requests.clone())
    }

    pub fn request_count(&self, method: &str, path: &str) -> usize {
        self.queries(method, path).len()
    }

    /// The query strings of the requests to `method` `path`, oldest first.
    pub fn queries(&self, method: &str, path: &str) -> Vec<Option<String>> {
        self.with(|s| {
            s.requests
                .iter()
                .filter(|r| r.method.eq_ignore_ascii_case(method) && path_matches(path, &r.path))
                .map(|r| r.query.clone())
                .collect()
        })
    }

    /// The next `times` requests to `method` `path` (`/*` ends a pattern) answer `status`
    /// with a `{"message": …}` body, doing nothing.
    pub fn fail_next(&self, method: &str, path: &str, times: usize, status: u16) {
        let status = StatusCode::from_u16(status).expect("a status");
        let body = ErrorBody::Json(json!({
            "message": status.canonical_reason().unwrap_or("Error"),
        }));
        self.fail_next_with(method, path, times, status.as_u16(), body);
    }

    /// Like [`Self::fail_next`], with this body.
    pub fn fail_next_with(
        &self,
        method: &str,
        path: &str,
        times: usize,
        status: u16,
        body: ErrorBody,
    ) {
        self.with(|s| {
            s.faults.push(Fault {
                method: method.to_uppercase(),
                path: path.into(),
                remaining: Some(times),
                status: StatusCode::from_u16(status).expect("a status"),
                body,
                retry_after: None,
            })
        });
    }

    /// The next `times` requests to `method` `path` answer 429 with `Retry-After`.
    pub fn throttle_next(&self, method: &str, path: &str, times: usize, retry_after_secs: u64) {
        self.with(|s| {
            s.faults.push(Fault {
                method: method.to_uppercase(),
                path: path.into(),
                remaining: Some(times),
                status: StatusCode::TOO_MANY_REQUESTS,
                body: ErrorBody::Json(json!({ "message": "Rate limit exceeded" })),
                retry_after: Some(retry_after_secs),
            })
        });
    }

    /// Requests to `method` `path` do their work, then wait `delay` before answering.
    pub fn slow(&self, method: &str, path: &str, delay: Duration) {
        self.slow_times(method, path, None, delay);
    }

    /// Like [`Self::slow`], for the next `times` requests only.
    pub fn slow_next(&self, method: &str, path: &str, times: usize, delay: Duration) {
        self.slow_times(method, path, Some(times), delay);
    }

    fn slow_times(&self, method: &str, path: &str, remaining: Option<usize>, delay: Duration) {
        self.with(|s| {
            s.slow.push(Slowness {
                method: method.to_uppercase(),
                path: path.into(),
                remaining,
                delay,
            })
        });
    }

    /// A fixed window of `calls` API calls per `window`, from the next call on.
    pub fn set_rate_limit(&self, calls: u64, window: Duration) {
        self.with(|s| {
            s.rate_limit = RateLimit {
                calls,
                window,
                started: None,
                used: 0,
            }
        });
    }

    /// How many calls were answered 429 for going over the rate limit (injected 429s aside).
    pub fn throttled(&self) -> usize {
        self.with(|s| s.throttled)
    }
}

fn job_status(status: JobStatus) -> &'static str {
    match status {
        JobStatus::Open => "open",
        JobStatus::Closed => "closed",
        JobStatus::Draft => "draft",
    }
}

fn application_status(status: ApplicationStatus) -> &'static str {
    match status {
        ApplicationStatus::InProcess => "in_process",
        ApplicationStatus::Rejected => "rejected",
        ApplicationStatus::Hired => "hired",
        ApplicationStatus::Converted => "converted",
    }
}

fn add_job(s: &mut FakeState, name: &str, status: JobStatus) -> i64 {
    let id = s.id();
    let now = Utc::now();
    s.jobs.insert(
        id,
        FakeJob {
            id,
            name: name.into(),
            status: job_status(status).into(),
            requisition_id: Some(format!("REQ-{id}")),
            department_id: None,
            office_ids: vec![],
            opened_at: (status != JobStatus::Draft).then_some(now),
            closed_at: (status == JobStatus::Closed).then_some(now),
            updated_at: now,
            custom_fields: json!({}),
        },
    );
    for (order, stage) in DEFAULT_STAGES.iter().enumerate() {
        add_stage(s, id, stage, order as i64);
    }
    id
}

fn add_stage(s: &mut FakeState, job_id: i64, name: &str, sort_order: i64) -> i64 {
    let id = s.id();
    s.stages.insert(
        id,
        FakeStage {
            id,
            job_id,
            name: name.into(),
            sort_order,
            active: true,
        },
    );
    id
}

fn stages_of(s: &FakeState, job_id: i64) -> Vec<FakeStage> {
    let mut stages: Vec<FakeStage> = s
        .stages
        .values()
        .filter(|stage| stage.job_id == job_id)
        .cloned()
        .collect();
    stages.sort_by_key(|stage| stage.sort_order);
    stages
}

fn enter_stage(s: &mut FakeState, application_id: i64, stage_id: i64, now: DateTime<Utc>) {
    for entry in s.application_stages.values_mut() {
        if entry.application_id == application_id && entry.current {
            entry.current = false;
            entry.exited_at = Some(now);
        }
    }
    let id = s.id();
    s.application_stages.insert(
        id,
        FakeApplicationStage {
            id,
            application_id,
            job_interview_stage_id: stage_id,
            current: true,
            entered_at: now,
            exited_at: None,
        },
    );
    let application = s
        .applications
        .get_mut(&application_id)
        .expect("no such application");
    application.stage_id = Some(stage_id);
    application.last_activity_at = now;
    application.updated_at = now;
}

// ---------------------------------------------------------------------------------------
// Responses.

/// An error answer: a status and a body in one of the documented shapes.
struct Refusal(StatusCode, Value);

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        (self.0, Json(self.1)).into_response()
    }
}

/// `{"message": …}`
fn message(status: StatusCode, text: &str) -> Refusal {
    Refusal(status, json!({ "message": text }))
}

/// `{"errors": [...]}`
fn errors(status: StatusCode, items: Vec<Value>) -> Refusal {
    Refusal(status, json!({ "errors": items }))
}

/// 422 `{"message": …, "errors": [{field, message}]}`
fn field_error(field: &str, text: &str) -> Refusal {
    Refusal(
        StatusCode::UNPROCESSABLE_ENTITY,
        json!({
            "message": "Validation error",
            "errors": [{ "field": field, "message": text }],
        }),
    )
}

fn fault_response(fault: &Fault) -> Response {
    let mut response = match &fault.body {
        ErrorBody::Json(body) => (fault.status, Json(body.clone())).into_response(),
        ErrorBody::Text(text) => (
            fault.status,
            [(header::CONTENT_TYPE, "text/html")],
            text.clone(),
        )
            .into_response(),
        ErrorBody::Empty => fault.status.into_response(),
    };
    if let Some(seconds) = fault.retry_after {
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
    }
    response
}

// ---------------------------------------------------------------------------------------
// The gate every request passes: record, rate limit, faults, authentication, slowness.

struct Admission {
    limit: u64,
    remaining: u64,
    reset_epoch: u64,
    over: Option<u64>,
}

/// Counts an API call in the fixed window.
fn admit(rate: &mut RateLimit, now: Instant) -> Admission {
    let started = match rate.started {
        Some(started) if now < started + rate.window => started,
        _ => {
            rate.used = 0;
            *rate.started.insert(now)
        }
    };
    let left = started + rate.window - now;
    let reset_epoch = (SystemTime::now() + left)
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs_f64()
        .ceil() as u64;
    if rate.used >= rate.calls {
        return Admission {
            limit: rate.calls,
            remaining: 0,
            reset_epoch,
            over: Some(left.as_secs_f64().ceil().max(1.0) as u64),
        };
    }
    rate.used += 1;
    Admission {
        limit: rate.calls,
        remaining: rate.calls - rate.used,
        reset_epoch,
        over: None,
    }
}

fn bearer(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(header::AUTHORIZATION)?
        .to_str()
        .ok()?
        .strip_prefix("Bearer ")
}

async fn gate(State(shared): State<Shared>, mut request: Request, next: Next) -> Response {
    let method = request.method().as_str().to_owned();
    let path = request.uri().path().to_owned();
    let is_api = path.starts_with("/v3/");
    let (early, admission, delay) = {
        let mut s = lock(&shared);
        s.requests.push(RecordedRequest {
            method: method.clone(),
            path: path.clone(),
            query: request.uri().query().map(str::to_owned),
        });
        let admission = is_api.then(|| admit(&mut s.rate_limit, Instant::now()));
        let mut early = None;
        if admission.as_ref().is_some_and(|a| a.over.is_some()) {
            s.throttled += 1;
            early =
                Some(message(StatusCode::TOO_MANY_REQUESTS, "Rate limit exceeded").into_response());
        }
        if early.is_none()
            && let Some(fault) = s.faults.iter_mut().find(|f| {
                f.method == method && path_matches(&f.path, &path) && f.remaining != Some(0)
            })
        {
            if let Some(remaining) = fault.remaining.as_mut() {
                *remaining -= 1;
            }
            early = Some(fault_response(fault));
        }
        if early.is_none() && is_api {
            match authenticate(&s, request.headers(), &method) {
                Ok(caller) => {
                    request.extensions_mut().insert(caller);
                }
                Err(refused) => early = Some(refused.into_response()),
            }
        }
        let delay = s
            .slow
            .iter_mut()
            .find(|w| w.method == method && path_matches(&w.path, &path) && w.remaining != Some(0))
            .map(|slowness| {
                if let Some(remaining) = slowness.remaining.as_mut() {
                    *remaining -= 1;
                }
                slowness.delay
            });
        (early, admission, delay)
    };
    let mut response = match early {
        Some(response) => response,
        None => next.run(request).await,
    };
    if let Some(delay) = delay {
        // The work is done: a client that gives up now leaves it done.
        tokio::time::sleep(delay).await;
    }
    if let Some(admission) = admission {
        let headers = response.headers_mut();
        headers.insert("x-ratelimit-limit", HeaderValue::from(admission.limit));
        headers.insert(
            "x-ratelimit-remaining",
            HeaderValue::from(admission.remaining),
        );
        headers.insert(
            "x-ratelimit-reset",
            HeaderValue::from(admission.reset_epoch),
        );
        if let Some(retry_after) = admission.over {
            headers.insert(header::RETRY_AFTER, HeaderValue::from(retry_after));
        }
    }
    response
}

fn authenticate(s: &FakeState, headers: &HeaderMap, method: &str) -> Result<Caller, Refusal> {
    let unauthorized = || message(StatusCode::UNAUTHORIZED, "Invalid or expired access token");
    let token = bearer(headers).ok_or_else(unauthorized)?;
    let issued = s
        .tokens
        .get(token)
        .filter(|t| t.expires > Instant::now())
        .ok_or_else(unauthorized)?;
    let user_id = issued.user_id;
    if s.clients.get(&issued.client_id).is_none_or(|c| c.forbidden) {
        return Err(message(
            StatusCode::FORBIDDEN,
            "The credentials lack the scope this request needs",
        ));
    }
    let is_admin = s.users.get(&user_id).is_some_and(|u| u.site_admin);
    if method == "GET" && s.enforce_site_admin && !is_admin {
        return Err(message(
            StatusCode::FORBIDDEN,
            "The user must be a Site Admin to list records",
        ));
    }
    Ok(Caller { user_id })
}

// ---------------------------------------------------------------------------------------
// The token endpoint.

fn oauth_error(status: StatusCode, code: &str) -> Refusal {
    Refusal(status, json!({ "error": code }))
}

fn basic(headers: &HeaderMap) -> Option<(String, String)> {
    let encoded = headers
        .get(header::AUTHORIZATION)?
        .to_str()
        .ok()?
        .strip_prefix("Basic ")?;
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .ok()?;
    let (id, secret) = std::str::from_utf8(&decoded).ok()?.split_once(':')?;
    Some((id.to_owned(), secret.to_owned()))
}

async fn mint_token(
    State(shared): State<Shared>,
    headers: HeaderMap,
    body: String,
) -> Result<Response, Refusal> {
    let (client_id, secret) =
        basic(&headers).ok_or_else(|| oauth_error(StatusCode::UNAUTHORIZED, "invalid_client"))?;
    let form: HashMap<String, String> = url::form_urlencoded::parse(body.as_bytes())
        .into_owned()
        .collect();
    let mut s = lock(&shared);
    if s.clients.get(&client_id).is_none_or(|c| c.secret != secret) {
        return Err(oauth_error(StatusCode::UNAUTHORIZED, "invalid_client"));
    }
    if form.get("grant_type").map(String::as_str) != Some("client_credentials") {
        return Err(message(
            StatusCode::BAD_REQUEST,
            "grant_type must be client_credentials",
        ));
    }
    let user_id = form
        .get("sub")
        .and_then(|sub| sub.parse::<i64>().ok())
        .ok_or_else(|| message(StatusCode::BAD_REQUEST, "sub must be a Greenhouse user id"))?;
    let token = format!("fake-token-{}", uuid::Uuid::now_v7().simple());
    let lifetime = s.token_lifetime;
    s.tokens.insert(
        token.clone(),
        IssuedToken {
            user_id,
            client_id: client_id.clone(),
            expires: Instant::now() + lifetime,
        },
    );
    *s.minted.entry(client_id).or_default() += 1;
    let mut grant = json!({ "token_type": "Bearer", "access_token": token });
    if s.expires_in_style {
        grant["expires_in"] = json!(lifetime.as_secs());
    } else {
        let expires_at = Utc::now() + chrono::Duration::from_std(lifetime).unwrap();
        grant["expires_at"] = json!(rfc3339(expires_at));
    }
    Ok(Json(grant).into_response())
}

// ---------------------------------------------------------------------------------------
// Lists.

/// The query parameters each list accepts (besides `per_page` and `cursor`).
fn accepted_filters(resource: &str) -> Option<&'static [&'static str]> {
    Some(match resource {
        "users" => &["ids"],
        "sources" => &["ids"],
        "jobs" => &["ids", "status", "created_at", "updated_at"],
        "job_interview_stages" => &["ids", "job_ids"],
        "candidates" => &["ids", "email", "created_at", "updated_at"],
        "applications" => &[
            "ids",
            "candidate_ids",
            "job_ids",
            "status",
            "created_at",
            "updated_at",
        ],
        "application_stages" => &["application_ids", "current"],
        "notes" => &["ids", "candidate_ids"],
        "candidate_tags" => &["ids"],
        "applied_candidate_tags" => &["ids", "candidate_ids"],
        _ => return None,
    })
}

/// A list's filters, parsed.
struct Filters {
    ids: HashMap<String, HashSet<i64>>,
    times: HashMap<String, Vec<(String, DateTime<Utc>)>>,
    text: HashMap<String, String>,
}

impl Filters {
    fn parse(params: &[(String, String)]) -> Result<Self, Refusal> {
        let mut filters = Self {
            ids: HashMap::new(),
            times: HashMap::new(),
            text: HashMap::new(),
        };
        for (name, value) in params {
            if name == "ids" || name.ends_with("_ids") {
                let ids: Result<HashSet<i64>, _> = value
                    .split(',')
                    .map(|id| id.trim().parse::<i64>())
                    .collect();
                let Ok(ids) = ids else {
                    return Err(field_error(name, "must be comma-separated ids"));
                };
                if ids.len() > MAX_IDS {
                    return Err(errors(
                        StatusCode::UNPROCESSABLE_ENTITY,
                        vec![json!(format!("{name} accepts at most {MAX_IDS} ids"))],
                    ));
                }
                filters.ids.insert(name.clone(), ids);
            } else if name == "created_at" || name == "updated_at" {
                let parts: Vec<&str> = value.split('|').collect();
                let bounds = parts
                    .chunks(2)
                    .map(|pair| match pair {
                        [op @ ("gt" | "gte" | "lt" | "lte"), at] => {
                            DateTime::parse_from_rfc3339(at)
                                .ok()
                                .map(|at| ((*op).to_owned(), at.with_timezone(&Utc)))
                        }
                        _ => None,
                    })
                    .collect::<Option<Vec<_>>>();
                match bounds {
                    Some(bounds) if !bounds.is_empty() => {
                        filters.times.insert(name.clone(), bounds);
                    }
                    _ => {
                        return Err(field_error(
                            name,
                            "must look like gte|2026-01-01T00:00:00Z (optionally |lte|…)",
                        ));
                    }
                }
            } else {
                filters.text.insert(name.clone(), value.clone());
            }
        }
        if filters.times.len() > 1 {
            return Err(errors(
                StatusCode::UNPROCESSABLE_ENTITY,
                vec![json!("Do not pass created_at and updated_at together.")],
            ));
        }
        Ok(filters)
    }

    fn id(&self, name: &str, id: i64) -> bool {
        self.ids.get(name).is_none_or(|ids| ids.contains(&id))
    }

    fn time(&self, name: &str, at: DateTime<Utc>) -> bool {
        self.times.get(name).is_none_or(|bounds| {
            bounds.iter().all(|(op, bound)| match op.as_str() {
                "gt" => at > *bound,
                "gte" => at >= *bound,
                "lt" => at < *bound,
                _ => at <= *bound,
            })
        })
    }

    fn text(&self, name: &str) -> Option<&str> {
        self.text.get(name).map(String::as_str)
    }
}

/// One page of `records` that `keep`: ids below `page.after`, descending, `page.take` at most.
fn rows<T: Serialize>(
    records: &BTreeMap<i64, T>,
    page: Page,
    keep: impl Fn(&T) -> bool,
) -> Vec<(i64, Value)> {
    records
        .range(..page.after.unwrap_or(i64::MAX))
        .rev()
        .filter(|(_, record)| keep(record))
        .take(page.take)
        .map(|(id, record)| (*id, serde_json::to_value(record).unwrap()))
        .collect()
}

#[derive(Clone, Copy)]
struct Page {
    after: Option<i64>,
    take: usize,
}

/// The records of `resource` that pass `params`, by id descending, from `page.after` on.
fn select(
    s: &FakeState,
    resource: &str,
    params: &[(String, String)],
    page: Page,
) -> Result<Vec<(i64, Value)>, Refusal> {
    let accepted = accepted_filters(resource)
        .ok_or_else(|| message(StatusCode::NOT_FOUND, "Resource not found"))?;
    if let Some((name, _)) = params
        .iter()
        .find(|(name, _)| !accepted.contains(&name.as_str()))
    {
        return Err(field_error(name, "is not a permitted parameter"));
    }
    let f = Filters::parse(params)?;
    Ok(match resource {
        "users" => rows(&s.users, page, |u| f.id("ids", u.id)),
        "sources" => rows(&s.sources, page, |x| f.id("ids", x.id)),
        "jobs" => {
            if let Some(status) = f.text("status")
                && !["open", "closed", "draft"].contains(&status)
            {
                return Err(field_error("status", "must be open, closed or draft"));
            }
            rows(&s.jobs, page, |j| {
                f.id("ids", j.id)
                    && f.text("status").is_none_or(|status| j.status == status)
                    && f.time("updated_at", j.updated_at)
                    && f.time("created_at", j.opened_at.unwrap_or(j.updated_at))
            })
        }
        "job_interview_stages" => rows(&s.stages, page, |x| {
            f.id("ids", x.id) && f.id("job_ids", x.job_id)
        }),
        "candidates" => rows(&s.candidates, page, |c| {
            f.id("ids", c.id)
                && f.text("email").is_none_or(|email| {
                    c.email_addresses
                        .iter()
                        .any(|a| a.value.eq_ignore_ascii_case(email))
                })
                && f.time("updated_at", c.updated_at)
                && f.time("created_at", c.created_at)
        }),
        "applications" => {
            let status = match f.text("status") {
                None => None,
                Some("active" | "in_process") => Some("in_process"),
                Some(status @ ("rejected" | "hired" | "converted")) => Some(status),
                Some(_) => {
                    return Err(field_error(
                        "status",
                        "must be active, rejected, hired or converted",
                    ));
                }
            };
            rows(&s.applications, page, |a| {
                f.id("ids", a.id)
                    && f.id("candidate_ids", a.candidate_id)
                    && (!f.ids.contains_key("job_ids")
                        || a.job_id.is_some_and(|job| f.id("job_ids", job)))
                    && status.is_none_or(|status| a.status == status)
                    && f.time("updated_at", a.updated_at)
                    && f.time("created_at", a.created_at)
            })
        }
        "application_stages" => {
            let current = f.text("current").map(|current| current == "true");
            rows(&s.application_stages, page, |x| {
                f.id("application_ids", x.application_id)
                    && current.is_none_or(|current| x.current == current)
            })
        }
        "notes" => rows(&s.notes, page, |n| {
            f.id("ids", n.id) && f.id("candidate_ids", n.candidate_id)
        }),
        "candidate_tags" => rows(&s.tags, page, |t| f.id("ids", t.id)),
        "applied_candidate_tags" => rows(&s.applied_tags, page, |t| {
            f.id("ids", t.id) && f.id("candidate_ids", t.candidate_id)
        }),
        _ => unreachable!("accepted_filters knows every resource"),
    })
}

async fn list(
    State(shared): State<Shared>,
    Path(resource): Path<String>,
    RawQuery(query): RawQuery,
) -> Result<Response, Refusal> {
    let params: Vec<(String, String)> =
        url::form_urlencoded::parse(query.unwrap_or_default().as_bytes())
            .into_owned()
            .collect();
    let mut s = lock(&shared);
    let (filters, per_page, after_id) =
        if let Some((_, cursor)) = params.iter().find(|(name, _)| name == "cursor") {
            if params.len() > 1 {
                return Err(errors(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    vec![json!(CURSOR_WITH_OTHER_PARAMS)],
                ));
            }
            match s.cursors.get(cursor).filter(|c| c.resource == resource) {
                Some(c) => (c.filters.clone(), c.per_page, Some(c.after_id)),
                None => {
                    return Err(errors(
                        StatusCode::UNPROCESSABLE_ENTITY,
                        vec![json!("Invalid cursor")],
                    ));
                }
            }
        } else {
            let per_page = match params.iter().find(|(name, _)| name == "per_page") {
                None => DEFAULT_PER_PAGE,
                Some((_, value)) => match value.parse::<usize>() {
                    Ok(n) if (1..=MAX_PER_PAGE).contains(&n) => n,
                    _ => {
                        return Err(field_error(
                            "per_page",
                            &format!("must be between 1 and {MAX_PER_PAGE}"),
                        ));
                    }
                },
            };
            let filters = params
                .iter()
                .filter(|(name, _)| name != "per_page")
                .cloned()
                .collect();
            (filters, per_page, None)
        };
    let window = Page {
        after: after_id,
        take: per_page + 1,
    };
    let mut page = select(&s, &resource, &filters, window)?;
    let more = page.len() > per_page;
    page.truncate(per_page);
    let mut headers = HeaderMap::new();
    if more && let Some((last_id, _)) = page.last() {
        // Base64 with `+`, `/` and `=`: a client that re-encodes it loses its place.
        let serial = s.cursors.len();
        let cursor = base64::engine::general_purpose::STANDARD
            .encode(format!("{resource}?after={last_id}&n={serial}~~"));
        s.cursors.insert(
            cursor.clone(),
            Cursor {
                resource: resource.clone(),
                filters,
                per_page,
                after_id: *last_id,
            },
        );
        let encoded: String = url::form_urlencoded::byte_serialize(cursor.as_bytes()).collect();
        let link = format!(
            "<{}/v3/{resource}?cursor={encoded}>; rel=\"next\"",
            s.base_url
        );
        headers.insert(header::LINK, HeaderValue::from_str(&link).unwrap());
    }
    let items: Vec<Value> = page.into_iter().map(|(_, item)| item).collect();
    Ok((headers, Json(items)).into_response())
}

// ---------------------------------------------------------------------------------------
// Writes.

/// The JSON object of a write, or the answer to a write that sent none.
fn json_body(headers: &HeaderMap, body: &str) -> Result<serde_json::Map<String, Value>, Refusal> {
    let is_json = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    if !is_json {
        return Err(message(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "Content-Type must be application/json",
        ));
    }
    match serde_json::from_str(body) {
        Ok(Value::Object(object)) => Ok(object),
        _ => Err(message(
            StatusCode::BAD_REQUEST,
            "The body is not a JSON object",
        )),
    }
}

fn text_field(body: &serde_json::Map<String, Value>, name: &str) -> Result<String, Refusal> {
    match body.get(name).and_then(Value::as_str).map(str::trim) {
        Some(text) if !text.is_empty() => Ok(text.to_owned()),
        _ => Err(field_error(name, "can't be blank")),
    }
}

fn id_field(body: &serde_json::Map<String, Value>, name: &str) -> Result<Option<i64>, Refusal> {
    match body.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(value) => value
            .as_i64()
            .map(Some)
            .ok_or_else(|| field_error(name, "must be an id")),
    }
}

fn addresses(
    body: &serde_json::Map<String, Value>,
    name: &str,
    types: Option<&[&str]>,
) -> Result<Option<Vec<FakeAddress>>, Refusal> {
    let Some(value) = body.get(name) else {
        return Ok(None);
    };
    let Some(items) = value.as_array() else {
        return Err(field_error(name, "must be a list"));
    };
    items
        .iter()
        .map(|item| {
            let value = item
                .get("value")
                .and_then(Value::as_str)
                .filter(|v| !v.trim().is_empty())
                .ok_or_else(|| field_error(name, "each needs a value"))?;
            let kind = item.get("type").and_then(Value::as_str);
            if let Some(types) = types
                && kind.is_none_or(|kind| !types.contains(&kind))
            {
                return Err(field_error(
                    name,
                    &format!("type must be one of {}", types.join(", ")),
                ));
            }
            Ok(FakeAddress {
                value: value.to_owned(),
                kind: types.and(kind).map(str::to_owned),
            })
        })
        .collect::<Result<Vec<_>, _>>()
        .map(Some)
}

fn tag_names(body: &serde_json::Map<String, Value>) -> Result<Option<Vec<String>>, Refusal> {
    match body.get("tags") {
        None => Ok(None),
        Some(Value::Array(items)) => items
            .iter()
            .map(|t| {
                t.as_str()
                    .map(str::to_owned)
                    .ok_or_else(|| field_error("tags", "must be tag names"))
            })
            .collect::<Result<Vec<_>, _>>()
            .map(Some),
        Some(_) => Err(field_error("tags", "must be a list of names")),
    }
}

const EMAIL_TYPES: &[&str] = &["personal", "work", "other"];

async fn create(
    State(shared): State<Shared>,
    Path(resource): Path<String>,
    Extension(caller): Extension<Caller>,
    headers: HeaderMap,
    body: String,
) -> Result<Response, Refusal> {
    let body = json_body(&headers, &body)?;
    let mut s = lock(&shared);
    let created = match resource.as_str() {
        "candidates" => create_candidate(&mut s, &body),
        "applications" => create_application(&mut s, &body),
        "notes" => create_note(&mut s, &caller, &body),
        "candidate_tags" => create_tag(&mut s, &body),
        "applied_candidate_tags" => apply_tag(&mut s, &body),
        _ => Err(message(StatusCode::NOT_FOUND, "Resource not found")),
    };
    Ok((StatusCode::CREATED, Json(created?)).into_response())
}

fn create_candidate(
    s: &mut FakeState,
    body: &serde_json::Map<String, Value>,
) -> Result<Value, Refusal> {
    let first_name = text_field(body, "first_name")?;
    let last_name = text_field(body, "last_name")?;
    let email_addresses = addresses(body, "email_addresses", Some(EMAIL_TYPES))?;
    let social_media_addresses = addresses(body, "social_media_addresses", None)?;
    let tags = tag_names(body)?;
    let application = match body.get("application") {
        None | Some(Value::Null) => None,
        Some(Value::Object(application)) => Some(application.clone()),
        Some(_) => return Err(field_error("application", "must be an object")),
    };
    if let Some(application) = &application {
        validate_application(s, application)?;
    }
    let id = s.id();
    let now = Utc::now();
    let candidate = FakeCandidate {
        id,
        first_name,
        last_name,
        company: body
            .get("company")
            .and_then(Value::as_str)
            .map(str::to_owned),
        title: body.get("title").and_then(Value::as_str).map(str::to_owned),
        email_addresses: email_addresses.unwrap_or_default(),
        social_media_addresses: social_media_addresses.unwrap_or_default(),
        tags: tags.unwrap_or_default(),
        created_at: now,
        updated_at: now,
    };
    s.candidates.insert(id, candidate.clone());
    if let Some(mut application) = application {
        application.insert("candidate_id".into(), json!(id));
        insert_application(s, &application)?;
    }
    Ok(serde_json::to_value(candidate).unwrap())
}

/// Checks a new application (on a job, or a prospect) without creating it.
fn validate_application(
    s: &FakeState,
    body: &serde_json::Map<String, Value>,
) -> Result<(), Refusal> {
    if let Some(source_id) = id_field(body, "source_id")?
        && !s.sources.contains_key(&source_id)
    {
        return Err(field_error("source_id", "no such source"));
    }
    if body
        .get("prospect")
        .and_then(Value::as_bool)
        .unwrap_or(false)
    {
        for job_id in prospective_job_ids(body)? {
            if !s.jobs.contains_key(&job_id) {
                return Err(field_error("job_ids", "no such job"));
            }
        }
        return Ok(());
    }
    let job_id =
        id_field(body, "job_id")?.ok_or_else(|| field_error("job_id", "can't be blank"))?;
    let job = s
        .jobs
        .get(&job_id)
        .ok_or_else(|| field_error("job_id", "no such job"))?;
    if job.status != "open" {
        return Err(field_error("job_id", "the job is not open"));
    }
    if let Some(stage_id) = id_field(body, "initial_stage_id")?
        && s.stages
            .get(&stage_id)
            .is_none_or(|stage| stage.job_id != job_id)
    {
        return Err(field_error("initial_stage_id", "not a stage of this job"));
    }
    Ok(())
}

fn prospective_job_ids(body: &serde_json::Map<String, Value>) -> Result<Vec<i64>, Refusal> {
    match body.get("job_ids") {
        None | Some(Value::Null) => Ok(vec![]),
        Some(Value::Array(ids)) => ids
            .iter()
            .map(|id| {
                id.as_i64()
                    .ok_or_else(|| field_error("job_ids", "must be ids"))
            })
            .collect(),
        Some(_) => Err(field_error("job_ids", "must be a list of ids")),
    }
}

fn insert_application(
    s: &mut FakeState,
    body: &serde_json::Map<String, Value>,
) -> Result<FakeApplication, Refusal> {
    let candidate_id = id_field(body, "candidate_id")?
        .filter(|id| s.candidates.contains_key(id))
        .ok_or_else(|| field_error("candidate_id", "no such candidate"))?;
    validate_application(s, body)?;
    let prospect = body
        .get("prospect")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    let job_id = if prospect {
        None
    } else {
        id_field(body, "job_id")?
    };
    if let Some(job_id) = job_id
        && s.applications.values().any(|a| {
            a.candidate_id == candidate_id && a.job_id == Some(job_id) && a.status == "in_process"
        })
    {
        return Err(field_error(
            "job_id",
            "the candidate already applied to this job",
        ));
    }
    let stage_id = match job_id {
        None => None,
        Some(job_id) => id_field(body, "initial_stage_id")?
            .or_else(|| stages_of(s, job_id).first().map(|stage| stage.id)),
    };
    let id = s.id();
    let now = Utc::now();
    let application = FakeApplication {
        id,
        candidate_id,
        job_id,
        status: "in_process".into(),
        stage_id: None,
        source_id: id_field(body, "source_id")?,
        referrer_id: id_field(body, "referrer_id")?,
        prospect,
        prospective_job_ids: if prospect {
            prospective_job_ids(body)?
        } else {
            vec![]
        },
        rejected_at: None,
        last_activity_at: now,
        created_at: now,
        updated_at: now,
    };
    s.applications.insert(id, application);
    if let Some(stage_id) = stage_id {
        enter_stage(s, id, stage_id, now);
    }
    Ok(s.applications[&id].clone())
}

fn create_application(
    s: &mut FakeState,
    body: &serde_json::Map<String, Value>,
) -> Result<Value, Refusal> {
    insert_application(s, body).map(|application| serde_json::to_value(application).unwrap())
}

fn create_note(
    s: &mut FakeState,
    caller: &Caller,
    body: &serde_json::Map<String, Value>,
) -> Result<Value, Refusal> {
    let candidate_id = id_field(body, "candidate_id")?
        .filter(|id| s.candidates.contains_key(id))
        .ok_or_else(|| field_error("candidate_id", "no such candidate"))?;
    let text = text_field(body, "body")?;
    if body.get("note_type").and_then(Value::as_str) != Some("NOTE") {
        return Err(field_error("note_type", "must be NOTE"));
    }
    let visibility = match body.get("visibility").and_then(Value::as_str) {
        Some("public") => "publicly_visible",
        Some("private") => "privately_visible",
        Some("admin_only") => "admin_only_visible",
        _ => {
            return Err(field_error(
                "visibility",
                "must be public, private or admin_only",
            ));
        }
    };
    let id = s.id();
    s.notes.insert(
        id,
        FakeNote {
            id,
            candidate_id,
            application_id: id_field(body, "application_id")?,
            user_id: caller.user_id,
            body: text,
            kind: "note".into(),
            visibility: visibility.into(),
            created_at: Utc::now(),
        },
    );
    Ok(json!({ "id": id }))
}

fn create_tag(s: &mut FakeState, body: &serde_json::Map<String, Value>) -> Result<Value, Refusal> {
    let name = text_field(body, "name")?;
    if s.tags.values().any(|t| t.name.eq_ignore_ascii_case(&name)) {
        return Err(field_error("name", "has already been taken"));
    }
    let id = s.id();
    let tag = FakeTag { id, name };
    s.tags.insert(id, tag.clone());
    Ok(serde_json::to_value(tag).unwrap())
}

fn apply_tag(s: &mut FakeState, body: &serde_json::Map<String, Value>) -> Result<Value, Refusal> {
    let candidate_id = id_field(body, "candidate_id")?
        .filter(|id| s.candidates.contains_key(id))
        .ok_or_else(|| field_error("candidate_id", "no such candidate"))?;
    let tag_id = id_field(body, "candidate_tag_id")?
        .filter(|id| s.tags.contains_key(id))
        .ok_or_else(|| field_error("candidate_tag_id", "no such tag"))?;
    if s.applied_tags
        .values()
        .any(|t| t.candidate_id == candidate_id && t.candidate_tag_id == tag_id)
    {
        return Err(field_error("candidate_tag_id", "is already applied"));
    }
    let id = s.id();
    let applied = FakeAppliedTag {
        id,
        candidate_id,
        candidate_tag_id: tag_id,
    };
    s.applied_tags.insert(id, applied.clone());
    let name = s.tags[&tag_id].name.clone();
    let candidate = s.candidates.get_mut(&candidate_id).unwrap();
    candidate.tags.push(name);
    candidate.updated_at = Utc::now();
    Ok(serde_json::to_value(applied).unwrap())
}

/// `PATCH /v3/candidates/{id}`: the keys sent change, lists replace the whole list.
async fn update(
    State(shared): State<Shared>,
    Path((resource, id)): Path<(String, String)>,
    headers: HeaderMap,
    body: String,
) -> Result<Response, Refusal> {
    let Some(id) = id.parse::<i64>().ok().filter(|_| resource == "candidates") else {
        return Err(message(StatusCode::NOT_FOUND, "Resource not found"));
    };
    let body = json_body(&headers, &body)?;
    let mut s = lock(&shared);
    if !s.candidates.contains_key(&id) {
        return Err(message(StatusCode::NOT_FOUND, "Resource not found"));
    }
    let patch = (|| -> Result<FakeCandidate, Refusal> {
        let mut candidate = s.candidates[&id].clone();
        if body.contains_key("first_name") {
            candidate.first_name = text_field(&body, "first_name")?;
        }
        if body.contains_key("last_name") {
            candidate.last_name = text_field(&body, "last_name")?;
        }
        if let Some(company) = body.get("company") {
            candidate.company = company.as_str().map(str::to_owned);
        }
        if let Some(title) = body.get("title") {
            candidate.title = title.as_str().map(str::to_owned);
        }
        if let Some(emails) = addresses(&body, "email_addresses", Some(EMAIL_TYPES))? {
            candidate.email_addresses = emails;
        }
        if let Some(social) = addresses(&body, "social_media_addresses", None)? {
            candidate.social_media_addresses = social;
        }
        if let Some(tags) = tag_names(&body)? {
            candidate.tags = tags;
        }
        candidate.updated_at = Utc::now();
        Ok(candidate)
    })();
    let candidate = patch?;
    s.candidates.insert(id, candidate.clone());
    Ok(Json(candidate).into_response())
}

//! Greenhouse Harvest v3, as introgate uses it (facts: `../shared/greenhouse-harvest-v3.md`).
//!
//! [`Harvest`] is the small trait the rules (`services::greenhouse`) call; [`client`] is its
//! implementation over HTTP. Nothing here knows the database or GraphQL: a call takes the
//! credentials it acts with and returns Greenhouse's records, or a [`HarvestError`] that says
//! whose problem it is. The client mints and caches OAuth tokens per credential, follows
//! list cursors, paces itself by the rate-limit headers, and retries what is transient.

pub mod client;

use std::fmt;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

pub use client::{ClientConfig, HarvestClient};

/// What a company stored to act in its Greenhouse account.
#[derive(Clone)]
pub struct Credentials {
    pub client_id: String,
    pub client_secret: ClientSecret,
    /// The Greenhouse user introgate acts as (the token's `sub`); a Site Admin.
    pub user_id: i64,
}

/// A client secret: never printed, never logged.
#[derive(Clone, PartialEq, Eq)]
pub struct ClientSecret(String);

impl ClientSecret {
    pub fn new(secret: impl Into<String>) -> Self {
        Self(secret.into())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for ClientSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ClientSecret(…)")
    }
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("client_id", &self.client_id)
            .field("user_id", &self.user_id)
            .finish_non_exhaustive()
    }
}

/// Why a call failed, once the client has retried what it retries.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HarvestError {
    /// The credentials were refused (`invalid_client`), or a fresh token was refused again.
    #[error("Greenhouse refused the credentials: {0}")]
    Unauthorized(String),
    /// 403: a missing scope, or a user who is not a Site Admin. Configuration: not retried.
    #[error("Greenhouse forbids this: {0}")]
    Forbidden(String),
    #[error("not found in Greenhouse: {0}")]
    NotFound(String),
    /// 400 / 422: Greenhouse refused the request itself, with its messages.
    #[error("Greenhouse refused the request ({status}): {}", .messages.join("; "))]
    Rejected { status: u16, messages: Vec<String> },
    /// Unreachable, timed out, 5xx or rate-limited, after the client's own retries.
    #[error("Greenhouse is unavailable: {0}")]
    Unavailable(String),
}

impl HarvestError {
    /// Worth trying again later (a durable job's next attempt).
    pub fn is_transient(&self) -> bool {
        matches!(self, Self::Unavailable(_))
    }
}

pub type HarvestResult<T> = Result<T, HarvestError>;

/// A Greenhouse user (`GET /v3/users?ids=`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct User {
    pub id: i64,
    #[serde(default)]
    pub first_name: Option<String>,
    #[serde(default)]
    pub last_name: Option<String>,
    #[serde(default)]
    pub site_admin: bool,
}

/// `GET /v3/sources`: where a candidate came from; applications credit one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Source {
    pub id: i64,
    pub name: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum JobStatus {
    Open,
    Closed,
    Draft,
}

/// `GET /v3/jobs`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Job {
    pub id: i64,
    pub name: String,
    pub status: JobStatus,
    #[serde(default)]
    pub requisition_id: Option<String>,
    #[serde(default)]
    pub department_id: Option<i64>,
    #[serde(default)]
    pub office_ids: Vec<i64>,
    #[serde(default)]
    pub opened_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub closed_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub updated_at: Option<DateTime<Utc>>,
}

/// `GET /v3/job_interview_stages`: a job's interview stages.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stage {
    pub id: i64,
    pub job_id: i64,
    pub name: String,
    #[serde(default)]
    pub sort_order: i64,
    #[serde(default = "yes")]
    pub active: bool,
}

fn yes() -> bool {
    true
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Address {
    pub value: String,
    #[serde(default, rename = "type", skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
}

/// `GET /v3/candidates`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Candidate {
    pub id: i64,
    #[serde(default)]
    pub first_name: Option<String>,
    #[serde(default)]
    pub last_name: Option<String>,
    #[serde(default)]
    pub email_addresses: Vec<Address>,
    #[serde(default)]
    pub social_media_addresses: Vec<Address>,
    #[serde(default)]
    pub tags: Vec<String>,
    #[serde(default)]
    pub updated_at: Option<DateTime<Utc>>,
}

/// `POST /v3/candidates`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NewCandidate {
    pub first_name: String,
    pub last_name: String,
    pub email_addresses: Vec<Address>,
    pub social_media_addresses: Vec<Address>,
}

/// `PATCH /v3/candidates/{id}`: only what is set changes; a list replaces the whole list.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct CandidatePatch {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email_addresses: Option<Vec<Address>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub social_media_addresses: Option<Vec<Address>>,
}

/// An application's status as Greenhouse reports it (`active` is the filter's word for
/// `in_process`: both read as [`ApplicationStatus::InProcess`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ApplicationStatus {
    #[serde(alias = "active")]
    InProcess,
    Rejected,
    Hired,
    Converted,
}

/// `GET /v3/applications`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Application {
    pub id: i64,
    pub candidate_id: i64,
    #[serde(default)]
    pub job_id: Option<i64>,
    pub status: ApplicationStatus,
    #[serde(default)]
    pub prospect: bool,
    #[serde(default)]
    pub prospective_job_ids: Vec<i64>,
    #[serde(default)]
    pub stage_id: Option<i64>,
    /// Not confirmed to be sent by v3: the current stage's name comes from
    /// [`Harvest::current_stages`] and the job's stages when absent.
    #[serde(default)]
    pub stage_name: Option<String>,
    #[serde(default)]
    pub source_id: Option<i64>,
    #[serde(default)]
    pub rejected_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub created_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub updated_at: Option<DateTime<Utc>>,
}

/// `POST /v3/applications`: one job, or a prospect (`prospect: true`, optional
/// prospective jobs).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NewApplication {
    pub candidate_id: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub job_id: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source_id: Option<i64>,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub prospect: bool,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub job_ids: Vec<i64>,
}

/// `GET /v3/application_stages?current=true`: where an application is now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApplicationStage {
    pub application_id: i64,
    pub job_interview_stage_id: i64,
    #[serde(default)]
    pub current: bool,
    #[serde(default)]
    pub entered_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NoteVisibility {
    Public,
    Private,
    AdminOnly,
}

/// `GET /v3/notes`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Note {
    pub id: i64,
    pub candidate_id: i64,
    pub body: String,
    #[serde(default)]
    pub created_at: Option<DateTime<Utc>>,
}

/// `POST /v3/notes` (`note_type: "NOTE"`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewNote {
    pub candidate_id: i64,
    pub body: String,
    pub visibility: NoteVisibility,
}

/// `GET /v3/candidate_tags`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tag {
    pub id: i64,
    pub name: String,
}

/// `GET /v3/applied_candidate_tags`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AppliedTag {
    pub candidate_id: i64,
    pub candidate_tag_id: i64,
}

/// What introgate asks of Greenhouse. Lists return every page; filters by id take any
/// number of ids (the client splits them into Greenhouse's chunks of 50).
#[async_trait::async_trait]
pub trait Harvest: Send + Sync {
    /// Mints a token for these credentials and reads their user: `Unauthorized` for a bad
    /// secret, `Forbidden` for a user who is not a Site Admin (or does not exist).
    async fn verify(&self, credentials: &Credentials) -> HarvestResult<User>;

    async fn sources(&self, credentials: &Credentials) -> HarvestResult<Vec<Source>>;

    /// Every open job (`status=open`), all pages.
    async fn open_jobs(&self, credentials: &Credentials) -> HarvestResult<Vec<Job>>;

    /// Interview stages of these jobs.
    async fn job_stages(
        &self,
        credentials: &Credentials,
        job_ids: &[i64],
    ) -> HarvestResult<Vec<Stage>>;

    async fn candidates_by_email(
        &self,
        credentials: &Credentials,
        email: &str,
    ) -> HarvestResult<Vec<Candidate>>;

    async fn candidates_by_ids(
        &self,
        credentials: &Credentials,
        candidate_ids: &[i64],
    ) -> HarvestResult<Vec<Candidate>>;

    async fn create_candidate(
        &self,
        credentials: &Credentials,
        candidate: &NewCandidate,
    ) -> HarvestResult<Candidate>;

    async fn update_candidate(
        &self,
        credentials: &Credentials,
        candidate_id: i64,
        patch: &CandidatePatch,
    ) -> HarvestResult<Candidate>;

    /// Applications of these candidates (prospects included).
    async fn applications_of(
        &self,
        credentials: &Credentials,
        candidate_ids: &[i64],
    ) -> HarvestResult<Vec<Application>>;

    /// Applications changed at or after `since` (`updated_at=gte|…`).
    async fn applications_updated_since(
        &self,
        credentials: &Credentials,
        since: DateTime<Utc>,
    ) -> HarvestResult<Vec<Application>>;

    async fn create_application(
        &self,
        credentials: &Credentials,
        application: &NewApplication,
    ) -> HarvestResult<Application>;

    /// The current stage of each of these applications.
    async fn current_stages(
        &self,
        credentials: &Credentials,
        application_ids: &[i64],
    ) -> HarvestResult<Vec<ApplicationStage>>;

    async fn notes_of(
        &self,
        credentials: &Credentials,
        candidate_ids: &[i64],
    ) -> HarvestResult<Vec<Note>>;

    async fn create_note(&self, credentials: &Credentials, note: &NewNote) -> HarvestResult<Note>;

    async fn candidate_tags(&self, credentials: &Credentials) -> HarvestResult<Vec<Tag>>;

    async fn create_candidate_tag(
        &self,
        credentials: &Credentials,
        name: &str,
    ) -> HarvestResult<Tag>;

    async fn applied_tags(
        &self,
        credentials: &Credentials,
        candidate_ids: &[i64],
    ) -> HarvestResult<Vec<AppliedTag>>;

    async fn apply_tag(
        &self,
        credentials: &Credentials,
        candidate_id: i64,
        tag_id: i64,
    ) -> HarvestResult<()>;
}

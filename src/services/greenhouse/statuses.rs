//! Hiring status (SPEC §6): what happens to the applications introgate made. Each
//! connection's applications changed since its last poll (`updated_at=gte|…`) are read every
//! `GREENHOUSE_POLL_INTERVAL`, on `syncGreenhouseStatuses`, and soon after a signed webhook
//! ([`super::webhook`]); the ones introgate made (or that Greenhouse made for a candidate
//! introgate pushed, e.g. a prospect converted onto a job) get their status and current stage.
//!
//! The high-water mark is the newest `updated_at` Greenhouse reported, not our clock, so a
//! skew between the two never loses a change; the bound is inclusive, and reading an
//! application twice changes nothing.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use entities::{
    company, greenhouse_application, greenhouse_connection, greenhouse_push, greenhouse_stage,
    greenhouse_webhook_event, job,
};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, EntityTrait, IntoActiveModel, QueryFilter,
    QueryOrder, Set, sea_query::Expr,
};
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

use super::{
    connection_of, credentials,
    lease::{ConnectionJob, LEASE},
    push::status,
};
use crate::{
    error::ServiceResult,
    greenhouse::{self, ApplicationStatus, HarvestError},
    services::{access::Actor, tx::Tx},
    state::AppState,
};

/// `syncGreenhouseStatuses`: polls now and returns when done, or says why Greenhouse
/// refused (also kept as the connection's `lastError`).
#[tracing::instrument(skip_all)]
pub async fn sync_statuses(
    state: &AppState,
    actor: &Actor,
    company_id: Uuid,
) -> ServiceResult<company::Model> {
    let (company, _) = super::managed_company(state, actor, company_id).await?;
    let connection = connection_of(state.db.read(), company.id)
        .await?
        .ok_or_else(super::connection::not_connected)?;
    match poll(state, &connection).await? {
        Ok(_) => Ok(company),
        Err(error) => Err(super::user_error(&error)),
    }
}

/// One poll of a connection. The outer error is ours; the inner one Greenhouse's (kept as
/// the connection's `lastError`). Returns how many of introgate's applications it updated.
async fn poll(
    state: &AppState,
    connection: &greenhouse_connection::Model,
) -> ServiceResult<Result<usize, HarvestError>> {
    let since = connection
        .polled_until
        .unwrap_or(connection.created_at - chrono::Duration::hours(1));
    match read(state, connection, since).await? {
        Ok(changes) => {
            let updated = changes.applications.len();
            store(state, connection, since, changes).await?;
            Ok(Ok(updated))
        }
        Err(error) => {
            greenhouse_connection::Entity::update_many()
                .col_expr(
                    greenhouse_connection::Column::LastError,
                    Expr::value(format!("{POLL_ERROR}{error}")),
                )
                .filter(still(connection))
                .exec(state.db.write())
                .await?;
            Ok(Err(error))
        }
    }
}

/// How a poll's failure starts in the connection's `lastError` (a later poll clears it).
const POLL_ERROR: &str = "status poll: ";

/// The connection, as long as it is the one read (not disconnected or replaced since).
fn still(connection: &greenhouse_connection::Model) -> Condition {
    Condition::all()
        .add(greenhouse_connection::Column::Id.eq(connection.id))
        .add(greenhouse_connection::Column::ClientId.eq(connection.client_id.clone()))
}

/// What a poll read from Greenhouse.
struct Changes {
    /// introgate's applications among the changed ones, with their current stage's name.
    applications: Vec<(greenhouse::Application, Option<String>)>,
    /// The newest `updated_at` of every changed application (introgate's or not).
    newest: Option<DateTime<Utc>>,
}

async fn read(
    state: &AppState,
    connection: &greenhouse_connection::Model,
    since: DateTime<Utc>,
) -> ServiceResult<Result<Changes, HarvestError>> {
    let credentials = credentials(&state.secret_key, connection)?;
    let greenhouse = state.greenhouse.as_ref();
    let db = state.db.read();
    let changed = match greenhouse
        .applications_updated_since(&credentials, since)
        .await
    {
        Ok(changed) => changed,
        Err(error) => return Ok(Err(error)),
    };
    let newest = changed.iter().filter_map(|a| a.updated_at).max();

    // introgate's: an application it recorded, or one of a candidate it pushed.
    let mut known = HashSet::new();
    for chunk in changed.chunks(500) {
        let ids = chunk.iter().map(|a| a.id);
        known.extend(
            greenhouse_application::Entity::find()
                .filter(greenhouse_application::Column::CompanyId.eq(connection.company_id))
                .filter(greenhouse_application::Column::GreenhouseApplicationId.is_in(ids))
                .all(db)
                .await?
                .into_iter()
                .map(|a| a.greenhouse_application_id),
        );
    }
    let mut pushed = HashSet::new();
    let unknown: Vec<i64> = changed
        .iter()
        .filter(|a| !known.contains(&a.id))
        .map(|a| a.candidate_id)
        .collect();
    for chunk in unknown.chunks(500) {
        pushed.extend(
            greenhouse_push::Entity::find()
                .filter(greenhouse_push::Column::CompanyId.eq(connection.company_id))
                .filter(greenhouse_push::Column::CandidateId.is_in(chunk.iter().copied()))
                .all(db)
                .await?
                .into_iter()
                .filter_map(|p| p.candidate_id),
        );
    }
    let ours: Vec<greenhouse::Application> = changed
        .into_iter()
        .filter(|a| known.contains(&a.id) || pushed.contains(&a.candidate_id))
        .collect();
    if ours.is_empty() {
        return Ok(Ok(Changes {
            applications: vec![],
            newest,
        }));
    }

    // Current stages: the stage ids, then their names (imported with the jobs, else read).
    let ids: Vec<i64> = ours.iter().map(|a| a.id).collect();
    let current = match greenhouse.current_stages(&credentials, &ids).await {
        Ok(stages) => stages,
        Err(error) => return Ok(Err(error)),
    };
    let stage_of: HashMap<i64, i64> = current
        .iter()
        .filter(|s| s.current)
        .map(|s| (s.application_id, s.job_interview_stage_id))
        .collect();
    let stage_ids: Vec<i64> = stage_of.values().copied().collect();
    let mut names: HashMap<i64, String> = greenhouse_stage::Entity::find()
        .filter(greenhouse_stage::Column::GreenhouseStageId.is_in(stage_ids.iter().copied()))
        .all(db)
        .await?
        .into_iter()
        .map(|s| (s.greenhouse_stage_id, s.name))
        .collect();
    let missing_jobs: Vec<i64> = ours
        .iter()
        .filter(|a| stage_of.get(&a.id).is_some_and(|s| !names.contains_key(s)))
        .filter_map(|a| a.job_id)
        .collect::<HashSet<_>>()
        .into_iter()
        .collect();
    if !missing_jobs.is_empty() {
        match greenhouse.job_stages(&credentials, &missing_jobs).await {
            Ok(stages) => names.extend(stages.into_iter().map(|s| (s.id, s.name))),
            Err(error) => return Ok(Err(error)),
        }
    }
    let applications = ours
        .into_iter()
        .map(|a| {
            let stage = a
                .stage_name
                .clone()
                .or_else(|| stage_of.get(&a.id).and_then(|s| names.get(s)).cloned());
            (a, stage)
        })
        .collect();
    Ok(Ok(Changes {
        applications,
        newest,
    }))
}

/// Writes what a poll read, and moves the connection's high-water mark, in one transaction.
async fn store(
    state: &AppState,
    connection: &greenhouse_connection::Model,
    since: DateTime<Utc>,
    changes: Changes,
) -> ServiceResult<()> {
    let tx = Tx::begin(state).await?;
    let now = tx.now();
    let Some(current) = greenhouse_connection::Entity::find()
        .filter(still(connection))
        .one(tx.db())
        .await?
    else {
        return Ok(());
    };
    for (application, stage_name) in changes.applications {
        let recorded = greenhouse_application::Entity::find()
            .filter(greenhouse_application::Column::CompanyId.eq(connection.company_id))
            .filter(greenhouse_application::Column::GreenhouseApplicationId.eq(application.id))
            .one(tx.db())
            .await?;
        match recorded {
            Some(recorded) => {
                let (hired_at, rejected_at) = outcome_times(&application, Some(&recorded), now);
                let mut model = recorded.into_active_model();
                model.status = Set(status(application.status));
                model.stage_name = Set(stage_name);
                model.greenhouse_updated_at = Set(application.updated_at);
                model.hired_at = Set(hired_at);
                model.rejected_at = Set(rejected_at);
                model.updated_at = Set(now);
                model.update(tx.db()).await?;
            }
            None => {
                // Greenhouse made it for a pushed candidate: it belongs to their latest
                // pushed request at this company.
                let Some(push) = greenhouse_push::Entity::find()
                    .filter(greenhouse_push::Column::CompanyId.eq(connection.company_id))
                    .filter(greenhouse_push::Column::CandidateId.eq(application.candidate_id))
                    .order_by_desc(greenhouse_push::Column::CreatedAt)
                    .one(tx.db())
                    .await?
                else {
                    continue;
                };
                let job_id = match application.job_id {
                    Some(greenhouse_job) => job::Entity::find()
                        .filter(job::Column::CompanyId.eq(connection.company_id))
                        .filter(job::Column::GreenhouseJobId.eq(greenhouse_job))
                        .one(tx.db())
                        .await?
                        .map(|j| j.id),
                    None => None,
                };
                let mut model = new_application(&push, job_id, &application, now);
                model.stage_name = Set(stage_name);
                model.insert(tx.db()).await?;
            }
        }
    }
    let polled_until = changes.newest.map_or(since, |newest| newest.max(since));
    let mut model = current.clone().into_active_model();
    model.polled_until = Set(Some(polled_until));
    model.last_poll_at = Set(Some(now));
    if current
        .last_error
        .as_deref()
        .is_some_and(|e| e.starts_with(POLL_ERROR))
    {
        model.last_error = Set(None);
    }
    model.updated_at = Set(now);
    model.update(tx.db()).await?;
    tx.commit().await?;
    Ok(())
}

/// A new row for an application of `push`'s request.
pub fn new_application(
    push: &greenhouse_push::Model,
    job_id: Option<Uuid>,
    application: &greenhouse::Application,
    now: DateTime<Utc>,
) -> greenhouse_application::ActiveModel {
    let (hired_at, rejected_at) = outcome_times(application, None, now);
    greenhouse_application::ActiveModel {
        id: Set(Uuid::now_v7()),
        network_id: Set(push.network_id),
        company_id: Set(push.company_id),
        intro_request_id: Set(push.intro_request_id),
        job_id: Set(job_id),
        greenhouse_application_id: Set(application.id),
        candidate_id: Set(application.candidate_id),
        prospect: Set(application.prospect),
        status: Set(status(application.status)),
        stage_name: Set(application.stage_name.clone()),
        greenhouse_updated_at: Set(application.updated_at),
        hired_at: Set(hired_at),
        rejected_at: Set(rejected_at),
        created_at: Set(now),
        updated_at: Set(now),
    }
}

/// When the application was hired / rejected, if it is: kept from the first time it was
/// seen so, else Greenhouse's `rejected_at`, else its `updated_at` (the change that made
/// it so), else now.
fn outcome_times(
    application: &greenhouse::Application,
    recorded: Option<&greenhouse_application::Model>,
    now: DateTime<Utc>,
) -> (Option<DateTime<Utc>>, Option<DateTime<Utc>>) {
    let changed_at = application.updated_at.unwrap_or(now);
    let hired = (application.status == ApplicationStatus::Hired)
        .then(|| recorded.and_then(|r| r.hired_at).unwrap_or(changed_at));
    let rejected = (application.status == ApplicationStatus::Rejected).then(|| {
        recorded
            .and_then(|r| r.rejected_at)
            .or(application.rejected_at)
            .unwrap_or(changed_at)
    });
    (hired, rejected)
}

/// How long webhook deliveries are remembered (Greenhouse retries for hours).
const WEBHOOK_MEMORY: chrono::Duration = chrono::Duration::days(7);

/// The status poll of a connection: due at `next_poll_at`, or at once when it is unset.
const POLL: ConnectionJob = ConnectionJob {
    locked_by: greenhouse_connection::Column::PollLockedBy,
    locked_until: greenhouse_connection::Column::PollLockedUntil,
    due: poll_due_at,
};

fn poll_due_at(now: DateTime<Utc>) -> Condition {
    Condition::any()
        .add(greenhouse_connection::Column::NextPollAt.is_null())
        .add(greenhouse_connection::Column::NextPollAt.lte(now))
}

/// Polls every connection that is due, each once across processes.
pub async fn poll_due(
    state: &AppState,
    interval: std::time::Duration,
    worker: &str,
) -> ServiceResult<usize> {
    let now = state.now();
    let mut polled = 0;
    for connection in POLL.due_now(state, now).await? {
        if !POLL.lease(state, connection.id, worker, now).await? {
            continue;
        }
        if let Err(error) = poll(state, &connection).await? {
            tracing::warn!(company = %connection.company_id, %error, "polling Greenhouse statuses failed");
        }
        polled += 1;
        // Due again after the interval; unless a webhook made it due again meanwhile (it
        // may report a change this poll did not see), then at once.
        let next = now + chrono::Duration::from_std(interval).unwrap_or(LEASE);
        let as_read = match connection.next_poll_at {
            Some(at) => greenhouse_connection::Column::NextPollAt.eq(at),
            None => greenhouse_connection::Column::NextPollAt.is_null(),
        };
        greenhouse_connection::Entity::update_many()
            .col_expr(greenhouse_connection::Column::NextPollAt, Expr::value(next))
            .filter(greenhouse_connection::Column::Id.eq(connection.id))
            .filter(as_read)
            .exec(state.db.write())
            .await?;
        POLL.release(state, connection.id, worker).await?;
    }
    greenhouse_webhook_event::Entity::delete_many()
        .filter(greenhouse_webhook_event::Column::ReceivedAt.lt(now - WEBHOOK_MEMORY))
        .exec(state.db.write())
        .await?;
    Ok(polled)
}

/// Runs [`poll_due`] until shut down: every few seconds, and at once when a webhook makes a
/// company's poll due.
pub async fn run_polls(
    state: AppState,
    interval: std::time::Duration,
    shutdown: CancellationToken,
) {
    let worker = format!("{}-{}", std::process::id(), Uuid::now_v7().simple());
    let look = interval.min(std::time::Duration::from_secs(5));
    loop {
        if let Err(error) = poll_due(&state, interval, &worker).await {
            crate::error::report(&error);
        }
        tokio::select! {
            _ = shutdown.cancelled() => return,
            _ = state.greenhouse_poll_wake.notified() => {}
            _ = tokio::time::sleep(look) => {}
        }
    }
}

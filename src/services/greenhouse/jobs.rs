//! The import of a connected company's open jobs (SPEC §6): every open job of the Greenhouse
//! account, upserted by its Greenhouse id; imported jobs no longer open (closed, draft or
//! gone) become `CLOSED`; each open job's interview stages replaced by Greenhouse's.
//!
//! Greenhouse is read first, outside any transaction; what it said is then written in one
//! transaction of the company's network. The background import runs every
//! `GREENHOUSE_SYNC_INTERVAL` per connection, once across processes: a process leases a due
//! connection with a conditional update before it calls Greenhouse.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use entities::{company, enums::JobStatus, greenhouse_connection, greenhouse_stage, job};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, EntityTrait, IntoActiveModel, QueryFilter, Set,
    sea_query::Expr,
};
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

use super::{
    connection_of, credentials,
    lease::{ConnectionJob, LEASE},
    user_error,
};
use crate::{
    error::ServiceResult,
    greenhouse::{self, Credentials, Harvest, HarvestError},
    services::{access::Actor, tx::Tx},
    state::AppState,
};

/// Rows written per statement (well under SQLite's limit on bound values).
const CHUNK: usize = 500;

/// A Greenhouse account's open jobs and their stages, as read now.
pub struct OpenJobs {
    pub jobs: Vec<greenhouse::Job>,
    pub stages: Vec<greenhouse::Stage>,
}

/// Reads the open jobs and their stages from Greenhouse.
pub async fn fetch(
    greenhouse: &dyn Harvest,
    credentials: &Credentials,
) -> Result<OpenJobs, HarvestError> {
    let jobs: Vec<_> = greenhouse
        .open_jobs(credentials)
        .await?
        .into_iter()
        .filter(|j| j.status == greenhouse::JobStatus::Open)
        .collect();
    let ids: Vec<i64> = jobs.iter().map(|j| j.id).collect();
    let stages = if ids.is_empty() {
        Vec::new()
    } else {
        greenhouse.job_stages(credentials, &ids).await?
    };
    Ok(OpenJobs { jobs, stages })
}

/// Writes what Greenhouse said into the company's jobs, in `tx` (which holds the network's
/// lock, so two imports of one company never interleave).
pub async fn store(tx: &Tx, company: &company::Model, open: OpenJobs) -> ServiceResult<()> {
    let now = tx.now();
    let existing: HashMap<i64, job::Model> = job::Entity::find()
        .filter(job::Column::CompanyId.eq(company.id))
        .filter(job::Column::GreenhouseJobId.is_not_null())
        .all(tx.db())
        .await?
        .into_iter()
        .filter_map(|j| j.greenhouse_job_id.map(|id| (id, j)))
        .collect();

    let mut new = Vec::new();
    let mut job_ids: HashMap<i64, Uuid> = HashMap::new();
    for found in &open.jobs {
        match existing.get(&found.id) {
            Some(known) => {
                job_ids.insert(found.id, known.id);
                if known.title != found.name || known.status != JobStatus::Open {
                    let mut changed = known.clone().into_active_model();
                    changed.title = Set(found.name.clone());
                    changed.status = Set(JobStatus::Open);
                    changed.closed_at = Set(None);
                    changed.updated_at = Set(now);
                    changed.update(tx.db()).await?;
                }
            }
            None => {
                let id = Uuid::now_v7();
                job_ids.insert(found.id, id);
                new.push(job::ActiveModel {
                    id: Set(id),
                    network_id: Set(company.network_id),
                    company_id: Set(company.id),
                    title: Set(found.name.clone()),
                    location: Set(None),
                    department: Set(None),
                    url: Set(None),
                    status: Set(JobStatus::Open),
                    greenhouse_job_id: Set(Some(found.id)),
                    created_at: Set(now),
                    updated_at: Set(now),
                    closed_at: Set(None),
                });
            }
        }
    }
    for chunk in new.chunks(CHUNK) {
        job::Entity::insert_many(chunk.to_vec())
            .exec(tx.db())
            .await?;
    }

    // Imported jobs Greenhouse no longer lists as open.
    let still_open: Vec<i64> = open.jobs.iter().map(|j| j.id).collect();
    let gone: Vec<Uuid> = existing
        .values()
        .filter(|j| j.status == JobStatus::Open)
        .filter(|j| {
            j.greenhouse_job_id
                .is_some_and(|id| !still_open.contains(&id))
        })
        .map(|j| j.id)
        .collect();
    for chunk in gone.chunks(CHUNK) {
        job::Entity::update_many()
            .col_expr(job::Column::Status, Expr::value(JobStatus::Closed))
            .col_expr(job::Column::ClosedAt, Expr::value(now))
            .col_expr(job::Column::UpdatedAt, Expr::value(now))
            .filter(job::Column::Id.is_in(chunk.iter().copied()))
            .exec(tx.db())
            .await?;
    }

    // Stages of the open jobs: Greenhouse's, in place of what was there.
    let open_ids: Vec<Uuid> = job_ids.values().copied().collect();
    for chunk in open_ids.chunks(CHUNK) {
        greenhouse_stage::Entity::delete_many()
            .filter(greenhouse_stage::Column::JobId.is_in(chunk.iter().copied()))
            .exec(tx.db())
            .await?;
    }
    let stages: Vec<greenhouse_stage::ActiveModel> = open
        .stages
        .iter()
        .filter(|s| s.active)
        .filter_map(|s| {
            Some(greenhouse_stage::ActiveModel {
                id: Set(Uuid::now_v7()),
                job_id: Set(*job_ids.get(&s.job_id)?),
                greenhouse_stage_id: Set(s.id),
                name: Set(s.name.clone()),
                sort_order: Set(s.sort_order),
            })
        })
        .collect();
    for chunk in stages.chunks(CHUNK) {
        greenhouse_stage::Entity::insert_many(chunk.to_vec())
            .exec(tx.db())
            .await?;
    }
    Ok(())
}

/// `syncGreenhouseJobs`: imports now and returns when done (`lastSyncAt` set), or says why
/// Greenhouse refused (also kept as the connection's `lastError`).
#[tracing::instrument(skip_all)]
pub async fn sync_jobs(
    state: &AppState,
    actor: &Actor,
    company_id: Uuid,
) -> ServiceResult<company::Model> {
    let (company, _) = super::managed_company(state, actor, company_id).await?;
    let connection = connection_of(state.db.read(), company.id)
        .await?
        .ok_or_else(super::connection::not_connected)?;
    match import(state, &company, &connection).await? {
        Ok(()) => Ok(company),
        Err(error) => Err(user_error(&error)),
    }
}

/// One import of a connection: Greenhouse read, the jobs written, the outcome recorded on
/// the connection. The outer error is ours; the inner one Greenhouse's (recorded too).
async fn import(
    state: &AppState,
    company: &company::Model,
    connection: &greenhouse_connection::Model,
) -> ServiceResult<Result<(), HarvestError>> {
    let credentials = credentials(&state.secret_key, connection)?;
    let fetched = fetch(state.greenhouse.as_ref(), &credentials).await;
    let tx = Tx::begin_in_network(state, company.network_id).await?;
    let now = tx.now();
    // Written only if the connection is still the one read (not disconnected or replaced).
    let still = Condition::all()
        .add(greenhouse_connection::Column::Id.eq(connection.id))
        .add(greenhouse_connection::Column::ClientId.eq(connection.client_id.clone()));
    let outcome = match fetched {
        Ok(open) => {
            let current = greenhouse_connection::Entity::find()
                .filter(still.clone())
                .one(tx.db())
                .await?;
            if current.is_some() {
                store(&tx, company, open).await?;
            }
            greenhouse_connection::Entity::update_many()
                .col_expr(greenhouse_connection::Column::LastSyncAt, Expr::value(now))
                .col_expr(
                    greenhouse_connection::Column::LastError,
                    Expr::value(Option::<String>::None),
                )
                .filter(still)
                .exec(tx.db())
                .await?;
            Ok(())
        }
        Err(error) => {
            greenhouse_connection::Entity::update_many()
                .col_expr(
                    greenhouse_connection::Column::LastError,
                    Expr::value(error.to_string()),
                )
                .filter(still)
                .exec(tx.db())
                .await?;
            Err(error)
        }
    };
    tx.commit().await?;
    Ok(outcome)
}

/// The import of a connection's open jobs, due at `next_sync_at`.
const IMPORT: ConnectionJob = ConnectionJob {
    locked_by: greenhouse_connection::Column::SyncLockedBy,
    locked_until: greenhouse_connection::Column::SyncLockedUntil,
    due: import_due,
};

fn import_due(now: DateTime<Utc>) -> Condition {
    Condition::all().add(greenhouse_connection::Column::NextSyncAt.lte(now))
}

/// Imports every connection that is due, each once across processes.
pub async fn sync_due(
    state: &AppState,
    interval: std::time::Duration,
    worker: &str,
) -> ServiceResult<usize> {
    let now = state.now();
    let mut imported = 0;
    for connection in IMPORT.due_now(state, now).await? {
        if !IMPORT.lease(state, connection.id, worker, now).await? {
            continue;
        }
        let company = company::Entity::find_by_id(connection.company_id)
            .one(state.db.read())
            .await?;
        if let Some(company) = company {
            if let Err(error) = import(state, &company, &connection).await? {
                tracing::warn!(company = %company.id, %error, "importing Greenhouse jobs failed");
            }
            imported += 1;
        }
        let next = state.now() + chrono::Duration::from_std(interval).unwrap_or(LEASE);
        greenhouse_connection::Entity::update_many()
            .col_expr(greenhouse_connection::Column::NextSyncAt, Expr::value(next))
            .filter(greenhouse_connection::Column::Id.eq(connection.id))
            .filter(greenhouse_connection::Column::SyncLockedBy.eq(worker))
            .exec(state.db.write())
            .await?;
        IMPORT.release(state, connection.id, worker).await?;
    }
    Ok(imported)
}

/// Runs [`sync_due`] until shut down, looking for due connections every few seconds.
pub async fn run_job_syncs(
    state: AppState,
    interval: std::time::Duration,
    shutdown: CancellationToken,
) {
    let worker = format!("{}-{}", std::process::id(), Uuid::now_v7().simple());
    let look = interval.min(std::time::Duration::from_secs(5));
    loop {
        if let Err(error) = sync_due(&state, interval, &worker).await {
            crate::error::report(&error);
        }
        tokio::select! {
            _ = shutdown.cancelled() => return,
            _ = tokio::time::sleep(look) => {}
        }
    }
}

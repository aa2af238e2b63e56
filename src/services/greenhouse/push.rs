//! Pushing an accepted introduction into the company's Greenhouse (SPEC §6): the candidate
//! (found by email, or created), one application per attached job with the chosen source (a
//! prospect when no job came from Greenhouse), one note with the introduction's context, and
//! the tag `introgate`, once.
//!
//! The push is a durable job queued by the transaction that accepts the request
//! ([`queue`]). A worker leases due jobs (one process at a time each), and records what every
//! step created as soon as Greenhouse answers. Greenhouse's creates are not idempotent: before
//! every create an earlier, timed-out attempt may have done, the step looks it up (candidate
//! by email, application by candidate and job, note by its text, tag by name). A failed
//! attempt is tried again after `GREENHOUSE_RETRY_BASE`, doubling; after
//! `GREENHOUSE_MAX_ATTEMPTS` the push is `FAILED` and the company's and network's admins are
//! emailed, once.

use chrono::{DateTime, Utc};
use entities::{
    account,
    enums::{GreenhouseApplicationStatus, GreenhousePushStatus, IntroStatus},
    greenhouse_application, greenhouse_connection, greenhouse_push, intro_request,
    intro_request_event, intro_request_job, job, talent,
};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, EntityTrait, IntoActiveModel, QueryFilter,
    QueryOrder, QuerySelect, QueryTrait, Set,
    sea_query::{Expr, ExprTrait},
};
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

use super::{connection_of, credentials};
use crate::{
    error::{ServiceError, ServiceResult},
    greenhouse::{
        self, Address, CandidatePatch, Credentials, Harvest, HarvestError, NewApplication,
        NewCandidate, NewNote, NoteVisibility,
    },
    mail::templates,
    retry::RetryPolicy,
    services::{introductions::notify, tx::Tx},
    state::AppState,
};

/// The tag every candidate introgate pushes carries.
pub const TAG: &str = "introgate";

/// How long one process may work on a push before another may take it over.
const LEASE: chrono::Duration = chrono::Duration::minutes(10);
const BATCH: u64 = 20;

/// Queues the push of `request`, just accepted by `accepted_by`, in its transaction, if its
/// company is connected to Greenhouse.
pub async fn queue(
    tx: &Tx,
    request: &intro_request::Model,
    details: &notify::RequestDetails,
    accepted_by: Uuid,
) -> ServiceResult<()> {
    if connection_of(tx.db(), request.company_id).await?.is_none() {
        return Ok(());
    }
    let now = tx.now();
    let note_body = note(tx, request, details, accepted_by).await?;
    tx.queue_greenhouse_push(greenhouse_push::ActiveModel {
        id: Set(Uuid::now_v7()),
        network_id: Set(request.network_id),
        company_id: Set(request.company_id),
        intro_request_id: Set(request.id),
        status: Set(GreenhousePushStatus::Pending),
        attempts: Set(0),
        next_attempt_at: Set(now),
        locked_by: Set(None),
        locked_until: Set(None),
        last_error: Set(None),
        candidate_id: Set(None),
        prospect: Set(false),
        note_body: Set(note_body),
        note_id: Set(None),
        tagged: Set(false),
        created_at: Set(now),
        updated_at: Set(now),
        pushed_at: Set(None),
        candidate_revision: Set(0),
        synced_revision: Set(0),
    })
    .await?;
    Ok(())
}

/// The talent's name, email or LinkedIn changed (in `tx`): their candidates are patched, by
/// the pushes of their requests, made due again. A push that failed for good stays so.
pub async fn talent_changed(tx: &Tx, talent_id: Uuid) -> ServiceResult<()> {
    let requests = intro_request::Entity::find()
        .select_only()
        .column(intro_request::Column::Id)
        .filter(intro_request::Column::TalentId.eq(talent_id))
        .into_query();
    let of_talent = greenhouse_push::Column::IntroRequestId.in_subquery(requests);
    tx.requeue_greenhouse_pushes(
        greenhouse_push::Entity::update_many()
            .col_expr(
                greenhouse_push::Column::CandidateRevision,
                Expr::col(greenhouse_push::Column::CandidateRevision).add(1),
            )
            .col_expr(
                greenhouse_push::Column::Status,
                Expr::value(GreenhousePushStatus::Pending),
            )
            .col_expr(greenhouse_push::Column::UpdatedAt, Expr::value(tx.now()))
            .filter(of_talent.clone())
            .filter(greenhouse_push::Column::Status.ne(GreenhousePushStatus::Failed)),
    )
    .await?;
    // Pushed ones start a new round of attempts, at once.
    tx.requeue_greenhouse_pushes(
        greenhouse_push::Entity::update_many()
            .col_expr(greenhouse_push::Column::Attempts, Expr::value(0))
            .col_expr(
                greenhouse_push::Column::NextAttemptAt,
                Expr::value(tx.now()),
            )
            .col_expr(
                greenhouse_push::Column::LastError,
                Expr::value(Option::<String>::None),
            )
            .filter(of_talent)
            .filter(greenhouse_push::Column::PushedAt.is_not_null()),
    )
    .await?;
    Ok(())
}

/// The note's text: who asked, who made the introduction, who accepted, the message.
async fn note(
    tx: &Tx,
    request: &intro_request::Model,
    details: &notify::RequestDetails,
    accepted_by: Uuid,
) -> ServiceResult<String> {
    let name = |id: Uuid| async move {
        Ok::<_, ServiceError>(
            account::Entity::find_by_id(id)
                .one(tx.db())
                .await?
                .map(|a| (a.name, a.email)),
        )
    };
    // Whoever delivered it (a network admin's review, a company admin joining), else the
    // network itself, which delivered it at once.
    let delivered_by = intro_request_event::Entity::find()
        .filter(intro_request_event::Column::IntroRequestId.eq(request.id))
        .filter(intro_request_event::Column::ToStatus.eq(IntroStatus::Sent))
        .one(tx.db())
        .await?
        .and_then(|e| e.actor_account_id)
        .filter(|actor| *actor != request.requested_by_account_id);
    let introduced_by = match delivered_by {
        Some(id) => name(id).await?.map(|(name, _)| name),
        None => None,
    }
    .unwrap_or_else(|| details.network.name.clone());
    let (asker, asker_email) = name(request.requested_by_account_id)
        .await?
        .unwrap_or_default();
    let accepter = name(accepted_by).await?.unwrap_or_default().0;
    let summary = details.summary(request);
    let mut body = format!(
        "Introduced through {} on introgate: {}.\n\
         Asked by: {asker} ({asker_email}).\n\
         Introduction made by: {introduced_by}.\n\
         Accepted by: {accepter}.\n",
        details.network.name,
        summary.title(),
    );
    if !details.jobs.is_empty() {
        body += &format!("Jobs: {}.\n", details.jobs.join(", "));
    }
    if !request.message.is_empty() {
        body += &format!("\nMessage:\n{}\n", request.message);
    }
    body += &format!("\n{}", summary.link);
    Ok(body)
}

/// Pushes that are due, each leased by one process.
pub async fn push_due(state: &AppState, retry: RetryPolicy, worker: &str) -> ServiceResult<usize> {
    let now = state.now();
    let due: Vec<Uuid> = greenhouse_push::Entity::find()
        .select_only()
        .column(greenhouse_push::Column::Id)
        .filter(claimable(now))
        .order_by_asc(greenhouse_push::Column::NextAttemptAt)
        .limit(BATCH)
        .into_tuple()
        .all(state.db.read())
        .await?;
    let mut pushed = 0;
    for id in due {
        let taken = greenhouse_push::Entity::update_many()
            .col_expr(
                greenhouse_push::Column::LockedBy,
                Expr::value(worker.to_owned()),
            )
            .col_expr(
                greenhouse_push::Column::LockedUntil,
                Expr::value(now + LEASE),
            )
            .filter(greenhouse_push::Column::Id.eq(id))
            .filter(claimable(now))
            .exec(state.db.write())
            .await?
            .rows_affected;
        if taken != 1 {
            continue;
        }
        let Some(push) = greenhouse_push::Entity::find_by_id(id)
            .one(state.db.write())
            .await?
        else {
            continue;
        };
        let outcome = attempt(state, &push).await;
        settle(state, push, outcome, retry).await?;
        pushed += 1;
    }
    Ok(pushed)
}

fn claimable(now: DateTime<Utc>) -> Condition {
    Condition::all()
        .add(greenhouse_push::Column::Status.eq(GreenhousePushStatus::Pending))
        .add(greenhouse_push::Column::NextAttemptAt.lte(now))
        .add(
            Condition::any()
                .add(greenhouse_push::Column::LockedUntil.is_null())
                .add(greenhouse_push::Column::LockedUntil.lt(now)),
        )
}

/// Why an attempt failed: Greenhouse's answer, or ours.
enum Failure {
    Greenhouse(HarvestError),
    Ours(ServiceError),
}

impl From<HarvestError> for Failure {
    fn from(error: HarvestError) -> Self {
        Self::Greenhouse(error)
    }
}

impl From<ServiceError> for Failure {
    fn from(error: ServiceError) -> Self {
        Self::Ours(error)
    }
}

impl From<sea_orm::DbErr> for Failure {
    fn from(error: sea_orm::DbErr) -> Self {
        Self::Ours(error.into())
    }
}

/// One attempt: every step not done yet, each recorded as soon as Greenhouse answers.
async fn attempt(state: &AppState, push: &greenhouse_push::Model) -> Result<(), Failure> {
    let db = state.db.write();
    let connection = connection_of(db, push.company_id).await?.ok_or_else(|| {
        Failure::Greenhouse(HarvestError::Forbidden(
            "the company is no longer connected to Greenhouse".into(),
        ))
    })?;
    let credentials = credentials(&state.secret_key, &connection)?;
    let greenhouse = state.greenhouse.as_ref();
    let request = intro_request::Entity::find_by_id(push.intro_request_id)
        .one(db)
        .await?
        .ok_or_else(|| ServiceError::Internal(anyhow::anyhow!("push of a missing request")))?;
    let talent = talent::Entity::find_by_id(request.talent_id)
        .one(db)
        .await?
        .ok_or_else(|| ServiceError::Internal(anyhow::anyhow!("request without talent")))?;

    // The talent as read now reflects at least `candidate_revision` (bumped in the
    // transaction that changed the talent, committed before this push was loaded).
    let revision = push.candidate_revision;
    let candidate = match push.candidate_id {
        Some(id) => {
            if push.synced_revision != revision {
                update_candidate(greenhouse, &credentials, id, &talent).await?;
                record(state, push, |p| p.synced_revision = Set(revision)).await?;
            }
            id
        }
        None => {
            let id = candidate(greenhouse, &credentials, &talent).await?;
            record(state, push, |p| {
                p.candidate_id = Set(Some(id));
                p.synced_revision = Set(revision);
            })
            .await?;
            id
        }
    };

    // The attached jobs that came from Greenhouse; none: the candidate is a prospect. In
    // the order the request lists them, which its applications keep.
    let jobs: Vec<job::Model> = job::Entity::find()
        .inner_join(intro_request_job::Entity)
        .filter(intro_request_job::Column::IntroRequestId.eq(request.id))
        .filter(job::Column::GreenhouseJobId.is_not_null())
        .order_by_asc(job::Column::Id)
        .all(db)
        .await?;
    let recorded = greenhouse_application::Entity::find()
        .filter(greenhouse_application::Column::IntroRequestId.eq(request.id))
        .all(db)
        .await?;
    // What still needs an application: each job not recorded yet, or the prospect.
    let missing: Vec<Option<&job::Model>> = if jobs.is_empty() {
        if recorded.is_empty() {
            vec![None]
        } else {
            vec![]
        }
    } else {
        jobs.iter()
            .filter(|j| !recorded.iter().any(|r| r.job_id == Some(j.id)))
            .map(Some)
            .collect()
    };
    if !missing.is_empty() {
        let existing = greenhouse
            .applications_of(&credentials, &[candidate])
            .await?;
        for job in missing {
            let gh_job = job.and_then(|j| j.greenhouse_job_id);
            let found = existing.iter().find(|a| match gh_job {
                Some(id) => a.job_id == Some(id) && !a.prospect,
                None => a.prospect,
            });
            let application = match found {
                Some(application) => application.clone(),
                None => {
                    let new = NewApplication {
                        candidate_id: candidate,
                        job_id: gh_job,
                        source_id: connection.source_id,
                        prospect: gh_job.is_none(),
                        job_ids: vec![],
                    };
                    greenhouse.create_application(&credentials, &new).await?
                }
            };
            record_application(state, push, job.map(|j| j.id), &application).await?;
        }
        if jobs.is_empty() {
            record(state, push, |p| p.prospect = Set(true)).await?;
        }
    }

    if push.note_id.is_none() {
        let visibility = match connection.note_visibility {
            entities::enums::GreenhouseNoteVisibility::Public => NoteVisibility::Public,
            entities::enums::GreenhouseNoteVisibility::Private => NoteVisibility::Private,
            entities::enums::GreenhouseNoteVisibility::AdminOnly => NoteVisibility::AdminOnly,
        };
        let earlier = greenhouse.notes_of(&credentials, &[candidate]).await?;
        let id = match earlier.iter().find(|n| n.body == push.note_body) {
            Some(note) => note.id,
            None => {
                let note = NewNote {
                    candidate_id: candidate,
                    body: push.note_body.clone(),
                    visibility,
                };
                greenhouse.create_note(&credentials, &note).await?.id
            }
        };
        record(state, push, |p| p.note_id = Set(Some(id))).await?;
    }

    if !push.tagged {
        let tags = greenhouse.candidate_tags(&credentials).await?;
        let tag = match tags.iter().find(|t| t.name.eq_ignore_ascii_case(TAG)) {
            Some(tag) => tag.id,
            None => greenhouse.create_candidate_tag(&credentials, TAG).await?.id,
        };
        let applied = greenhouse.applied_tags(&credentials, &[candidate]).await?;
        if !applied
            .iter()
            .any(|a| a.candidate_id == candidate && a.candidate_tag_id == tag)
        {
            greenhouse.apply_tag(&credentials, candidate, tag).await?;
        }
        record(state, push, |p| p.tagged = Set(true)).await?;
    }
    Ok(())
}

/// The talent's candidate: found by email, or created.
async fn candidate(
    greenhouse: &dyn Harvest,
    credentials: &Credentials,
    talent: &talent::Model,
) -> Result<i64, HarvestError> {
    let found = greenhouse
        .candidates_by_email(credentials, &talent.email)
        .await?;
    if let Some(candidate) = found.iter().min_by_key(|c| c.id) {
        return Ok(candidate.id);
    }
    let (first, last) = split_name(&talent.name);
    let new = NewCandidate {
        first_name: first,
        last_name: last,
        email_addresses: vec![Address {
            value: talent.email.clone(),
            kind: Some("personal".into()),
        }],
        social_media_addresses: talent
            .linkedin_url
            .iter()
            .map(|url| Address {
                value: url.clone(),
                kind: None,
            })
            .collect(),
    };
    Ok(greenhouse.create_candidate(credentials, &new).await?.id)
}

/// The talent's name, email and LinkedIn onto their candidate. Greenhouse replaces a list
/// field whole, so the candidate's addresses are read and the talent's added to them:
/// addresses a recruiter relies on are never removed.
async fn update_candidate(
    greenhouse: &dyn Harvest,
    credentials: &Credentials,
    candidate_id: i64,
    talent: &talent::Model,
) -> Result<(), HarvestError> {
    let current = greenhouse
        .candidates_by_ids(credentials, &[candidate_id])
        .await?
        .into_iter()
        .find(|c| c.id == candidate_id)
        .ok_or_else(|| HarvestError::NotFound(format!("candidate {candidate_id}")))?;
    let (first, last) = split_name(&talent.name);
    let with = |mut addresses: Vec<Address>, value: &str, kind: Option<&str>| {
        if addresses
            .iter()
            .any(|a| a.value.eq_ignore_ascii_case(value))
        {
            return None;
        }
        addresses.insert(
            0,
            Address {
                value: value.to_owned(),
                kind: kind.map(str::to_owned),
            },
        );
        Some(addresses)
    };
    let patch = CandidatePatch {
        first_name: Some(first),
        last_name: Some(last),
        email_addresses: with(current.email_addresses, &talent.email, Some("personal")),
        social_media_addresses: talent
            .linkedin_url
            .as_deref()
            .and_then(|url| with(current.social_media_addresses, url, None)),
    };
    greenhouse
        .update_candidate(credentials, candidate_id, &patch)
        .await?;
    Ok(())
}

/// First name: the first word; last name: the rest (Greenhouse requires one: `-` when the
/// name is one word).
pub fn split_name(name: &str) -> (String, String) {
    let mut words = name.split_whitespace();
    let first = words.next().unwrap_or("-").to_owned();
    let rest = words.collect::<Vec<_>>().join(" ");
    (first, if rest.is_empty() { "-".into() } else { rest })
}

/// Keeps what a step did on the push, at once.
async fn record(
    state: &AppState,
    push: &greenhouse_push::Model,
    change: impl FnOnce(&mut greenhouse_push::ActiveModel),
) -> Result<(), Failure> {
    let mut model = greenhouse_push::ActiveModel {
        id: Set(push.id),
        ..Default::default()
    };
    change(&mut model);
    model.updated_at = Set(state.now());
    model.update(state.db.write()).await?;
    Ok(())
}

async fn record_application(
    state: &AppState,
    push: &greenhouse_push::Model,
    job_id: Option<Uuid>,
    application: &greenhouse::Application,
) -> Result<(), Failure> {
    super::statuses::new_application(push, job_id, application, state.now())
        .insert(state.db.write())
        .await?;
    Ok(())
}

pub fn status(status: greenhouse::ApplicationStatus) -> GreenhouseApplicationStatus {
    match status {
        greenhouse::ApplicationStatus::InProcess => GreenhouseApplicationStatus::InProcess,
        greenhouse::ApplicationStatus::Hired => GreenhouseApplicationStatus::Hired,
        greenhouse::ApplicationStatus::Rejected => GreenhouseApplicationStatus::Rejected,
        greenhouse::ApplicationStatus::Converted => GreenhouseApplicationStatus::Converted,
    }
}

/// Records the attempt's outcome: pushed; or tried again later; or, after the last
/// attempt, `FAILED` with one email to the company's and the network's admins.
async fn settle(
    state: &AppState,
    push: greenhouse_push::Model,
    outcome: Result<(), Failure>,
    retry: RetryPolicy,
) -> ServiceResult<()> {
    let tx = Tx::begin_in_network(state, push.network_id).await?;
    let now = tx.now();
    let Some(current) = greenhouse_push::Entity::find_by_id(push.id)
        .one(tx.db())
        .await?
        .filter(|p| p.status == GreenhousePushStatus::Pending)
    else {
        return Ok(());
    };
    let mut model = current.clone().into_active_model();
    model.locked_by = Set(None);
    model.locked_until = Set(None);
    model.updated_at = Set(now);
    match outcome {
        // The talent changed while this attempt ran: their candidate is patched next.
        Ok(()) if current.candidate_revision != push.candidate_revision => {
            model.next_attempt_at = Set(now);
        }
        Ok(()) => {
            model.status = Set(GreenhousePushStatus::Pushed);
            model.pushed_at = Set(Some(now));
            model.last_error = Set(None);
            model.attempts = Set(current.attempts + 1);
        }
        Err(failure) => {
            let error = match failure {
                Failure::Greenhouse(error) => error.to_string(),
                Failure::Ours(error) => {
                    format!("internal error {}", crate::error::report(&error))
                }
            };
            let attempts = current.attempts + 1;
            model.attempts = Set(attempts);
            model.last_error = Set(Some(error.clone()));
            if attempts as u32 >= retry.max_attempts {
                model.status = Set(GreenhousePushStatus::Failed);
                tell_admins(&tx, &current, attempts as u32, &error).await?;
            } else {
                let delay =
                    chrono::Duration::from_std(retry.delay(attempts as u32)).unwrap_or(LEASE);
                model.next_attempt_at = Set(now + delay);
            }
            tracing::warn!(push = %current.id, attempts, %error, "pushing to Greenhouse failed");
        }
    }
    let pushed = model.status.as_ref() == &GreenhousePushStatus::Pushed;
    model.update(tx.db()).await?;
    if pushed {
        // The new applications' first stages: read with the next poll, now.
        greenhouse_connection::Entity::update_many()
            .col_expr(greenhouse_connection::Column::NextPollAt, Expr::value(now))
            .filter(greenhouse_connection::Column::CompanyId.eq(current.company_id))
            .exec(tx.db())
            .await?;
    }
    tx.commit().await?;
    if pushed {
        state.greenhouse_poll_wake.notify_one();
    }
    Ok(())
}

async fn tell_admins(
    tx: &Tx,
    push: &greenhouse_push::Model,
    attempts: u32,
    error: &str,
) -> ServiceResult<()> {
    let Some(request) = intro_request::Entity::find_by_id(push.intro_request_id)
        .one(tx.db())
        .await?
    else {
        return Ok(());
    };
    let details = notify::RequestDetails::load(tx, &request).await?;
    let mut to = notify::company_admin_mailboxes(tx.db(), request.company_id).await?;
    for admin in notify::network_admin_mailboxes(tx.db(), request.network_id).await? {
        if !to.iter().any(|m| m.email == admin.email) {
            to.push(admin);
        }
    }
    let email = templates::greenhouse_push_failed(&details.summary(&request), attempts, error, to);
    Ok(tx.queue_email(email).await?)
}

/// Runs [`push_due`] until shut down: when a commit queues a push, and every few seconds.
pub async fn run_pushes(state: AppState, retry: RetryPolicy, shutdown: CancellationToken) {
    let worker = format!("{}-{}", std::process::id(), Uuid::now_v7().simple());
    loop {
        let full = match push_due(&state, retry, &worker).await {
            Ok(pushed) => pushed as u64 == BATCH,
            Err(error) => {
                crate::error::report(&error);
                false
            }
        };
        if full {
            continue;
        }
        let poll = retry.base.min(std::time::Duration::from_secs(5));
        tokio::select! {
            _ = shutdown.cancelled() => return,
            _ = state.greenhouse_wake.notified() => {}
            _ = tokio::time::sleep(poll) => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_split_as_greenhouse_wants_them() {
        assert_eq!(split_name("Vera Quinn"), ("Vera".into(), "Quinn".into()));
        assert_eq!(
            split_name("  Ana  María de la Cruz "),
            ("Ana".into(), "María de la Cruz".into())
        );
        assert_eq!(split_name("Cher"), ("Cher".into(), "-".into()));
    }
}

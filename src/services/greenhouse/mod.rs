//! Greenhouse (SPEC §6): a company connects its Harvest v3 account, its open jobs are
//! imported and kept in step. Where the rules are:
//!
//! * [`connection`]: connect (verified against Greenhouse before anything is saved), the
//!   settings, disconnect, and what a company's admins read of it;
//! * [`jobs`]: the import of open jobs and their interview stages, on connect, on demand, and
//!   in the background (once across processes, by a lease on the connection);
//! * [`push`]: an accepted introduction into Greenhouse, as a durable job queued by the
//!   acceptance: the candidate, its applications, a note and the tag, each exactly once;
//!   later changes of the talent reach the candidate the same way;
//! * [`statuses`]: the hiring status of those applications, polled (once across processes)
//!   and on demand; [`webhook`]: Greenhouse's signed webhooks, which make a poll due at once.
//!
//! Who may: a company's own admins and the network's admins ([`NetworkAccess::manages_company`]);
//! everyone else sees nothing of a company's Greenhouse.

pub mod connection;
pub mod jobs;
pub mod lease;
pub mod push;
pub mod referrals;
pub mod statuses;
pub mod webhook;

use std::collections::HashMap;

use entities::{company, greenhouse_application, greenhouse_connection, greenhouse_push};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};
use uuid::Uuid;

use crate::{
    error::{ServiceError, ServiceResult, UserError, UserErrorCode},
    greenhouse::{ClientSecret, Credentials, HarvestError},
    secret_key::SecretKey,
    services::{
        access::{Actor, NetworkAccess},
        companies,
    },
    state::AppState,
};

pub use connection::{Connect, SettingsPatch, connect, disconnect, update_settings};
pub use jobs::{run_job_syncs, sync_jobs};

/// The company, if the actor may manage its Greenhouse: `NOT_FOUND` when they cannot see
/// it, `FORBIDDEN` when they see it but are neither its admin nor a network admin.
pub async fn managed_company(
    state: &AppState,
    actor: &Actor,
    company_id: Uuid,
) -> ServiceResult<(company::Model, NetworkAccess)> {
    actor.require_account()?;
    let (company, access) =
        companies::visible_with_access(state, actor, company_id, "companyId").await?;
    if !access.manages_company(company.id) {
        return Err(ServiceError::Forbidden);
    }
    Ok((company, access))
}

pub async fn connection_of(
    db: &impl ConnectionTrait,
    company_id: Uuid,
) -> ServiceResult<Option<greenhouse_connection::Model>> {
    Ok(greenhouse_connection::Entity::find()
        .filter(greenhouse_connection::Column::CompanyId.eq(company_id))
        .one(db)
        .await?)
}

/// The connections of many companies at once (for a list of companies).
pub async fn connections_of(
    state: &AppState,
    company_ids: &[Uuid],
) -> ServiceResult<Vec<greenhouse_connection::Model>> {
    Ok(greenhouse_connection::Entity::find()
        .filter(greenhouse_connection::Column::CompanyId.is_in(company_ids.iter().copied()))
        .all(state.db.read())
        .await?)
}

/// The pushes of many requests at once (for a list of requests).
pub async fn pushes_of(
    state: &AppState,
    request_ids: &[Uuid],
) -> ServiceResult<Vec<greenhouse_push::Model>> {
    Ok(greenhouse_push::Entity::find()
        .filter(greenhouse_push::Column::IntroRequestId.is_in(request_ids.iter().copied()))
        .all(state.db.read())
        .await?)
}

/// The applications introgate added for many requests, grouped by request, oldest first.
pub async fn applications_of(
    state: &AppState,
    request_ids: &[Uuid],
) -> ServiceResult<HashMap<Uuid, Vec<greenhouse_application::Model>>> {
    let applications = greenhouse_application::Entity::find()
        .filter(greenhouse_application::Column::IntroRequestId.is_in(request_ids.iter().copied()))
        .order_by_asc(greenhouse_application::Column::Id)
        .all(state.db.read())
        .await?;
    let mut grouped: HashMap<Uuid, Vec<greenhouse_application::Model>> = HashMap::new();
    for application in applications {
        grouped
            .entry(application.intro_request_id)
            .or_default()
            .push(application);
    }
    Ok(grouped)
}

/// What binds a sealed secret to its company (see [`SecretKey::seal`]).
fn secret_context(company_id: Uuid) -> String {
    format!("greenhouse:{company_id}")
}

/// The credentials a connection acts with.
pub fn credentials(
    key: &SecretKey,
    connection: &greenhouse_connection::Model,
) -> ServiceResult<Credentials> {
    let secret = key
        .open(
            &secret_context(connection.company_id),
            &connection.client_secret_sealed,
        )
        .map_err(|e| e.context("the stored Greenhouse secret"))?;
    Ok(Credentials {
        client_id: connection.client_id.clone(),
        client_secret: ClientSecret::new(secret),
        user_id: connection.user_id,
    })
}

/// A Greenhouse failure as the caller of a mutation sees it.
pub fn user_error(error: &HarvestError) -> ServiceError {
    let (code, field, message) = match error {
        HarvestError::Unauthorized(_) => (
            UserErrorCode::GreenhouseAuthFailed,
            "clientSecret",
            "Greenhouse refused the client id and secret",
        ),
        HarvestError::Forbidden(_) => (
            UserErrorCode::GreenhouseAuthFailed,
            "userId",
            "Greenhouse refused: the user must be a Site Admin, and the credentials need the \
             scopes listed in the README",
        ),
        HarvestError::NotFound(_) | HarvestError::Rejected { .. } => (
            UserErrorCode::GreenhouseUnavailable,
            "companyId",
            "Greenhouse refused the request",
        ),
        HarvestError::Unavailable(_) => (
            UserErrorCode::GreenhouseUnavailable,
            "companyId",
            "Greenhouse cannot be reached now: try again later",
        ),
    };
    UserError::new(code, format!("{message} ({error})"))
        .on(field)
        .into()
}

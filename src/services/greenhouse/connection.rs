//! Connecting a company to its Greenhouse account (SPEC §6.1): `connectGreenhouse` checks
//! the credentials with Greenhouse and imports the open jobs before saving anything, then
//! saves the connection (the secret sealed) and the jobs in one transaction;
//! `updateGreenhouseSettings`, `disconnectGreenhouse`; and what the company's admins read.

use entities::{
    company, enums::GreenhouseNoteVisibility, greenhouse_connection, greenhouse_stage, job,
};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, EntityTrait, IntoActiveModel, PaginatorTrait, QueryFilter,
    QueryOrder, Set,
};
use uuid::Uuid;

use super::{connection_of, jobs, managed_company, secret_context, user_error};
use crate::{
    error::{InputErrors, ServiceError, ServiceResult, UserError, UserErrorCode},
    greenhouse::{ClientSecret, Credentials, Source},
    services::{
        access::Actor,
        pagination::{Order, Page, PageRequest, fetch_page},
        tx::Tx,
    },
    state::AppState,
};

pub struct Connect<'a> {
    pub company_id: Uuid,
    pub client_id: &'a str,
    pub client_secret: &'a str,
    /// The Greenhouse user introgate acts as (the token's `sub`).
    pub user_id: &'a str,
    /// The source that credits introgate on applications.
    pub source_id: Option<&'a str>,
    /// The secret Greenhouse signs its webhooks with (kept as it was when absent).
    pub webhook_secret: Option<&'a str>,
}

/// A webhook secret typed by a person: `Some("")` clears it.
fn webhook_secret(text: Option<&str>) -> Result<Option<&str>, UserError> {
    match text.map(str::trim) {
        Some(secret) if secret.len() > 1000 => Err(UserError::invalid(
            "webhookSecret",
            "a webhook secret is at most 1000 characters",
        )),
        other => Ok(other),
    }
}

/// A Greenhouse id typed by a person: digits.
fn greenhouse_id(field: &str, text: &str) -> Result<i64, UserError> {
    text.trim()
        .parse::<i64>()
        .ok()
        .filter(|id| *id > 0)
        .ok_or_else(|| UserError::invalid(field, format!("`{text}` is not a Greenhouse id")))
}

/// The source `id` among the account's `sources`, or `INVALID_INPUT` on `sourceId`.
fn known_source(sources: &[Source], id: i64) -> ServiceResult<i64> {
    if sources.iter().any(|s| s.id == id) {
        Ok(id)
    } else {
        Err(UserError::invalid("sourceId", "not a source of this Greenhouse account").into())
    }
}

#[tracing::instrument(skip_all)]
pub async fn connect(
    state: &AppState,
    actor: &Actor,
    input: Connect<'_>,
) -> ServiceResult<company::Model> {
    let (company, _) = managed_company(state, actor, input.company_id).await?;
    let mut errors = InputErrors::default();
    let client_id = input.client_id.trim();
    if client_id.is_empty() || client_id.len() > 200 {
        errors.push(UserError::invalid(
            "clientId",
            "a Greenhouse client id is required",
        ));
    }
    if input.client_secret.trim().is_empty() || input.client_secret.len() > 1000 {
        errors.push(UserError::invalid(
            "clientSecret",
            "a Greenhouse client secret is required",
        ));
    }
    let user_id = greenhouse_id("userId", input.user_id)
        .map_err(|e| errors.push(e))
        .ok();
    let source_id = input
        .source_id
        .filter(|s| !s.trim().is_empty())
        .map(|s| greenhouse_id("sourceId", s))
        .transpose()
        .map_err(|e| errors.push(e))
        .ok()
        .flatten();
    let webhook = webhook_secret(input.webhook_secret)
        .map_err(|e| errors.push(e))
        .ok()
        .flatten();
    errors.finish()?;
    let credentials = Credentials {
        client_id: client_id.to_owned(),
        client_secret: ClientSecret::new(input.client_secret.trim()),
        user_id: user_id.expect("finish() returned early"),
    };

    // Everything Greenhouse must say first: nothing is saved if it refuses.
    let greenhouse = &state.greenhouse;
    greenhouse
        .verify(&credentials)
        .await
        .map_err(|e| user_error(&e))?;
    let sources = greenhouse
        .sources(&credentials)
        .await
        .map_err(|e| user_error(&e))?;
    let source_id = source_id.map(|id| known_source(&sources, id)).transpose()?;
    let open = jobs::fetch(greenhouse.as_ref(), &credentials)
        .await
        .map_err(|e| user_error(&e))?;

    let tx = Tx::begin_in_network(state, company.network_id).await?;
    let now = tx.now();
    let sealed = state.secret_key.seal(
        &secret_context(company.id),
        credentials.client_secret.expose(),
    );
    let webhook_sealed = webhook.map(|secret| seal_webhook_secret(state, company.id, secret));
    let sources = serde_json::to_string(&sources).map_err(anyhow::Error::from)?;
    let next_sync_at = now
        + chrono::Duration::from_std(state.greenhouse_sync_interval)
            .unwrap_or(chrono::Duration::minutes(15));
    match connection_of(tx.db(), company.id).await? {
        Some(existing) => {
            let mut connection = existing.into_active_model();
            connection.client_id = Set(credentials.client_id.clone());
            connection.client_secret_sealed = Set(sealed);
            connection.user_id = Set(credentials.user_id);
            connection.source_id = Set(source_id);
            connection.sources = Set(sources);
            connection.last_sync_at = Set(Some(now));
            connection.last_error = Set(None);
            connection.next_sync_at = Set(next_sync_at);
            if let Some(sealed) = webhook_sealed {
                connection.webhook_secret_sealed = Set(sealed);
            }
            connection.updated_at = Set(now);
            connection.update(tx.db()).await?;
        }
        None => {
            greenhouse_connection::ActiveModel {
                id: Set(Uuid::now_v7()),
                network_id: Set(company.network_id),
                company_id: Set(company.id),
                client_id: Set(credentials.client_id.clone()),
                client_secret_sealed: Set(sealed),
                user_id: Set(credentials.user_id),
                source_id: Set(source_id),
                note_visibility: Set(GreenhouseNoteVisibility::Public),
                sources: Set(sources),
                last_sync_at: Set(Some(now)),
                last_error: Set(None),
                next_sync_at: Set(next_sync_at),
                sync_locked_by: Set(None),
                sync_locked_until: Set(None),
                webhook_secret_sealed: Set(webhook_sealed.flatten()),
                polled_until: Set(None),
                last_poll_at: Set(None),
                next_poll_at: Set(None),
                poll_locked_by: Set(None),
                poll_locked_until: Set(None),
                created_at: Set(now),
                updated_at: Set(now),
            }
            .insert(tx.db())
            .await?;
        }
    }
    jobs::store(&tx, &company, open).await?;
    tx.commit().await?;
    Ok(company)
}

/// `updateGreenhouseSettings`: what is given changes (`sourceId: ""` clears the source).
#[derive(Debug, Default)]
pub struct SettingsPatch<'a> {
    pub source_id: Option<&'a str>,
    /// `""` clears it.
    pub webhook_secret: Option<&'a str>,
    pub note_visibility: Option<GreenhouseNoteVisibility>,
}

#[tracing::instrument(skip_all)]
pub async fn update_settings(
    state: &AppState,
    actor: &Actor,
    company_id: Uuid,
    patch: SettingsPatch<'_>,
) -> ServiceResult<company::Model> {
    let (company, _) = managed_company(state, actor, company_id).await?;
    let source_id = match patch.source_id.map(str::trim) {
        None => None,
        Some("") => Some(None),
        Some(text) => Some(Some(greenhouse_id("sourceId", text)?)),
    };
    let webhook = webhook_secret(patch.webhook_secret)?;
    let tx = Tx::begin_in_network(state, company.network_id).await?;
    let connection = connection_of(tx.db(), company.id)
        .await?
        .ok_or_else(not_connected)?;
    if let Some(Some(id)) = source_id {
        known_source(&sources(&connection), id)?;
    }
    let mut changed = connection.into_active_model();
    if let Some(source_id) = source_id {
        changed.source_id = Set(source_id);
    }
    if let Some(secret) = webhook {
        changed.webhook_secret_sealed = Set(seal_webhook_secret(state, company.id, secret));
    }
    if let Some(visibility) = patch.note_visibility {
        changed.note_visibility = Set(visibility);
    }
    changed.updated_at = Set(tx.now());
    changed.update(tx.db()).await?;
    tx.commit().await?;
    Ok(company)
}

/// `disconnectGreenhouse`: the credentials are forgotten. Imported jobs stay as they are
/// (requests refer to them); they are no longer kept in step.
#[tracing::instrument(skip_all)]
pub async fn disconnect(
    state: &AppState,
    actor: &Actor,
    company_id: Uuid,
) -> ServiceResult<company::Model> {
    let (company, _) = managed_company(state, actor, company_id).await?;
    let tx = Tx::begin_in_network(state, company.network_id).await?;
    let removed = greenhouse_connection::Entity::delete_many()
        .filter(greenhouse_connection::Column::CompanyId.eq(company.id))
        .exec(tx.db())
        .await?
        .rows_affected;
    if removed == 0 {
        return Err(not_connected());
    }
    tx.commit().await?;
    Ok(company)
}

/// The webhook secret sealed for the company; none for an empty one.
fn seal_webhook_secret(state: &AppState, company_id: Uuid, secret: &str) -> Option<String> {
    (!secret.is_empty()).then(|| {
        state
            .secret_key
            .seal(&super::webhook::secret_context(company_id), secret)
    })
}

pub fn not_connected() -> ServiceError {
    UserError::new(
        UserErrorCode::InvalidState,
        "the company is not connected to Greenhouse",
    )
    .on("companyId")
    .into()
}

/// The sources a connection last read from Greenhouse.
pub fn sources(connection: &greenhouse_connection::Model) -> Vec<Source> {
    serde_json::from_str(&connection.sources).unwrap_or_default()
}

/// The jobs imported from the company's Greenhouse, oldest first.
pub async fn imported_jobs(
    state: &AppState,
    company_id: Uuid,
    page: &PageRequest,
) -> ServiceResult<Page<job::Model>> {
    Ok(fetch_page(
        state.db.read(),
        imported(company_id),
        Order::OldestFirst,
        page,
    )
    .await?)
}

pub async fn count_imported_jobs(state: &AppState, company_id: Uuid) -> ServiceResult<i64> {
    Ok(imported(company_id).count(state.db.read()).await? as i64)
}

fn imported(company_id: Uuid) -> sea_orm::Select<job::Entity> {
    job::Entity::find()
        .filter(job::Column::CompanyId.eq(company_id))
        .filter(job::Column::GreenhouseJobId.is_not_null())
}

/// The interview stages of one of the company's imported jobs, in order.
pub async fn stages(
    state: &AppState,
    company: &company::Model,
    job_id: Uuid,
) -> ServiceResult<Vec<greenhouse_stage::Model>> {
    let job = job::Entity::find_by_id(job_id)
        .one(state.db.read())
        .await?
        .filter(|j| j.company_id == company.id)
        .ok_or_else(|| ServiceError::not_found("jobId", "job"))?;
    Ok(greenhouse_stage::Entity::find()
        .filter(greenhouse_stage::Column::JobId.eq(job.id))
        .order_by_asc(greenhouse_stage::Column::SortOrder)
        .order_by_asc(greenhouse_stage::Column::GreenhouseStageId)
        .all(state.db.read())
        .await?)
}

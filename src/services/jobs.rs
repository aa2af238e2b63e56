//! Jobs of a company.

use std::collections::HashMap;

use entities::{enums::JobStatus, job};
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, IntoActiveModel, QueryFilter, Set};
use uuid::Uuid;

use crate::{
    domain::{ShortText, WebUrl},
    error::{InputErrors, ServiceError, ServiceResult},
    services::{
        access::{Actor, JobScope},
        companies,
        pagination::{Order, Page, PageRequest, Parents, count_by_parent, fetch_pages_by_parent},
    },
    state::AppState,
};

pub async fn find(state: &AppState, id: Uuid) -> ServiceResult<Option<job::Model>> {
    Ok(job::Entity::find_by_id(id).one(state.db.read()).await?)
}

pub struct NewJob<'a> {
    pub company_id: Uuid,
    pub title: &'a str,
    pub location: Option<&'a str>,
    pub department: Option<&'a str>,
    pub url: Option<&'a str>,
}

pub async fn create(
    state: &AppState,
    actor: &Actor,
    input: NewJob<'_>,
) -> ServiceResult<job::Model> {
    actor.require_account()?;
    let (company, access) =
        companies::visible_with_access(state, actor, input.company_id, "companyId").await?;
    if !access.manages_company(company.id) {
        return Err(ServiceError::Forbidden);
    }
    let mut errors = InputErrors::default();
    let title = errors.check("title", ShortText::parse(input.title));
    let location = errors.check("location", ShortText::parse_optional(input.location));
    let department = errors.check("department", ShortText::parse_optional(input.department));
    let url = errors.check("url", WebUrl::parse_optional(input.url));
    errors.finish()?;
    let (Some(title), Some(location), Some(department), Some(url)) =
        (title, location, department, url)
    else {
        unreachable!()
    };
    let now = state.now();
    Ok(job::ActiveModel {
        id: Set(Uuid::now_v7()),
        network_id: Set(company.network_id),
        company_id: Set(company.id),
        title: Set(title.into_string()),
        location: Set(location.map(ShortText::into_string)),
        department: Set(department.map(ShortText::into_string)),
        url: Set(url.map(WebUrl::into_string)),
        status: Set(JobStatus::Open),
        greenhouse_job_id: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
        closed_at: Set(None),
    }
    .insert(state.db.write())
    .await?)
}

/// Closes a job; closing a closed job changes nothing, so a retry is harmless.
pub async fn close(state: &AppState, actor: &Actor, job_id: Uuid) -> ServiceResult<job::Model> {
    actor.require_account()?;
    let not_found = || ServiceError::not_found("jobId", "job");
    let job = find(state, job_id).await?.ok_or_else(not_found)?;
    let access = actor.access(&state.db, job.network_id).await?;
    if !access.job_scope(job.company_id).allows(job.status) {
        return Err(not_found());
    }
    if !access.manages_company(job.company_id) {
        return Err(ServiceError::Forbidden);
    }
    if job.status == JobStatus::Closed {
        return Ok(job);
    }
    let now = state.now();
    let mut model = job.into_active_model();
    model.status = Set(JobStatus::Closed);
    model.closed_at = Set(Some(now));
    model.updated_at = Set(now);
    Ok(model.update(state.db.write()).await?)
}

/// What a company's job list shows: the caller's scope and an optional status filter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct JobFilter {
    pub scope: JobScope,
    pub status: Option<JobStatus>,
}

impl JobFilter {
    /// The jobs the filter keeps: none (`None`), any (`Some(None)`), or those in a status.
    pub fn visible(&self) -> Option<Option<JobStatus>> {
        match (self.scope, self.status) {
            (JobScope::None, _) | (JobScope::OpenOnly, Some(JobStatus::Closed)) => None,
            (JobScope::OpenOnly, _) => Some(Some(JobStatus::Open)),
            (JobScope::All, status) => Some(status),
        }
    }

    fn select(&self) -> Option<sea_orm::Select<job::Entity>> {
        let status = self.visible()?;
        let mut select = job::Entity::find();
        if let Some(status) = status {
            select = select.filter(job::Column::Status.eq(status));
        }
        Some(select)
    }
}

/// One page of jobs for each company, in one statement.
pub async fn pages_by_company(
    state: &AppState,
    companies: &[Uuid],
    filter: JobFilter,
    page: &PageRequest,
) -> ServiceResult<HashMap<Uuid, Page<job::Model>>> {
    let Some(select) = filter.select() else {
        return Ok(companies.iter().map(|c| (*c, Page::empty())).collect());
    };
    let parents = Parents {
        column: job::Column::CompanyId,
        ids: companies,
        of: |j: &job::Model| j.company_id,
    };
    Ok(fetch_pages_by_parent(
        state.db.read(),
        select,
        parents,
        job::Column::Id,
        Order::OldestFirst,
        page,
    )
    .await?)
}

pub async fn counts_by_company(
    state: &AppState,
    companies: &[Uuid],
    filter: JobFilter,
) -> ServiceResult<HashMap<Uuid, i64>> {
    let Some(select) = filter.select() else {
        return Ok(companies.iter().map(|c| (*c, 0)).collect());
    };
    Ok(count_by_parent(state.db.read(), select, job::Column::CompanyId, companies).await?)
}

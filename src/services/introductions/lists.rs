//! What clients read of requests: the lists and counts the actor may see, the network
//! admins' inbox, and each request's jobs and timeline.

use std::collections::HashMap;

use entities::{
    company,
    enums::{IntroDirection, IntroStatus},
    intro_request, intro_request_event, intro_request_job, job, talent,
};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, Select};
use uuid::Uuid;

use super::{InboxSection, policy, timeline::count_inbox};
use crate::{
    error::ServiceResult,
    services::{
        access::{Actor, NetworkAccess},
        pagination::{Order, Page, PageRequest, fetch_page, fetch_page_with},
    },
    state::AppState,
};

/// Filters of a request list.
#[derive(Debug, Clone, Default)]
pub struct RequestFilter {
    pub statuses: Vec<IntroStatus>,
    pub direction: Option<IntroDirection>,
    pub company_id: Option<Uuid>,
    pub talent_id: Option<Uuid>,
}

fn select(access: &NetworkAccess, filter: &RequestFilter) -> Option<Select<intro_request::Entity>> {
    let mut select = intro_request::Entity::find()
        .filter(intro_request::Column::NetworkId.eq(access.network_id))
        .filter(policy::visible(access)?);
    if !filter.statuses.is_empty() {
        select =
            select.filter(intro_request::Column::Status.is_in(filter.statuses.iter().copied()));
    }
    if let Some(direction) = filter.direction {
        select = select.filter(intro_request::Column::Direction.eq(direction));
    }
    if let Some(company) = filter.company_id {
        select = select.filter(intro_request::Column::CompanyId.eq(company));
    }
    if let Some(talent) = filter.talent_id {
        select = select.filter(intro_request::Column::TalentId.eq(talent));
    }
    Some(select)
}

/// Requests the actor may see, newest first; with their talent and company when `parties`.
pub async fn list(
    state: &AppState,
    access: &NetworkAccess,
    filter: &RequestFilter,
    page: &PageRequest,
    parties: bool,
) -> ServiceResult<Page<WithParties>> {
    let Some(select) = select(access, filter) else {
        return Ok(Page::empty());
    };
    read_page(state, select, Order::NewestFirst, page, parties).await
}

/// A request, and its talent and company when they were asked for.
pub type WithParties = (
    intro_request::Model,
    Option<talent::Model>,
    Option<company::Model>,
);

/// A page of requests, with their talent and company read in the same statement when
/// `parties` (a list that shows them would otherwise read them in two more).
async fn read_page(
    state: &AppState,
    select: Select<intro_request::Entity>,
    order: Order,
    page: &PageRequest,
    parties: bool,
) -> ServiceResult<Page<WithParties>> {
    let db = state.db.read();
    Ok(if parties {
        fetch_page_with::<_, talent::Entity, company::Entity, _>(db, select, order, page).await?
    } else {
        fetch_page(db, select, order, page)
            .await?
            .map(|request| (request, None, None))
    })
}

/// Requests by id with their talent and company, in one statement; whether the actor may
/// see each is the caller's to decide, as for requests a loader reads.
pub async fn find_with_parties(
    state: &AppState,
    ids: Vec<Uuid>,
) -> ServiceResult<HashMap<Uuid, WithParties>> {
    let rows: Vec<WithParties> = intro_request::Entity::find()
        .filter(intro_request::Column::Id.is_in(ids))
        .find_also_related(talent::Entity)
        .find_also_related(company::Entity)
        .all(state.db.read())
        .await?;
    Ok(rows.into_iter().map(|row| (row.0.id, row)).collect())
}

pub async fn count(
    state: &AppState,
    access: &NetworkAccess,
    filter: &RequestFilter,
) -> ServiceResult<i64> {
    let Some(select) = select(access, filter) else {
        return Ok(0);
    };
    Ok(select.count(state.db.read()).await? as i64)
}

/// One section of the network admins' inbox, oldest first (the longest waiting on top);
/// empty for everyone else. With talent and company when `parties`.
pub async fn inbox(
    state: &AppState,
    access: &NetworkAccess,
    section: InboxSection,
    page: &PageRequest,
    parties: bool,
) -> ServiceResult<Page<WithParties>> {
    if !access.admin {
        return Ok(Page::empty());
    }
    let select = intro_request::Entity::find()
        .filter(intro_request::Column::NetworkId.eq(access.network_id))
        .filter(intro_request::Column::Status.eq(section.status()));
    read_page(state, select, Order::OldestFirst, page, parties).await
}

/// Requests waiting in each inbox section, in one statement.
pub async fn inbox_counts(state: &AppState, access: &NetworkAccess) -> ServiceResult<(i64, i64)> {
    if !access.admin {
        return Ok((0, 0));
    }
    count_inbox(state.db.read(), access.network_id).await
}

/// Jobs attached to each request, in one statement.
pub async fn jobs_of(
    state: &AppState,
    requests: &[Uuid],
) -> ServiceResult<HashMap<Uuid, Vec<job::Model>>> {
    let rows = intro_request_job::Entity::find()
        .find_also_related(job::Entity)
        .filter(intro_request_job::Column::IntroRequestId.is_in(requests.iter().copied()))
        .order_by_asc(job::Column::Id)
        .all(state.db.read())
        .await?;
    let mut by_request: HashMap<Uuid, Vec<job::Model>> = HashMap::new();
    for (link, job) in rows {
        if let Some(job) = job {
            by_request
                .entry(link.intro_request_id)
                .or_default()
                .push(job);
        }
    }
    Ok(by_request)
}

/// The timeline of each request, oldest event first.
pub async fn events_of(
    state: &AppState,
    requests: &[Uuid],
) -> ServiceResult<HashMap<Uuid, Vec<intro_request_event::Model>>> {
    let events = intro_request_event::Entity::find()
        .filter(intro_request_event::Column::IntroRequestId.is_in(requests.iter().copied()))
        .order_by_asc(intro_request_event::Column::Id)
        .all(state.db.read())
        .await?;
    let mut grouped: HashMap<Uuid, Vec<intro_request_event::Model>> = HashMap::new();
    for event in events {
        grouped
            .entry(event.intro_request_id)
            .or_default()
            .push(event);
    }
    Ok(grouped)
}

/// The request, if the actor may see it.
pub async fn visible_request(
    state: &AppState,
    actor: &Actor,
    id: Uuid,
) -> ServiceResult<Option<intro_request::Model>> {
    let Some(request) = intro_request::Entity::find_by_id(id)
        .one(state.db.read())
        .await?
    else {
        return Ok(None);
    };
    let access = actor.access(&state.db, request.network_id).await?;
    Ok(policy::can_see(&access, &request).then_some(request))
}

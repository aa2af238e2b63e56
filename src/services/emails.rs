//! The outbox as network admins see it: what was sent, what waits, what was given up.

use entities::{email_outbox, enums::OutboxStatus};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, Select};
use uuid::Uuid;

use crate::{
    error::ServiceResult,
    services::{
        access::Actor,
        pagination::{Order, Page, PageRequest, fetch_page},
    },
    state::AppState,
};

/// The network's emails in these statuses (all when empty), if the actor is its admin.
async fn visible_select(
    state: &AppState,
    actor: &Actor,
    network_id: Uuid,
    statuses: &[OutboxStatus],
) -> ServiceResult<Option<Select<email_outbox::Entity>>> {
    if !actor.access(&state.db, network_id).await?.sees_team() {
        return Ok(None);
    }
    let mut select =
        email_outbox::Entity::find().filter(email_outbox::Column::NetworkId.eq(network_id));
    if !statuses.is_empty() {
        select = select.filter(email_outbox::Column::Status.is_in(statuses.iter().copied()));
    }
    Ok(Some(select))
}

/// Newest first (network admins only; empty for everyone else).
pub async fn list(
    state: &AppState,
    actor: &Actor,
    network_id: Uuid,
    statuses: &[OutboxStatus],
    page: &PageRequest,
) -> ServiceResult<Page<email_outbox::Model>> {
    let Some(select) = visible_select(state, actor, network_id, statuses).await? else {
        return Ok(Page::empty());
    };
    Ok(fetch_page(state.db.read(), select, Order::NewestFirst, page).await?)
}

pub async fn count(
    state: &AppState,
    actor: &Actor,
    network_id: Uuid,
    statuses: &[OutboxStatus],
) -> ServiceResult<i64> {
    let Some(select) = visible_select(state, actor, network_id, statuses).await? else {
        return Ok(0);
    };
    Ok(select.count(state.db.read()).await? as i64)
}

//! Changes of a request: each is one conditional update of the row as the deciding
//! transaction read it, one step on the request's timeline, and one event in the network's
//! live log, all in that transaction (which holds the network's lock).

use entities::{enums::IntroStatus, intro_request, intro_request_event};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter,
    QuerySelect, Set, UpdateMany, sea_query::Expr,
};
use uuid::Uuid;

use super::{AWAITING_COMPANY, InboxSection, policy::invalid_state};
use crate::{
    error::ServiceResult,
    live::{self, Signal},
    services::tx::Tx,
};

/// The request as it is now; read after the network's lock, this is the row to decide from.
pub async fn current(tx: &Tx, id: Uuid) -> ServiceResult<Option<intro_request::Model>> {
    Ok(intro_request::Entity::find_by_id(id).one(tx.db()).await?)
}

/// Who changes a request and why (kept on the timeline).
pub struct Step {
    pub to: IntroStatus,
    /// `None`: the system (expiry).
    pub actor: Option<Uuid>,
    pub note: Option<String>,
}

/// Moves `request` — as this transaction read it — to `step.to`, with `changes` to other
/// columns. The update is conditional on the status read: if another writer changed it
/// anyway, this one loses with `INVALID_STATE` and changes nothing.
pub async fn transition(
    tx: &Tx,
    request: &intro_request::Model,
    step: Step,
    changes: impl FnOnce(UpdateMany<intro_request::Entity>) -> UpdateMany<intro_request::Entity>,
) -> ServiceResult<intro_request::Model> {
    tx.require_network(request.network_id)?;
    let update = intro_request::Entity::update_many()
        .col_expr(intro_request::Column::Status, Expr::value(step.to))
        .col_expr(intro_request::Column::UpdatedAt, Expr::value(tx.now()))
        .filter(intro_request::Column::Id.eq(request.id))
        .filter(intro_request::Column::Status.eq(request.status));
    if changes(update).exec(tx.db()).await?.rows_affected != 1 {
        return Err(invalid_state());
    }
    let changed = current(tx, request.id)
        .await?
        .ok_or_else(|| anyhow::anyhow!("intro request {} vanished", request.id))?;
    record(tx, &changed, Some(request.status), step.actor, step.note).await?;
    Ok(changed)
}

/// Appends a step to the request's timeline, and the change to the live event log with
/// the inboxes as they stand now (exact: the network's writers wait for this one).
pub async fn record(
    tx: &Tx,
    request: &intro_request::Model,
    from: Option<IntroStatus>,
    actor: Option<Uuid>,
    note: Option<String>,
) -> ServiceResult<()> {
    tx.require_network(request.network_id)?;
    let now = tx.now();
    intro_request_event::ActiveModel {
        id: Set(Uuid::now_v7()),
        network_id: Set(request.network_id),
        intro_request_id: Set(request.id),
        actor_account_id: Set(actor),
        from_status: Set(from),
        to_status: Set(request.status),
        note: Set(note),
        at: Set(now),
    }
    .insert(tx.db())
    .await?;
    let (in_network, out_of_network) = count_inbox(tx.db(), request.network_id).await?;
    let company_awaiting = count_awaiting_company(tx.db(), request.company_id).await?;
    let counts = (in_network, out_of_network, company_awaiting);
    live::log::append(tx.db(), live::log::entry(request, from, counts, now)).await?;
    tx.signal(Signal::Events(request.network_id)).await?;
    Ok(())
}

const SECTIONS: [InboxSection; 2] = [InboxSection::InNetwork, InboxSection::OutOfNetwork];

/// Requests waiting in each section of the network admins' inbox, in one statement.
pub async fn count_inbox(db: &impl ConnectionTrait, network_id: Uuid) -> ServiceResult<(i64, i64)> {
    let counts: Vec<(IntroStatus, i64)> = intro_request::Entity::find()
        .select_only()
        .column(intro_request::Column::Status)
        .column_as(Expr::cust("COUNT(*)"), "n")
        .filter(intro_request::Column::NetworkId.eq(network_id))
        .filter(intro_request::Column::Status.is_in(SECTIONS.map(InboxSection::status)))
        .group_by(intro_request::Column::Status)
        .into_tuple()
        .all(db)
        .await?;
    let of = |status| {
        counts
            .iter()
            .find(|(s, _)| *s == status)
            .map_or(0, |(_, n)| *n)
    };
    Ok((
        of(InboxSection::InNetwork.status()),
        of(InboxSection::OutOfNetwork.status()),
    ))
}

/// Requests delivered to the company and waiting for its decision.
async fn count_awaiting_company(db: &impl ConnectionTrait, company_id: Uuid) -> ServiceResult<i64> {
    let (direction, status) = AWAITING_COMPANY;
    Ok(intro_request::Entity::find()
        .filter(intro_request::Column::CompanyId.eq(company_id))
        .filter(intro_request::Column::Direction.eq(direction))
        .filter(intro_request::Column::Status.eq(status))
        .count(db)
        .await? as i64)
}

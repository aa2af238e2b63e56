//! Contacts that allies share with networks (SPEC §7).
//!
//! A contact belongs to its owner's account, never to a network. Who sees it is one rule,
//! [`sharing_allies`]: its owner, and the network admins of each network where the owner
//! is an ally who shares now. Lists put the rule in SQL (a sub-select of those allies);
//! single contacts check it against the same allies, loaded by owner.

pub mod asks;
mod delete;
mod import;
pub mod intro_lists;
mod sharing;
mod warm_paths;

use std::collections::HashMap;

use entities::{ally, contact};
use sea_orm::{
    ColumnTrait, Condition, EntityTrait, PaginatorTrait, QueryFilter, QuerySelect, QueryTrait,
    sea_query::{Expr, ExprTrait, Func, LikeExpr},
};
use uuid::Uuid;

pub use delete::{DeleteContacts, delete_contacts};
pub use import::{ImportInput, ImportReport, import_contacts, input as import_input};
pub use sharing::{OnboardingStep, complete_onboarding_step, set_contact_sharing};
pub use warm_paths::{WarmPath, warm_paths};

use crate::{
    domain::contact::company_key,
    error::ServiceResult,
    services::{
        access::Actor,
        pagination::{Order, Page, PageRequest, contains_pattern, fetch_page},
    },
    state::AppState,
};

/// Whose contacts an ally shares with their network: none until they accepted and chose
/// to share. The in-memory twin of [`sharing_allies`].
pub fn shared_by(ally: &ally::Model) -> Option<Uuid> {
    ally.account_id.filter(|_| ally.sharing_contacts)
}

/// The allies whose owners' contacts their network sees: accepted, and sharing now.
pub(crate) fn sharing_allies() -> Condition {
    Condition::all()
        .add(ally::Column::SharingContacts.eq(true))
        .add(ally::Column::AccountId.is_not_null())
}

/// The filters of a contact list.
#[derive(Debug, Clone, Default)]
pub struct ContactFilter {
    pub search: Option<String>,
    pub company: Option<String>,
}

/// Whose contacts a list shows.
#[derive(Debug, Clone, Copy)]
pub enum ContactScope {
    /// An account's own contacts (`Viewer.contacts`, the ally themself).
    Owner(Uuid),
    /// Every contact shared with a network now (its admins).
    Network(Uuid),
    /// One ally's contacts as their network sees them: only while they share.
    SharedBy { network_id: Uuid, owner: Uuid },
}

/// The accounts whose contacts a network sees now, as a sub-select.
fn owners(network_id: Uuid) -> sea_orm::sea_query::SelectStatement {
    ally::Entity::find()
        .select_only()
        .column(ally::Column::AccountId)
        .filter(ally::Column::NetworkId.eq(network_id))
        .filter(sharing_allies())
        .into_query()
}

fn select(
    scope: ContactScope,
    filter: &ContactFilter,
) -> ServiceResult<sea_orm::Select<contact::Entity>> {
    let mut select = contact::Entity::find();
    select = match scope {
        ContactScope::Owner(owner) => select.filter(contact::Column::OwnerAccountId.eq(owner)),
        ContactScope::Network(network_id) => {
            select.filter(contact::Column::OwnerAccountId.in_subquery(owners(network_id)))
        }
        ContactScope::SharedBy { network_id, owner } => select
            .filter(contact::Column::OwnerAccountId.eq(owner))
            .filter(contact::Column::OwnerAccountId.in_subquery(owners(network_id))),
    };
    if let Some(search) = filter.search.as_deref().filter(|s| !s.trim().is_empty()) {
        let pattern = contains_pattern(search)?;
        let like = |col: contact::Column| {
            Expr::expr(Func::lower(Expr::col(col)))
                .like(LikeExpr::new(pattern.clone()).escape('\\'))
        };
        select = select.filter(
            Condition::any()
                .add(like(contact::Column::Name))
                .add(like(contact::Column::CompanyName))
                .add(like(contact::Column::Position))
                .add(like(contact::Column::EmailKey)),
        );
    }
    if let Some(company) = filter.company.as_deref().filter(|c| !c.trim().is_empty()) {
        select = select.filter(contact::Column::CompanyKey.eq(company_key(company)));
    }
    Ok(select)
}

pub async fn list(
    state: &AppState,
    scope: ContactScope,
    filter: &ContactFilter,
    page: &PageRequest,
) -> ServiceResult<Page<contact::Model>> {
    let select = select(scope, filter)?;
    Ok(fetch_page(state.db.read(), select, Order::OldestFirst, page).await?)
}

pub async fn count(
    state: &AppState,
    scope: ContactScope,
    filter: &ContactFilter,
) -> ServiceResult<i64> {
    Ok(select(scope, filter)?.count(state.db.read()).await? as i64)
}

/// Contacts by id, unchecked (the caller applies [`visible`]).
pub async fn by_ids(state: &AppState, ids: Vec<Uuid>) -> ServiceResult<Vec<contact::Model>> {
    Ok(contact::Entity::find()
        .filter(contact::Column::Id.is_in(ids))
        .all(state.db.read())
        .await?)
}

/// The sharing allies of each owner, in one statement.
pub async fn sharing_allies_of(
    state: &AppState,
    owners: &[Uuid],
) -> ServiceResult<HashMap<Uuid, Vec<ally::Model>>> {
    let allies = ally::Entity::find()
        .filter(ally::Column::AccountId.is_in(owners.iter().copied()))
        .filter(sharing_allies())
        .all(state.db.read())
        .await?;
    let mut by_owner: HashMap<Uuid, Vec<ally::Model>> = HashMap::new();
    for ally in allies {
        if let Some(owner) = ally.account_id {
            by_owner.entry(owner).or_default().push(ally);
        }
    }
    Ok(by_owner)
}

/// Of an owner's sharing allies (from [`sharing_allies_of`]), those the actor sees as
/// knowing the contact: the ones in networks the actor administers, or all of them for the
/// owner.
pub fn known_by(
    actor_account: Option<Uuid>,
    admin_of: &dyn Fn(Uuid) -> bool,
    owner: Uuid,
    allies: &[ally::Model],
) -> Vec<ally::Model> {
    allies
        .iter()
        .filter(|a| actor_account == Some(owner) || admin_of(a.network_id))
        .cloned()
        .collect()
}

/// Whether the actor may see a contact of `owner` whose sharing allies are `allies`.
pub fn visible(
    actor_account: Option<Uuid>,
    admin_of: &dyn Fn(Uuid) -> bool,
    owner: Uuid,
    allies: &[ally::Model],
) -> bool {
    actor_account == Some(owner) || allies.iter().any(|a| admin_of(a.network_id))
}

/// The actor's accepted ally profiles (importing contacts needs one, in any network).
pub async fn is_ally(state: &AppState, actor: &Actor) -> ServiceResult<bool> {
    let memberships = actor.memberships(&state.db).await?;
    Ok(memberships.ally_profiles().next().is_some())
}

/// How many contacts each owner has, in one statement.
pub async fn counts_by_owner(
    state: &AppState,
    owners: &[Uuid],
) -> ServiceResult<HashMap<Uuid, i64>> {
    let counts: Vec<(Uuid, i64)> = contact::Entity::find()
        .select_only()
        .column(contact::Column::OwnerAccountId)
        .column_as(Expr::cust("COUNT(*)"), "n")
        .filter(contact::Column::OwnerAccountId.is_in(owners.iter().copied()))
        .group_by(contact::Column::OwnerAccountId)
        .into_tuple()
        .all(state.db.read())
        .await?;
    let mut counts: HashMap<Uuid, i64> = counts.into_iter().collect();
    Ok(owners
        .iter()
        .map(|o| (*o, counts.remove(o).unwrap_or(0)))
        .collect())
}

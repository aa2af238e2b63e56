//! Introduction lists: a network's admins gather contacts shared with the network into
//! named lists. Adding is idempotent per contact; only contacts the network sees now can
//! be added, and an entry whose contact stops being shared drops out of the list's
//! entries (it comes back if the ally shares again).

use entities::{contact, intro_list, intro_list_entry};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QuerySelect,
    QueryTrait, Set, sea_query::OnConflict,
};
use uuid::Uuid;

use super::{ContactFilter, ContactScope, select};
use crate::{
    domain::Name,
    error::{ServiceError, ServiceResult, UserError},
    services::{
        access::Actor,
        pagination::{Order, Page, PageRequest, fetch_page},
        tx::Tx,
    },
    state::AppState,
};

pub async fn create_intro_list(
    state: &AppState,
    actor: &Actor,
    network_id: Uuid,
    name: &str,
) -> ServiceResult<intro_list::Model> {
    actor.require_network_admin(&state.db, network_id).await?;
    let name = Name::parse(name).map_err(|message| UserError::invalid("name", message))?;
    let tx = Tx::begin(state).await?;
    let list = intro_list::ActiveModel {
        id: Set(Uuid::now_v7()),
        network_id: Set(network_id),
        name: Set(name.into_string()),
        created_by_account_id: Set(actor.account_id()),
        created_at: Set(tx.now()),
    }
    .insert(tx.db())
    .await?;
    tx.commit().await?;
    Ok(list)
}

/// Adds contacts the network sees now; those already on the list stay as they were.
/// `NOT_FOUND` (and nothing added) when one of them is not shared with the network.
pub async fn add_to_intro_list(
    state: &AppState,
    actor: &Actor,
    list_id: Uuid,
    contact_ids: Vec<Uuid>,
) -> ServiceResult<intro_list::Model> {
    let list = administered(state, actor, list_id).await?;
    let mut wanted = contact_ids;
    wanted.sort();
    wanted.dedup();
    if wanted.is_empty() {
        return Err(UserError::invalid("contactIds", "name the contacts to add").into());
    }
    let tx = Tx::begin(state).await?;
    let shared: Vec<Uuid> = select(
        ContactScope::Network(list.network_id),
        &ContactFilter::default(),
    )?
    .select_only()
    .column(contact::Column::Id)
    .filter(contact::Column::Id.is_in(wanted.iter().copied()))
    .into_tuple()
    .all(tx.db())
    .await?;
    if shared.len() != wanted.len() {
        return Err(ServiceError::not_found("contactIds", "contact"));
    }
    let now = tx.now();
    intro_list_entry::Entity::insert_many(wanted.into_iter().map(|contact_id| {
        intro_list_entry::ActiveModel {
            id: Set(Uuid::now_v7()),
            intro_list_id: Set(list.id),
            contact_id: Set(contact_id),
            added_at: Set(now),
        }
    }))
    .on_conflict(
        OnConflict::columns([
            intro_list_entry::Column::IntroListId,
            intro_list_entry::Column::ContactId,
        ])
        .do_nothing()
        .to_owned(),
    )
    .exec_without_returning(tx.db())
    .await?;
    tx.commit().await?;
    Ok(list)
}

pub async fn remove_from_intro_list(
    state: &AppState,
    actor: &Actor,
    list_id: Uuid,
    contact_ids: Vec<Uuid>,
) -> ServiceResult<intro_list::Model> {
    let list = administered(state, actor, list_id).await?;
    let tx = Tx::begin(state).await?;
    intro_list_entry::Entity::delete_many()
        .filter(intro_list_entry::Column::IntroListId.eq(list.id))
        .filter(intro_list_entry::Column::ContactId.is_in(contact_ids))
        .exec(tx.db())
        .await?;
    tx.commit().await?;
    Ok(list)
}

/// The list, for one of its network's admins: `NOT_FOUND` for anyone who cannot see it,
/// `FORBIDDEN` for other members of the network.
async fn administered(
    state: &AppState,
    actor: &Actor,
    list_id: Uuid,
) -> ServiceResult<intro_list::Model> {
    actor.require_account()?;
    let not_found = || ServiceError::not_found("introListId", "introduction list");
    let list = intro_list::Entity::find_by_id(list_id)
        .one(state.db.read())
        .await?
        .ok_or_else(not_found)?;
    let access = actor.access(&state.db, list.network_id).await?;
    if access.admin {
        Ok(list)
    } else if access.sees_network_data() {
        Err(ServiceError::Forbidden)
    } else {
        Err(not_found())
    }
}

fn lists_select(network_id: Uuid) -> sea_orm::Select<intro_list::Entity> {
    intro_list::Entity::find().filter(intro_list::Column::NetworkId.eq(network_id))
}

/// A network's lists, oldest first (the caller has checked the actor administers it).
pub async fn lists(
    state: &AppState,
    network_id: Uuid,
    page: &PageRequest,
) -> ServiceResult<Page<intro_list::Model>> {
    Ok(fetch_page(
        state.db.read(),
        lists_select(network_id),
        Order::OldestFirst,
        page,
    )
    .await?)
}

pub async fn count_lists(state: &AppState, network_id: Uuid) -> ServiceResult<i64> {
    Ok(lists_select(network_id).count(state.db.read()).await? as i64)
}

/// Entries whose contact the list's network sees now.
fn entries_select(
    list: &intro_list::Model,
) -> ServiceResult<sea_orm::Select<intro_list_entry::Entity>> {
    let shared = select(
        ContactScope::Network(list.network_id),
        &ContactFilter::default(),
    )?
    .select_only()
    .column(contact::Column::Id)
    .into_query();
    Ok(intro_list_entry::Entity::find()
        .filter(intro_list_entry::Column::IntroListId.eq(list.id))
        .filter(intro_list_entry::Column::ContactId.in_subquery(shared)))
}

pub async fn entries(
    state: &AppState,
    list: &intro_list::Model,
    page: &PageRequest,
) -> ServiceResult<Page<intro_list_entry::Model>> {
    Ok(fetch_page(
        state.db.read(),
        entries_select(list)?,
        Order::OldestFirst,
        page,
    )
    .await?)
}

pub async fn count_entries(state: &AppState, list: &intro_list::Model) -> ServiceResult<i64> {
    Ok(entries_select(list)?.count(state.db.read()).await? as i64)
}

pub async fn by_ids(state: &AppState, ids: Vec<Uuid>) -> ServiceResult<Vec<intro_list::Model>> {
    Ok(intro_list::Entity::find()
        .filter(intro_list::Column::Id.is_in(ids))
        .all(state.db.read())
        .await?)
}

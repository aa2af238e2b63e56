//! Contacts that allies share with networks.

use std::collections::HashMap;

use entities::{ally, contact};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QuerySelect, sea_query::Expr};
use uuid::Uuid;

use crate::{error::ServiceResult, state::AppState};

/// Whose contacts an ally shares with their network: none until they accepted and chose
/// to share.
pub fn shared_by(ally: &ally::Model) -> Option<Uuid> {
    ally.account_id.filter(|_| ally.sharing_contacts)
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

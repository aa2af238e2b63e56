//! Contacts that allies share with networks.

use entities::{ally, contact};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};

use crate::{error::ServiceResult, state::AppState};

/// How many contacts an ally shares with their network: none until they accepted and
/// chose to share.
pub async fn shared_count(state: &AppState, ally: &ally::Model) -> ServiceResult<i64> {
    let Some(owner) = ally.account_id.filter(|_| ally.sharing_contacts) else {
        return Ok(0);
    };
    let count = contact::Entity::find()
        .filter(contact::Column::OwnerAccountId.eq(owner))
        .count(state.db.read())
        .await?;
    Ok(count as i64)
}

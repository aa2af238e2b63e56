//! `deleteContacts`: an owner removes some of their contacts, or all. Ids of contacts that
//! are not the caller's are passed over as if they did not exist.

use entities::contact;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use uuid::Uuid;

use crate::{
    error::{ServiceResult, UserError},
    services::{access::Actor, tx::Tx},
    state::AppState,
};

pub enum DeleteContacts {
    These(Vec<Uuid>),
    All,
}

/// How many contacts were deleted.
pub async fn delete_contacts(
    state: &AppState,
    actor: &Actor,
    which: DeleteContacts,
) -> ServiceResult<u64> {
    let owner = actor.require_account()?;
    let mut delete =
        contact::Entity::delete_many().filter(contact::Column::OwnerAccountId.eq(owner));
    match which {
        DeleteContacts::All => {}
        DeleteContacts::These(ids) if ids.is_empty() => {
            return Err(UserError::invalid("contactIds", "name the contacts to delete").into());
        }
        DeleteContacts::These(ids) => delete = delete.filter(contact::Column::Id.is_in(ids)),
    }
    let tx = Tx::begin(state).await?;
    let deleted = delete.exec(tx.db()).await?.rows_affected;
    tx.commit().await?;
    Ok(deleted)
}

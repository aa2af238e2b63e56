//! An ally's own choices: which networks see their contacts (`setContactSharing`), and the
//! onboarding steps they complete (`completeAllyOnboardingStep`). Only the ally acts on
//! their profile: a network admin who can see it gets `FORBIDDEN`, anyone else `NOT_FOUND`.

use entities::ally;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, sea_query::Expr};
use uuid::Uuid;

use crate::{
    error::{ServiceError, ServiceResult},
    services::{access::Actor, tx::Tx},
    state::AppState,
};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OnboardingStep {
    HelpWithIntroductions,
    MakeIntroductionWhenAsked,
}

/// Shares the caller's contacts with a network where they are an ally, or stops: the
/// network sees them, or stops seeing them, from this commit on (lists read the choice).
pub async fn set_contact_sharing(
    state: &AppState,
    actor: &Actor,
    network_id: Uuid,
    sharing: bool,
) -> ServiceResult<ally::Model> {
    let account = actor.require_account()?;
    let tx = Tx::begin(state).await?;
    let mine = ally::Entity::find()
        .filter(ally::Column::NetworkId.eq(network_id))
        .filter(ally::Column::AccountId.eq(account))
        .one(tx.db())
        .await?
        .ok_or_else(|| ServiceError::not_found("networkId", "network"))?;
    ally::Entity::update_many()
        .col_expr(ally::Column::SharingContacts, Expr::value(sharing))
        .col_expr(ally::Column::UpdatedAt, Expr::value(tx.now()))
        .filter(ally::Column::Id.eq(mine.id))
        .exec(tx.db())
        .await?;
    let updated = ally::Entity::find_by_id(mine.id)
        .one(tx.db())
        .await?
        .ok_or_else(|| anyhow::anyhow!("ally vanished in its transaction"))?;
    tx.commit().await?;
    Ok(updated)
}

/// Marks one of the two steps an ally completes by saying so (the third, connecting
/// LinkedIn, completes itself with the first import).
pub async fn complete_onboarding_step(
    state: &AppState,
    actor: &Actor,
    ally_id: Uuid,
    step: OnboardingStep,
) -> ServiceResult<ally::Model> {
    let account = actor.require_account()?;
    let tx = Tx::begin(state).await?;
    let found = ally::Entity::find_by_id(ally_id).one(tx.db()).await?;
    let not_found = || ServiceError::not_found("allyId", "ally");
    let ally = found.ok_or_else(not_found)?;
    if ally.account_id != Some(account) {
        let access = actor.access(&state.db, ally.network_id).await?;
        return Err(if access.sees_ally(&ally, Some(account)) {
            ServiceError::Forbidden
        } else {
            not_found()
        });
    }
    let column = match step {
        OnboardingStep::HelpWithIntroductions => ally::Column::HelpWithIntroductions,
        OnboardingStep::MakeIntroductionWhenAsked => ally::Column::MakeIntroductionWhenAsked,
    };
    ally::Entity::update_many()
        .col_expr(column, Expr::value(true))
        .col_expr(ally::Column::UpdatedAt, Expr::value(tx.now()))
        .filter(ally::Column::Id.eq(ally.id))
        .exec(tx.db())
        .await?;
    let updated = ally::Entity::find_by_id(ally.id)
        .one(tx.db())
        .await?
        .ok_or_else(|| anyhow::anyhow!("ally vanished in its transaction"))?;
    tx.commit().await?;
    Ok(updated)
}

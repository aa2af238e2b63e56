//! Decisions on a request: a network admin delivers it (`makeIntro`), the recipient accepts
//! or declines it, a network admin declines what waits for them, the requester withdraws.
//!
//! Each opens a transaction in the request's network, reads the request there (after the
//! lock), asks [`policy::verdict`] about that row, and changes it through
//! [`timeline::transition`]: of two competing decisions the second sees the first's result.

use entities::{
    enums::{IntroDirection, IntroStatus},
    intro_request,
};
use sea_orm::{EntityTrait, QuerySelect, sea_query::Expr};
use uuid::Uuid;

use super::{
    notify,
    policy::{self, Decision},
    timeline::{self, Step},
};
use crate::{
    domain::LongText,
    error::{InputErrors, ServiceError, ServiceResult},
    services::{
        access::{Actor, NetworkAccess},
        greenhouse,
        tx::Tx,
    },
    state::AppState,
};

/// A request to decide on: the transaction of its network, the request as it is now, and
/// the actor's rights. `NOT_FOUND` if the actor may not see it.
pub(super) struct Open {
    pub tx: Tx,
    pub request: intro_request::Model,
    pub access: NetworkAccess,
}

impl Open {
    pub async fn request(state: &AppState, actor: &Actor, id: Uuid) -> ServiceResult<Self> {
        actor.require_account()?;
        let not_found = || ServiceError::not_found("introRequestId", "introduction request");
        // A request never changes network: which lock to take can be read before taking it.
        let network_id: Uuid = intro_request::Entity::find_by_id(id)
            .select_only()
            .column(intro_request::Column::NetworkId)
            .into_tuple()
            .one(state.db.read())
            .await?
            .ok_or_else(not_found)?;
        let access = actor.access(&state.db, network_id).await?;
        let tx = Tx::begin_in_network(state, network_id).await?;
        let request = timeline::current(&tx, id)
            .await?
            .filter(|r| policy::can_see(&access, r))
            .ok_or_else(not_found)?;
        Ok(Self {
            tx,
            request,
            access,
        })
    }

    /// The rules' verdict on `decision` by `actor`, as the request is now.
    pub fn check(&self, decision: Decision, actor: &Actor) -> ServiceResult<()> {
        policy::verdict(decision, &self.access, actor.account_id(), &self.request).check()
    }
}

/// A network admin approves a request held for review: it is delivered.
#[tracing::instrument(skip_all)]
pub async fn make_intro(
    state: &AppState,
    actor: &Actor,
    id: Uuid,
    note: Option<&str>,
) -> ServiceResult<intro_request::Model> {
    let open = Open::request(state, actor, id).await?;
    open.check(Decision::MakeIntro, actor)?;
    let Open { tx, request, .. } = open;
    let note = parse_note("note", note)?;
    if request.direction == IntroDirection::TalentToCompany
        && notify::active_admins(tx.db(), request.company_id)
            .await?
            .is_empty()
    {
        return Err(policy::no_company_admin(
            "the company has no active company admin any more",
        ));
    }
    let now = tx.now();
    let step = Step {
        to: IntroStatus::Sent,
        actor: actor.account_id(),
        note,
    };
    let sent = timeline::transition(&tx, &request, step, |u| {
        u.col_expr(intro_request::Column::SentAt, Expr::value(now))
    })
    .await?;
    notify::delivered(&tx, &sent).await?;
    tx.commit().await?;
    Ok(sent)
}

/// The recipient accepts: one email introduces both parties (network admins Bcc).
#[tracing::instrument(skip_all)]
pub async fn accept_intro(
    state: &AppState,
    actor: &Actor,
    id: Uuid,
) -> ServiceResult<intro_request::Model> {
    let open = Open::request(state, actor, id).await?;
    open.check(Decision::Accept, actor)?;
    let Open { tx, request, .. } = open;
    let account_id = actor.require_account()?;
    let now = tx.now();
    let step = Step {
        to: IntroStatus::Accepted,
        actor: Some(account_id),
        note: None,
    };
    let accepted = timeline::transition(&tx, &request, step, |u| {
        u.col_expr(intro_request::Column::DecidedAt, Expr::value(now))
    })
    .await?;
    let details = notify::RequestDetails::load(&tx, &accepted).await?;
    notify::introduced(&tx, &details, &accepted, account_id).await?;
    greenhouse::push::queue(&tx, &accepted, &details, account_id).await?;
    tx.commit().await?;
    Ok(accepted)
}

/// The recipient declines a delivered request, or a network admin one that waits for them.
#[tracing::instrument(skip_all)]
pub async fn decline_intro(
    state: &AppState,
    actor: &Actor,
    id: Uuid,
    reason: Option<&str>,
) -> ServiceResult<intro_request::Model> {
    let open = Open::request(state, actor, id).await?;
    open.check(Decision::Decline, actor)?;
    let Open { tx, request, .. } = open;
    let reason = parse_note("reason", reason)?;
    let now = tx.now();
    let step = Step {
        to: IntroStatus::Declined,
        actor: actor.account_id(),
        note: reason.clone(),
    };
    let declined = timeline::transition(&tx, &request, step, |u| {
        u.col_expr(intro_request::Column::DecidedAt, Expr::value(now))
            .col_expr(
                intro_request::Column::DeclineReason,
                Expr::value(reason.clone()),
            )
    })
    .await?;
    notify::declined(&tx, &declined, reason.as_deref()).await?;
    tx.commit().await?;
    Ok(declined)
}

/// The requester takes back an open request.
#[tracing::instrument(skip_all)]
pub async fn withdraw_intro(
    state: &AppState,
    actor: &Actor,
    id: Uuid,
) -> ServiceResult<intro_request::Model> {
    let open = Open::request(state, actor, id).await?;
    open.check(Decision::Withdraw, actor)?;
    let Open { tx, request, .. } = open;
    let now = tx.now();
    let step = Step {
        to: IntroStatus::Withdrawn,
        actor: actor.account_id(),
        note: None,
    };
    let withdrawn = timeline::transition(&tx, &request, step, |u| {
        u.col_expr(intro_request::Column::DecidedAt, Expr::value(now))
    })
    .await?;
    tx.commit().await?;
    Ok(withdrawn)
}

/// An optional note or reason: trimmed, empty as none, `INVALID_INPUT` on `field` if too long.
pub(super) fn parse_note(field: &str, note: Option<&str>) -> ServiceResult<Option<String>> {
    let mut errors = InputErrors::default();
    let note = errors.check(field, note.map(LongText::parse).transpose());
    errors.finish()?;
    Ok(note
        .flatten()
        .map(LongText::into_string)
        .filter(|n| !n.is_empty()))
}

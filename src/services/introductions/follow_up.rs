//! Requests nobody decides on: the recipient is reminded once after the network's
//! `reminderAfterDays`, and the request expires after its `introExpiryDays`. Each step runs
//! in a transaction of the request's network and decides from the row read there, so with
//! several server processes each request is reminded once and expired once.

use entities::{enums::IntroStatus, intro_request, network};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, EntityTrait, IntoActiveModel, QueryFilter, QueryOrder,
    QuerySelect, Set, sea_query::Expr,
};
use uuid::Uuid;

use super::{
    notify,
    timeline::{self, Step},
};
use crate::{error::ServiceResult, services::tx::Tx, state::AppState};

/// What one pass of the follow-up job did.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct FollowUp {
    pub reminded: usize,
    pub expired: usize,
}

/// One pass over every network.
#[tracing::instrument(skip_all)]
pub async fn follow_up(state: &AppState) -> ServiceResult<FollowUp> {
    let now = state.now();
    let mut done = FollowUp::default();
    for network in network::Entity::find().all(state.db.read()).await? {
        let expire_before = now - chrono::Duration::days(network.intro_expiry_days.into());
        for id in undecided_since(state, network.id, expire_before, false).await? {
            let expired = chase(state, network.id, id, expire_before, Chase::Expire).await?;
            done.expired += usize::from(expired);
        }
        let remind_before = now - chrono::Duration::days(network.reminder_after_days.into());
        for id in undecided_since(state, network.id, remind_before, true).await? {
            let reminded = chase(state, network.id, id, remind_before, Chase::Remind).await?;
            done.reminded += usize::from(reminded);
        }
    }
    Ok(done)
}

/// Delivered requests of a network undecided since `before` (not yet reminded, if asked).
async fn undecided_since(
    state: &AppState,
    network_id: Uuid,
    before: chrono::DateTime<chrono::Utc>,
    unreminded: bool,
) -> ServiceResult<Vec<Uuid>> {
    let mut select = intro_request::Entity::find()
        .select_only()
        .column(intro_request::Column::Id)
        .filter(intro_request::Column::NetworkId.eq(network_id))
        .filter(intro_request::Column::Status.eq(IntroStatus::Sent))
        .filter(intro_request::Column::SentAt.lte(before))
        .order_by_asc(intro_request::Column::Id);
    if unreminded {
        select = select.filter(intro_request::Column::RemindedAt.is_null());
    }
    Ok(select.into_tuple().all(state.db.read()).await?)
}

/// The request as it is now, in `tx`, if it is still delivered and undecided since `before`.
async fn still_undecided(
    tx: &Tx,
    id: Uuid,
    before: chrono::DateTime<chrono::Utc>,
) -> ServiceResult<Option<intro_request::Model>> {
    Ok(timeline::current(tx, id).await?.filter(|request| {
        request.status == IntroStatus::Sent && request.sent_at.is_some_and(|at| at <= before)
    }))
}

/// What the follow-up does to a request nobody decided on.
#[derive(Clone, Copy)]
enum Chase {
    /// The system expires it (no actor), and nobody is emailed.
    Expire,
    /// Its recipients are emailed once.
    Remind,
}

/// Chases one request, if it is still undecided since `before` as it is now; whether it did.
async fn chase(
    state: &AppState,
    network_id: Uuid,
    id: Uuid,
    before: chrono::DateTime<chrono::Utc>,
    chase: Chase,
) -> ServiceResult<bool> {
    let tx = Tx::begin_in_network(state, network_id).await?;
    let Some(request) = still_undecided(&tx, id, before).await? else {
        return Ok(false);
    };
    match chase {
        Chase::Expire => {
            let now = tx.now();
            let step = Step {
                to: IntroStatus::Expired,
                actor: None,
                note: None,
            };
            timeline::transition(&tx, &request, step, |u| {
                u.col_expr(intro_request::Column::DecidedAt, Expr::value(now))
            })
            .await?;
        }
        Chase::Remind if request.reminded_at.is_some() => return Ok(false),
        Chase::Remind => {
            let mut reminded = request.into_active_model();
            reminded.reminded_at = Set(Some(tx.now()));
            let request = reminded.update(tx.db()).await?;
            notify::reminded(&tx, &request).await?;
        }
    }
    tx.commit().await?;
    Ok(true)
}

/// Runs [`follow_up`] every `interval` until shut down.
pub async fn run_follow_ups(
    state: AppState,
    interval: std::time::Duration,
    shutdown: tokio_util::sync::CancellationToken,
) {
    loop {
        match follow_up(&state).await {
            Ok(done) if done != FollowUp::default() => tracing::info!(
                reminded = done.reminded,
                expired = done.expired,
                "introduction follow-ups"
            ),
            Ok(_) => {}
            Err(error) => {
                crate::error::report(&error);
            }
        }
        tokio::select! {
            _ = shutdown.cancelled() => return,
            _ = tokio::time::sleep(interval) => {}
        }
    }
}

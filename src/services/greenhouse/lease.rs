//! A connection's background jobs (the job import, the status poll) run once across
//! processes: a process takes a due connection's lease with one conditional update, so of
//! several exactly one wins it, and a crashed holder's lease simply expires.

use chrono::{DateTime, Utc};
use entities::greenhouse_connection::{self, Column};
use sea_orm::{ColumnTrait, Condition, EntityTrait, QueryFilter, sea_query::Expr};
use uuid::Uuid;

use crate::{error::ServiceResult, state::AppState};

/// How long a process may hold a connection's job before another may take it over.
pub const LEASE: chrono::Duration = chrono::Duration::minutes(10);

/// One background job of a connection: when it is due, and who holds it.
#[derive(Clone, Copy)]
pub struct ConnectionJob {
    pub locked_by: Column,
    pub locked_until: Column,
    pub due: fn(DateTime<Utc>) -> Condition,
}

impl ConnectionJob {
    /// The connections whose job is due.
    pub async fn due_now(
        &self,
        state: &AppState,
        now: DateTime<Utc>,
    ) -> ServiceResult<Vec<greenhouse_connection::Model>> {
        Ok(greenhouse_connection::Entity::find()
            .filter((self.due)(now))
            .all(state.db.read())
            .await?)
    }

    /// Takes the lease of a due connection for `worker`; `false` if another process has it
    /// (or it is no longer due).
    pub async fn lease(
        &self,
        state: &AppState,
        connection_id: Uuid,
        worker: &str,
        now: DateTime<Utc>,
    ) -> ServiceResult<bool> {
        let taken = greenhouse_connection::Entity::update_many()
            .col_expr(self.locked_by, Expr::value(worker.to_owned()))
            .col_expr(self.locked_until, Expr::value(now + LEASE))
            .filter(Column::Id.eq(connection_id))
            .filter((self.due)(now))
            .filter(
                Condition::any()
                    .add(self.locked_until.is_null())
                    .add(self.locked_until.lt(now)),
            )
            .exec(state.db.write())
            .await?
            .rows_affected;
        Ok(taken == 1)
    }

    /// Gives the lease back, if `worker` still holds it.
    pub async fn release(
        &self,
        state: &AppState,
        connection_id: Uuid,
        worker: &str,
    ) -> ServiceResult<()> {
        greenhouse_connection::Entity::update_many()
            .col_expr(self.locked_by, Expr::value(Option::<String>::None))
            .col_expr(
                self.locked_until,
                Expr::value(Option::<DateTime<Utc>>::None),
            )
            .filter(Column::Id.eq(connection_id))
            .filter(self.locked_by.eq(worker))
            .exec(state.db.write())
            .await?;
        Ok(())
    }
}

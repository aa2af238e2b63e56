//! The delivery worker: leases due outbox rows, sends them, records the outcome.
//!
//! A row is claimed by a conditional update (`WHERE status = 'PENDING' AND lease free`),
//! so of several processes exactly one wins it; the lease outlives any send attempt
//! (SMTP times out first), and a crashed sender's lease simply expires.

use std::{sync::Arc, time::Duration};

use chrono::{DateTime, Utc};
use entities::{email_outbox, enums::OutboxStatus};
use sea_orm::{
    ColumnTrait, Condition, EntityTrait, QueryFilter, QueryOrder, QuerySelect, sea_query::Expr,
};
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

use super::{MailTransport, SendError};
pub use crate::retry::RetryPolicy;
use crate::{clock::Clock, db::Db, metrics::Metrics};

const LEASE: chrono::Duration = chrono::Duration::minutes(5);
const BATCH: u64 = 20;

pub struct MailWorker {
    pub db: Db,
    pub transport: Arc<dyn MailTransport>,
    pub clock: Arc<dyn Clock>,
    pub retry: RetryPolicy,
    pub poll_interval: Duration,
    pub wake: Arc<Notify>,
    pub metrics: Arc<Metrics>,
    /// Opens an email's sealed secret at send time.
    pub secret_key: crate::secret_key::SecretKey,
    /// Names this process in leases.
    pub worker_id: String,
}

impl MailWorker {
    pub async fn run(self, shutdown: CancellationToken) {
        loop {
            let batch_was_full = match self.deliver_due().await {
                Ok(claimed) => claimed as u64 == BATCH,
                Err(error) => {
                    tracing::warn!(
                        error = format!("{error:#}"),
                        "mail worker: looking for due emails failed"
                    );
                    false
                }
            };
            if batch_was_full {
                continue;
            }
            tokio::select! {
                _ = shutdown.cancelled() => return,
                _ = self.wake.notified() => {}
                _ = tokio::time::sleep(self.poll_interval) => {}
            }
        }
    }

    /// Sends what is due now; returns how many rows this worker claimed.
    pub async fn deliver_due(&self) -> anyhow::Result<usize> {
        let now = self.clock.now();
        let due: Vec<Uuid> = email_outbox::Entity::find()
            .select_only()
            .column(email_outbox::Column::Id)
            .filter(claimable(now))
            .order_by_asc(email_outbox::Column::NextAttemptAt)
            .limit(BATCH)
            .into_tuple()
            .all(self.db.read())
            .await?;
        let mut claimed = 0;
        for id in due {
            if let Some(email) = self.claim(id, now).await? {
                claimed += 1;
                self.deliver(email).await?;
            }
        }
        Ok(claimed)
    }

    async fn claim(
        &self,
        id: Uuid,
        now: DateTime<Utc>,
    ) -> anyhow::Result<Option<email_outbox::Model>> {
        let won = email_outbox::Entity::update_many()
            .col_expr(
                email_outbox::Column::LockedBy,
                Expr::value(self.worker_id.clone()),
            )
            .col_expr(email_outbox::Column::LockedUntil, Expr::value(now + LEASE))
            .filter(email_outbox::Column::Id.eq(id))
            .filter(claimable(now))
            .exec(self.db.write())
            .await?
            .rows_affected
            == 1;
        if !won {
            return Ok(None);
        }
        Ok(email_outbox::Entity::find_by_id(id)
            .one(self.db.write())
            .await?)
    }

    async fn deliver(&self, email: email_outbox::Model) -> anyhow::Result<()> {
        let result = match super::outbox::render_secret(&self.secret_key, email.clone()) {
            Ok(rendered) => self.transport.send(&rendered).await,
            // Sealed with another key: no attempt can ever send it.
            Err(error) => Err(SendError::Permanent(format!("{error:#}"))),
        };
        let now = self.clock.now();
        let attempts = email.attempts + 1;
        let update = email_outbox::Entity::update_many()
            .col_expr(email_outbox::Column::Attempts, Expr::value(attempts))
            .col_expr(
                email_outbox::Column::LockedBy,
                Expr::value(Option::<String>::None),
            )
            .col_expr(
                email_outbox::Column::LockedUntil,
                Expr::value(Option::<DateTime<Utc>>::None),
            )
            .filter(email_outbox::Column::Id.eq(email.id))
            .filter(email_outbox::Column::LockedBy.eq(self.worker_id.clone()));
        let update = match result {
            Ok(()) => {
                self.metrics.record_email("sent");
                tracing::info!(email_id = %email.id, kind = email.kind, "email sent");
                update
                    .col_expr(
                        email_outbox::Column::Status,
                        Expr::value(OutboxStatus::Sent),
                    )
                    .col_expr(email_outbox::Column::SentAt, Expr::value(now))
                    .col_expr(
                        email_outbox::Column::LastError,
                        Expr::value(Option::<String>::None),
                    )
            }
            Err(error) => {
                let gives_up = matches!(error, SendError::Permanent(_))
                    || attempts as u32 >= self.retry.max_attempts;
                let next = now
                    + chrono::Duration::from_std(self.retry.delay(attempts as u32))
                        .unwrap_or(LEASE);
                tracing::warn!(email_id = %email.id, kind = email.kind, attempts, gives_up, error = %error, "email not delivered");
                self.metrics
                    .record_email(if gives_up { "failed" } else { "retried" });
                let status = if gives_up {
                    OutboxStatus::Failed
                } else {
                    OutboxStatus::Pending
                };
                update
                    .col_expr(email_outbox::Column::Status, Expr::value(status))
                    .col_expr(email_outbox::Column::NextAttemptAt, Expr::value(next))
                    .col_expr(
                        email_outbox::Column::LastError,
                        Expr::value(error.to_string()),
                    )
            }
        };
        update.exec(self.db.write()).await?;
        Ok(())
    }
}

fn claimable(now: DateTime<Utc>) -> Condition {
    Condition::all()
        .add(email_outbox::Column::Status.eq(OutboxStatus::Pending))
        .add(email_outbox::Column::NextAttemptAt.lte(now))
        .add(
            Condition::any()
                .add(email_outbox::Column::LockedUntil.is_null())
                .add(email_outbox::Column::LockedUntil.lt(now)),
        )
}

//! What every service needs: the database, the clock, link and mail settings.

use std::sync::Arc;

use sea_orm::{DatabaseTransaction, DbErr};
use tokio::sync::Notify;

use crate::{clock::Clock, config::AppUrl, db::Db, metrics::Metrics, secret_key::SecretKey};

#[derive(Clone)]
pub struct AppState {
    pub db: Db,
    pub clock: Arc<dyn Clock>,
    pub app_url: AppUrl,
    pub metrics: Arc<Metrics>,
    pub secret_key: SecretKey,
    /// Wakes the mail worker after a commit that queued email, so it goes out at once.
    pub mail_wake: Arc<Notify>,
}

impl AppState {
    pub fn now(&self) -> chrono::DateTime<chrono::Utc> {
        self.clock.now()
    }

    /// Domain of `Message-ID`s: the host of `APP_URL`.
    pub fn message_domain(&self) -> String {
        self.app_url.host()
    }

    /// Call after committing a transaction that queued email.
    pub fn email_queued(&self) {
        self.mail_wake.notify_one();
    }

    /// Starts a write transaction.
    pub async fn begin(&self) -> Result<DatabaseTransaction, DbErr> {
        self.db.begin().await
    }

    /// Commits a transaction that queued email, and wakes the mail worker.
    pub async fn commit_with_email(&self, txn: DatabaseTransaction) -> Result<(), DbErr> {
        txn.commit().await?;
        self.email_queued();
        Ok(())
    }
}

impl AppState {
    /// State for a command that runs once (bootstrap, demo) without a server.
    pub async fn offline(database: &crate::config::DatabaseConfig) -> anyhow::Result<Self> {
        let db = crate::app::connect(database, None).await?;
        Ok(Self {
            db,
            clock: Arc::new(crate::clock::SystemClock),
            app_url: "http://localhost:8080"
                .parse()
                .map_err(anyhow::Error::msg)?,
            metrics: Arc::new(Metrics::default()),
            secret_key: crate::app::secret_key(database)?,
            mail_wake: Arc::new(Notify::new()),
        })
    }
}

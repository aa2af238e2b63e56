//! What every service needs: the database, the clock, link and mail settings.

use std::sync::Arc;

use sea_orm::{DatabaseTransaction, DbErr};
use tokio::sync::Notify;

use uuid::Uuid;

use crate::{
    clock::Clock, config::AppUrl, db::Db, live::Live, metrics::Metrics, secret_key::SecretKey,
};

#[derive(Clone)]
pub struct AppState {
    pub db: Db,
    pub clock: Arc<dyn Clock>,
    pub app_url: AppUrl,
    pub metrics: Arc<Metrics>,
    pub secret_key: SecretKey,
    /// Wakes the mail worker after a commit that queued email, so it goes out at once.
    pub mail_wake: Arc<Notify>,
    /// Live updates: the event hub, and the signals of the transaction being committed.
    pub live: Arc<Live>,
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

    /// Starts a write transaction that changes introduction requests of one network: it
    /// takes the network's event-log lock first (see [`crate::live::log::lock_network`]).
    pub async fn begin_in_network(&self, network_id: Uuid) -> Result<DatabaseTransaction, DbErr> {
        let txn = self.db.begin().await?;
        crate::live::log::lock_network(&txn, network_id).await?;
        Ok(txn)
    }

    /// Commits, then releases what the transaction queued: wakes the mail worker and sends
    /// the in-process live signals.
    pub async fn commit(&self, txn: DatabaseTransaction) -> Result<(), DbErr> {
        txn.commit().await?;
        self.email_queued();
        self.live.committed();
        Ok(())
    }
}

impl AppState {
    /// State for a command that runs once (bootstrap, demo) without a server.
    pub async fn offline(database: &crate::config::DatabaseConfig) -> anyhow::Result<Self> {
        let db = crate::app::connect(database, None).await?;
        // Nobody subscribes to a one-off command: its hub is never run.
        let hub = crate::live::Hub::new(db.clone(), 1);
        Ok(Self {
            live: Arc::new(Live::new(hub)),
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

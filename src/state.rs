//! What every service needs: the database, the clock, link and mail settings, the live hub.

use std::sync::Arc;

use tokio::sync::Notify;

use crate::{
    clock::Clock,
    config::{AppUrl, GreenhouseConfig},
    db::Db,
    greenhouse::{Harvest, HarvestClient},
    live::Hub,
    metrics::Metrics,
    secret_key::SecretKey,
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
    /// Live updates: this process's event hub.
    pub hub: Arc<Hub>,
    /// Greenhouse Harvest v3.
    pub greenhouse: Arc<dyn Harvest>,
    /// `GREENHOUSE_SYNC_INTERVAL`: when a connection's jobs are imported again.
    pub greenhouse_sync_interval: std::time::Duration,
    /// Wakes the Greenhouse push worker after a commit that queued a push.
    pub greenhouse_wake: Arc<Notify>,
    /// Wakes the Greenhouse status poller (a webhook made a company's poll due).
    pub greenhouse_poll_wake: Arc<Notify>,
    /// How many failed sign-ins are allowed, per account and per client address.
    pub sign_in_limits: crate::services::throttle::SignInLimits,
    /// How many invitations one address may receive in a window.
    pub invitation_limits: crate::services::throttle::InvitationLimits,
    /// Where Greenhouse's webhooks reach this server (`…/webhooks/greenhouse/{companyId}`).
    pub greenhouse_webhook_base: crate::config::AppUrl,
}

impl AppState {
    pub fn now(&self) -> chrono::DateTime<chrono::Utc> {
        self.clock.now()
    }

    /// Domain of `Message-ID`s: the host of `APP_URL`.
    pub fn message_domain(&self) -> String {
        self.app_url.host()
    }

    /// State for a command that runs once (bootstrap, demo) without a server.
    pub async fn offline(database: &crate::config::DatabaseConfig) -> anyhow::Result<Self> {
        let db = crate::db::connect(database, None).await?;
        Ok(Self {
            // Nobody subscribes to a one-off command: its hub is never run.
            hub: Hub::new(db.clone(), 1),
            db,
            clock: Arc::new(crate::clock::SystemClock),
            app_url: "http://localhost:8080"
                .parse()
                .map_err(anyhow::Error::msg)?,
            metrics: Arc::new(Metrics::default()),
            secret_key: SecretKey::for_database(database)?,
            mail_wake: Arc::new(Notify::new()),
            // One-off commands never call Greenhouse (the demo stays offline).
            greenhouse: Arc::new(HarvestClient::new(GreenhouseConfig::default().client())),
            greenhouse_sync_interval: GreenhouseConfig::default().greenhouse_sync_interval,
            greenhouse_wake: Arc::new(Notify::new()),
            greenhouse_poll_wake: Arc::new(Notify::new()),
            sign_in_limits: crate::config::LimitsConfig::default().sign_in(),
            invitation_limits: crate::config::LimitsConfig::default().invitations(),
            greenhouse_webhook_base: "http://localhost:8080"
                .parse()
                .map_err(anyhow::Error::msg)?,
        })
    }
}

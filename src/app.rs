//! The application: configuration in, a running server (HTTP + background workers) out.

use std::{net::SocketAddr, sync::Arc};

use anyhow::Context as _;
use axum::{Router, serve::ListenerExt};
use tokio::{net::TcpListener, sync::Notify};
use tokio_util::sync::CancellationToken;

use crate::{
    clock::{Clock, SystemClock},
    config::{LiveConfig, ServerConfig},
    graphql::build_schema,
    greenhouse::HarvestClient,
    http::{HttpState, HttpStateData, router},
    live::Hub,
    mail::{
        FileTransport, MailTransport, SmtpTransport,
        worker::{MailWorker, RetryPolicy},
    },
    metrics::Metrics,
    secret_key::SecretKey,
    state::AppState,
};

pub struct Application {
    listener: TcpListener,
    router: Router,
    state: AppState,
    mail_worker: MailWorker,
    follow_up_interval: std::time::Duration,
    greenhouse_retry: crate::retry::RetryPolicy,
    greenhouse_poll_interval: std::time::Duration,
    live: LiveConfig,
    shutdown: CancellationToken,
}

impl Application {
    pub async fn build(config: ServerConfig) -> anyhow::Result<Self> {
        Self::build_with_clock(config, Arc::new(SystemClock)).await
    }

    /// Tests pass a clock they can move.
    pub async fn build_with_clock(
        config: ServerConfig,
        clock: Arc<dyn Clock>,
    ) -> anyhow::Result<Self> {
        let metrics = Arc::new(Metrics::default());
        let secret_key = SecretKey::for_database(&config.database)?;
        let db = crate::db::connect(&config.database, Some(metrics.clone())).await?;
        let state = AppState {
            hub: Hub::new(db.clone(), 1024),
            db: db.clone(),
            clock: clock.clone(),
            app_url: config.app_url.clone(),
            metrics: metrics.clone(),
            secret_key,
            mail_wake: Arc::new(Notify::new()),
            greenhouse: Arc::new(HarvestClient::new(config.greenhouse.client())),
            greenhouse_sync_interval: config.greenhouse.greenhouse_sync_interval,
            greenhouse_wake: Arc::new(Notify::new()),
            greenhouse_poll_wake: Arc::new(Notify::new()),
            sign_in_limits: config.limits.sign_in(),
            invitation_limits: config.limits.invitations(),
            greenhouse_webhook_base: config
                .greenhouse
                .greenhouse_webhook_base_url
                .clone()
                .unwrap_or_else(|| config.app_url.clone()),
        };

        let mail = &config.mail;
        let transport: Arc<dyn MailTransport> = match &mail.smtp_url {
            Some(url) => {
                Arc::new(SmtpTransport::new(url, mail.mail_from.clone()).context("SMTP_URL")?)
            }
            None => Arc::new(FileTransport::new(
                mail.mail_dir.clone(),
                mail.mail_from.clone(),
            )),
        };
        let listener = TcpListener::bind(config.bind)
            .await
            .with_context(|| format!("binding {}", config.bind))?;
        let mail_worker = MailWorker {
            db,
            transport,
            clock,
            retry: RetryPolicy {
                base: mail.mail_retry_base,
                max: mail.mail_retry_max,
                max_attempts: mail.mail_max_attempts,
            },
            poll_interval: mail.mail_poll_interval,
            wake: state.mail_wake.clone(),
            metrics,
            secret_key: state.secret_key.clone(),
            worker_id: format!("{}-{}", std::process::id(), uuid::Uuid::now_v7().simple()),
        };
        let schema = build_schema(Some(state.clone()), &config.limits);
        let shutdown = CancellationToken::new();
        let router = router(HttpState::new(HttpStateData {
            state: state.clone(),
            schema,
            limits: Arc::new(config.limits.clone()),
            live: Arc::new(config.live.clone()),
            cors_origins: Arc::new(config.cors_origins.clone()),
            server_timing: config.server_timing,
            shutdown: shutdown.clone(),
            shared: Default::default(),
            documents: Default::default(),
        }));
        Ok(Self {
            listener,
            router,
            state,
            mail_worker,
            follow_up_interval: config.intro_follow_up_interval,
            greenhouse_retry: config.greenhouse.push_retry(),
            greenhouse_poll_interval: config.greenhouse.greenhouse_poll_interval,
            live: config.live.clone(),
            shutdown,
        })
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.listener
            .local_addr()
            .expect("a bound listener has an address")
    }

    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// Cancelling it stops the server gracefully (as SIGTERM does).
    pub fn shutdown_token(&self) -> CancellationToken {
        self.shutdown.clone()
    }

    /// Serves until the shutdown token is cancelled or the process gets SIGTERM / Ctrl-C;
    /// in-flight requests finish, the mail worker stops between emails.
    pub async fn run_until_stopped(self) -> anyhow::Result<()> {
        let shutdown = self.shutdown.clone();
        let signals = shutdown.clone();
        tokio::spawn(async move {
            wait_for_signal().await;
            tracing::info!("shutting down");
            signals.cancel();
        });
        let worker = tokio::spawn(self.mail_worker.run(shutdown.clone()));
        let pushes = tokio::spawn(crate::services::greenhouse::push::run_pushes(
            self.state.clone(),
            self.greenhouse_retry,
            shutdown.clone(),
        ));
        let job_syncs = tokio::spawn(crate::services::greenhouse::run_job_syncs(
            self.state.clone(),
            self.state.greenhouse_sync_interval,
            shutdown.clone(),
        ));
        let status_polls = tokio::spawn(crate::services::greenhouse::statuses::run_polls(
            self.state.clone(),
            self.greenhouse_poll_interval,
            shutdown.clone(),
        ));
        let follow_ups = tokio::spawn(crate::services::introductions::run_follow_ups(
            self.state.clone(),
            self.follow_up_interval,
            shutdown.clone(),
        ));
        let hub = tokio::spawn(
            self.state
                .hub
                .clone()
                .run(self.live.live_sweep_interval, shutdown.clone()),
        );
        let notifications = self.state.db.postgres_pool().map(|pool| {
            tokio::spawn(crate::live::listener::run(
                pool,
                self.state.hub.clone(),
                shutdown.clone(),
            ))
        });
        let pruning = tokio::spawn(prune_event_log(
            self.state.clone(),
            self.live.event_retention,
            shutdown.clone(),
        ));
        // Small GraphQL responses and WebSocket messages go out at once, not after a
        // delayed ACK (Nagle's algorithm cost ~40 ms per subscription message).
        let listener = self.listener.tap_io(|tcp| {
            if let Err(error) = tcp.set_nodelay(true) {
                tracing::debug!(%error, "TCP_NODELAY not set");
            }
        });
        // With each connection's peer address: what failed sign-ins count against.
        let server = axum::serve(
            listener,
            self.router
                .into_make_service_with_connect_info::<std::net::SocketAddr>(),
        )
        .with_graceful_shutdown(shutdown.clone().cancelled_owned());
        let served = server.await;
        shutdown.cancel();
        let _ = worker.await;
        let _ = follow_ups.await;
        let _ = job_syncs.await;
        let _ = status_polls.await;
        let _ = pushes.await;
        let _ = hub.await;
        if let Some(notifications) = notifications {
            let _ = notifications.await;
        }
        let _ = pruning.await;
        served.context("HTTP server")
    }
}

/// Deletes events older than the retention period, hourly.
async fn prune_event_log(
    state: AppState,
    retention: std::time::Duration,
    shutdown: CancellationToken,
) {
    let mut hourly = tokio::time::interval(std::time::Duration::from_secs(3600));
    loop {
        tokio::select! {
            _ = shutdown.cancelled() => return,
            _ = hourly.tick() => {}
        }
        let Ok(retention) = chrono::Duration::from_std(retention) else {
            return;
        };
        match crate::live::log::prune(state.db.write(), state.now() - retention).await {
            Ok(0) => {}
            Ok(pruned) => tracing::info!(pruned, "event log pruned"),
            Err(error) => tracing::warn!(error = %error, "pruning the event log failed"),
        }
    }
}

async fn wait_for_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
            .expect("installing the SIGTERM handler");
        tokio::select! {
            _ = ctrl_c => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    let _ = ctrl_c.await;
}

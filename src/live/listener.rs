//! PostgreSQL: hears the signals of every process's commits (`LISTEN`), and hands them to
//! this process's hub.

use std::{sync::Arc, time::Duration};

use sea_orm::sqlx::postgres::{PgListener, PgPool};
use tokio_util::sync::CancellationToken;

use super::{CHANNEL, Hub, Signal};

pub async fn run(pool: PgPool, hub: Arc<Hub>, shutdown: CancellationToken) {
    loop {
        let listening = async {
            let mut listener = PgListener::connect_with(&pool).await?;
            listener.listen(CHANNEL).await?;
            // Anything committed while we were not listening is read now.
            hub.resync();
            loop {
                match listener.try_recv().await? {
                    Some(notification) => match Signal::decode(notification.payload()) {
                        Some(signal) => hub.receive(signal),
                        None => tracing::warn!(payload = notification.payload(), "unknown signal"),
                    },
                    // The connection was lost: listening again reconnects; whatever was
                    // signalled meanwhile is read from the logs.
                    None => {
                        listener.listen(CHANNEL).await?;
                        hub.resync();
                    }
                }
            }
            #[allow(unreachable_code)]
            Ok::<(), sea_orm::sqlx::Error>(())
        };
        tokio::select! {
            _ = shutdown.cancelled() => return,
            result = listening => {
                if let Err(error) = result {
                    tracing::warn!(error = %error, "listening for live updates failed; retrying");
                }
            }
        }
        tokio::select! {
            _ = shutdown.cancelled() => return,
            _ = tokio::time::sleep(Duration::from_secs(1)) => {}
        }
    }
}

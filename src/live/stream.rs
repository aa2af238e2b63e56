//! A subscriber's events of one network: optionally the ones after a cursor, read from the
//! log, then the live ones, in order, without gap or duplicate.

use std::sync::Arc;

use futures::Stream;
use tokio::sync::broadcast::error::RecvError;
use uuid::Uuid;

use super::{Hub, LiveEvent, hub::READ_BATCH, log};
use crate::db::Db;

/// Every event of `network_id` after `after` (or from now on), in log order.
pub fn events(
    hub: Arc<Hub>,
    db: Db,
    network_id: Uuid,
    after: Option<i64>,
) -> impl Stream<Item = Result<Arc<LiveEvent>, sea_orm::DbErr>> + Send + 'static {
    async_stream::try_stream! {
        // Listen first, then read the log: whatever commits meanwhile arrives live too,
        // and sequence numbers drop the copies.
        let (mut live, live_from) = hub.subscribe(network_id).await?;
        let mut last = after.unwrap_or(live_from);
        let mut behind = after.is_some();
        loop {
            if behind {
                loop {
                    let batch = log::after(db.read(), network_id, last, READ_BATCH).await?;
                    let read = batch.len();
                    for event in batch {
                        last = event.entry.seq;
                        yield Arc::new(event);
                    }
                    if (read as u64) < READ_BATCH {
                        break;
                    }
                }
                behind = false;
            }
            match live.recv().await {
                Ok(event) => {
                    if event.entry.seq > last {
                        last = event.entry.seq;
                        yield event;
                    }
                }
                // Fell behind the broadcast: the log still has everything.
                Err(RecvError::Lagged(_)) => behind = true,
                Err(RecvError::Closed) => break,
            }
        }
    }
}

//! One per process: follows the event log of every network someone subscribes to, and
//! broadcasts each new event once to that network's subscribers.

use std::{
    collections::{HashMap, HashSet},
    sync::{Arc, Mutex, MutexGuard},
    time::Duration,
};

use entities::{event_log, intro_request};
use tokio::sync::{broadcast, mpsc};
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

use super::{AccessChange, Signal, log};
use crate::db::Db;

/// An event as subscribers receive it: the log entry and the request as it was read.
#[derive(Debug, Clone)]
pub struct LiveEvent {
    pub entry: event_log::Model,
    pub request: intro_request::Model,
}

/// Events read from the log per statement.
pub const READ_BATCH: u64 = 500;

/// A network's live events, and how far this process has read its log.
struct Feed {
    sender: broadcast::Sender<Arc<LiveEvent>>,
    last_seq: i64,
}

enum Wake {
    Network(Uuid),
    All,
}

pub struct Hub {
    db: Db,
    feeds: Mutex<HashMap<Uuid, Feed>>,
    wake: mpsc::UnboundedSender<Wake>,
    woken: Mutex<Option<mpsc::UnboundedReceiver<Wake>>>,
    access: broadcast::Sender<AccessChange>,
    /// Events a slow subscriber may fall behind by before it re-reads the log.
    capacity: usize,
}

impl Hub {
    pub fn new(db: Db, capacity: usize) -> Arc<Self> {
        let (wake, woken) = mpsc::unbounded_channel();
        Arc::new(Self {
            db,
            feeds: Mutex::new(HashMap::new()),
            wake,
            woken: Mutex::new(Some(woken)),
            access: broadcast::channel(1024).0,
            capacity,
        })
    }

    /// A signal from a committed transaction (this process's or, through the listener,
    /// another's).
    pub fn receive(&self, signal: Signal) {
        match signal {
            Signal::Events(network) => {
                let _ = self.wake.send(Wake::Network(network));
            }
            Signal::Access(change) => {
                let _ = self.access.send(change);
            }
        }
    }

    /// Signals may have been lost: read every followed log, re-check everyone's access.
    pub fn resync(&self) {
        let _ = self.wake.send(Wake::All);
        let _ = self.access.send(AccessChange::Everyone);
    }

    pub fn access_changes(&self) -> broadcast::Receiver<AccessChange> {
        self.access.subscribe()
    }

    /// Live events of a network, and the last event already read when they start: every
    /// later event arrives on the receiver.
    pub async fn subscribe(
        &self,
        network_id: Uuid,
    ) -> Result<(broadcast::Receiver<Arc<LiveEvent>>, i64), sea_orm::DbErr> {
        if let Some(feed) = self.feeds().get(&network_id) {
            return Ok((feed.sender.subscribe(), feed.last_seq));
        }
        let last_seq = log::last_seq(self.db.read(), network_id).await?;
        let mut feeds = self.feeds();
        let feed = feeds.entry(network_id).or_insert_with(|| Feed {
            sender: broadcast::channel(self.capacity).0,
            last_seq,
        });
        Ok((feed.sender.subscribe(), feed.last_seq))
    }

    /// Subscriptions following live events in this process (`/metrics`).
    pub fn subscriber_count(&self) -> usize {
        self.feeds()
            .values()
            .map(|f| f.sender.receiver_count())
            .sum()
    }

    /// Reads the logs as signals arrive, and every `sweep` in case one was missed.
    pub async fn run(self: Arc<Self>, sweep: Duration, shutdown: CancellationToken) {
        let Some(mut woken) = self.woken.lock().unwrap_or_else(|e| e.into_inner()).take() else {
            return;
        };
        let mut sweeps = tokio::time::interval(sweep);
        sweeps.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            let first = tokio::select! {
                _ = shutdown.cancelled() => return,
                _ = sweeps.tick() => Wake::All,
                wake = woken.recv() => match wake {
                    Some(wake) => wake,
                    None => return,
                },
            };
            // Many signals for one network while we read are one read.
            let mut networks = HashSet::new();
            let mut all = false;
            let mut next = Some(first);
            while let Some(wake) = next {
                match wake {
                    Wake::Network(id) => {
                        networks.insert(id);
                    }
                    Wake::All => all = true,
                }
                next = woken.try_recv().ok();
            }
            if all {
                networks = self.followed();
            }
            for network in networks {
                if let Err(error) = self.catch_up(network).await {
                    // The next signal or sweep reads again from where this one stopped.
                    tracing::warn!(%network, error = %error, "reading the event log failed");
                }
            }
        }
    }

    fn followed(&self) -> HashSet<Uuid> {
        let mut feeds = self.feeds();
        feeds.retain(|_, feed| feed.sender.receiver_count() > 0);
        feeds.keys().copied().collect()
    }

    /// Broadcasts the network's events this process has not read yet.
    async fn catch_up(&self, network: Uuid) -> Result<(), sea_orm::DbErr> {
        loop {
            let Some(last_seq) = self.feeds().get(&network).map(|f| f.last_seq) else {
                return Ok(());
            };
            let events = log::after(self.db.read(), network, last_seq, READ_BATCH).await?;
            let read = events.len();
            let mut feeds = self.feeds();
            let Some(feed) = feeds.get_mut(&network) else {
                return Ok(());
            };
            for event in events {
                if event.entry.seq > feed.last_seq {
                    feed.last_seq = event.entry.seq;
                    // No receiver is fine: nobody is listening right now.
                    let _ = feed.sender.send(Arc::new(event));
                }
            }
            if feed.sender.receiver_count() == 0 {
                feeds.remove(&network);
                return Ok(());
            }
            if (read as u64) < READ_BATCH {
                return Ok(());
            }
        }
    }

    fn feeds(&self) -> MutexGuard<'_, HashMap<Uuid, Feed>> {
        self.feeds.lock().unwrap_or_else(|e| e.into_inner())
    }
}

//! Live updates. Every change of an introduction request appends a row to the event log
//! ([`log`]) in the change's own transaction, and signals the network's id. A [`Hub`] per
//! process reads the log after each signal and fans the events out to its subscribers.
//! Signals travel through PostgreSQL `LISTEN`/`NOTIFY` (so every process hears every
//! commit, and a rolled-back transaction signals nothing), or in-process on SQLite. The log
//! is the source of truth: a signal only says where to look, and a missed one is made up
//! by the hub's periodic sweep.

pub mod hub;
pub mod listener;
pub mod log;
pub mod stream;

use std::sync::{Arc, Mutex};

use sea_orm::{ConnectionTrait, DbBackend, DbErr, Statement};
use uuid::Uuid;

pub use hub::{Hub, LiveEvent};

/// The `NOTIFY` channel every process listens on.
pub const CHANNEL: &str = "introgate_live";

/// Whose rights may have shrunk: their subscriptions are re-authorised.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AccessChange {
    Account(Uuid),
    ApiToken(Uuid),
    /// Signals may have been missed (the listener reconnected): everyone re-checks.
    Everyone,
}

/// What a committed transaction tells the hubs: ids only.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Signal {
    /// New events in this network's log.
    Events(Uuid),
    Access(AccessChange),
}

impl Signal {
    pub fn encode(self) -> String {
        match self {
            Self::Events(network) => format!("events:{network}"),
            Self::Access(AccessChange::Account(id)) => format!("account:{id}"),
            Self::Access(AccessChange::ApiToken(id)) => format!("token:{id}"),
            Self::Access(AccessChange::Everyone) => "everyone".into(),
        }
    }

    pub fn decode(payload: &str) -> Option<Self> {
        if payload == "everyone" {
            return Some(Self::Access(AccessChange::Everyone));
        }
        let (kind, id) = payload.split_once(':')?;
        let id = Uuid::parse_str(id).ok()?;
        match kind {
            "events" => Some(Self::Events(id)),
            "account" => Some(Self::Access(AccessChange::Account(id))),
            "token" => Some(Self::Access(AccessChange::ApiToken(id))),
            _ => None,
        }
    }
}

/// The process's side of live updates, held by the app state.
pub struct Live {
    pub hub: Arc<Hub>,
    /// SQLite: signals of the open write transaction, released when it commits. (SQLite has
    /// one writer, so whatever is pending belongs to the transaction that commits next.)
    pending: Mutex<Vec<Signal>>,
}

impl Live {
    pub fn new(hub: Arc<Hub>) -> Self {
        Self {
            hub,
            pending: Mutex::new(Vec::new()),
        }
    }

    /// Sends `signal` when the transaction `db` commits, and never if it rolls back.
    pub async fn signal(&self, db: &impl ConnectionTrait, signal: Signal) -> Result<(), DbErr> {
        match db.get_database_backend() {
            DbBackend::Postgres => {
                db.execute_raw(Statement::from_sql_and_values(
                    DbBackend::Postgres,
                    "SELECT pg_notify($1, $2)",
                    [CHANNEL.into(), signal.encode().into()],
                ))
                .await?;
            }
            _ => self.pending().push(signal),
        }
        Ok(())
    }

    /// Call after every commit: releases the in-process signals (SQLite).
    pub fn committed(&self) {
        let signals = std::mem::take(&mut *self.pending());
        for signal in signals {
            self.hub.receive(signal);
        }
    }

    fn pending(&self) -> std::sync::MutexGuard<'_, Vec<Signal>> {
        self.pending.lock().unwrap_or_else(|e| e.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signals_round_trip() {
        let id = Uuid::now_v7();
        for signal in [
            Signal::Events(id),
            Signal::Access(AccessChange::Account(id)),
            Signal::Access(AccessChange::ApiToken(id)),
            Signal::Access(AccessChange::Everyone),
        ] {
            assert_eq!(Signal::decode(&signal.encode()), Some(signal));
        }
        assert_eq!(Signal::decode("events:nope"), None);
        assert_eq!(Signal::decode("other:".to_string().as_str()), None);
    }
}

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

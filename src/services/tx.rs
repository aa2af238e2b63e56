//! A write transaction that owns its side effects.
//!
//! Whatever a change causes besides its own rows goes through the [`Tx`] of that change:
//! emails and Greenhouse pushes become job rows of the same transaction, live signals are
//! `NOTIFY`s of the same transaction (PostgreSQL) or are held by the `Tx` (SQLite). Only
//! [`Tx::commit`] releases what is held in this process (waking the mail worker and the
//! push worker, SQLite's signals to the hub); dropping a `Tx` rolls the transaction back and
//! releases nothing.

use std::sync::{Mutex, MutexGuard};

use entities::greenhouse_push;
use sea_orm::{ConnectionTrait, DatabaseTransaction, DbBackend, DbErr, EntityTrait, Statement};
use uuid::Uuid;

use crate::{
    error::ServiceResult,
    live::{self, Signal},
    mail::{Email, outbox},
    state::AppState,
};

pub struct Tx {
    txn: DatabaseTransaction,
    state: AppState,
    /// The network whose writers this transaction excludes (see [`live::log::lock_network`]).
    network: Option<Uuid>,
    held: Mutex<Held>,
}

/// What waits for the commit.
#[derive(Debug, Default)]
struct Held {
    emails: bool,
    signals: Vec<Signal>,
    greenhouse_pushes: bool,
}

impl Tx {
    /// A write transaction that touches no introduction request.
    pub async fn begin(state: &AppState) -> Result<Self, DbErr> {
        Ok(Self {
            txn: state.db.begin().await?,
            state: state.clone(),
            network: None,
            held: Mutex::default(),
        })
    }

    /// A write transaction in one network: it takes the network's lock before anything
    /// else, so what it reads afterwards is what the network's other writers committed, and
    /// its events become visible in order.
    pub async fn begin_in_network(state: &AppState, network_id: Uuid) -> Result<Self, DbErr> {
        let mut tx = Self::begin(state).await?;
        live::log::lock_network(&tx.txn, network_id).await?;
        tx.network = Some(network_id);
        Ok(tx)
    }

    /// For reads and writes inside the transaction.
    pub fn db(&self) -> &DatabaseTransaction {
        &self.txn
    }

    pub fn state(&self) -> &AppState {
        &self.state
    }

    pub fn now(&self) -> chrono::DateTime<chrono::Utc> {
        self.state.now()
    }

    /// `Internal` unless the transaction holds this network's lock: a request's events must
    /// be written under it (their order and counts depend on it).
    pub fn require_network(&self, network_id: Uuid) -> ServiceResult<()> {
        if self.network == Some(network_id) {
            Ok(())
        } else {
            Err(anyhow::anyhow!("network {network_id} written without its lock").into())
        }
    }

    /// Queues an email (an outbox row of this transaction); an email to nobody is dropped.
    pub async fn queue_email(&self, email: Email) -> Result<(), DbErr> {
        if email.to.is_empty() {
            return Ok(());
        }
        let now = self.now();
        outbox::enqueue(&self.txn, email, None, &self.state.message_domain(), now).await?;
        self.held().emails = true;
        Ok(())
    }

    /// Like [`Self::queue_email`], for an email carrying a live secret: its bodies hold
    /// [`crate::mail::SECRET_MARK`] where `secret` goes, and the secret is stored sealed.
    pub async fn queue_email_with_secret(&self, email: Email, secret: &str) -> Result<(), DbErr> {
        if email.to.is_empty() {
            return Ok(());
        }
        let now = self.now();
        let secret = outbox::Secret {
            value: secret,
            key: &self.state.secret_key,
        };
        outbox::enqueue(
            &self.txn,
            email,
            Some(secret),
            &self.state.message_domain(),
            now,
        )
        .await?;
        self.held().emails = true;
        Ok(())
    }

    /// Queues the push of an introduction into Greenhouse (a job row of this transaction).
    pub async fn queue_greenhouse_push(
        &self,
        push: greenhouse_push::ActiveModel,
    ) -> Result<(), DbErr> {
        greenhouse_push::Entity::insert(push)
            .exec(&self.txn)
            .await?;
        self.held().greenhouse_pushes = true;
        Ok(())
    }

    /// Changes queued pushes (e.g. due again because the candidate changed); the push
    /// worker is woken on commit if any changed.
    pub async fn requeue_greenhouse_pushes(
        &self,
        update: sea_orm::UpdateMany<greenhouse_push::Entity>,
    ) -> Result<u64, DbErr> {
        let changed = update.exec(&self.txn).await?.rows_affected;
        if changed > 0 {
            self.held().greenhouse_pushes = true;
        }
        Ok(changed)
    }

    /// Tells the hubs of every process, once this transaction commits.
    pub async fn signal(&self, signal: Signal) -> Result<(), DbErr> {
        match self.txn.get_database_backend() {
            // PostgreSQL delivers a transaction's notifications when it commits, and never
            // if it rolls back.
            DbBackend::Postgres => {
                self.txn
                    .execute_raw(Statement::from_sql_and_values(
                        DbBackend::Postgres,
                        "SELECT pg_notify($1, $2)",
                        [live::CHANNEL.into(), signal.encode().into()],
                    ))
                    .await?;
            }
            _ => self.held().signals.push(signal),
        }
        Ok(())
    }

    /// Commits, then releases what the transaction held.
    pub async fn commit(self) -> Result<(), DbErr> {
        let Self {
            txn, state, held, ..
        } = self;
        txn.commit().await?;
        let held = held.into_inner().unwrap_or_else(|e| e.into_inner());
        if held.emails {
            state.mail_wake.notify_one();
        }
        if held.greenhouse_pushes {
            state.greenhouse_wake.notify_one();
        }
        for signal in held.signals {
            state.hub.receive(signal);
        }
        Ok(())
    }

    fn held(&self) -> MutexGuard<'_, Held> {
        self.held.lock().unwrap_or_else(|e| e.into_inner())
    }
}

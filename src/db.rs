//! Database connections. SQLite gets one writer connection and a pool of readers (WAL),
//! so concurrent writes queue in-process instead of failing with `database is locked`;
//! PostgreSQL uses one pool for both.

use std::{sync::Arc, time::Duration};

use migration::{Migrator, MigratorTrait};
use sea_orm::{
    ConnectOptions, Database, DatabaseConnection, DatabaseTransaction, DbErr,
    SqliteTransactionMode, TransactionOptions, TransactionTrait,
};

use anyhow::Context as _;

use crate::{
    config::{DatabaseConfig, DatabaseUrl},
    metrics::Metrics,
};

/// Connects and migrates: what every command that touches the database does first.
pub async fn connect(
    database: &DatabaseConfig,
    metrics: Option<Arc<Metrics>>,
) -> anyhow::Result<Db> {
    let db = Db::connect(&database.database_url, metrics)
        .await
        .context("connecting to the database")?;
    db.migrate().await.context("migrating the database")?;
    crate::services::recommendations::index_unindexed(&db)
        .await
        .context("indexing rows for recommendations")?;
    Ok(db)
}

#[derive(Clone, Debug)]
pub struct Db {
    read: DatabaseConnection,
    write: DatabaseConnection,
}

impl Db {
    pub async fn connect(url: &DatabaseUrl, metrics: Option<Arc<Metrics>>) -> Result<Self, DbErr> {
        let db = match url {
            DatabaseUrl::Sqlite { url, file } => {
                if let Some(parent) = file
                    .as_ref()
                    .and_then(|f| f.parent())
                    .filter(|p| !p.as_os_str().is_empty())
                {
                    std::fs::create_dir_all(parent).map_err(|e| {
                        DbErr::Custom(format!("cannot create {}: {e}", parent.display()))
                    })?;
                }
                // An in-memory database exists once per connection: it can only have one.
                let readers = if file.is_some() { 8 } else { 1 };
                let write = sqlite(url, 1, metrics.clone()).await?;
                let read = if file.is_some() {
                    sqlite(url, readers, metrics).await?
                } else {
                    write.clone()
                };
                Self { read, write }
            }
            DatabaseUrl::Postgres(url) => {
                let mut options = ConnectOptions::new(url.clone());
                options
                    .max_connections(20)
                    .min_connections(1)
                    .acquire_timeout(Duration::from_secs(10))
                    .sqlx_logging(false)
                    // JIT compiles any plan whose estimate is high, which short index
                    // look-ups over a large table are: 20 ms of work became 100 ms.
                    // Statements are prepared once per connection; PostgreSQL kept
                    // re-planning most of ours for their parameters, which our key and id
                    // filters never needed. And what we read is a hot working set, where
                    // a random page costs about what a sequential one does (the default 4
                    // assumes spinning disks): with 1.1 a page's batched look-ups use
                    // their indexes instead of hashing whole tables.
                    .map_sqlx_postgres_opts(|o| {
                        o.options([
                            ("jit", "off"),
                            ("plan_cache_mode", "force_generic_plan"),
                            ("random_page_cost", "1.1"),
                        ])
                    });
                let mut pool = Database::connect(options).await?;
                attach_metrics(&mut pool, metrics);
                Self {
                    read: pool.clone(),
                    write: pool,
                }
            }
        };
        Ok(db)
    }

    /// For queries that change nothing.
    pub fn read(&self) -> &DatabaseConnection {
        &self.read
    }

    /// For transactions and single writes.
    pub fn write(&self) -> &DatabaseConnection {
        &self.write
    }

    /// A write transaction. On SQLite it takes the write lock at once (`BEGIN IMMEDIATE`):
    /// a transaction that reads first and upgrades later fails instead of waiting when
    /// another process writes.
    pub async fn begin(&self) -> Result<DatabaseTransaction, DbErr> {
        let options = TransactionOptions {
            sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
            ..Default::default()
        };
        self.write.begin_with_options(options).await
    }

    /// The PostgreSQL pool, for `LISTEN`; `None` on SQLite.
    pub fn postgres_pool(&self) -> Option<sea_orm::sqlx::PgPool> {
        match self.write.get_database_backend() {
            sea_orm::DbBackend::Postgres => Some(self.write.get_postgres_connection_pool().clone()),
            _ => None,
        }
    }

    pub async fn migrate(&self) -> Result<(), DbErr> {
        Migrator::up(&self.write, None).await
    }

    /// Ready = reachable and fully migrated.
    pub async fn is_ready(&self) -> bool {
        matches!(Migrator::get_pending_migrations(&self.read).await, Ok(pending) if pending.is_empty())
    }
}

async fn sqlite(
    url: &str,
    connections: u32,
    metrics: Option<Arc<Metrics>>,
) -> Result<DatabaseConnection, DbErr> {
    let mut options = ConnectOptions::new(url.to_owned());
    options
        .max_connections(connections)
        .min_connections(1)
        .acquire_timeout(Duration::from_secs(30))
        .sqlx_logging(false)
        .map_sqlx_sqlite_opts(|o| {
            o.journal_mode(sea_orm::sqlx::sqlite::SqliteJournalMode::Wal)
                .synchronous(sea_orm::sqlx::sqlite::SqliteSynchronous::Normal)
                .busy_timeout(Duration::from_secs(10))
                .foreign_keys(true)
        });
    let mut db = Database::connect(options).await?;
    attach_metrics(&mut db, metrics);
    Ok(db)
}

fn attach_metrics(db: &mut DatabaseConnection, metrics: Option<Arc<Metrics>>) {
    if let Some(metrics) = metrics {
        db.set_metric_callback(move |info| {
            tracing::trace!(target: "introgate::sql", statement = %info.statement, failed = info.failed);
            metrics.record_statement(info.elapsed, info.failed);
        });
    }
}

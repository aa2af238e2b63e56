//! Database migrations of introgate. Each runs on SQLite and on PostgreSQL.

pub use sea_orm_migration::prelude::*;

mod m20261122_000001_initial;
mod m20261122_000002_event_log;
mod m20261130_000003_greenhouse;

pub struct Migrator;

#[sea_orm_migration::async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261122_000001_initial::Migration),
            Box::new(m20261122_000002_event_log::Migration),
            Box::new(m20261130_000003_greenhouse::Migration),
        ]
    }
}

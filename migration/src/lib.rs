//! Database migrations of introgate. Each runs on SQLite and on PostgreSQL.

pub use sea_orm_migration::prelude::*;

mod m20261122_000001_initial;
mod m20261122_000002_event_log;
mod m20261130_000003_greenhouse;
mod m20261130_000004_greenhouse_push;
mod m20261130_000005_greenhouse_status;
mod m20261130_000006_sign_in_throttle;
mod m20261130_000007_invitation_throttle;
mod m20261130_000008_outbox_sealed_secret;
mod m20261130_000009_account_proofs;
mod m20261130_000010_contacts;
mod m20261130_000011_intro_lists;
mod m20261130_000012_ally_intro_asks;
mod m20261130_000013_recommendations;

/// A foreign key from `table.column` to `target.id`, removed with its target.
fn references(table: &str, column: &str, target: &str) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .name(format!("fk_{table}_{column}"))
        .from(table.to_owned(), column.to_owned())
        .to(target.to_owned(), "id")
        .on_delete(ForeignKeyAction::Cascade)
        .to_owned()
}

pub struct Migrator;

#[sea_orm_migration::async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261122_000001_initial::Migration),
            Box::new(m20261122_000002_event_log::Migration),
            Box::new(m20261130_000003_greenhouse::Migration),
            Box::new(m20261130_000004_greenhouse_push::Migration),
            Box::new(m20261130_000005_greenhouse_status::Migration),
            Box::new(m20261130_000006_sign_in_throttle::Migration),
            Box::new(m20261130_000007_invitation_throttle::Migration),
            Box::new(m20261130_000008_outbox_sealed_secret::Migration),
            Box::new(m20261130_000009_account_proofs::Migration),
            Box::new(m20261130_000010_contacts::Migration),
            Box::new(m20261130_000011_intro_lists::Migration),
            Box::new(m20261130_000012_ally_intro_asks::Migration),
            Box::new(m20261130_000013_recommendations::Migration),
        ]
    }
}

//! Asking an ally for an introduction (issue 10): one row per ask, its answer on it. At
//! most one open ask per contact and subject (a talent, a company, or none), enforced by a
//! partial unique index so that concurrent asks cannot both be open.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use crate::references;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[sea_orm_migration::async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("ally_intro_ask")
                    .col(pk_uuid("id"))
                    .col(uuid("network_id"))
                    .col(uuid("contact_id"))
                    .col(uuid("ally_id"))
                    .col(uuid_null("asked_by_account_id"))
                    .col(uuid_null("talent_id"))
                    .col(uuid_null("company_id"))
                    .col(string("subject_key"))
                    .col(text("message"))
                    .col(string_len("status", 16))
                    .col(text_null("note"))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone_null("answered_at"))
                    .foreign_key(&mut references("ally_intro_ask", "network_id", "network"))
                    .foreign_key(&mut references("ally_intro_ask", "contact_id", "contact"))
                    .foreign_key(&mut references("ally_intro_ask", "ally_id", "ally"))
                    .foreign_key(&mut references(
                        "ally_intro_ask",
                        "asked_by_account_id",
                        "account",
                    ))
                    .foreign_key(&mut references("ally_intro_ask", "talent_id", "talent"))
                    .foreign_key(&mut references("ally_intro_ask", "company_id", "company"))
                    .to_owned(),
            )
            .await?;
        for (name, column) in [
            ("ix_ally_intro_ask_ally_id", "ally_id"),
            ("ix_ally_intro_ask_contact_id", "contact_id"),
        ] {
            manager
                .create_index(
                    Index::create()
                        .name(name)
                        .table("ally_intro_ask")
                        .col(column)
                        .to_owned(),
                )
                .await?;
        }
        // Same syntax on SQLite and PostgreSQL.
        manager
            .get_connection()
            .execute_unprepared(
                "CREATE UNIQUE INDEX ux_ally_intro_ask_open ON ally_intro_ask (contact_id, subject_key) WHERE status = 'ASKED'",
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table("ally_intro_ask").to_owned())
            .await
    }
}

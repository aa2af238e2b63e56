//! Greenhouse: a company's connection (its credentials, the secret sealed with the server's
//! key, its settings, the sources it may credit, and the lease of its background job sync)
//! and the interview stages of imported jobs.
//!
//! The first migration created a `greenhouse_connection` table that nothing ever wrote; it
//! is replaced by the shape the feature needs.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use crate::references;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[sea_orm_migration::async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table("greenhouse_connection").to_owned())
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("greenhouse_connection")
                    .col(pk_uuid("id"))
                    .col(uuid("network_id"))
                    .col(uuid("company_id"))
                    .col(string("client_id"))
                    .col(text("client_secret_sealed"))
                    .col(big_integer("user_id"))
                    .col(big_integer_null("source_id"))
                    .col(string_len("note_visibility", 16))
                    .col(text("sources"))
                    .col(timestamp_with_time_zone_null("last_sync_at"))
                    .col(text_null("last_error"))
                    .col(timestamp_with_time_zone("next_sync_at"))
                    .col(string_null("sync_locked_by"))
                    .col(timestamp_with_time_zone_null("sync_locked_until"))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone("updated_at"))
                    .foreign_key(&mut references(
                        "greenhouse_connection",
                        "network_id",
                        "network",
                    ))
                    .foreign_key(&mut references(
                        "greenhouse_connection",
                        "company_id",
                        "company",
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("greenhouse_stage")
                    .col(pk_uuid("id"))
                    .col(uuid("job_id"))
                    .col(big_integer("greenhouse_stage_id"))
                    .col(string("name"))
                    .col(big_integer("sort_order"))
                    .foreign_key(&mut references("greenhouse_stage", "job_id", "job"))
                    .to_owned(),
            )
            .await?;
        for (name, table, columns, unique) in [
            (
                "ux_greenhouse_connection_company_id",
                "greenhouse_connection",
                &["company_id"][..],
                true,
            ),
            (
                "ix_greenhouse_connection_next_sync_at",
                "greenhouse_connection",
                &["next_sync_at"][..],
                false,
            ),
            (
                "ux_greenhouse_stage_job_id_greenhouse_stage_id",
                "greenhouse_stage",
                &["job_id", "greenhouse_stage_id"][..],
                true,
            ),
        ] {
            let mut index = Index::create();
            index.name(name).table(table);
            if unique {
                index.unique();
            }
            for column in columns {
                index.col(*column);
            }
            manager.create_index(index.to_owned()).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in ["greenhouse_stage", "greenhouse_connection"] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}

//! Pushing accepted introductions into Greenhouse: one durable job per request, written in
//! the transaction that accepts it (like the email outbox), leased by one process at a time,
//! with what each step created recorded so a retry never creates it twice; and the
//! applications it made, whose hiring status introgate follows.

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
                    .table("greenhouse_push")
                    .col(pk_uuid("id"))
                    .col(uuid("network_id"))
                    .col(uuid("company_id"))
                    .col(uuid("intro_request_id"))
                    .col(string_len("status", 16))
                    .col(integer("attempts"))
                    .col(timestamp_with_time_zone("next_attempt_at"))
                    .col(string_null("locked_by"))
                    .col(timestamp_with_time_zone_null("locked_until"))
                    .col(text_null("last_error"))
                    .col(big_integer_null("candidate_id"))
                    .col(boolean("prospect"))
                    .col(text("note_body"))
                    .col(big_integer_null("note_id"))
                    .col(boolean("tagged"))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone("updated_at"))
                    .col(timestamp_with_time_zone_null("pushed_at"))
                    .foreign_key(&mut references("greenhouse_push", "network_id", "network"))
                    .foreign_key(&mut references("greenhouse_push", "company_id", "company"))
                    .foreign_key(&mut references(
                        "greenhouse_push",
                        "intro_request_id",
                        "intro_request",
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("greenhouse_application")
                    .col(pk_uuid("id"))
                    .col(uuid("network_id"))
                    .col(uuid("company_id"))
                    .col(uuid("intro_request_id"))
                    .col(uuid_null("job_id"))
                    .col(big_integer("greenhouse_application_id"))
                    .col(big_integer("candidate_id"))
                    .col(boolean("prospect"))
                    .col(string_len("status", 16))
                    .col(string_null("stage_name"))
                    .col(timestamp_with_time_zone_null("greenhouse_updated_at"))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone("updated_at"))
                    .foreign_key(&mut references(
                        "greenhouse_application",
                        "network_id",
                        "network",
                    ))
                    .foreign_key(&mut references(
                        "greenhouse_application",
                        "company_id",
                        "company",
                    ))
                    .foreign_key(&mut references(
                        "greenhouse_application",
                        "intro_request_id",
                        "intro_request",
                    ))
                    .foreign_key(&mut references("greenhouse_application", "job_id", "job"))
                    .to_owned(),
            )
            .await?;
        for (name, table, columns, unique) in [
            (
                "ux_greenhouse_push_intro_request_id",
                "greenhouse_push",
                &["intro_request_id"][..],
                true,
            ),
            (
                "ix_greenhouse_push_status_next_attempt_at",
                "greenhouse_push",
                &["status", "next_attempt_at"][..],
                false,
            ),
            (
                "ix_greenhouse_push_company_id",
                "greenhouse_push",
                &["company_id"][..],
                false,
            ),
            (
                "ux_greenhouse_application_company_id_greenhouse_application_id",
                "greenhouse_application",
                &["company_id", "greenhouse_application_id"][..],
                true,
            ),
            (
                "ix_greenhouse_application_intro_request_id",
                "greenhouse_application",
                &["intro_request_id"][..],
                false,
            ),
            (
                "ix_greenhouse_application_network_id",
                "greenhouse_application",
                &["network_id"][..],
                false,
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
        for table in ["greenhouse_application", "greenhouse_push"] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}

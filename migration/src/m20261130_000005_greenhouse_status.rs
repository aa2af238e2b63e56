//! Following what happens to pushed introductions in Greenhouse: the poll of application
//! statuses (its own lease and high-water mark per connection), the webhook secret and the
//! webhook deliveries already seen, when an application was hired or rejected, and the
//! revision of the talent's details each pushed candidate reflects (so `updateTalent`
//! reaches Greenhouse through the push's durable job).

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use crate::references;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[sea_orm_migration::async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // One column per statement: SQLite alters a table one column at a time.
        let columns = [
            ("greenhouse_connection", text_null("webhook_secret_sealed")),
            (
                "greenhouse_connection",
                timestamp_with_time_zone_null("polled_until"),
            ),
            (
                "greenhouse_connection",
                timestamp_with_time_zone_null("last_poll_at"),
            ),
            (
                "greenhouse_connection",
                timestamp_with_time_zone_null("next_poll_at"),
            ),
            ("greenhouse_connection", string_null("poll_locked_by")),
            (
                "greenhouse_connection",
                timestamp_with_time_zone_null("poll_locked_until"),
            ),
            (
                "greenhouse_application",
                timestamp_with_time_zone_null("hired_at"),
            ),
            (
                "greenhouse_application",
                timestamp_with_time_zone_null("rejected_at"),
            ),
            (
                "greenhouse_push",
                integer("candidate_revision").default(0).to_owned(),
            ),
            (
                "greenhouse_push",
                integer("synced_revision").default(0).to_owned(),
            ),
        ];
        for (table, mut column) in columns {
            manager
                .alter_table(
                    Table::alter()
                        .table(table)
                        .add_column(&mut column)
                        .to_owned(),
                )
                .await?;
        }
        manager
            .create_table(
                Table::create()
                    .table("greenhouse_webhook_event")
                    .col(pk_uuid("id"))
                    .col(uuid("company_id"))
                    .col(string("event_id"))
                    .col(timestamp_with_time_zone("received_at"))
                    .foreign_key(&mut references(
                        "greenhouse_webhook_event",
                        "company_id",
                        "company",
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ux_greenhouse_webhook_event_company_id_event_id")
                    .table("greenhouse_webhook_event")
                    .col("company_id")
                    .col("event_id")
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_greenhouse_application_company_id_status")
                    .table("greenhouse_application")
                    .col("company_id")
                    .col("status")
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table("greenhouse_webhook_event").to_owned())
            .await?;
        for (table, column) in [
            ("greenhouse_push", "synced_revision"),
            ("greenhouse_push", "candidate_revision"),
            ("greenhouse_application", "rejected_at"),
            ("greenhouse_application", "hired_at"),
            ("greenhouse_connection", "poll_locked_until"),
            ("greenhouse_connection", "poll_locked_by"),
            ("greenhouse_connection", "next_poll_at"),
            ("greenhouse_connection", "last_poll_at"),
            ("greenhouse_connection", "polled_until"),
            ("greenhouse_connection", "webhook_secret_sealed"),
        ] {
            manager
                .alter_table(Table::alter().table(table).drop_column(column).to_owned())
                .await?;
        }
        Ok(())
    }
}

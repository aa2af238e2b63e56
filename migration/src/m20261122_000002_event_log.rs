//! The event log behind live subscriptions: one row per change of an introduction request,
//! written in the transaction of the change. `seq` orders a network's events (writers of
//! one network take a lock, so on PostgreSQL a network's `seq`s become visible in order);
//! the counts are the inboxes as they stood right after the change.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[sea_orm_migration::async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("event_log")
                    .col(big_integer("seq").auto_increment().primary_key())
                    .col(uuid("network_id"))
                    .col(uuid("intro_request_id"))
                    .col(uuid("company_id"))
                    .col(string_len("direction", 32))
                    .col(string_len_null("from_status", 32))
                    .col(string_len("to_status", 32))
                    .col(big_integer("in_network_count"))
                    .col(big_integer("out_of_network_count"))
                    .col(big_integer("company_awaiting_count"))
                    .col(timestamp_with_time_zone("at"))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_event_log_network_id")
                            .from("event_log", "network_id")
                            .to("network", "id")
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_event_log_intro_request_id")
                            .from("event_log", "intro_request_id")
                            .to("intro_request", "id")
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        for (name, columns) in [
            ("ix_event_log_network_id_seq", &["network_id", "seq"][..]),
            ("ix_event_log_intro_request_id", &["intro_request_id"][..]),
            ("ix_event_log_at", &["at"][..]),
        ] {
            let mut index = Index::create();
            index.name(name).table("event_log");
            for column in columns {
                index.col(*column);
            }
            manager.create_index(index.to_owned()).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table("event_log").to_owned())
            .await
    }
}

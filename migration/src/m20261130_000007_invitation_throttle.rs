//! Invitations sent to one address counted in fixed windows, in the database so that
//! every process of a deployment shares the count (issue 11: duplicated `invite…` fields
//! sent one address as many emails as the request had fields).

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
                    .table("invitation_throttle")
                    .col(string_len("email_key", 400).primary_key())
                    .col(timestamp_with_time_zone("window_started_at"))
                    .col(integer("invitations"))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table("invitation_throttle").to_owned())
            .await
    }
}

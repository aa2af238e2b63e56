//! An email's live secret (an invitation's token) is no longer stored in its bodies: they
//! keep a mark in its place, and the secret is kept sealed with the server's key until the
//! email is rendered for sending.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[sea_orm_migration::async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table("email_outbox")
                    .add_column(text_null("secret_sealed"))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table("email_outbox")
                    .drop_column("secret_sealed")
                    .to_owned(),
            )
            .await
    }
}

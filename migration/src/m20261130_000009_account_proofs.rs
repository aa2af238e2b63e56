//! Accounts prove their email (issue 11): a self sign-up waits, with what it asked for, in
//! `email_verification` until the link sent to the address is used, and only then becomes
//! an account; `password_reset` holds the single-use links that set a new password. Both
//! keep a hash of the token, never the token.

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
                    .table("email_verification")
                    .col(pk_uuid("id"))
                    .col(uuid("network_id"))
                    .col(string("email"))
                    .col(string("email_key"))
                    .col(string("name"))
                    // Null when the address already had an account at sign-up: the link
                    // then only adds the profile to that account.
                    .col(string_null("password_hash"))
                    .col(text_null("headline"))
                    .col(string_null("linkedin_url"))
                    .col(string_uniq("token_hash"))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone("expires_at"))
                    .col(timestamp_with_time_zone_null("used_at"))
                    .col(timestamp_with_time_zone_null("revoked_at"))
                    .foreign_key(&mut references(
                        "email_verification",
                        "network_id",
                        "network",
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_email_verification_email_key")
                    .table("email_verification")
                    .col("email_key")
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("password_reset")
                    .col(pk_uuid("id"))
                    .col(uuid("account_id"))
                    .col(string_uniq("token_hash"))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone("expires_at"))
                    .col(timestamp_with_time_zone_null("used_at"))
                    .foreign_key(&mut references("password_reset", "account_id", "account"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_password_reset_account_id")
                    .table("password_reset")
                    .col("account_id")
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table("password_reset").to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table("email_verification").to_owned())
            .await
    }
}

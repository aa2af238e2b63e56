//! Introduction lists (issue 10): a network's admins gather contacts shared with the
//! network into named lists. An entry is one contact once per list.

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
                    .table("intro_list")
                    .col(pk_uuid("id"))
                    .col(uuid("network_id"))
                    .col(string("name"))
                    .col(uuid_null("created_by_account_id"))
                    .col(timestamp_with_time_zone("created_at"))
                    .foreign_key(&mut references("intro_list", "network_id", "network"))
                    .foreign_key(&mut references(
                        "intro_list",
                        "created_by_account_id",
                        "account",
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_intro_list_network_id_id")
                    .table("intro_list")
                    .col("network_id")
                    .col("id")
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("intro_list_entry")
                    .col(pk_uuid("id"))
                    .col(uuid("intro_list_id"))
                    .col(uuid("contact_id"))
                    .col(timestamp_with_time_zone("added_at"))
                    .foreign_key(&mut references(
                        "intro_list_entry",
                        "intro_list_id",
                        "intro_list",
                    ))
                    .foreign_key(&mut references("intro_list_entry", "contact_id", "contact"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ux_intro_list_entry_list_contact")
                    .table("intro_list_entry")
                    .col("intro_list_id")
                    .col("contact_id")
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_intro_list_entry_contact_id")
                    .table("intro_list_entry")
                    .col("contact_id")
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table("intro_list_entry").to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table("intro_list").to_owned())
            .await
    }
}

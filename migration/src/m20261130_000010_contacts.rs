//! Allies' contacts as LinkedIn exports them (issue 10): first and last names, the company
//! as a key (case and spacing aside) and the email's domain, which warm paths match on,
//! and when the account first imported contacts (the ally's "connect LinkedIn" step).

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[sea_orm_migration::async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // One column per statement: SQLite's ALTER TABLE adds one at a time.
        for column in [
            string_null("first_name"),
            string_null("last_name"),
            string_null("company_key"),
            string_null("email_domain"),
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table("contact")
                        .add_column(column)
                        .to_owned(),
                )
                .await?;
        }
        manager
            .alter_table(
                Table::alter()
                    .table("account")
                    .add_column(timestamp_with_time_zone_null("contacts_imported_at"))
                    .to_owned(),
            )
            .await?;
        for (name, columns) in [
            (
                "ix_contact_company_key",
                ["owner_account_id", "company_key"],
            ),
            (
                "ix_contact_email_domain",
                ["owner_account_id", "email_domain"],
            ),
        ] {
            manager
                .create_index(
                    Index::create()
                        .name(name)
                        .table("contact")
                        .col(columns[0])
                        .col(columns[1])
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for name in ["ix_contact_company_key", "ix_contact_email_domain"] {
            manager
                .drop_index(Index::drop().name(name).table("contact").to_owned())
                .await?;
        }
        for column in ["first_name", "last_name", "company_key", "email_domain"] {
            manager
                .alter_table(
                    Table::alter()
                        .table("contact")
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        manager
            .alter_table(
                Table::alter()
                    .table("account")
                    .drop_column("contacts_imported_at")
                    .to_owned(),
            )
            .await
    }
}

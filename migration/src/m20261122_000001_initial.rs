//! The whole data model of SPEC §4: accounts and access, the network and its members,
//! companies and jobs, introduction requests with their timeline, invitations and the
//! email outbox. Every reference has a foreign key and an index; every list the API
//! pages through has an index ending in `id` (ids are UUID v7, so id order is time order).

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// A foreign key from `table.column` to `target.id`, removed with its target.
fn references(
    table: &'static str,
    column: &'static str,
    target: &'static str,
) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .name(format!("fk_{table}_{column}"))
        .from(table, column)
        .to(target, "id")
        .on_delete(ForeignKeyAction::Cascade)
        .to_owned()
}

fn index(table: &'static str, columns: &[&'static str]) -> IndexCreateStatement {
    let mut index = Index::create();
    index
        .name(format!("ix_{table}_{}", columns.join("_")))
        .table(table);
    for column in columns {
        index.col(*column);
    }
    index.to_owned()
}

fn unique(table: &'static str, columns: &[&'static str]) -> IndexCreateStatement {
    let mut index = index(table, columns);
    index
        .name(format!("ux_{table}_{}", columns.join("_")))
        .unique();
    index
}

struct Tables {
    tables: Vec<TableCreateStatement>,
    indexes: Vec<IndexCreateStatement>,
}

fn tables() -> Tables {
    let created = || timestamp_with_time_zone("created_at");
    let updated = || timestamp_with_time_zone("updated_at");
    let tables = vec![
        Table::create()
            .table("account")
            .col(pk_uuid("id"))
            .col(string("email"))
            .col(string("email_key"))
            .col(string("name"))
            .col(string("password_hash"))
            .col(created())
            .col(updated())
            .to_owned(),
        Table::create()
            .table("session")
            .col(pk_uuid("id"))
            .col(uuid("account_id"))
            .col(string("token_hash"))
            .col(created())
            .col(timestamp_with_time_zone("expires_at"))
            .col(timestamp_with_time_zone_null("revoked_at"))
            .foreign_key(&mut references("session", "account_id", "account"))
            .to_owned(),
        Table::create()
            .table("network")
            .col(pk_uuid("id"))
            .col(string("name"))
            .col(string("slug"))
            .col(boolean("gatekeeper"))
            .col(boolean("notify_requester_on_decline"))
            .col(integer("intro_expiry_days"))
            .col(integer("reminder_after_days"))
            .col(created())
            .col(updated())
            .to_owned(),
        Table::create()
            .table("api_token")
            .col(pk_uuid("id"))
            .col(uuid("network_id"))
            .col(string("name"))
            .col(string("token_hash"))
            .col(uuid("created_by_account_id"))
            .col(created())
            .col(timestamp_with_time_zone_null("revoked_at"))
            .foreign_key(&mut references("api_token", "network_id", "network"))
            .foreign_key(&mut references(
                "api_token",
                "created_by_account_id",
                "account",
            ))
            .to_owned(),
        Table::create()
            .table("network_admin")
            .col(pk_uuid("id"))
            .col(uuid("network_id"))
            .col(uuid("account_id"))
            .col(created())
            .foreign_key(&mut references("network_admin", "network_id", "network"))
            .foreign_key(&mut references("network_admin", "account_id", "account"))
            .to_owned(),
        Table::create()
            .table("company")
            .col(pk_uuid("id"))
            .col(uuid("network_id"))
            .col(string("name"))
            .col(string_null("domain"))
            .col(string_null("website_url"))
            .col(created())
            .col(updated())
            .foreign_key(&mut references("company", "network_id", "network"))
            .to_owned(),
        Table::create()
            .table("company_admin")
            .col(pk_uuid("id"))
            .col(uuid("network_id"))
            .col(uuid("company_id"))
            .col(string("name"))
            .col(string("email"))
            .col(string("email_key"))
            .col(string_len("status", 16))
            .col(uuid_null("account_id"))
            .col(timestamp_with_time_zone("invited_at"))
            .col(timestamp_with_time_zone_null("accepted_at"))
            .col(timestamp_with_time_zone_null("removed_at"))
            .foreign_key(&mut references("company_admin", "network_id", "network"))
            .foreign_key(&mut references("company_admin", "company_id", "company"))
            .foreign_key(&mut references("company_admin", "account_id", "account"))
            .to_owned(),
        Table::create()
            .table("talent")
            .col(pk_uuid("id"))
            .col(uuid("network_id"))
            .col(uuid_null("account_id"))
            .col(string("name"))
            .col(string("email"))
            .col(string("email_key"))
            .col(string_null("headline"))
            .col(string_null("linkedin_url"))
            .col(boolean("verified"))
            .col(created())
            .col(updated())
            .foreign_key(&mut references("talent", "network_id", "network"))
            .foreign_key(&mut references("talent", "account_id", "account"))
            .to_owned(),
        Table::create()
            .table("ally")
            .col(pk_uuid("id"))
            .col(uuid("network_id"))
            .col(uuid_null("account_id"))
            .col(string("name"))
            .col(string("email"))
            .col(string("email_key"))
            .col(string_len("status", 16))
            .col(boolean("sharing_contacts"))
            .col(boolean("help_with_introductions"))
            .col(boolean("make_introduction_when_asked"))
            .col(created())
            .col(updated())
            .foreign_key(&mut references("ally", "network_id", "network"))
            .foreign_key(&mut references("ally", "account_id", "account"))
            .to_owned(),
        Table::create()
            .table("contact")
            .col(pk_uuid("id"))
            .col(uuid("owner_account_id"))
            .col(string("name"))
            .col(string_null("email"))
            .col(string_null("email_key"))
            .col(string_null("linkedin_url"))
            .col(string_null("company_name"))
            .col(string_null("position"))
            .col(date_null("connected_on"))
            .col(created())
            .col(updated())
            .foreign_key(&mut references("contact", "owner_account_id", "account"))
            .to_owned(),
        Table::create()
            .table("job")
            .col(pk_uuid("id"))
            .col(uuid("network_id"))
            .col(uuid("company_id"))
            .col(string("title"))
            .col(string_null("location"))
            .col(string_null("department"))
            .col(string_null("url"))
            .col(string_len("status", 16))
            .col(big_integer_null("greenhouse_job_id"))
            .col(created())
            .col(updated())
            .col(timestamp_with_time_zone_null("closed_at"))
            .foreign_key(&mut references("job", "network_id", "network"))
            .foreign_key(&mut references("job", "company_id", "company"))
            .to_owned(),
        Table::create()
            .table("greenhouse_connection")
            .col(pk_uuid("id"))
            .col(uuid("company_id"))
            .col(string("client_id"))
            .col(text("client_secret_encrypted"))
            .col(big_integer("user_id"))
            .col(big_integer_null("source_id"))
            .col(timestamp_with_time_zone_null("last_sync_at"))
            .col(text_null("last_error"))
            .col(created())
            .col(updated())
            .foreign_key(&mut references(
                "greenhouse_connection",
                "company_id",
                "company",
            ))
            .to_owned(),
        Table::create()
            .table("intro_request")
            .col(pk_uuid("id"))
            .col(uuid("network_id"))
            .col(string_len("direction", 24))
            .col(uuid("talent_id"))
            .col(uuid("company_id"))
            .col(text("message"))
            .col(string_len("status", 32))
            .col(uuid("requested_by_account_id"))
            .col(uuid_null("point_of_contact_id"))
            .col(text_null("decline_reason"))
            .col(created())
            .col(updated())
            .col(timestamp_with_time_zone_null("sent_at"))
            .col(timestamp_with_time_zone_null("decided_at"))
            .col(timestamp_with_time_zone_null("reminded_at"))
            .foreign_key(&mut references("intro_request", "network_id", "network"))
            .foreign_key(&mut references("intro_request", "talent_id", "talent"))
            .foreign_key(&mut references("intro_request", "company_id", "company"))
            .foreign_key(&mut references(
                "intro_request",
                "requested_by_account_id",
                "account",
            ))
            .foreign_key(&mut references(
                "intro_request",
                "point_of_contact_id",
                "company_admin",
            ))
            .to_owned(),
        Table::create()
            .table("intro_request_job")
            .col(uuid("intro_request_id"))
            .col(uuid("job_id"))
            .primary_key(Index::create().col("intro_request_id").col("job_id"))
            .foreign_key(&mut references(
                "intro_request_job",
                "intro_request_id",
                "intro_request",
            ))
            .foreign_key(&mut references("intro_request_job", "job_id", "job"))
            .to_owned(),
        Table::create()
            .table("intro_request_event")
            .col(pk_uuid("id"))
            .col(uuid("network_id"))
            .col(uuid("intro_request_id"))
            .col(uuid_null("actor_account_id"))
            .col(string_len_null("from_status", 32))
            .col(string_len("to_status", 32))
            .col(text_null("note"))
            .col(timestamp_with_time_zone("at"))
            .foreign_key(&mut references(
                "intro_request_event",
                "network_id",
                "network",
            ))
            .foreign_key(&mut references(
                "intro_request_event",
                "intro_request_id",
                "intro_request",
            ))
            .foreign_key(&mut references(
                "intro_request_event",
                "actor_account_id",
                "account",
            ))
            .to_owned(),
        Table::create()
            .table("invitation")
            .col(pk_uuid("id"))
            .col(uuid("network_id"))
            .col(string_len("kind", 16))
            .col(string("email"))
            .col(string("email_key"))
            .col(string("name"))
            .col(string("token_hash"))
            .col(uuid_null("company_admin_id"))
            .col(uuid_null("ally_id"))
            .col(uuid_null("talent_id"))
            .col(uuid_null("intro_request_id"))
            .col(uuid_null("invited_by_account_id"))
            .col(created())
            .col(timestamp_with_time_zone("expires_at"))
            .col(timestamp_with_time_zone_null("used_at"))
            .col(timestamp_with_time_zone_null("revoked_at"))
            .foreign_key(&mut references("invitation", "network_id", "network"))
            .foreign_key(&mut references(
                "invitation",
                "company_admin_id",
                "company_admin",
            ))
            .foreign_key(&mut references("invitation", "ally_id", "ally"))
            .foreign_key(&mut references("invitation", "talent_id", "talent"))
            .foreign_key(&mut references(
                "invitation",
                "intro_request_id",
                "intro_request",
            ))
            .foreign_key(&mut references(
                "invitation",
                "invited_by_account_id",
                "account",
            ))
            .to_owned(),
        Table::create()
            .table("email_outbox")
            .col(pk_uuid("id"))
            .col(string("message_id"))
            .col(uuid_null("network_id"))
            .col(string_len("kind", 48))
            .col(json("to_addrs"))
            .col(json("cc_addrs"))
            .col(json("bcc_addrs"))
            .col(text("subject"))
            .col(text("text_body"))
            .col(text("html_body"))
            .col(string_len("status", 16))
            .col(integer("attempts"))
            .col(timestamp_with_time_zone("next_attempt_at"))
            .col(string_null("locked_by"))
            .col(timestamp_with_time_zone_null("locked_until"))
            .col(text_null("last_error"))
            .col(created())
            .col(timestamp_with_time_zone_null("sent_at"))
            .foreign_key(&mut references("email_outbox", "network_id", "network"))
            .to_owned(),
    ];
    let indexes = vec![
        unique("account", &["email_key"]),
        unique("session", &["token_hash"]),
        index("session", &["account_id"]),
        unique("network", &["slug"]),
        unique("api_token", &["token_hash"]),
        index("api_token", &["network_id", "id"]),
        index("api_token", &["created_by_account_id"]),
        unique("network_admin", &["network_id", "account_id"]),
        index("network_admin", &["account_id"]),
        index("company", &["network_id", "id"]),
        unique("company_admin", &["company_id", "email_key"]),
        index("company_admin", &["network_id"]),
        index("company_admin", &["account_id"]),
        index("company_admin", &["company_id", "id"]),
        unique("talent", &["network_id", "email_key"]),
        index("talent", &["network_id", "id"]),
        index("talent", &["network_id", "verified", "id"]),
        index("talent", &["account_id"]),
        unique("ally", &["network_id", "email_key"]),
        index("ally", &["network_id", "id"]),
        index("ally", &["account_id"]),
        index("contact", &["owner_account_id", "id"]),
        index("contact", &["owner_account_id", "email_key"]),
        index("contact", &["owner_account_id", "linkedin_url"]),
        index("job", &["company_id", "id"]),
        index("job", &["company_id", "status", "id"]),
        index("job", &["network_id", "id"]),
        unique("job", &["company_id", "greenhouse_job_id"]),
        unique("greenhouse_connection", &["company_id"]),
        index("intro_request", &["network_id", "id"]),
        index("intro_request", &["network_id", "status", "id"]),
        index("intro_request", &["company_id", "id"]),
        index("intro_request", &["talent_id", "id"]),
        index("intro_request", &["requested_by_account_id"]),
        index("intro_request", &["point_of_contact_id"]),
        index("intro_request_job", &["job_id"]),
        index("intro_request_event", &["intro_request_id", "id"]),
        index("intro_request_event", &["network_id"]),
        index("intro_request_event", &["actor_account_id"]),
        unique("invitation", &["token_hash"]),
        index("invitation", &["network_id"]),
        index("invitation", &["company_admin_id"]),
        index("invitation", &["ally_id"]),
        index("invitation", &["talent_id"]),
        index("invitation", &["intro_request_id"]),
        index("invitation", &["invited_by_account_id"]),
        index("email_outbox", &["status", "next_attempt_at"]),
        index("email_outbox", &["network_id"]),
    ];
    Tables { tables, indexes }
}

/// One open request per (talent, company, direction): a partial unique index, which both
/// SQLite and PostgreSQL support, so the database itself refuses the duplicate race.
const OPEN_REQUEST_UNIQUE: &str = "CREATE UNIQUE INDEX ux_intro_request_open ON intro_request \
     (talent_id, company_id, direction) \
     WHERE status IN ('PENDING_REVIEW', 'AWAITING_POINT_OF_CONTACT', 'SENT')";

#[sea_orm_migration::async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let Tables { tables, indexes } = tables();
        for table in tables {
            manager.create_table(table).await?;
        }
        for index in indexes {
            manager.create_index(index).await?;
        }
        manager
            .get_connection()
            .execute_unprepared(OPEN_REQUEST_UNIQUE)
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let Tables { mut tables, .. } = tables();
        tables.reverse();
        for table in tables {
            let name = table
                .get_table_name()
                .expect("every table is named")
                .clone();
            manager
                .drop_table(Table::drop().table(name).to_owned())
                .await?;
        }
        Ok(())
    }
}

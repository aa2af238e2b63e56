use sea_orm::entity::prelude::*;

use crate::enums::GreenhouseNoteVisibility;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "greenhouse_connection")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub network_id: Uuid,
    #[sea_orm(unique)]
    pub company_id: Uuid,
    pub client_id: String,
    /// Sealed with the server's secret key; never returned.
    pub client_secret_sealed: String,
    pub user_id: i64,
    pub source_id: Option<i64>,
    pub note_visibility: GreenhouseNoteVisibility,
    /// The account's sources as last read, JSON: `[{"id": …, "name": …}]`.
    #[sea_orm(column_type = "Text")]
    pub sources: String,
    pub last_sync_at: Option<DateTimeUtc>,
    pub last_error: Option<String>,
    pub next_sync_at: DateTimeUtc,
    pub sync_locked_by: Option<String>,
    pub sync_locked_until: Option<DateTimeUtc>,
    /// Sealed with the server's secret key; checks the `Signature` of Greenhouse's webhooks.
    pub webhook_secret_sealed: Option<String>,
    /// The next status poll asks for applications changed since this instant.
    pub polled_until: Option<DateTimeUtc>,
    pub last_poll_at: Option<DateTimeUtc>,
    /// When the statuses are polled next; none: at once.
    pub next_poll_at: Option<DateTimeUtc>,
    pub poll_locked_by: Option<String>,
    pub poll_locked_until: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

use crate::enums::OutboxStatus;
use sea_orm::entity::prelude::*;
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "email_outbox")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    #[sea_orm(unique)]
    pub message_id: String,
    pub network_id: Option<Uuid>,
    /// What caused it, e.g. `invitation`; for admins reading the outbox.
    pub kind: String,
    pub to_addrs: Json,
    pub cc_addrs: Json,
    pub bcc_addrs: Json,
    pub subject: String,
    pub text_body: String,
    pub html_body: String,
    pub status: OutboxStatus,
    pub attempts: i32,
    pub next_attempt_at: DateTimeUtc,
    /// Lease of the worker that is sending it: no other worker touches it meanwhile.
    pub locked_by: Option<String>,
    pub locked_until: Option<DateTimeUtc>,
    pub last_error: Option<String>,
    pub created_at: DateTimeUtc,
    pub sent_at: Option<DateTimeUtc>,
    /// The email's live secret (an invitation's token), sealed with the server's key; the
    /// bodies hold `introgate::mail::SECRET_MARK` in its place until sending.
    #[sea_orm(column_type = "Text", nullable)]
    pub secret_sealed: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

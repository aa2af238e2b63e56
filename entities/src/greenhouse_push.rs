use sea_orm::entity::prelude::*;

use crate::enums::GreenhousePushStatus;

/// The durable job that pushes an accepted introduction into the company's Greenhouse; what
/// each step created is kept, so a retry looks it up instead of creating it again.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "greenhouse_push")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub network_id: Uuid,
    pub company_id: Uuid,
    #[sea_orm(unique)]
    pub intro_request_id: Uuid,
    pub status: GreenhousePushStatus,
    pub attempts: i32,
    pub next_attempt_at: DateTimeUtc,
    pub locked_by: Option<String>,
    pub locked_until: Option<DateTimeUtc>,
    pub last_error: Option<String>,
    pub candidate_id: Option<i64>,
    pub prospect: bool,
    /// The note, written when the introduction was accepted: every attempt sends the same
    /// text, which is how a retry finds a note an earlier attempt created.
    #[sea_orm(column_type = "Text")]
    pub note_body: String,
    pub note_id: Option<i64>,
    pub tagged: bool,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub pushed_at: Option<DateTimeUtc>,
    /// Bumped when the talent's name, email or LinkedIn change; the candidate in Greenhouse
    /// reflects `synced_revision`, and is patched while the two differ.
    pub candidate_revision: i32,
    pub synced_revision: i32,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

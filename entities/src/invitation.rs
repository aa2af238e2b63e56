use crate::enums::InvitationKind;
use sea_orm::entity::prelude::*;
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "invitation")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub network_id: Uuid,
    pub kind: InvitationKind,
    pub email: String,
    pub email_key: String,
    pub name: String,
    /// SHA-256 of the token sent by email.
    #[sea_orm(unique)]
    pub token_hash: String,
    pub company_admin_id: Option<Uuid>,
    pub ally_id: Option<Uuid>,
    pub talent_id: Option<Uuid>,
    /// Set when a point of contact is invited for a pending request.
    pub intro_request_id: Option<Uuid>,
    pub invited_by_account_id: Option<Uuid>,
    pub created_at: DateTimeUtc,
    pub expires_at: DateTimeUtc,
    pub used_at: Option<DateTimeUtc>,
    pub revoked_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

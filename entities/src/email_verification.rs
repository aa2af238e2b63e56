use sea_orm::entity::prelude::*;

/// A self sign-up waiting for its email to be proved: what was asked for, and the hash of
/// the link's token. It becomes an account and a talent profile when the link is used.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "email_verification")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub network_id: Uuid,
    pub email: String,
    pub email_key: String,
    pub name: String,
    /// argon2id of the password chosen at sign-up; `None` when the address already had an
    /// account (the link then adds the profile to it).
    pub password_hash: Option<String>,
    pub headline: Option<String>,
    pub linkedin_url: Option<String>,
    #[sea_orm(unique)]
    pub token_hash: String,
    pub created_at: DateTimeUtc,
    pub expires_at: DateTimeUtc,
    pub used_at: Option<DateTimeUtc>,
    pub revoked_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

use crate::enums::AllyIntroAskStatus;
use sea_orm::entity::prelude::*;

/// A network admin asks an ally to introduce one of their contacts (to a talent or a
/// company of the network, or in general), and the ally's answer.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "ally_intro_ask")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub network_id: Uuid,
    pub contact_id: Uuid,
    pub ally_id: Uuid,
    pub asked_by_account_id: Option<Uuid>,
    pub talent_id: Option<Uuid>,
    pub company_id: Option<Uuid>,
    /// Whom the introduction is for (`talent:<id>`, `company:<id>` or `none`): at most one
    /// open ask per contact and subject, by a partial unique index.
    pub subject_key: String,
    pub message: String,
    pub status: AllyIntroAskStatus,
    pub note: Option<String>,
    pub created_at: DateTimeUtc,
    pub answered_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

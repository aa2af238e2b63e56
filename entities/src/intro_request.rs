use crate::enums::{IntroDirection, IntroStatus};
use sea_orm::entity::prelude::*;
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "intro_request")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub network_id: Uuid,
    pub direction: IntroDirection,
    pub talent_id: Uuid,
    pub company_id: Uuid,
    pub message: String,
    pub status: IntroStatus,
    pub requested_by_account_id: Uuid,
    /// The company admin a network admin suggested while the company had none.
    pub point_of_contact_id: Option<Uuid>,
    pub decline_reason: Option<String>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub sent_at: Option<DateTimeUtc>,
    pub decided_at: Option<DateTimeUtc>,
    pub reminded_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::talent::Entity",
        from = "Column::TalentId",
        to = "super::talent::Column::Id"
    )]
    Talent,
    #[sea_orm(
        belongs_to = "super::company::Entity",
        from = "Column::CompanyId",
        to = "super::company::Column::Id"
    )]
    Company,
}

impl Related<super::talent::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Talent.def()
    }
}

impl Related<super::company::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Company.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}

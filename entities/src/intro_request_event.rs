use crate::enums::IntroStatus;
use sea_orm::entity::prelude::*;
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "intro_request_event")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub network_id: Uuid,
    pub intro_request_id: Uuid,
    /// None for the system (expiry, reminders).
    pub actor_account_id: Option<Uuid>,
    pub from_status: Option<IntroStatus>,
    pub to_status: IntroStatus,
    pub note: Option<String>,
    pub at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

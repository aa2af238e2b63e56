use crate::enums::AllyStatus;
use sea_orm::entity::prelude::*;
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "ally")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub network_id: Uuid,
    pub account_id: Option<Uuid>,
    pub name: String,
    pub email: String,
    pub email_key: String,
    pub status: AllyStatus,
    pub sharing_contacts: bool,
    pub help_with_introductions: bool,
    pub make_introduction_when_asked: bool,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

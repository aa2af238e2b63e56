use crate::enums::CompanyAdminStatus;
use sea_orm::entity::prelude::*;
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "company_admin")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub network_id: Uuid,
    pub company_id: Uuid,
    pub name: String,
    pub email: String,
    pub email_key: String,
    pub status: CompanyAdminStatus,
    pub account_id: Option<Uuid>,
    pub invited_at: DateTimeUtc,
    pub accepted_at: Option<DateTimeUtc>,
    pub removed_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

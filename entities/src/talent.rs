use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "talent")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub network_id: Uuid,
    pub account_id: Option<Uuid>,
    pub name: String,
    pub email: String,
    pub email_key: String,
    pub headline: Option<String>,
    pub linkedin_url: Option<String>,
    pub verified: bool,
    /// The stemmed words of the headline that recommendations match, `''` for none.
    pub search_terms: Option<String>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

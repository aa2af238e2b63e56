use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "account")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub email: String,
    /// Lower-cased email: the unique, case-insensitive key.
    #[sea_orm(unique)]
    pub email_key: String,
    pub name: String,
    pub password_hash: String,
    /// When the account first imported contacts (an ally's "connect LinkedIn" step).
    pub contacts_imported_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(has_many = "super::network_admin::Entity")]
    NetworkAdmin,
}

impl Related<super::network_admin::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::NetworkAdmin.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}

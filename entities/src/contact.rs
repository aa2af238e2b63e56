use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "contact")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// Contacts belong to the ally's account, not to a network: sharing is a choice per network.
    pub owner_account_id: Uuid,
    /// What is shown: first and last name, or whatever the import had.
    pub name: String,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub email: Option<String>,
    pub email_key: Option<String>,
    pub linkedin_url: Option<String>,
    pub company_name: Option<String>,
    /// `company_name` lower-cased with spacing collapsed: what warm paths match.
    pub company_key: Option<String>,
    /// The email's domain, lower-cased: what warm paths match against a company's domain.
    pub email_domain: Option<String>,
    pub position: Option<String>,
    pub connected_on: Option<Date>,
    /// The stemmed words of position and company that recommendations match, `''` for
    /// none; indexed by the database's full-text index.
    pub search_terms: Option<String>,
    /// Who the person is across allies: the LinkedIn URL as compared, else the email key.
    pub person_key: Option<String>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

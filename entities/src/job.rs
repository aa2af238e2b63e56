use crate::enums::JobStatus;
use sea_orm::entity::prelude::*;
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "job")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub network_id: Uuid,
    pub company_id: Uuid,
    pub title: String,
    pub location: Option<String>,
    pub department: Option<String>,
    pub url: Option<String>,
    pub status: JobStatus,
    pub greenhouse_job_id: Option<i64>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub closed_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(has_many = "super::intro_request_job::Entity")]
    IntroRequestJob,
}

impl Related<super::intro_request_job::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::IntroRequestJob.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}

use sea_orm::entity::prelude::*;

use crate::enums::GreenhouseApplicationStatus;

/// An application introgate added in Greenhouse for an accepted introduction (one per job,
/// or the prospect), with its hiring status as last read.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "greenhouse_application")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub network_id: Uuid,
    pub company_id: Uuid,
    pub intro_request_id: Uuid,
    /// The introgate job it is for; none for a prospect.
    pub job_id: Option<Uuid>,
    pub greenhouse_application_id: i64,
    pub candidate_id: i64,
    pub prospect: bool,
    pub status: GreenhouseApplicationStatus,
    pub stage_name: Option<String>,
    pub greenhouse_updated_at: Option<DateTimeUtc>,
    /// When introgate first saw it hired / rejected (Greenhouse's `rejected_at` when given).
    pub hired_at: Option<DateTimeUtc>,
    pub rejected_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

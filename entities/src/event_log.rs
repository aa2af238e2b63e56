use crate::enums::{IntroDirection, IntroStatus};
use sea_orm::entity::prelude::*;

/// One change of an introduction request, as live subscribers see it.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "event_log")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub seq: i64,
    pub network_id: Uuid,
    pub intro_request_id: Uuid,
    pub company_id: Uuid,
    pub direction: IntroDirection,
    /// None when the request was created.
    pub from_status: Option<IntroStatus>,
    pub to_status: IntroStatus,
    /// The network admins' inbox right after the change.
    pub in_network_count: i64,
    pub out_of_network_count: i64,
    /// Requests delivered to the company and waiting for its decision, right after the change.
    pub company_awaiting_count: i64,
    pub at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

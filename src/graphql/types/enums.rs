use async_graphql::Enum;

#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "entities::enums::CompanyAdminStatus")]
pub enum CompanyAdminStatus {
    Invited,
    Active,
    Removed,
}

#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "entities::enums::AllyStatus")]
pub enum AllyStatus {
    Invited,
    Active,
}

#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "entities::enums::JobStatus")]
pub enum JobStatus {
    Open,
    Closed,
}

/// Roles a network admin can invite onto the team.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum TeamRole {
    NetworkAdmin,
    Ally,
}

impl From<TeamRole> for crate::services::networks::TeamRole {
    fn from(role: TeamRole) -> Self {
        match role {
            TeamRole::NetworkAdmin => Self::NetworkAdmin,
            TeamRole::Ally => Self::Ally,
        }
    }
}

#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "entities::enums::AllyIntroAskStatus")]
pub enum AllyIntroAskStatus {
    Asked,
    Accepted,
    Declined,
}

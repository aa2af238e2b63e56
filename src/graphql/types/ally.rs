use async_graphql::{Context, ID, Object};
use entities::ally;

use super::{AllyStatus, Network};
use crate::graphql::{
    context::ContextExt,
    ids::{GlobalId, NodeKind},
};

/// A person who shares their contacts with a network.
pub struct Ally(pub ally::Model);

#[Object]
impl Ally {
    pub async fn id(&self) -> ID {
        GlobalId::encode(NodeKind::Ally, self.0.id)
    }

    async fn name(&self) -> &str {
        &self.0.name
    }

    async fn email(&self) -> &str {
        &self.0.email
    }

    async fn status(&self) -> AllyStatus {
        self.0.status.into()
    }

    async fn sharing_contacts(&self) -> bool {
        self.0.sharing_contacts
    }

    /// Contacts the ally shares with this network (none while not sharing).
    async fn contact_count(&self, ctx: &Context<'_>) -> async_graphql::Result<i64> {
        let Some(owner) = crate::services::contacts::shared_by(&self.0) else {
            return Ok(0);
        };
        Ok(ctx
            .loaders()
            .contact_counts
            .load_one(owner)
            .await?
            .unwrap_or(0))
    }

    async fn network(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Network>> {
        Ok(ctx
            .loaders()
            .networks
            .load_one(self.0.network_id)
            .await?
            .map(Network))
    }
}

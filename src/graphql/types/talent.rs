use async_graphql::{Context, ID, Object};
use chrono::{DateTime, Utc};
use entities::talent;

use super::Network;
use crate::graphql::{
    context::ContextExt,
    ids::{GlobalId, NodeKind},
};

/// A professional of the network.
pub struct Talent(pub talent::Model);

#[Object]
impl Talent {
    pub async fn id(&self) -> ID {
        GlobalId::encode(NodeKind::Talent, self.0.id)
    }

    async fn name(&self) -> &str {
        &self.0.name
    }

    async fn email(&self) -> &str {
        &self.0.email
    }

    async fn headline(&self) -> Option<&str> {
        self.0.headline.as_deref()
    }

    async fn linkedin_url(&self) -> Option<&str> {
        self.0.linkedin_url.as_deref()
    }

    /// Vetted by a network admin: only verified talent may request introductions.
    async fn verified(&self) -> bool {
        self.0.verified
    }

    /// Whether the person has claimed the profile (signed up or accepted the invitation).
    async fn claimed(&self) -> bool {
        self.0.account_id.is_some()
    }

    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
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

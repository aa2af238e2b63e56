use async_graphql::{Context, ID, Object};
use chrono::{DateTime, Utc};
use entities::talent;

use super::{
    Network,
    intro_request::{Party, party_requests},
};
use crate::graphql::{
    connection::{ListConnection, page_request},
    context::ContextExt,
    ids::{GlobalId, NodeKind},
    one_pass::Listed,
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

    /// Its introduction requests that the caller may see, newest first.
    #[graphql(complexity = "crate::graphql::connection::page_cost(first, last, child_complexity)")]
    async fn intro_requests(
        &self,
        ctx: &Context<'_>,
        #[graphql(default)] status: Vec<super::IntroStatus>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> async_graphql::Result<ListConnection<Listed<super::IntroRequest>>> {
        let page = page_request(first, after, last, before)?;
        let party = Party::Talent(self.0.id);
        party_requests(ctx, self.0.network_id, party, status, page).await
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

use std::sync::Arc;

use async_graphql::{Context, Object};
use entities::account;

use super::{Account, Ally, Company, Contact, Network, Talent, contact_connection};
use crate::{
    graphql::{connection::ListConnection, context::ContextExt},
    services::{
        access::Actor,
        companies,
        contacts::{ContactFilter, ContactScope},
        networks, talent,
    },
};

/// The signed-in person and everything they belong to.
pub struct Viewer {
    pub account: account::Model,
    pub actor: Arc<Actor>,
}

#[Object]
impl Viewer {
    async fn account(&self) -> Account {
        Account(self.account.clone())
    }

    /// The account's own contacts (an ally's, imported from LinkedIn or a browser
    /// extension), whichever networks they are shared with.
    #[graphql(complexity = "crate::graphql::connection::page_cost(first, last, child_complexity)")]
    async fn contacts(
        &self,
        ctx: &Context<'_>,
        search: Option<String>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> async_graphql::Result<ListConnection<Contact>> {
        let filter = ContactFilter {
            search,
            company: None,
        };
        let scope = ContactScope::Owner(self.account.id);
        contact_connection(ctx, scope, filter, first, after, last, before).await
    }

    async fn network_admin_of(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<Network>> {
        let state = ctx.state();
        let ids = self
            .actor
            .memberships(&state.db)
            .await?
            .admin_networks()
            .collect();
        Ok(networks::by_ids(state, ids)
            .await?
            .into_iter()
            .map(Network)
            .collect())
    }

    /// Companies whose introductions this person receives (active admin roles).
    async fn company_admin_of(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<Company>> {
        let state = ctx.state();
        let ids: Vec<_> = self
            .actor
            .memberships(&state.db)
            .await?
            .admin_companies()
            .collect();
        Ok(companies::by_ids(state, ids)
            .await?
            .into_iter()
            .map(Company)
            .collect())
    }

    async fn talent_profiles(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<Talent>> {
        let state = ctx.state();
        let ids: Vec<_> = self
            .actor
            .memberships(&state.db)
            .await?
            .talent_profiles()
            .collect();
        Ok(talent::by_ids(state, ids)
            .await?
            .into_iter()
            .map(Talent)
            .collect())
    }

    async fn ally_profiles(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<Ally>> {
        let state = ctx.state();
        let ids: Vec<_> = self
            .actor
            .memberships(&state.db)
            .await?
            .ally_profiles()
            .collect();
        let loaded = ctx.loaders().allies.load_many(ids).await?;
        let mut allies: Vec<_> = loaded.into_values().collect();
        allies.sort_by_key(|a| a.id);
        Ok(allies.into_iter().map(Ally).collect())
    }
}

use async_graphql::{Context, ID, Object};

use super::{
    context::ContextExt,
    ids::{GlobalId, NodeKind},
    types::{Network, Node, Viewer, resolve_node},
};
use crate::services::{accounts, networks};

pub struct QueryRoot;

/// Most ids one `nodes` call takes.
const MAX_NODES: usize = 100;

#[Object(name = "Query")]
impl QueryRoot {
    /// Any object by its global id; `null` if it does not exist or you may not see it.
    async fn node(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<Option<Node>> {
        super::types::intro_request::prime_node(ctx, &id).await?;
        resolve_node(ctx, &id).await
    }

    /// Several objects by global id, in the order given (`null` where `node` would be).
    #[graphql(complexity = "1 + ids.len() * child_complexity")]
    async fn nodes(
        &self,
        ctx: &Context<'_>,
        ids: Vec<ID>,
    ) -> async_graphql::Result<Vec<Option<Node>>> {
        if ids.len() > MAX_NODES {
            return Err(crate::error::UserError::invalid(
                "ids",
                format!("at most {MAX_NODES} ids"),
            )
            .into());
        }
        futures::future::try_join_all(ids.iter().map(|id| resolve_node(ctx, id))).await
    }

    /// The signed-in person; `null` when not signed in.
    async fn viewer(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Viewer>> {
        let actor = ctx.actor();
        let Some(account_id) = actor.account_id() else {
            return Ok(None);
        };
        let account = accounts::find_account(ctx.state(), account_id).await?;
        Ok(account.map(|account| Viewer {
            account,
            actor: actor.clone(),
        }))
    }

    async fn network(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<Option<Network>> {
        let Ok(id) = GlobalId::parse(NodeKind::Network, "id", &id) else {
            return Ok(None);
        };
        let network = networks::visible(ctx.state(), &ctx.actor(), id).await?;
        ctx.loaders()
            .networks
            .prime(network.iter().map(|n| (n.id, n.clone())));
        Ok(network.map(Network))
    }
}

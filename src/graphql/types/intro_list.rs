use async_graphql::{Context, ID, Object};
use chrono::{DateTime, Utc};
use entities::{intro_list, intro_list_entry};

use super::{AllyIntroAsk, Contact, Network};
use crate::{
    graphql::{
        connection::{ListConnection, connection, page_request},
        context::ContextExt,
        ids::{GlobalId, NodeKind},
    },
    services::contacts::intro_lists,
};

/// Contacts a network's admins gathered, to ask allies for introductions.
pub struct IntroList(pub intro_list::Model);

#[Object]
impl IntroList {
    pub async fn id(&self) -> ID {
        GlobalId::encode(NodeKind::IntroList, self.0.id)
    }

    async fn name(&self) -> &str {
        &self.0.name
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

    /// The list's contacts that the network sees now, in the order they were added.
    #[graphql(complexity = "crate::graphql::connection::page_cost(first, last, child_complexity)")]
    async fn entries(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> async_graphql::Result<ListConnection<IntroListEntry>> {
        let page = page_request(first, after, last, before)?;
        let state = ctx.state().clone();
        let items = intro_lists::entries(&state, &self.0, &page).await?;
        let list = self.0.clone();
        Ok(connection(
            items,
            |e| e.id,
            IntroListEntry,
            move || {
                let (state, list) = (state.clone(), list.clone());
                Box::pin(async move { intro_lists::count_entries(&state, &list).await })
            },
        ))
    }
}

/// A contact on an introduction list.
pub struct IntroListEntry(pub intro_list_entry::Model);

#[Object]
impl IntroListEntry {
    async fn contact(&self, ctx: &Context<'_>) -> async_graphql::Result<Contact> {
        let contact = ctx
            .loaders()
            .contacts
            .load_one(self.0.contact_id)
            .await?
            .ok_or_else(|| anyhow::anyhow!("entry {} lost its contact", self.0.id))
            .map_err(crate::error::ServiceError::from)?;
        Ok(Contact(contact))
    }

    async fn added_at(&self) -> DateTime<Utc> {
        self.0.added_at
    }

    /// Asks to allies about this contact, oldest first.
    async fn asks(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<AllyIntroAsk>> {
        let asks = ctx
            .loaders()
            .asks_by_contact
            .load_one(self.0.contact_id)
            .await?
            .unwrap_or_default();
        let mut visible = Vec::with_capacity(asks.len());
        for ask in asks {
            if AllyIntroAsk::visible(ctx, &ask).await? {
                visible.push(AllyIntroAsk(ask));
            }
        }
        Ok(visible)
    }
}

use async_graphql::{Context, ID, Object, SimpleObject};
use entities::ally;

use super::{AllyIntroAsk, AllyIntroAskStatus, AllyStatus, Contact, Network, contact_connection};
use crate::{
    graphql::{
        connection::{ListConnection, connection, page_request},
        context::ContextExt,
        ids::{GlobalId, NodeKind},
    },
    services::{
        contacts::{ContactFilter, ContactScope, asks},
        pagination::Page,
    },
};

/// The three steps of an ally's start (SPEC §7).
#[derive(SimpleObject)]
pub struct AllyOnboarding {
    /// Done once the ally's first contacts are imported.
    connect_linked_in: bool,
    help_with_introductions: bool,
    make_introduction_when_asked: bool,
    /// All three done.
    completed: bool,
}

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

    async fn onboarding(&self, ctx: &Context<'_>) -> async_graphql::Result<AllyOnboarding> {
        let connected = match self.0.account_id {
            Some(account) => ctx
                .loaders()
                .accounts
                .load_one(account)
                .await?
                .is_some_and(|a| a.contacts_imported_at.is_some()),
            None => false,
        };
        let (help, make) = (
            self.0.help_with_introductions,
            self.0.make_introduction_when_asked,
        );
        Ok(AllyOnboarding {
            connect_linked_in: connected,
            help_with_introductions: help,
            make_introduction_when_asked: make,
            completed: connected && help && make,
        })
    }

    /// The ally's contacts: all of them for the ally themself; for the network's admins,
    /// only while the ally shares with this network; nothing for anyone else.
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
        let Some(owner) = self.0.account_id else {
            return Ok(connection(
                Page::empty(),
                |c| c.id,
                Contact,
                || Box::pin(async { Ok(0) }),
            ));
        };
        let actor = ctx.actor();
        let scope = if actor.account_id() == Some(owner) {
            ContactScope::Owner(owner)
        } else if actor
            .access(&ctx.state().db, self.0.network_id)
            .await?
            .admin
        {
            ContactScope::SharedBy {
                network_id: self.0.network_id,
                owner,
            }
        } else {
            return Ok(connection(
                Page::empty(),
                |c| c.id,
                Contact,
                || Box::pin(async { Ok(0) }),
            ));
        };
        let filter = ContactFilter {
            search,
            company: None,
        };
        contact_connection(ctx, scope, filter, first, after, last, before).await
    }

    /// Asks to this ally for introductions, newest first: for the ally themself and the
    /// network's admins; nothing for anyone else.
    #[graphql(complexity = "crate::graphql::connection::page_cost(first, last, child_complexity)")]
    #[allow(clippy::too_many_arguments)]
    async fn intro_asks(
        &self,
        ctx: &Context<'_>,
        status: Option<Vec<AllyIntroAskStatus>>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> async_graphql::Result<ListConnection<AllyIntroAsk>> {
        let page = page_request(first, after, last, before)?;
        let actor = ctx.actor();
        let mine = self.0.account_id.is_some() && actor.account_id() == self.0.account_id;
        // The network's admins see them while the ally shares: the asks are about the
        // ally's contacts, which the network stops seeing when they stop sharing.
        let shared = crate::services::contacts::shared_by(&self.0).is_some();
        let admin_while_shared = shared
            && actor
                .access(&ctx.state().db, self.0.network_id)
                .await?
                .admin;
        if !mine && !admin_while_shared {
            return Ok(connection(
                Page::empty(),
                |a| a.id,
                AllyIntroAsk,
                || Box::pin(async { Ok(0) }),
            ));
        }
        let statuses: Vec<entities::enums::AllyIntroAskStatus> = status
            .unwrap_or_default()
            .into_iter()
            .map(Into::into)
            .collect();
        let state = ctx.state().clone();
        let ally_id = self.0.id;
        let items = asks::asks_of_ally(&state, ally_id, &statuses, &page).await?;
        Ok(connection(
            items,
            |a| a.id,
            AllyIntroAsk,
            move || {
                let (state, statuses) = (state.clone(), statuses.clone());
                Box::pin(async move { asks::count_asks_of_ally(&state, ally_id, &statuses).await })
            },
        ))
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

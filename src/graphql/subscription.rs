//! The `Subscription` root (SPEC §5): live inbox events over WebSocket. The rules (what an
//! event means for an inbox, who may receive it) live in `services::subscriptions`.

use std::sync::Arc;

use async_graphql::{Context, Enum, ID, Object, SimpleObject, Subscription};
use futures::{Stream, StreamExt};
use tokio::sync::watch;

use super::{
    context::ContextExt,
    errors::with_code,
    ids::{GlobalId, NodeKind, decode_event_cursor, encode_event_cursor},
    loaders::Loaders,
    types::{InboxCounts, InboxSection, IntroRequest, IntroStatus},
};
use crate::services::{
    access::Actor,
    subscriptions::{self, Delivery, Target},
};

/// A WebSocket connection's identity, kept current: the connection replaces the actor when
/// the subscriber's rights change.
#[derive(Clone)]
pub struct LiveSession(pub watch::Receiver<Arc<Actor>>);

#[derive(Default)]
pub struct SubscriptionRoot;

#[Subscription]
impl SubscriptionRoot {
    /// The network admins' inbox: requests entering it (`ADDED`), changing in it
    /// (`UPDATED`) and leaving it (`REMOVED`). Network admins and the network's API tokens.
    /// `after`: the cursor of the last event received, to replay what was missed.
    async fn inbox_updated(
        &self,
        ctx: &Context<'_>,
        network_id: ID,
        after: Option<String>,
    ) -> async_graphql::Result<impl Stream<Item = async_graphql::Result<InboxEvent>> + use<>> {
        let network = GlobalId::parse(NodeKind::Network, "networkId", &network_id)?;
        open(ctx, Target::NetworkInbox(network), after).await
    }

    /// A company's inbox: requests delivered to the company (`ADDED`) until it decides or
    /// they are withdrawn or expire (`REMOVED`). The company's admins.
    async fn company_inbox_updated(
        &self,
        ctx: &Context<'_>,
        company_id: ID,
        after: Option<String>,
    ) -> async_graphql::Result<impl Stream<Item = async_graphql::Result<InboxEvent>> + use<>> {
        let company = GlobalId::parse(NodeKind::Company, "companyId", &company_id)?;
        open(ctx, Target::CompanyInbox(company), after).await
    }

    /// Every change of one request, for anyone who may see it.
    async fn intro_request_updated(
        &self,
        ctx: &Context<'_>,
        id: ID,
    ) -> async_graphql::Result<impl Stream<Item = async_graphql::Result<IntroRequest>> + use<>>
    {
        let id = GlobalId::parse(NodeKind::IntroRequest, "id", &id)?;
        let events = open(ctx, Target::Request(id), None).await?;
        Ok(events.map(|event| event.map(|e| IntroRequest(e.delivery.event.request.clone()))))
    }
}

async fn open(
    ctx: &Context<'_>,
    target: Target,
    after: Option<String>,
) -> async_graphql::Result<impl Stream<Item = async_graphql::Result<InboxEvent>> + use<>> {
    let Some(LiveSession(actor)) = ctx.data_opt::<LiveSession>().cloned() else {
        return Err(with_code(
            "subscriptions run over WebSocket at /graphql/ws",
            "BAD_REQUEST",
        ));
    };
    let after = after
        .map(|cursor| decode_event_cursor("after", &cursor))
        .transpose()?;
    let state = ctx.state().clone();
    let scope = ctx
        .data_unchecked::<Arc<super::context::RequestScope>>()
        .clone();
    let events = subscriptions::open(&state, actor, target, after).await?;
    Ok(events.map(move |delivery| {
        let delivery = delivery?;
        // Each event is resolved with fresh loaders and the rights it was authorised under.
        let loaders = Loaders::new(&state);
        let request = &delivery.event.request;
        loaders
            .intro_requests
            .prime([(request.id, request.clone())]);
        scope.renew(delivery.actor.clone(), loaders);
        Ok(InboxEvent { delivery })
    }))
}

/// What an event did to the subscriber's inbox.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "crate::services::subscriptions::EventKind")]
pub enum InboxEventKind {
    /// The request entered the inbox.
    Added,
    /// The request changed and stays in the inbox.
    Updated,
    /// The request left the inbox.
    Removed,
}

/// A company's inbox: requests delivered to it and waiting for its decision.
#[derive(SimpleObject)]
pub struct CompanyInboxCounts {
    pub awaiting_decision: i64,
}

/// One change of an inbox.
pub struct InboxEvent {
    delivery: Delivery,
}

#[Object]
impl InboxEvent {
    /// Pass as `after` when subscribing again to receive what came after this event.
    async fn cursor(&self) -> String {
        encode_event_cursor(self.delivery.cursor())
    }

    async fn kind(&self) -> InboxEventKind {
        self.delivery.kind.into()
    }

    /// The request's status right after this change.
    async fn status(&self) -> IntroStatus {
        self.delivery.event.entry.to_status.into()
    }

    /// The request as it is now (a replayed event shows its latest state).
    async fn intro_request(&self) -> IntroRequest {
        IntroRequest(self.delivery.event.request.clone())
    }

    /// The section of the network admins' inbox the request is in after this change; null
    /// once it left, and on company subscriptions.
    async fn section(&self) -> Option<InboxSection> {
        self.delivery.section().map(Into::into)
    }

    /// The network admins' inbox right after this change; null on company subscriptions.
    async fn counts(&self) -> Option<InboxCounts> {
        let entry = &self.delivery.event.entry;
        matches!(self.delivery.target, Target::NetworkInbox(_)).then_some(InboxCounts {
            in_network: entry.in_network_count,
            out_of_network: entry.out_of_network_count,
        })
    }

    /// The company's inbox right after this change; null on network subscriptions.
    async fn company_counts(&self) -> Option<CompanyInboxCounts> {
        let entry = &self.delivery.event.entry;
        matches!(self.delivery.target, Target::CompanyInbox(_)).then_some(CompanyInboxCounts {
            awaiting_decision: entry.company_awaiting_count,
        })
    }
}

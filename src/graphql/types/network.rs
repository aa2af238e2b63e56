use async_graphql::{Context, ID, Object};
use chrono::{DateTime, Utc};
use entities::network;

use super::{
    Account, Ally, ApiToken, Company, Contact, EmailMessage, EmailStatus, InboxCounts,
    InboxSection, IntroDirection, IntroList, IntroRequest, IntroStatus, Talent, contact_connection,
    greenhouse::ReferralAnalytics,
};
use crate::{
    error::ServiceError,
    graphql::one_pass::Listed,
    graphql::{
        connection::{ListConnection, connection, page_request},
        context::ContextExt,
        ids::{GlobalId, NodeKind},
    },
    services::{
        access::NetworkAccess,
        companies,
        contacts::{ContactFilter, ContactScope, intro_lists},
        emails,
        greenhouse::referrals,
        introductions, networks,
        pagination::Page,
        talent,
    },
};

/// A talent network: the tenant that owns everything else.
pub struct Network(pub network::Model);

impl Network {
    async fn access(&self, ctx: &Context<'_>) -> async_graphql::Result<NetworkAccess> {
        Ok(ctx.actor().access(&ctx.state().db, self.0.id).await?)
    }

    /// Settings are network data: allies do not see them.
    async fn setting<T>(&self, ctx: &Context<'_>, value: T) -> async_graphql::Result<T> {
        if self.access(ctx).await?.sees_network_data() {
            Ok(value)
        } else {
            Err(ServiceError::Forbidden.into())
        }
    }
}

#[Object]
impl Network {
    pub async fn id(&self) -> ID {
        GlobalId::encode(NodeKind::Network, self.0.id)
    }

    async fn name(&self) -> &str {
        &self.0.name
    }

    async fn slug(&self) -> &str {
        &self.0.slug
    }

    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }

    /// Network admins review every introduction request before it is sent.
    async fn gatekeeper(&self, ctx: &Context<'_>) -> async_graphql::Result<bool> {
        self.setting(ctx, self.0.gatekeeper).await
    }

    /// Tell the requester when their request is declined.
    async fn notify_requester_on_decline(&self, ctx: &Context<'_>) -> async_graphql::Result<bool> {
        self.setting(ctx, self.0.notify_requester_on_decline).await
    }

    /// Days after which an undecided, delivered request expires.
    async fn intro_expiry_days(&self, ctx: &Context<'_>) -> async_graphql::Result<i32> {
        self.setting(ctx, self.0.intro_expiry_days).await
    }

    /// Days after which the recipient of an undecided request is reminded.
    async fn reminder_after_days(&self, ctx: &Context<'_>) -> async_graphql::Result<i32> {
        self.setting(ctx, self.0.reminder_after_days).await
    }

    /// The network's companies, oldest first; `search` matches names.
    #[graphql(complexity = "crate::graphql::connection::page_cost(first, last, child_complexity)")]
    async fn companies(
        &self,
        ctx: &Context<'_>,
        search: Option<String>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> async_graphql::Result<ListConnection<Listed<Company>>> {
        let page = page_request(first, after, last, before)?;
        let access = self.access(ctx).await?;
        let state = ctx.state().clone();
        let items = companies::list(&state, &access, search.as_deref(), &page).await?;
        ctx.loaders()
            .companies
            .prime(items.items.iter().map(|c| (c.id, c.clone())));
        Ok(connection(
            items,
            |c| c.id,
            |c| Listed(Company(c)),
            move || {
                let (state, access, search) = (state.clone(), access.clone(), search.clone());
                Box::pin(async move { companies::count(&state, &access, search.as_deref()).await })
            },
        ))
    }

    /// The network's professionals: all for network admins, verified ones for company
    /// admins, only their own profile for talent.
    #[graphql(complexity = "crate::graphql::connection::page_cost(first, last, child_complexity)")]
    #[allow(clippy::too_many_arguments)] // one per GraphQL argument
    async fn talent(
        &self,
        ctx: &Context<'_>,
        verified: Option<bool>,
        search: Option<String>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> async_graphql::Result<ListConnection<Talent>> {
        let page = page_request(first, after, last, before)?;
        let access = self.access(ctx).await?;
        let state = ctx.state().clone();
        let items = talent::list(&state, &access, verified, search.as_deref(), &page).await?;
        ctx.loaders()
            .talent
            .prime(items.items.iter().map(|t| (t.id, t.clone())));
        Ok(connection(
            items,
            |t| t.id,
            Talent,
            move || {
                let (state, access, search) = (state.clone(), access.clone(), search.clone());
                Box::pin(async move {
                    talent::count(&state, &access, verified, search.as_deref()).await
                })
            },
        ))
    }

    /// Allies (network admins only).
    #[graphql(complexity = "crate::graphql::connection::page_cost(first, last, child_complexity)")]
    async fn allies(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> async_graphql::Result<ListConnection<Ally>> {
        let page = page_request(first, after, last, before)?;
        let state = ctx.state().clone();
        let actor = ctx.actor().clone();
        let network_id = self.0.id;
        let items = networks::allies(&state, &actor, network_id, &page).await?;
        Ok(connection(
            items,
            |a| a.id,
            Ally,
            move || {
                let (state, actor) = (state.clone(), actor.clone());
                Box::pin(async move { networks::count_allies(&state, &actor, network_id).await })
            },
        ))
    }

    /// Contacts shared with this network now by its allies (network admins only; empty
    /// for everyone else). `company` matches the contact's company, case and spacing aside.
    #[graphql(complexity = "crate::graphql::connection::page_cost(first, last, child_complexity)")]
    #[allow(clippy::too_many_arguments)]
    async fn contacts(
        &self,
        ctx: &Context<'_>,
        search: Option<String>,
        company: Option<String>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> async_graphql::Result<ListConnection<Contact>> {
        if !self.access(ctx).await?.admin {
            return Ok(connection(
                Page::empty(),
                |c| c.id,
                Contact,
                || Box::pin(async { Ok(0) }),
            ));
        }
        let filter = ContactFilter { search, company };
        let scope = ContactScope::Network(self.0.id);
        contact_connection(ctx, scope, filter, first, after, last, before).await
    }

    /// The network's introduction lists (network admins only; empty for everyone else).
    #[graphql(complexity = "crate::graphql::connection::page_cost(first, last, child_complexity)")]
    async fn intro_lists(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> async_graphql::Result<ListConnection<IntroList>> {
        let page = page_request(first, after, last, before)?;
        if !self.access(ctx).await?.admin {
            return Ok(connection(
                Page::empty(),
                |l| l.id,
                IntroList,
                || Box::pin(async { Ok(0) }),
            ));
        }
        let state = ctx.state().clone();
        let network_id = self.0.id;
        let items = intro_lists::lists(&state, network_id, &page).await?;
        Ok(connection(
            items,
            |l| l.id,
            IntroList,
            move || {
                let state = state.clone();
                Box::pin(async move { intro_lists::count_lists(&state, network_id).await })
            },
        ))
    }

    /// Introduction requests the caller may see, newest first.
    #[graphql(complexity = "crate::graphql::connection::page_cost(first, last, child_complexity)")]
    async fn intro_requests(
        &self,
        ctx: &Context<'_>,
        filter: Option<IntroRequestFilter>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> async_graphql::Result<ListConnection<Listed<IntroRequest>>> {
        let page = page_request(first, after, last, before)?;
        let filter = filter
            .map(IntroRequestFilter::parse)
            .transpose()?
            .unwrap_or_default();
        super::intro_request::request_connection(ctx, self.0.id, filter, page).await
    }

    /// The network admins' inbox: requests that wait for them, longest waiting first
    /// (network admins only).
    #[graphql(complexity = "crate::graphql::connection::page_cost(first, last, child_complexity)")]
    async fn inbox(
        &self,
        ctx: &Context<'_>,
        section: InboxSection,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> async_graphql::Result<ListConnection<Listed<IntroRequest>>> {
        let page = page_request(first, after, last, before)?;
        let access = self.access(ctx).await?;
        let state = ctx.state().clone();
        let parties = super::intro_request::selects_parties(ctx);
        let items = introductions::inbox(&state, &access, section.into(), &page, parties).await?;
        let items = super::intro_request::listed(ctx, items);
        Ok(connection(
            items,
            |r| r.id,
            |r| Listed(IntroRequest(r)),
            move || {
                let (state, access) = (state.clone(), access.clone());
                Box::pin(async move {
                    let (in_network, out_of_network) =
                        introductions::inbox_counts(&state, &access).await?;
                    Ok(if section == InboxSection::InNetwork {
                        in_network
                    } else {
                        out_of_network
                    })
                })
            },
        ))
    }

    /// How many requests wait in each inbox section (network admins only).
    async fn inbox_counts(&self, ctx: &Context<'_>) -> async_graphql::Result<InboxCounts> {
        let (in_network, out_of_network) =
            introductions::inbox_counts(ctx.state(), &self.access(ctx).await?).await?;
        Ok(InboxCounts {
            in_network,
            out_of_network,
        })
    }

    /// Emails the network caused, newest first, e.g. `status: [FAILED]` for those given
    /// up (network admins only).
    #[graphql(complexity = "crate::graphql::connection::page_cost(first, last, child_complexity)")]
    async fn emails(
        &self,
        ctx: &Context<'_>,
        #[graphql(default)] status: Vec<EmailStatus>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> async_graphql::Result<ListConnection<EmailMessage>> {
        let page = page_request(first, after, last, before)?;
        let statuses: Vec<_> = status.into_iter().map(Into::into).collect();
        let (state, actor, network_id) = (ctx.state().clone(), ctx.actor().clone(), self.0.id);
        let items = emails::list(&state, &actor, network_id, &statuses, &page).await?;
        Ok(connection(
            items,
            |e| e.id,
            EmailMessage,
            move || {
                let (state, actor, statuses) = (state.clone(), actor.clone(), statuses.clone());
                Box::pin(async move { emails::count(&state, &actor, network_id, &statuses).await })
            },
        ))
    }

    /// The network's referral funnel: its requests created at or after `since` (all when
    /// null), to and from all its companies (network admins only).
    async fn referral_analytics(
        &self,
        ctx: &Context<'_>,
        since: Option<DateTime<Utc>>,
    ) -> async_graphql::Result<ReferralAnalytics> {
        let access = self.access(ctx).await?;
        let scope = referrals::Scope::Network(self.0.id);
        Ok(referrals::analytics(ctx.state(), &access, scope, since)
            .await?
            .into())
    }

    /// Network admins (network admins only).
    async fn admins(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<Account>> {
        Ok(networks::admins(ctx.state(), &ctx.actor(), self.0.id)
            .await?
            .into_iter()
            .map(Account)
            .collect())
    }

    /// Active API tokens (network admins only).
    async fn api_tokens(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<ApiToken>> {
        Ok(networks::api_tokens(ctx.state(), &ctx.actor(), self.0.id)
            .await?
            .into_iter()
            .map(ApiToken)
            .collect())
    }
}

/// Narrows `Network.introRequests`.
#[derive(async_graphql::InputObject, Default)]
pub struct IntroRequestFilter {
    #[graphql(default)]
    pub status: Vec<IntroStatus>,
    pub direction: Option<IntroDirection>,
    pub company_id: Option<ID>,
    pub talent_id: Option<ID>,
}

impl IntroRequestFilter {
    fn parse(self) -> Result<introductions::RequestFilter, crate::error::UserError> {
        Ok(introductions::RequestFilter {
            statuses: self.status.into_iter().map(Into::into).collect(),
            direction: self.direction.map(Into::into),
            company_id: self
                .company_id
                .map(|id| GlobalId::parse(NodeKind::Company, "filter.companyId", &id))
                .transpose()?,
            talent_id: self
                .talent_id
                .map(|id| GlobalId::parse(NodeKind::Talent, "filter.talentId", &id))
                .transpose()?,
        })
    }
}

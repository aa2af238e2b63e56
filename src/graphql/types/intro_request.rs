use async_graphql::{Context, Enum, ID, Object, SimpleObject};
use chrono::{DateTime, Utc};
use entities::{intro_request, intro_request_event};

use super::{Account, Company, CompanyAdmin, IntroRequestGreenhouse, Job, Talent};
use crate::{
    error::ServiceError,
    graphql::one_pass::Listed,
    graphql::{
        connection::{ListConnection, connection},
        context::ContextExt,
        ids::{GlobalId, NodeKind},
        loaders::Loaders,
    },
    services::{introductions, pagination::Page},
};

#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "entities::enums::IntroStatus")]
pub enum IntroStatus {
    /// Held for a network admin's review.
    PendingReview,
    /// The company has no active admin to receive it.
    AwaitingPointOfContact,
    /// Delivered to the recipient.
    Sent,
    Accepted,
    Declined,
    Withdrawn,
    Expired,
}

#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "entities::enums::IntroDirection")]
pub enum IntroDirection {
    TalentToCompany,
    CompanyToTalent,
}

/// The sections of the network admins' inbox.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "crate::services::introductions::InboxSection")]
pub enum InboxSection {
    /// Requests the gatekeeper holds for review.
    InNetwork,
    /// Requests to companies with nobody to receive them.
    OutOfNetwork,
}

#[derive(SimpleObject)]
pub struct InboxCounts {
    pub in_network: i64,
    pub out_of_network: i64,
}

/// The requests of a network the caller may see, filtered: `Network.introRequests`,
/// `Company.introRequests` and `Talent.introRequests` all answer through here.
pub async fn request_connection(
    ctx: &Context<'_>,
    network_id: uuid::Uuid,
    filter: introductions::RequestFilter,
    page: crate::services::pagination::PageRequest,
) -> async_graphql::Result<ListConnection<Listed<IntroRequest>>> {
    let access = ctx.actor().access(&ctx.state().db, network_id).await?;
    let state = ctx.state().clone();
    let items = introductions::list(&state, &access, &filter, &page, selects_parties(ctx)).await?;
    let items = listed(ctx, items);
    Ok(connection(
        items,
        |r| r.id,
        |r| Listed(IntroRequest(r)),
        move || {
            let (state, access, filter) = (state.clone(), access.clone(), filter.clone());
            Box::pin(async move { introductions::count(&state, &access, &filter).await })
        },
    ))
}

/// The requests of a page, the loaders primed with them and with the talent and companies
/// read with them.
pub fn listed(
    ctx: &Context<'_>,
    page: Page<introductions::WithParties>,
) -> Page<intro_request::Model> {
    prime(&ctx.loaders(), &page.items);
    page.map(|(request, _, _)| request)
}

fn prime(loaders: &Loaders, requests: &[introductions::WithParties]) {
    loaders.talent.prime(
        requests
            .iter()
            .filter_map(|(_, talent, _)| talent.clone())
            .map(|t| (t.id, t)),
    );
    loaders.companies.prime(
        requests
            .iter()
            .filter_map(|(_, _, company)| company.clone())
            .map(|c| (c.id, c)),
    );
    loaders
        .intro_requests
        .prime(requests.iter().map(|(r, _, _)| (r.id, r.clone())));
}

/// `node(id:)` of a request whose talent or company is selected: the three are read in one
/// statement (one for all the `node`s of a document) and the loaders primed with them,
/// where the loaders would read them in three. Whether the actor sees the request is
/// decided after, as for any node.
pub async fn prime_node(ctx: &Context<'_>, id: &ID) -> async_graphql::Result<()> {
    let Some(GlobalId {
        kind: NodeKind::IntroRequest,
        id,
    }) = GlobalId::decode(id)
    else {
        return Ok(());
    };
    let selected = ctx.look_ahead();
    if !(selected.field("talent").exists() || selected.field("company").exists()) {
        return Ok(());
    }
    let loaders = ctx.loaders();
    if let Some(found) = loaders.intro_requests_with_parties.load_one(id).await? {
        prime(&loaders, std::slice::from_ref(&found));
    }
    Ok(())
}

/// Whether a list's requests are asked for their talent or company.
pub fn selects_parties(ctx: &Context<'_>) -> bool {
    let look_ahead = ctx.look_ahead();
    [
        look_ahead.field("nodes"),
        look_ahead.field("edges").field("node"),
    ]
    .iter()
    .any(|request| request.field("talent").exists() || request.field("company").exists())
        // A compiled list reads them in its own statement.
        && !crate::graphql::one_pass::request_lists_compile(ctx)
}

/// The side of a request a list follows.
pub enum Party {
    Company(uuid::Uuid),
    Talent(uuid::Uuid),
}

/// `Company.introRequests` and `Talent.introRequests`: a party's requests in these statuses
/// (all when empty) that the caller may see.
pub async fn party_requests(
    ctx: &Context<'_>,
    network_id: uuid::Uuid,
    party: Party,
    status: Vec<IntroStatus>,
    page: crate::services::pagination::PageRequest,
) -> async_graphql::Result<ListConnection<Listed<IntroRequest>>> {
    let (company_id, talent_id) = match party {
        Party::Company(id) => (Some(id), None),
        Party::Talent(id) => (None, Some(id)),
    };
    let filter = introductions::RequestFilter {
        statuses: status.into_iter().map(Into::into).collect(),
        company_id,
        talent_id,
        ..Default::default()
    };
    request_connection(ctx, network_id, filter, page).await
}

/// `IntroRequest.declineReason`: for whoever may see it.
pub async fn visible_decline_reason<'r>(
    ctx: &impl ContextExt,
    request: &'r intro_request::Model,
) -> async_graphql::Result<Option<&'r str>> {
    let Some(reason) = request.decline_reason.as_deref() else {
        return Ok(None);
    };
    let actor = ctx.actor();
    let access = actor.access(&ctx.state().db, request.network_id).await?;
    let network = ctx.loaders().networks.load_one(request.network_id).await?;
    let notify = network.is_some_and(|n| n.notify_requester_on_decline);
    Ok(
        introductions::sees_decline_reason(&access, request, notify, actor.account_id())
            .then_some(reason),
    )
}

/// A request to introduce a professional and a company.
pub struct IntroRequest(pub intro_request::Model);

/// An object a request refers to is gone.
pub(crate) fn missing(what: &str, id: uuid::Uuid) -> ServiceError {
    ServiceError::Internal(anyhow::anyhow!(
        "intro request refers to a missing {what} {id}"
    ))
}

#[Object]
impl IntroRequest {
    pub async fn id(&self) -> ID {
        GlobalId::encode(NodeKind::IntroRequest, self.0.id)
    }

    async fn direction(&self) -> IntroDirection {
        self.0.direction.into()
    }

    async fn status(&self) -> IntroStatus {
        self.0.status.into()
    }

    /// Where it waits in the network admins' inbox, if it does.
    async fn inbox_section(&self) -> Option<InboxSection> {
        introductions::InboxSection::of(self.0.status).map(Into::into)
    }

    async fn talent(&self, ctx: &Context<'_>) -> async_graphql::Result<Talent> {
        let talent = ctx.loaders().talent.load_one(self.0.talent_id).await?;
        Ok(Talent(
            talent.ok_or_else(|| missing("talent", self.0.talent_id))?,
        ))
    }

    async fn company(&self, ctx: &Context<'_>) -> async_graphql::Result<Company> {
        let company = ctx.loaders().companies.load_one(self.0.company_id).await?;
        Ok(Company(
            company.ok_or_else(|| missing("company", self.0.company_id))?,
        ))
    }

    /// Jobs of the company the request is about.
    async fn jobs(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<Job>> {
        Ok(ctx
            .loaders()
            .intro_request_jobs
            .load_one(self.0.id)
            .await?
            .unwrap_or_default()
            .into_iter()
            .map(Job)
            .collect())
    }

    async fn message(&self) -> &str {
        &self.0.message
    }

    /// Who asked.
    async fn requested_by(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Account>> {
        Ok(ctx
            .loaders()
            .accounts
            .load_one(self.0.requested_by_account_id)
            .await?
            .map(Account))
    }

    /// The company admin a network admin suggested while the company had none.
    async fn point_of_contact(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<Option<CompanyAdmin>> {
        let Some(id) = self.0.point_of_contact_id else {
            return Ok(None);
        };
        Ok(ctx
            .loaders()
            .company_admin_rows
            .load_one(id)
            .await?
            .map(CompanyAdmin))
    }

    /// Why it was declined: shown to the requester only if the network tells requesters.
    async fn decline_reason(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<&str>> {
        visible_decline_reason(ctx, &self.0).await
    }

    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }

    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }

    /// When it was delivered to the recipient.
    async fn sent_at(&self) -> Option<DateTime<Utc>> {
        self.0.sent_at
    }

    /// When it was accepted, declined, withdrawn or expired.
    async fn decided_at(&self) -> Option<DateTime<Utc>> {
        self.0.decided_at
    }

    /// The request in the company's Greenhouse: its admins and the network's admins; null
    /// for everyone else, and when the company is not connected (and nothing was pushed).
    async fn greenhouse(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<Option<IntroRequestGreenhouse>> {
        let access = ctx
            .actor()
            .access(&ctx.state().db, self.0.network_id)
            .await?;
        if !access.manages_company(self.0.company_id) {
            return Ok(None);
        }
        let loaders = ctx.loaders();
        let (push, connection) = futures::try_join!(
            loaders.greenhouse_pushes.load_one(self.0.id),
            loaders.greenhouse_connections.load_one(self.0.company_id),
        )?;
        if push.is_none() && connection.is_none() {
            return Ok(None);
        }
        Ok(Some(IntroRequestGreenhouse {
            request: self.0.id,
            push,
        }))
    }

    /// The timeline: every change of status, oldest first.
    async fn events(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<IntroRequestEvent>> {
        Ok(ctx
            .loaders()
            .intro_request_events
            .load_one(self.0.id)
            .await?
            .unwrap_or_default()
            .into_iter()
            .map(IntroRequestEvent)
            .collect())
    }
}

/// One step of a request's timeline.
pub struct IntroRequestEvent(pub intro_request_event::Model);

#[Object]
impl IntroRequestEvent {
    async fn at(&self) -> DateTime<Utc> {
        self.0.at
    }

    /// Who made the change; `null` for the system (reminders, expiry).
    async fn actor(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Account>> {
        let Some(id) = self.0.actor_account_id else {
            return Ok(None);
        };
        Ok(ctx.loaders().accounts.load_one(id).await?.map(Account))
    }

    async fn from_status(&self) -> Option<IntroStatus> {
        self.0.from_status.map(Into::into)
    }

    async fn to_status(&self) -> IntroStatus {
        self.0.to_status.into()
    }

    async fn note(&self) -> Option<&str> {
        self.0.note.as_deref()
    }
}

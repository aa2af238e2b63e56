use async_graphql::{Context, ID, Object};
use chrono::{DateTime, Utc};
use entities::{company, company_admin};

use super::{
    Ally, CompanyAdminStatus, CompanyGreenhouse, Contact, HiringStatus, IntroRequest, Job,
    JobStatus, Network, WarmPath,
    greenhouse::ReferralAnalytics,
    intro_request::{Party, party_requests},
};
use crate::{
    graphql::one_pass::Listed,
    graphql::{
        connection::{ListConnection, connection, page_request},
        context::ContextExt,
        ids::{GlobalId, NodeKind},
        loaders::JobsKey,
    },
    services::{companies, contacts, greenhouse::referrals},
};

/// A company of the network.
pub struct Company(pub company::Model);

#[Object]
impl Company {
    pub async fn id(&self) -> ID {
        GlobalId::encode(NodeKind::Company, self.0.id)
    }

    async fn name(&self) -> &str {
        &self.0.name
    }

    async fn domain(&self) -> Option<&str> {
        self.0.domain.as_deref()
    }

    async fn website_url(&self) -> Option<&str> {
        self.0.website_url.as_deref()
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
        let party = Party::Company(self.0.id);
        party_requests(ctx, self.0.network_id, party, status, page).await
    }

    /// The company's Greenhouse connection: its admins and the network's admins; null for
    /// everyone else.
    async fn greenhouse(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<Option<CompanyGreenhouse>> {
        let access = ctx
            .actor()
            .access(&ctx.state().db, self.0.network_id)
            .await?;
        if !access.manages_company(self.0.id) {
            return Ok(None);
        }
        let connection = ctx
            .loaders()
            .greenhouse_connections
            .load_one(self.0.id)
            .await?;
        Ok(Some(CompanyGreenhouse {
            company: self.0.clone(),
            connection,
        }))
    }

    /// The "Interviewing" view: the company's accepted requests in its Greenhouse, in this
    /// hiring status if given, newest first. Its admins and the network's admins; empty for
    /// everyone else.
    #[graphql(complexity = "crate::graphql::connection::page_cost(first, last, child_complexity)")]
    async fn referrals(
        &self,
        ctx: &Context<'_>,
        hiring_status: Option<HiringStatus>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> async_graphql::Result<ListConnection<Listed<IntroRequest>>> {
        let page = page_request(first, after, last, before)?;
        let access = ctx
            .actor()
            .access(&ctx.state().db, self.0.network_id)
            .await?;
        let (state, company) = (ctx.state().clone(), self.0.id);
        let status = hiring_status.map(Into::into);
        let items = referrals::referrals(&state, &access, company, status, &page).await?;
        ctx.loaders()
            .intro_requests
            .prime(items.items.iter().map(|r| (r.id, r.clone())));
        Ok(connection(
            items,
            |r| r.id,
            |r| Listed(IntroRequest(r)),
            move || {
                let (state, access) = (state.clone(), access.clone());
                Box::pin(async move {
                    referrals::count_referrals(&state, &access, company, status).await
                })
            },
        ))
    }

    /// The company's referral funnel: its requests created at or after `since` (all when
    /// null). Its admins and the network's admins.
    async fn referral_analytics(
        &self,
        ctx: &Context<'_>,
        since: Option<DateTime<Utc>>,
    ) -> async_graphql::Result<ReferralAnalytics> {
        let access = ctx
            .actor()
            .access(&ctx.state().db, self.0.network_id)
            .await?;
        let scope = referrals::Scope::Company {
            network_id: self.0.network_id,
            company_id: self.0.id,
        };
        Ok(referrals::analytics(ctx.state(), &access, scope, since)
            .await?
            .into())
    }

    async fn network(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Network>> {
        Ok(ctx
            .loaders()
            .networks
            .load_one(self.0.network_id)
            .await?
            .map(Network))
    }

    /// The people who receive the company's introductions (invited and active). Visible to
    /// network admins and the company's own admins; empty for everyone else.
    async fn admins(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<CompanyAdmin>> {
        let access = ctx
            .actor()
            .access(&ctx.state().db, self.0.network_id)
            .await?;
        if !access.sees_company_admins(self.0.id) {
            return Ok(Vec::new());
        }
        let admins = ctx
            .loaders()
            .company_admins
            .load_one(self.0.id)
            .await?
            .unwrap_or_default();
        Ok(admins.into_iter().map(CompanyAdmin).collect())
    }

    /// The network's allies who know people at this company (their contacts whose company
    /// is its name, case and spacing aside, or whose email is at its domain), those who
    /// know most first. Network admins only; empty for everyone else.
    async fn warm_paths(
        &self,
        ctx: &Context<'_>,
        #[graphql(default = 20, validator(minimum = 1, maximum = 100))] first: i32,
    ) -> async_graphql::Result<Vec<WarmPath>> {
        let access = ctx
            .actor()
            .access(&ctx.state().db, self.0.network_id)
            .await?;
        let paths = contacts::warm_paths(ctx.state(), &access, &self.0, first as usize).await?;
        Ok(paths
            .into_iter()
            .map(|path| WarmPath {
                ally: Ally(path.ally),
                contacts: path.contacts.into_iter().map(Contact).collect(),
            })
            .collect())
    }

    /// Whether someone receives introductions for this company.
    async fn has_active_admin(&self, ctx: &Context<'_>) -> async_graphql::Result<bool> {
        let admins = ctx
            .loaders()
            .company_admins
            .load_one(self.0.id)
            .await?
            .unwrap_or_default();
        Ok(companies::has_active_admin(&admins))
    }

    /// The company's jobs: all of them for its admins and network admins, open ones for
    /// the rest of the network.
    #[graphql(complexity = "crate::graphql::connection::page_cost(first, last, child_complexity)")]
    async fn jobs(
        &self,
        ctx: &Context<'_>,
        status: Option<JobStatus>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> async_graphql::Result<ListConnection<Job>> {
        let page = page_request(first, after, last, before)?;
        let access = ctx
            .actor()
            .access(&ctx.state().db, self.0.network_id)
            .await?;
        let company = self.0.id;
        let key = JobsKey::visible(&access, company, status.map(Into::into), page);
        let filter = key.filter;
        let loaders = ctx.loaders();
        let jobs = loaders
            .job_pages
            .load_one(key)
            .await?
            .unwrap_or_else(crate::services::pagination::Page::empty);
        loaders
            .jobs
            .prime(jobs.items.iter().map(|j| (j.id, j.clone())));
        let counts = loaders.job_counts.clone();
        Ok(connection(
            jobs,
            |j| j.id,
            Job,
            move || {
                let counts = counts.clone();
                Box::pin(async move {
                    Ok(counts
                        .load_one((company, filter))
                        .await?
                        .unwrap_or_default())
                })
            },
        ))
    }
}

/// A person who receives a company's introductions.
pub struct CompanyAdmin(pub company_admin::Model);

#[Object]
impl CompanyAdmin {
    pub async fn id(&self) -> ID {
        GlobalId::encode(NodeKind::CompanyAdmin, self.0.id)
    }

    async fn name(&self) -> &str {
        &self.0.name
    }

    async fn email(&self) -> &str {
        &self.0.email
    }

    async fn status(&self) -> CompanyAdminStatus {
        self.0.status.into()
    }

    async fn invited_at(&self) -> DateTime<Utc> {
        self.0.invited_at
    }

    async fn accepted_at(&self) -> Option<DateTime<Utc>> {
        self.0.accepted_at
    }

    async fn company(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Company>> {
        Ok(ctx
            .loaders()
            .companies
            .load_one(self.0.company_id)
            .await?
            .map(Company))
    }
}

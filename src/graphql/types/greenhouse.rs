use async_graphql::{Context, Enum, ID, Object, SimpleObject};
use chrono::{DateTime, Utc};
use entities::{
    company,
    enums::{GreenhouseApplicationStatus, GreenhousePushStatus as PushStatus},
    greenhouse_application, greenhouse_connection, greenhouse_push,
};

use super::Job;
use crate::{
    graphql::{
        connection::{ListConnection, connection, page_request},
        context::ContextExt,
        ids::{GlobalId, NodeKind},
    },
    services::greenhouse::connection as greenhouse,
};

/// Who sees the note introgate adds to a candidate in Greenhouse.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "entities::enums::GreenhouseNoteVisibility")]
pub enum GreenhouseNoteVisibility {
    Public,
    Private,
    AdminOnly,
}

/// Where a candidate came from, in Greenhouse; applications introgate adds credit one.
#[derive(SimpleObject, Debug, Clone)]
pub struct GreenhouseSource {
    pub id: String,
    pub name: String,
}

impl From<crate::greenhouse::Source> for GreenhouseSource {
    fn from(source: crate::greenhouse::Source) -> Self {
        Self {
            id: source.id.to_string(),
            name: source.name,
        }
    }
}

/// An interview stage of a job, in Greenhouse.
#[derive(SimpleObject, Debug, Clone)]
pub struct GreenhouseStage {
    pub id: String,
    pub name: String,
}

/// A company's Greenhouse connection, as its admins and the network's admins see it.
pub struct CompanyGreenhouse {
    pub company: company::Model,
    pub connection: Option<greenhouse_connection::Model>,
}

#[Object]
impl CompanyGreenhouse {
    async fn connected(&self) -> bool {
        self.connection.is_some()
    }

    /// The Greenhouse user introgate acts as.
    async fn user_id(&self) -> Option<String> {
        self.connection.as_ref().map(|c| c.user_id.to_string())
    }

    /// The source that credits introgate on the applications it adds.
    async fn source(&self) -> Option<GreenhouseSource> {
        let connection = self.connection.as_ref()?;
        let id = connection.source_id?;
        greenhouse::sources(connection)
            .into_iter()
            .find(|s| s.id == id)
            .map(Into::into)
    }

    /// The account's sources, as last read from Greenhouse.
    async fn sources(&self) -> Vec<GreenhouseSource> {
        self.connection
            .as_ref()
            .map(greenhouse::sources)
            .unwrap_or_default()
            .into_iter()
            .map(Into::into)
            .collect()
    }

    async fn note_visibility(&self) -> Option<GreenhouseNoteVisibility> {
        self.connection.as_ref().map(|c| c.note_visibility.into())
    }

    /// When the open jobs were last imported.
    async fn last_sync_at(&self) -> Option<DateTime<Utc>> {
        self.connection.as_ref().and_then(|c| c.last_sync_at)
    }

    /// When the hiring statuses were last read.
    async fn last_poll_at(&self) -> Option<DateTime<Utc>> {
        self.connection.as_ref().and_then(|c| c.last_poll_at)
    }

    /// Where to point Greenhouse's webhooks (*Configure → Dev Center → Web Hooks*), with
    /// the same secret as `webhookSecret`.
    async fn webhook_url(&self, ctx: &Context<'_>) -> Option<String> {
        self.connection.as_ref()?;
        let company = GlobalId::encode(NodeKind::Company, self.company.id);
        Some(
            ctx.state()
                .greenhouse_webhook_base
                .link(&format!("webhooks/greenhouse/{}", company.as_str())),
        )
    }

    /// Whether a webhook secret is set (webhooks are refused without one).
    async fn webhook_secret_set(&self) -> bool {
        self.connection
            .as_ref()
            .is_some_and(|c| c.webhook_secret_sealed.is_some())
    }

    /// Why the last import or status poll failed, if it did.
    async fn last_error(&self) -> Option<&str> {
        self.connection
            .as_ref()
            .and_then(|c| c.last_error.as_deref())
    }

    /// The jobs imported from Greenhouse (closed ones too), oldest first.
    #[graphql(complexity = "crate::graphql::connection::page_cost(first, last, child_complexity)")]
    async fn jobs(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> async_graphql::Result<ListConnection<Job>> {
        let page = page_request(first, after, last, before)?;
        let (state, company) = (ctx.state().clone(), self.company.id);
        let jobs = greenhouse::imported_jobs(&state, company, &page).await?;
        ctx.loaders()
            .jobs
            .prime(jobs.items.iter().map(|j| (j.id, j.clone())));
        Ok(connection(
            jobs,
            |j| j.id,
            Job,
            move || {
                let state = state.clone();
                Box::pin(async move { greenhouse::count_imported_jobs(&state, company).await })
            },
        ))
    }

    /// A job's interview stages, in order.
    async fn stages(
        &self,
        ctx: &Context<'_>,
        job_id: ID,
    ) -> async_graphql::Result<Vec<GreenhouseStage>> {
        let job = GlobalId::parse(NodeKind::Job, "jobId", &job_id)?;
        Ok(greenhouse::stages(ctx.state(), &self.company, job)
            .await?
            .into_iter()
            .map(|s| GreenhouseStage {
                id: s.greenhouse_stage_id.to_string(),
                name: s.name,
            })
            .collect())
    }
}

/// Where the push of an accepted introduction into Greenhouse stands.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum GreenhousePushStatus {
    /// Not accepted (yet): nothing to push.
    NotRequested,
    Pending,
    Pushed,
    /// Given up after `GREENHOUSE_MAX_ATTEMPTS`; `lastError` says why.
    Failed,
}

/// A referral's hiring status in Greenhouse.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "crate::services::greenhouse::referrals::HiringStatus")]
pub enum HiringStatus {
    InProcess,
    Hired,
    Rejected,
}

impl From<GreenhouseApplicationStatus> for HiringStatus {
    fn from(status: GreenhouseApplicationStatus) -> Self {
        // The rule the referral list and figures use.
        crate::services::greenhouse::referrals::HiringStatus::of_application(status).into()
    }
}

/// An application introgate added in Greenhouse.
pub struct GreenhouseApplication(pub greenhouse_application::Model);

#[Object]
impl GreenhouseApplication {
    async fn id(&self) -> String {
        self.0.greenhouse_application_id.to_string()
    }

    /// The job it is for; none for a prospect.
    async fn job(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Job>> {
        let Some(id) = self.0.job_id else {
            return Ok(None);
        };
        Ok(ctx.loaders().jobs.load_one(id).await?.map(Job))
    }

    /// The job's title, or "Prospect".
    async fn job_name(&self, ctx: &Context<'_>) -> async_graphql::Result<String> {
        let Some(id) = self.0.job_id else {
            return Ok("Prospect".into());
        };
        Ok(ctx
            .loaders()
            .jobs
            .load_one(id)
            .await?
            .map(|j| j.title)
            .unwrap_or_default())
    }

    async fn status(&self) -> HiringStatus {
        self.0.status.into()
    }

    /// The interview stage it is in now, as last read.
    async fn stage_name(&self) -> Option<&str> {
        self.0.stage_name.as_deref()
    }

    /// When it last changed in Greenhouse.
    async fn updated_at(&self) -> Option<DateTime<Utc>> {
        self.0.greenhouse_updated_at
    }
}

/// An introduction request in the company's Greenhouse.
pub struct IntroRequestGreenhouse {
    pub request: uuid::Uuid,
    pub push: Option<greenhouse_push::Model>,
}

#[Object]
impl IntroRequestGreenhouse {
    async fn push_status(&self) -> GreenhousePushStatus {
        match self.push.as_ref().map(|p| p.status) {
            None => GreenhousePushStatus::NotRequested,
            Some(PushStatus::Pending) => GreenhousePushStatus::Pending,
            Some(PushStatus::Pushed) => GreenhousePushStatus::Pushed,
            Some(PushStatus::Failed) => GreenhousePushStatus::Failed,
        }
    }

    /// The candidate in Greenhouse, once found or created.
    async fn candidate_id(&self) -> Option<String> {
        self.push
            .as_ref()
            .and_then(|p| p.candidate_id)
            .map(|id| id.to_string())
    }

    /// Added as a prospect: no job of the request came from Greenhouse.
    async fn prospect(&self) -> bool {
        self.push.as_ref().is_some_and(|p| p.prospect)
    }

    async fn last_error(&self) -> Option<&str> {
        self.push.as_ref().and_then(|p| p.last_error.as_deref())
    }

    async fn attempts(&self) -> i32 {
        self.push.as_ref().map_or(0, |p| p.attempts)
    }

    async fn applications(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<Vec<GreenhouseApplication>> {
        Ok(ctx
            .loaders()
            .greenhouse_applications
            .load_one(self.request)
            .await?
            .unwrap_or_default()
            .into_iter()
            .map(GreenhouseApplication)
            .collect())
    }
}

/// The referral funnel of a network or a company: its requests created since a date, in
/// both directions, and what became of them.
#[derive(SimpleObject, Debug, Clone)]
pub struct ReferralAnalytics {
    /// Requests made.
    pub requested: i64,
    pub accepted: i64,
    pub declined: i64,
    /// Accepted requests pushed to Greenhouse.
    pub in_greenhouse: i64,
    /// Of those in Greenhouse: in process.
    pub interviewing: i64,
    pub hired: i64,
    pub rejected: i64,
    /// accepted / (accepted + declined); null when none was decided.
    pub acceptance_rate: Option<f64>,
    /// From request to decision, over the accepted and declined ones; null when none.
    pub median_hours_to_decision: Option<f64>,
    /// From acceptance to the first hire, over the hired ones; null when none.
    pub median_days_to_hire: Option<f64>,
}

impl From<crate::services::greenhouse::referrals::Analytics> for ReferralAnalytics {
    fn from(figures: crate::services::greenhouse::referrals::Analytics) -> Self {
        Self {
            requested: figures.requested,
            accepted: figures.accepted,
            declined: figures.declined,
            in_greenhouse: figures.in_greenhouse,
            interviewing: figures.interviewing,
            hired: figures.hired,
            rejected: figures.rejected,
            acceptance_rate: figures.acceptance_rate,
            median_hours_to_decision: figures.median_hours_to_decision,
            median_days_to_hire: figures.median_days_to_hire,
        }
    }
}

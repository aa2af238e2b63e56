use async_graphql::{Context, ID, Object};
use chrono::{DateTime, Utc};
use entities::job;

use super::{Company, JobStatus};
use crate::graphql::{
    context::ContextExt,
    ids::{GlobalId, NodeKind},
};

/// An opening at a company.
pub struct Job(pub job::Model);

#[Object]
impl Job {
    pub async fn id(&self) -> ID {
        GlobalId::encode(NodeKind::Job, self.0.id)
    }

    async fn title(&self) -> &str {
        &self.0.title
    }

    async fn location(&self) -> Option<&str> {
        self.0.location.as_deref()
    }

    async fn department(&self) -> Option<&str> {
        self.0.department.as_deref()
    }

    async fn url(&self) -> Option<&str> {
        self.0.url.as_deref()
    }

    async fn status(&self) -> JobStatus {
        self.0.status.into()
    }

    /// The job's id in Greenhouse, when imported from there.
    async fn greenhouse_job_id(&self) -> Option<String> {
        self.0.greenhouse_job_id.map(|id| id.to_string())
    }

    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }

    async fn company(&self, ctx: &Context<'_>) -> async_graphql::Result<Company> {
        let company = ctx.loaders().companies.load_one(self.0.company_id).await?;
        Ok(Company(company.ok_or_else(|| {
            crate::error::ServiceError::Internal(anyhow::anyhow!(
                "job {} without company",
                self.0.id
            ))
        })?))
    }
}

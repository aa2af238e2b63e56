use async_graphql::{Context, ID, Object};
use chrono::{DateTime, Utc};
use entities::job;

use super::{Ally, Company, Contact, JobStatus, Talent};
use crate::{
    graphql::{
        context::ContextExt,
        ids::{GlobalId, NodeKind},
    },
    services::recommendations::{self, Candidate},
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

    /// Who fits this job, best first: the network's talent by headline and the contacts
    /// its allies share by position and company, matched against the title and department
    /// (SPEC §7.1). Network admins see both; the company's admins see verified talent only;
    /// everyone else, and a closed job, gets none.
    async fn recommendations(
        &self,
        ctx: &Context<'_>,
        #[graphql(default = 20, validator(minimum = 1, maximum = 50))] first: i32,
    ) -> async_graphql::Result<Vec<Recommendation>> {
        let found =
            recommendations::recommendations(ctx.state(), &ctx.actor(), &self.0, first as usize)
                .await?;
        Ok(found
            .into_iter()
            .map(|r| {
                let (talent, contact) = match r.candidate {
                    Candidate::Talent(t) => (Some(Talent(t)), None),
                    Candidate::Contact(c) => (None, Some(Contact(c))),
                };
                Recommendation {
                    score: f64::from(r.score),
                    matched_terms: r.matched_terms,
                    talent,
                    contact,
                    known_by: r.known_by.into_iter().map(Ally).collect(),
                }
            })
            .collect())
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

/// A person who may fit a job: a talent of the network or a contact an ally shares.
#[derive(async_graphql::SimpleObject)]
pub struct Recommendation {
    /// The weights of the job's terms matched: 2 per title term, 1 per department term.
    pub score: f64,
    /// The job's words the candidate matched, as the job spells them, lower-cased.
    pub matched_terms: Vec<String>,
    pub talent: Option<Talent>,
    pub contact: Option<Contact>,
    /// The network's allies who know this person (empty for a company's admins).
    pub known_by: Vec<Ally>,
}

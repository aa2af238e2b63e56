use async_graphql::{Context, ID, InputObject, Object};

use super::parse_id;
use crate::{
    graphql::{context::ContextExt, errors::Payload, types::Job},
    payload,
    services::jobs::{self, NewJob},
};

#[derive(Default)]
pub struct JobMutations;

#[derive(InputObject)]
pub struct CreateJobInput {
    pub company_id: ID,
    pub title: String,
    pub location: Option<String>,
    pub department: Option<String>,
    pub url: Option<String>,
}

payload!(CreateJobPayload { job: Job });

#[derive(InputObject)]
pub struct CloseJobInput {
    pub job_id: ID,
}

payload!(CloseJobPayload { job: Job });

#[Object]
impl JobMutations {
    async fn create_job(
        &self,
        ctx: &Context<'_>,
        input: CreateJobInput,
    ) -> async_graphql::Result<CreateJobPayload> {
        let company_id = parse_id!(CreateJobPayload, Company, "companyId", input.company_id);
        let result = jobs::create(
            ctx.state(),
            &ctx.actor(),
            NewJob {
                company_id,
                title: &input.title,
                location: input.location.as_deref(),
                department: input.department.as_deref(),
                url: input.url.as_deref(),
            },
        )
        .await;
        CreateJobPayload::respond(result, |j| CreateJobPayload {
            job: Some(Job(j)),
            user_errors: vec![],
        })
    }

    /// Closes a job (closing a closed job is harmless).
    async fn close_job(
        &self,
        ctx: &Context<'_>,
        input: CloseJobInput,
    ) -> async_graphql::Result<CloseJobPayload> {
        let job_id = parse_id!(CloseJobPayload, Job, "jobId", input.job_id);
        let result = jobs::close(ctx.state(), &ctx.actor(), job_id).await;
        CloseJobPayload::respond(result, |j| CloseJobPayload {
            job: Some(Job(j)),
            user_errors: vec![],
        })
    }
}

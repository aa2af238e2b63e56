use async_graphql::{Context, ID, InputObject, Object};

use super::parse_id;
use crate::{
    graphql::{
        context::ContextExt,
        errors::Payload,
        ids::{GlobalId, NodeKind},
        types::IntroRequest,
    },
    payload,
    services::introductions::{self, NewRequest},
};

#[derive(Default)]
pub struct IntroductionMutations;

#[derive(InputObject)]
pub struct RequestIntroToCompanyInput {
    pub company_id: ID,
    /// Open jobs of the company the talent is interested in.
    #[graphql(default)]
    pub job_ids: Vec<ID>,
    pub message: String,
}

#[derive(InputObject)]
pub struct RequestIntroToTalentInput {
    pub company_id: ID,
    pub talent_id: ID,
    /// Open jobs of the company the introduction is about.
    #[graphql(default)]
    pub job_ids: Vec<ID>,
    pub message: String,
}

payload!(RequestIntroPayload {
    intro_request: IntroRequest
});

fn job_ids(ids: &[ID]) -> Result<Vec<uuid::Uuid>, crate::error::UserError> {
    ids.iter()
        .map(|id| GlobalId::parse(NodeKind::Job, "jobIds", id))
        .collect()
}

#[Object]
impl IntroductionMutations {
    /// A verified talent asks to be introduced to a company of their network.
    async fn request_intro_to_company(
        &self,
        ctx: &Context<'_>,
        input: RequestIntroToCompanyInput,
    ) -> async_graphql::Result<RequestIntroPayload> {
        let company_id = parse_id!(RequestIntroPayload, Company, "companyId", input.company_id);
        let jobs = match job_ids(&input.job_ids) {
            Ok(jobs) => jobs,
            Err(error) => return Ok(RequestIntroPayload::failed(vec![error.into()])),
        };
        let result = introductions::request(
            ctx.state(),
            ctx.actor(),
            NewRequest {
                company_id,
                talent_id: None,
                job_ids: &jobs,
                message: &input.message,
            },
        )
        .await;
        RequestIntroPayload::respond(result, |r| RequestIntroPayload {
            intro_request: Some(IntroRequest(r)),
            user_errors: vec![],
        })
    }

    /// A company admin asks to be introduced to a talent of the network.
    async fn request_intro_to_talent(
        &self,
        ctx: &Context<'_>,
        input: RequestIntroToTalentInput,
    ) -> async_graphql::Result<RequestIntroPayload> {
        let company_id = parse_id!(RequestIntroPayload, Company, "companyId", input.company_id);
        let talent_id = parse_id!(RequestIntroPayload, Talent, "talentId", input.talent_id);
        let jobs = match job_ids(&input.job_ids) {
            Ok(jobs) => jobs,
            Err(error) => return Ok(RequestIntroPayload::failed(vec![error.into()])),
        };
        let result = introductions::request(
            ctx.state(),
            ctx.actor(),
            NewRequest {
                company_id,
                talent_id: Some(talent_id),
                job_ids: &jobs,
                message: &input.message,
            },
        )
        .await;
        RequestIntroPayload::respond(result, |r| RequestIntroPayload {
            intro_request: Some(IntroRequest(r)),
            user_errors: vec![],
        })
    }
}

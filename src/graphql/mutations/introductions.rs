use async_graphql::{Context, ID, InputObject, Object};

use super::parse_id;
use crate::{
    graphql::{
        context::ContextExt,
        errors::Payload,
        ids::{GlobalId, NodeKind},
        types::{CompanyAdmin, IntroRequest},
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

/// Both directions of asking: the jobs parsed, then one service call.
async fn request_intro(
    ctx: &Context<'_>,
    company_id: uuid::Uuid,
    talent_id: Option<uuid::Uuid>,
    job_ids: &[ID],
    message: &str,
) -> async_graphql::Result<RequestIntroPayload> {
    let jobs: Result<Vec<_>, _> = job_ids
        .iter()
        .map(|id| GlobalId::parse(NodeKind::Job, "jobIds", id))
        .collect();
    let jobs = match jobs {
        Ok(jobs) => jobs,
        Err(error) => return Ok(RequestIntroPayload::failed(vec![error.into()])),
    };
    let input = NewRequest {
        company_id,
        talent_id,
        job_ids: &jobs,
        message,
    };
    let result = introductions::request(ctx.state(), &ctx.actor(), input).await;
    RequestIntroPayload::respond(result, |r| RequestIntroPayload {
        intro_request: Some(IntroRequest(r)),
        user_errors: vec![],
    })
}

#[derive(InputObject)]
pub struct MakeIntroInput {
    pub intro_request_id: ID,
    /// Kept in the request's timeline.
    pub note: Option<String>,
}

payload!(MakeIntroPayload {
    intro_request: IntroRequest
});

#[derive(InputObject)]
pub struct AddPointOfContactInput {
    pub intro_request_id: ID,
    pub name: String,
    pub email: String,
}

payload!(AddPointOfContactPayload {
    intro_request: IntroRequest,
    company_admin: CompanyAdmin
});

#[derive(InputObject)]
pub struct AcceptIntroInput {
    pub intro_request_id: ID,
}

payload!(AcceptIntroPayload {
    intro_request: IntroRequest
});

#[derive(InputObject)]
pub struct DeclineIntroInput {
    pub intro_request_id: ID,
    pub reason: Option<String>,
}

payload!(DeclineIntroPayload {
    intro_request: IntroRequest
});

#[derive(InputObject)]
pub struct WithdrawIntroInput {
    pub intro_request_id: ID,
}

payload!(WithdrawIntroPayload {
    intro_request: IntroRequest
});

#[Object]
impl IntroductionMutations {
    /// A verified talent asks to be introduced to a company of their network.
    async fn request_intro_to_company(
        &self,
        ctx: &Context<'_>,
        input: RequestIntroToCompanyInput,
    ) -> async_graphql::Result<RequestIntroPayload> {
        let company_id = parse_id!(RequestIntroPayload, Company, "companyId", input.company_id);
        request_intro(ctx, company_id, None, &input.job_ids, &input.message).await
    }

    /// A company admin asks to be introduced to a talent of the network.
    async fn request_intro_to_talent(
        &self,
        ctx: &Context<'_>,
        input: RequestIntroToTalentInput,
    ) -> async_graphql::Result<RequestIntroPayload> {
        let company_id = parse_id!(RequestIntroPayload, Company, "companyId", input.company_id);
        let talent_id = parse_id!(RequestIntroPayload, Talent, "talentId", input.talent_id);
        request_intro(
            ctx,
            company_id,
            Some(talent_id),
            &input.job_ids,
            &input.message,
        )
        .await
    }

    /// A network admin approves a request held for review; it is delivered.
    async fn make_intro(
        &self,
        ctx: &Context<'_>,
        input: MakeIntroInput,
    ) -> async_graphql::Result<MakeIntroPayload> {
        let id = parse_id!(
            MakeIntroPayload,
            IntroRequest,
            "introRequestId",
            input.intro_request_id
        );
        let result =
            introductions::make_intro(ctx.state(), &ctx.actor(), id, input.note.as_deref()).await;
        MakeIntroPayload::respond(result, |r| MakeIntroPayload {
            intro_request: Some(IntroRequest(r)),
            user_errors: vec![],
        })
    }

    /// A network admin invites someone at the company to receive a request that waits for a
    /// point of contact; when they join, the company's waiting requests are delivered to them.
    async fn add_point_of_contact(
        &self,
        ctx: &Context<'_>,
        input: AddPointOfContactInput,
    ) -> async_graphql::Result<AddPointOfContactPayload> {
        let id = parse_id!(
            AddPointOfContactPayload,
            IntroRequest,
            "introRequestId",
            input.intro_request_id
        );
        let result = introductions::add_point_of_contact(
            ctx.state(),
            &ctx.actor(),
            id,
            &input.name,
            &input.email,
        )
        .await;
        AddPointOfContactPayload::respond(result, |(r, a)| AddPointOfContactPayload {
            intro_request: Some(IntroRequest(r)),
            company_admin: Some(CompanyAdmin(a)),
            user_errors: vec![],
        })
    }

    /// The recipient accepts: both parties are introduced by email.
    async fn accept_intro(
        &self,
        ctx: &Context<'_>,
        input: AcceptIntroInput,
    ) -> async_graphql::Result<AcceptIntroPayload> {
        let id = parse_id!(
            AcceptIntroPayload,
            IntroRequest,
            "introRequestId",
            input.intro_request_id
        );
        let result = introductions::accept_intro(ctx.state(), &ctx.actor(), id).await;
        AcceptIntroPayload::respond(result, |r| AcceptIntroPayload {
            intro_request: Some(IntroRequest(r)),
            user_errors: vec![],
        })
    }

    /// The recipient declines a delivered request, or a network admin one waiting for them.
    async fn decline_intro(
        &self,
        ctx: &Context<'_>,
        input: DeclineIntroInput,
    ) -> async_graphql::Result<DeclineIntroPayload> {
        let id = parse_id!(
            DeclineIntroPayload,
            IntroRequest,
            "introRequestId",
            input.intro_request_id
        );
        let result =
            introductions::decline_intro(ctx.state(), &ctx.actor(), id, input.reason.as_deref())
                .await;
        DeclineIntroPayload::respond(result, |r| DeclineIntroPayload {
            intro_request: Some(IntroRequest(r)),
            user_errors: vec![],
        })
    }

    /// The requester takes back an open request.
    async fn withdraw_intro(
        &self,
        ctx: &Context<'_>,
        input: WithdrawIntroInput,
    ) -> async_graphql::Result<WithdrawIntroPayload> {
        let id = parse_id!(
            WithdrawIntroPayload,
            IntroRequest,
            "introRequestId",
            input.intro_request_id
        );
        let result = introductions::withdraw_intro(ctx.state(), &ctx.actor(), id).await;
        WithdrawIntroPayload::respond(result, |r| WithdrawIntroPayload {
            intro_request: Some(IntroRequest(r)),
            user_errors: vec![],
        })
    }
}

use async_graphql::{Context, ID, InputObject, Object};

use super::parse_id;
use crate::{
    graphql::{context::ContextExt, errors::Payload, types::Talent},
    payload,
    services::talent::{self, NewTalent, TalentPatch},
};

#[derive(Default)]
pub struct TalentMutations;

#[derive(InputObject)]
pub struct AddTalentInput {
    pub network_id: ID,
    pub name: String,
    pub email: String,
    #[graphql(default)]
    pub verified: bool,
    pub headline: Option<String>,
    pub linkedin_url: Option<String>,
}

payload!(AddTalentPayload { talent: Talent });

#[derive(InputObject)]
pub struct SetTalentVerifiedInput {
    pub talent_id: ID,
    pub verified: bool,
}

payload!(SetTalentVerifiedPayload { talent: Talent });

#[derive(InputObject)]
pub struct UpdateTalentInput {
    pub talent_id: ID,
    pub name: Option<String>,
    pub email: Option<String>,
    /// An empty headline clears it.
    pub headline: Option<String>,
    /// An empty URL clears it.
    pub linkedin_url: Option<String>,
}

payload!(UpdateTalentPayload { talent: Talent });

#[Object]
impl TalentMutations {
    /// Changes a profile (the talent themself or a network admin). A change of name, email
    /// or LinkedIn reaches the candidate in the company's Greenhouse.
    async fn update_talent(
        &self,
        ctx: &Context<'_>,
        input: UpdateTalentInput,
    ) -> async_graphql::Result<UpdateTalentPayload> {
        let talent_id = parse_id!(UpdateTalentPayload, Talent, "talentId", input.talent_id);
        let result = talent::update(
            ctx.state(),
            &ctx.actor(),
            talent_id,
            TalentPatch {
                name: input.name.as_deref(),
                email: input.email.as_deref(),
                headline: input.headline.as_deref(),
                linkedin_url: input.linkedin_url.as_deref(),
            },
        )
        .await;
        UpdateTalentPayload::respond(result, |t| UpdateTalentPayload {
            talent: Some(Talent(t)),
            user_errors: vec![],
        })
    }

    /// Adds a professional to the network and emails them an invitation to claim the profile.
    async fn add_talent(
        &self,
        ctx: &Context<'_>,
        input: AddTalentInput,
    ) -> async_graphql::Result<AddTalentPayload> {
        let network_id = parse_id!(AddTalentPayload, Network, "networkId", input.network_id);
        let result = talent::add(
            ctx.state(),
            &ctx.actor(),
            NewTalent {
                network_id,
                name: &input.name,
                email: &input.email,
                verified: input.verified,
                headline: input.headline.as_deref(),
                linkedin_url: input.linkedin_url.as_deref(),
            },
        )
        .await;
        AddTalentPayload::respond(result, |t| AddTalentPayload {
            talent: Some(Talent(t)),
            user_errors: vec![],
        })
    }

    async fn set_talent_verified(
        &self,
        ctx: &Context<'_>,
        input: SetTalentVerifiedInput,
    ) -> async_graphql::Result<SetTalentVerifiedPayload> {
        let talent_id = parse_id!(
            SetTalentVerifiedPayload,
            Talent,
            "talentId",
            input.talent_id
        );
        let result =
            talent::set_verified(ctx.state(), &ctx.actor(), talent_id, input.verified).await;
        SetTalentVerifiedPayload::respond(result, |t| SetTalentVerifiedPayload {
            talent: Some(Talent(t)),
            user_errors: vec![],
        })
    }
}

use async_graphql::{Context, ID, InputObject, Object};

use super::parse_id;
use crate::{
    graphql::{
        context::ContextExt,
        errors::Payload,
        types::{Ally, ApiToken, Network, TeamRole},
    },
    payload,
    services::networks::{self, SettingsPatch},
};

#[derive(Default)]
pub struct NetworkMutations;

#[derive(InputObject)]
pub struct UpdateNetworkSettingsInput {
    pub network_id: ID,
    pub name: Option<String>,
    pub gatekeeper: Option<bool>,
    pub notify_requester_on_decline: Option<bool>,
    pub intro_expiry_days: Option<i32>,
    pub reminder_after_days: Option<i32>,
}

payload!(UpdateNetworkSettingsPayload { network: Network });

#[derive(InputObject)]
pub struct InviteTeamMemberInput {
    pub network_id: ID,
    pub role: TeamRole,
    pub name: String,
    pub email: String,
}

payload!(InviteTeamMemberPayload {
    /// The ally, when one was invited (network admins appear once they accept).
    ally: Ally,
    /// Where the invitation was sent.
    invited_email: String,
});

#[derive(InputObject)]
pub struct CreateApiTokenInput {
    pub network_id: ID,
    pub name: String,
}

payload!(CreateApiTokenPayload {
    /// The secret, shown only now: store it.
    token: String,
    api_token: ApiToken,
});

#[derive(InputObject)]
pub struct RevokeApiTokenInput {
    pub api_token_id: ID,
}

payload!(RevokeApiTokenPayload {
    api_token: ApiToken
});

#[Object]
impl NetworkMutations {
    /// Revokes a partner tool's token (network admins): it stops working at once, and its
    /// open subscriptions close.
    async fn revoke_api_token(
        &self,
        ctx: &Context<'_>,
        input: RevokeApiTokenInput,
    ) -> async_graphql::Result<RevokeApiTokenPayload> {
        let id = parse_id!(
            RevokeApiTokenPayload,
            ApiToken,
            "apiTokenId",
            input.api_token_id
        );
        let result = networks::revoke_api_token(ctx.state(), &ctx.actor(), id).await;
        RevokeApiTokenPayload::respond(result, |token| RevokeApiTokenPayload {
            api_token: Some(ApiToken(token)),
            user_errors: vec![],
        })
    }

    async fn update_network_settings(
        &self,
        ctx: &Context<'_>,
        input: UpdateNetworkSettingsInput,
    ) -> async_graphql::Result<UpdateNetworkSettingsPayload> {
        let network_id = parse_id!(
            UpdateNetworkSettingsPayload,
            Network,
            "networkId",
            input.network_id
        );
        let patch = SettingsPatch {
            name: input.name,
            gatekeeper: input.gatekeeper,
            notify_requester_on_decline: input.notify_requester_on_decline,
            intro_expiry_days: input.intro_expiry_days,
            reminder_after_days: input.reminder_after_days,
        };
        let result = networks::update_settings(ctx.state(), &ctx.actor(), network_id, patch).await;
        UpdateNetworkSettingsPayload::respond(result, |n| UpdateNetworkSettingsPayload {
            network: Some(Network(n)),
            user_errors: vec![],
        })
    }

    /// Invites a network admin or an ally by email.
    async fn invite_team_member(
        &self,
        ctx: &Context<'_>,
        input: InviteTeamMemberInput,
    ) -> async_graphql::Result<InviteTeamMemberPayload> {
        let network_id = parse_id!(
            InviteTeamMemberPayload,
            Network,
            "networkId",
            input.network_id
        );
        let result = networks::invite_team_member(
            ctx.state(),
            &ctx.actor(),
            network_id,
            input.role.into(),
            &input.name,
            &input.email,
        )
        .await;
        let email = input.email.trim().to_owned();
        InviteTeamMemberPayload::respond(result, |ally| InviteTeamMemberPayload {
            ally: ally.map(Ally),
            invited_email: Some(email),
            user_errors: vec![],
        })
    }

    /// A read-only token for a partner tool (queries and subscriptions of this network).
    async fn create_api_token(
        &self,
        ctx: &Context<'_>,
        input: CreateApiTokenInput,
    ) -> async_graphql::Result<CreateApiTokenPayload> {
        let network_id = parse_id!(
            CreateApiTokenPayload,
            Network,
            "networkId",
            input.network_id
        );
        let result =
            networks::create_api_token(ctx.state(), &ctx.actor(), network_id, &input.name).await;
        CreateApiTokenPayload::respond(result, |(model, token)| CreateApiTokenPayload {
            token: Some(token.into_string()),
            api_token: Some(ApiToken(model)),
            user_errors: vec![],
        })
    }
}

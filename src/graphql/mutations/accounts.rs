use std::sync::Arc;

use async_graphql::{Context, InputObject, Object};

use crate::{
    graphql::{
        context::ContextExt,
        errors::Payload,
        loaders::Loaders,
        types::{Talent, Viewer},
    },
    payload,
    services::{
        access::Actor,
        accounts::{self, SignUpTalent, SignedIn},
        invitations::{self, AcceptInvitation},
        throttle::PasswordAttempt,
    },
};

#[derive(Default)]
pub struct AccountMutations;

#[derive(InputObject)]
pub struct SignInInput {
    pub email: String,
    pub password: String,
}

payload!(SignInPayload {
    /// Bearer token for `Authorization: Bearer <token>`; shown once.
    token: String,
    viewer: Viewer,
});

#[derive(InputObject, Default)]
pub struct SignOutInput {
    /// Revoke every session of the account, not only this one.
    pub all_sessions: Option<bool>,
}

payload!(SignOutPayload { signed_out: bool });

#[derive(InputObject)]
pub struct AcceptInvitationInput {
    /// The token from the invitation link.
    pub token: String,
    /// Your name (new accounts; defaults to the name you were invited with).
    pub name: Option<String>,
    /// A new password, or your existing account's password.
    pub password: String,
    pub accept_terms: bool,
}

payload!(AcceptInvitationPayload {
    token: String,
    viewer: Viewer
});

#[derive(InputObject)]
pub struct SignUpTalentInput {
    pub network_slug: String,
    pub name: String,
    pub email: String,
    pub password: String,
    pub headline: Option<String>,
    pub linkedin_url: Option<String>,
}

payload!(SignUpTalentPayload {
    token: String,
    talent: Talent
});

/// The account that just signed in. The rest of the operation runs as that account (with
/// fresh loaders), so the payload's `viewer` shows what a `viewer` query with the new token
/// shows, not what the anonymous caller could see.
async fn signed_in_viewer(
    ctx: &Context<'_>,
    session: &SignedIn,
) -> async_graphql::Result<Option<Viewer>> {
    let state = ctx.state();
    let actor = Arc::new(Actor::new(session.principal()));
    ctx.scope().renew(actor.clone(), Loaders::new(state));
    Ok(accounts::find_account(state, session.account_id)
        .await?
        .map(|account| Viewer { account, actor }))
}

/// The request's one password check (see [`PasswordAttempt`]), shared by a batch.
fn password_attempt<'a>(ctx: &'a Context<'_>) -> async_graphql::Result<&'a PasswordAttempt> {
    Ok(ctx.data::<Arc<PasswordAttempt>>()?.as_ref())
}

#[Object]
impl AccountMutations {
    /// Signs in with email and password.
    async fn sign_in(
        &self,
        ctx: &Context<'_>,
        input: SignInInput,
    ) -> async_graphql::Result<SignInPayload> {
        let state = ctx.state();
        match accounts::sign_in(state, password_attempt(ctx)?, &input.email, &input.password).await
        {
            Ok(session) => {
                let viewer = signed_in_viewer(ctx, &session).await?;
                Ok(SignInPayload {
                    token: Some(session.token.into_string()),
                    viewer,
                    user_errors: vec![],
                })
            }
            Err(error) => SignInPayload::respond(Err(error), |()| unreachable!()),
        }
    }

    /// Revokes this session's token (or all of the account's).
    async fn sign_out(
        &self,
        ctx: &Context<'_>,
        input: Option<SignOutInput>,
    ) -> async_graphql::Result<SignOutPayload> {
        let all = input.unwrap_or_default().all_sessions.unwrap_or(false);
        SignOutPayload::respond(
            accounts::sign_out(ctx.state(), &ctx.actor(), all).await,
            |()| SignOutPayload {
                signed_out: Some(true),
                user_errors: vec![],
            },
        )
    }

    /// Joins a network through an invitation: creates the account (or checks the existing
    /// one's password), gives the invited role and signs in.
    async fn accept_invitation(
        &self,
        ctx: &Context<'_>,
        input: AcceptInvitationInput,
    ) -> async_graphql::Result<AcceptInvitationPayload> {
        let state = ctx.state();
        let accepted = invitations::accept(
            state,
            password_attempt(ctx)?,
            AcceptInvitation {
                token: &input.token,
                name: input.name.as_deref(),
                password: &input.password,
                accept_terms: input.accept_terms,
            },
        )
        .await;
        match accepted {
            Ok(session) => {
                let viewer = signed_in_viewer(ctx, &session).await?;
                Ok(AcceptInvitationPayload {
                    token: Some(session.token.into_string()),
                    viewer,
                    user_errors: vec![],
                })
            }
            Err(error) => AcceptInvitationPayload::respond(Err(error), |()| unreachable!()),
        }
    }

    /// A professional joins a network on their own; an admin verifies them later.
    async fn sign_up_talent(
        &self,
        ctx: &Context<'_>,
        input: SignUpTalentInput,
    ) -> async_graphql::Result<SignUpTalentPayload> {
        let result = accounts::sign_up_talent(
            ctx.state(),
            password_attempt(ctx)?,
            SignUpTalent {
                network_slug: &input.network_slug,
                name: &input.name,
                email: &input.email,
                password: &input.password,
                headline: input.headline.as_deref(),
                linkedin_url: input.linkedin_url.as_deref(),
            },
        )
        .await;
        SignUpTalentPayload::respond(result, |signed_up| SignUpTalentPayload {
            token: Some(signed_up.session.token.into_string()),
            talent: Some(Talent(signed_up.talent)),
            user_errors: vec![],
        })
    }
}

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
        accounts::{self, SignedIn},
        invitations::{self, AcceptInvitation},
        password_reset,
        sign_up::{self, SignUpTalent},
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
    /// The address a confirmation email went to. The answer is the same whether or not it
    /// has an account; the email says which (a link to confirm it, or "you already have an
    /// account").
    email: String,
    #[graphql(
        deprecation = "always null: no account exists before `verifyEmail`, whose payload has the token"
    )]
    token: String,
    #[graphql(deprecation = "always null: the profile is made by `verifyEmail`")]
    talent: Talent,
});

#[derive(InputObject)]
pub struct VerifyEmailInput {
    /// The token from the confirmation link.
    pub token: String,
}

payload!(VerifyEmailPayload {
    /// Bearer token of a new session; shown once.
    token: String,
    viewer: Viewer,
    /// The talent profile the sign-up asked for.
    talent: Talent,
});

#[derive(InputObject)]
pub struct RequestPasswordResetInput {
    pub email: String,
}

payload!(RequestPasswordResetPayload {
    /// The address, as understood. The answer is the same whether or not it has an
    /// account; only an account's address receives a link.
    email: String,
});

#[derive(InputObject)]
pub struct ResetPasswordInput {
    /// The token from the reset link.
    pub token: String,
    pub password: String,
}

payload!(ResetPasswordPayload {
    /// Bearer token of a new session (every earlier one is revoked); shown once.
    token: String,
    viewer: Viewer,
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
    Ok(ctx.scope().attempt())
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

    /// A professional asks to join a network on their own: a link is emailed to the
    /// address, and `verifyEmail` with its token makes the account and the (unverified)
    /// talent profile. An admin verifies the talent later.
    async fn sign_up_talent(
        &self,
        ctx: &Context<'_>,
        input: SignUpTalentInput,
    ) -> async_graphql::Result<SignUpTalentPayload> {
        let result = sign_up::sign_up_talent(
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
        SignUpTalentPayload::respond(result, |email| SignUpTalentPayload {
            email: Some(email.as_str().to_owned()),
            ..Default::default()
        })
    }

    /// Confirms a self sign-up's email (the token of its link) and signs in.
    async fn verify_email(
        &self,
        ctx: &Context<'_>,
        input: VerifyEmailInput,
    ) -> async_graphql::Result<VerifyEmailPayload> {
        match sign_up::verify_email(ctx.state(), &input.token).await {
            Ok(verified) => {
                let viewer = signed_in_viewer(ctx, &verified.session).await?;
                Ok(VerifyEmailPayload {
                    token: Some(verified.session.token.into_string()),
                    viewer,
                    talent: Some(Talent(verified.talent)),
                    user_errors: vec![],
                })
            }
            Err(error) => VerifyEmailPayload::respond(Err(error), |()| unreachable!()),
        }
    }

    /// Emails a password reset link (valid one hour, single use) when the address has an
    /// account; the answer is the same for every address.
    async fn request_password_reset(
        &self,
        ctx: &Context<'_>,
        input: RequestPasswordResetInput,
    ) -> async_graphql::Result<RequestPasswordResetPayload> {
        RequestPasswordResetPayload::respond(
            password_reset::request(ctx.state(), &input.email).await,
            |email| RequestPasswordResetPayload {
                email: Some(email.as_str().to_owned()),
                user_errors: vec![],
            },
        )
    }

    /// Sets a new password with the token of a reset link; revokes every session of the
    /// account and signs in with a new one.
    async fn reset_password(
        &self,
        ctx: &Context<'_>,
        input: ResetPasswordInput,
    ) -> async_graphql::Result<ResetPasswordPayload> {
        let reset = password_reset::reset(
            ctx.state(),
            password_attempt(ctx)?,
            &input.token,
            &input.password,
        )
        .await;
        match reset {
            Ok(session) => {
                let viewer = signed_in_viewer(ctx, &session).await?;
                Ok(ResetPasswordPayload {
                    token: Some(session.token.into_string()),
                    viewer,
                    user_errors: vec![],
                })
            }
            Err(error) => ResetPasswordPayload::respond(Err(error), |()| unreachable!()),
        }
    }
}

//! Accounts, sign-in, sessions and the API tokens of partner tools.

use chrono::Duration;
use entities::{account, api_token, session};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set, sea_query::Expr,
};
use uuid::Uuid;

use crate::{
    domain::{EmailAddress, Name, Password, PasswordHash, SecretToken, TokenHash},
    error::{ServiceError, ServiceResult, UserError, UserErrorCode, is_unique_violation},
    live::{AccessChange, Signal},
    services::{
        access::{self, Actor, Principal},
        throttle::PasswordAttempt,
        tx::Tx,
    },
    state::AppState,
};

pub const SESSION_PREFIX: &str = "igs_";
pub const API_TOKEN_PREFIX: &str = "igt_";
const SESSION_LIFETIME: Duration = Duration::days(30);

/// Whom a bearer token stands for, with their memberships when it is a session (read
/// with it, in one statement); `None` if it is unknown, revoked or expired.
#[tracing::instrument(skip_all)]
pub async fn authenticate(state: &AppState, token: &str) -> ServiceResult<Option<Actor>> {
    let hash = TokenHash::of(token);
    let now = state.now();
    if token.starts_with(SESSION_PREFIX) {
        let live = session::Entity::find()
            .filter(session::Column::TokenHash.eq(hash.0))
            .filter(session::Column::RevokedAt.is_null())
            .filter(session::Column::ExpiresAt.gt(now));
        access::session_actor(&state.db, live).await
    } else if token.starts_with(API_TOKEN_PREFIX) {
        let found = api_token::Entity::find()
            .filter(api_token::Column::TokenHash.eq(hash.0))
            .filter(api_token::Column::RevokedAt.is_null())
            .one(state.db.read())
            .await?;
        Ok(found.map(|t| {
            Actor::new(Principal::ApiToken {
                token_id: t.id,
                network_id: t.network_id,
            })
        }))
    } else {
        Ok(None)
    }
}

/// Opens a session; the token is returned once and only its hash is kept.
pub async fn create_session(
    db: &impl ConnectionTrait,
    state: &AppState,
    account_id: Uuid,
) -> ServiceResult<SignedIn> {
    let token = SecretToken::generate(SESSION_PREFIX);
    let now = state.now();
    let session_id = Uuid::now_v7();
    session::ActiveModel {
        id: Set(session_id),
        account_id: Set(account_id),
        token_hash: Set(token.hash().0),
        created_at: Set(now),
        expires_at: Set(now + SESSION_LIFETIME),
        revoked_at: Set(None),
    }
    .insert(db)
    .await?;
    Ok(SignedIn {
        token,
        account_id,
        session_id,
    })
}

/// A new session: the token to hand out once, and whom it signs in.
pub struct SignedIn {
    pub token: SecretToken,
    pub account_id: Uuid,
    pub session_id: Uuid,
}

impl SignedIn {
    pub fn principal(&self) -> Principal {
        Principal::Account {
            account_id: self.account_id,
            session_id: self.session_id,
        }
    }
}

/// The same `INVALID_CREDENTIALS` for an unknown email and a wrong password, after the
/// same amount of work (a pending sign-up is not an account yet: it gets the same answer).
/// Throttled ([`PasswordAttempt`]): refused before any hashing when the request already
/// checked a password, or the account or the client has had too many failures.
#[tracing::instrument(skip_all)]
pub async fn sign_in(
    state: &AppState,
    attempt: &PasswordAttempt,
    email: &str,
    password: &str,
) -> ServiceResult<SignedIn> {
    let invalid = || {
        ServiceError::user(
            UserErrorCode::InvalidCredentials,
            "email or password is incorrect",
        )
    };
    let parsed = EmailAddress::parse(email).ok();
    // What an unparsable address counts against: itself, as typed.
    let key = parsed
        .as_ref()
        .map_or_else(|| email.trim().to_lowercase(), EmailAddress::key);
    attempt.begin(state, &key).await?;
    let account = match parsed {
        Some(email) => {
            account::Entity::find()
                .filter(account::Column::EmailKey.eq(email.key()))
                .one(state.db.read())
                .await?
        }
        None => None,
    };
    let verified = Password::unchecked(password)
        .verify(account.as_ref().map(|a| a.password_hash.clone()))
        .await;
    match account.filter(|_| verified) {
        Some(account) => create_session(state.db.write(), state, account.id).await,
        None => {
            attempt.failed(state, &key).await?;
            Err(invalid())
        }
    }
}

/// Revokes the caller's session, or every session of their account.
pub async fn sign_out(state: &AppState, actor: &Actor, all_sessions: bool) -> ServiceResult<()> {
    let Principal::Account {
        account_id,
        session_id,
    } = actor.principal
    else {
        return Err(ServiceError::Unauthenticated);
    };
    let scope = if all_sessions {
        session::Column::AccountId.eq(account_id)
    } else {
        session::Column::Id.eq(session_id)
    };
    let tx = Tx::begin(state).await?;
    session::Entity::update_many()
        .col_expr(session::Column::RevokedAt, Expr::value(state.now()))
        .filter(scope)
        .filter(session::Column::RevokedAt.is_null())
        .exec(tx.db())
        .await?;
    // Open WebSockets of the revoked sessions close.
    tx.signal(Signal::Access(AccessChange::Account(account_id)))
        .await?;
    tx.commit().await?;
    Ok(())
}

pub async fn find_account(state: &AppState, id: Uuid) -> ServiceResult<Option<account::Model>> {
    Ok(account::Entity::find_by_id(id).one(state.db.read()).await?)
}

/// Someone joins (through an invitation, or `bootstrap`) with an email that already has an
/// account: its password proves the account is theirs, else `INVALID_CREDENTIALS` on `field`.
/// The caller has begun `attempt` (see [`PasswordAttempt::begin`]); a wrong password counts
/// as a failed sign-in.
pub async fn prove_owner(
    state: &AppState,
    attempt: &PasswordAttempt,
    account: &account::Model,
    password: &str,
    field: &str,
) -> ServiceResult<()> {
    if Password::unchecked(password)
        .verify(Some(account.password_hash.clone()))
        .await
    {
        return Ok(());
    }
    attempt.failed(state, &account.email_key).await?;
    Err(UserError::new(
        UserErrorCode::InvalidCredentials,
        "an account with this email exists: enter its password",
    )
    .on(field)
    .into())
}

/// Parsed account fields, for the several ways an account comes to be.
pub struct NewAccount {
    pub email: EmailAddress,
    pub name: Name,
    pub password_hash: PasswordHash,
}

/// Creates an account; `DUPLICATE` if the email is taken (also under a race).
pub async fn insert_account(
    db: &impl ConnectionTrait,
    state: &AppState,
    new: NewAccount,
) -> ServiceResult<account::Model> {
    let now = state.now();
    let inserted = account::ActiveModel {
        id: Set(Uuid::now_v7()),
        email: Set(new.email.as_str().to_owned()),
        email_key: Set(new.email.key()),
        name: Set(new.name.into_string()),
        password_hash: Set(new.password_hash.0),
        contacts_imported_at: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(db)
    .await;
    match inserted {
        Ok(account) => Ok(account),
        Err(e) if is_unique_violation(&e) => {
            Err(UserError::duplicate("email", "an account with this email already exists").into())
        }
        Err(e) => Err(e.into()),
    }
}

//! Password reset by email: `requestPasswordReset` answers the same for every address and
//! emails a single-use link valid one hour to an address that has an account (only the
//! token's hash is stored); `resetPassword` redeems it, sets the new password, revokes
//! every session of the account and signs in afresh.

use chrono::Duration;
use entities::{account, password_reset, session};
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set, sea_query::Expr};
use uuid::Uuid;

use crate::{
    domain::{EmailAddress, Password, SecretToken, TokenHash},
    error::{ServiceError, ServiceResult, UserError, UserErrorCode},
    live::{AccessChange, Signal},
    mail::{SECRET_MARK, templates},
    services::{
        accounts::{self, SignedIn},
        throttle::{self, EmailPurpose, PasswordAttempt},
        tx::Tx,
    },
    state::AppState,
};

pub const RESET_PREFIX: &str = "igr_";
pub const LIFETIME: Duration = Duration::hours(1);

/// Emails a reset link when `email` has an account; the same `Ok` either way.
#[tracing::instrument(skip_all)]
pub async fn request(state: &AppState, email: &str) -> ServiceResult<EmailAddress> {
    let email = EmailAddress::parse(email)
        .map_err(|message| UserError::new(UserErrorCode::InvalidInput, message).on("email"))?;
    let tx = Tx::begin(state).await?;
    // Counted for unknown addresses too: the bound says nothing about who has an account.
    throttle::count_email(tx.db(), state, EmailPurpose::PasswordReset, &email.key()).await?;
    let account = account::Entity::find()
        .filter(account::Column::EmailKey.eq(email.key()))
        .one(tx.db())
        .await?;
    if let Some(account) = account {
        let token = SecretToken::generate(RESET_PREFIX);
        let now = tx.now();
        password_reset::ActiveModel {
            id: Set(Uuid::now_v7()),
            account_id: Set(account.id),
            token_hash: Set(token.hash().0),
            created_at: Set(now),
            expires_at: Set(now + LIFETIME),
            used_at: Set(None),
        }
        .insert(tx.db())
        .await?;
        let link = state.app_url.link(&format!("reset-password/{SECRET_MARK}"));
        let email = templates::password_reset(&templates::AccountLink {
            to: EmailAddress::stored(&account.email)?.mailbox(&account.name),
            name: &account.name,
            link: &link,
            expires_in: "1 hour",
        });
        tx.queue_email_with_secret(email, token.as_str()).await?;
    }
    tx.commit().await?;
    Ok(email)
}

/// Sets a new password through a reset link: every session of the account is revoked
/// (open WebSockets close), every other reset link of it stops working, its failed
/// sign-ins are forgotten, and a new session is opened.
#[tracing::instrument(skip_all)]
pub async fn reset(
    state: &AppState,
    attempt: &PasswordAttempt,
    token: &str,
    password: &str,
) -> ServiceResult<SignedIn> {
    let invalid_token = || {
        ServiceError::from(
            UserError::new(
                UserErrorCode::InvalidToken,
                "this password reset link is invalid, used or expired",
            )
            .on("token"),
        )
    };
    let now = state.now();
    let hash = TokenHash::of(token.trim());
    let link = password_reset::Entity::find()
        .filter(password_reset::Column::TokenHash.eq(&hash.0))
        .filter(password_reset::Column::UsedAt.is_null())
        .filter(password_reset::Column::ExpiresAt.gt(now))
        .one(state.db.read())
        .await?
        .ok_or_else(invalid_token)?;
    let account = accounts::find_account(state, link.account_id)
        .await?
        .ok_or_else(invalid_token)?;
    let password = Password::parse(password, &[&account.email, &account.name])
        .map_err(|message| UserError::new(UserErrorCode::InvalidInput, message).on("password"))?;
    // The slow hashing happens before the transaction, which stays short.
    attempt.claim()?;
    let password_hash = password.hash().await?;

    let tx = Tx::begin(state).await?;
    let won = password_reset::Entity::update_many()
        .col_expr(password_reset::Column::UsedAt, Expr::value(now))
        .filter(password_reset::Column::Id.eq(link.id))
        .filter(password_reset::Column::UsedAt.is_null())
        .filter(password_reset::Column::ExpiresAt.gt(now))
        .exec(tx.db())
        .await?
        .rows_affected
        == 1;
    if !won {
        return Err(invalid_token());
    }
    // Older links of the account stop working too: the newest password is the one set.
    password_reset::Entity::update_many()
        .col_expr(password_reset::Column::UsedAt, Expr::value(now))
        .filter(password_reset::Column::AccountId.eq(account.id))
        .filter(password_reset::Column::UsedAt.is_null())
        .exec(tx.db())
        .await?;
    account::Entity::update_many()
        .col_expr(account::Column::PasswordHash, Expr::value(password_hash.0))
        .col_expr(account::Column::UpdatedAt, Expr::value(now))
        .filter(account::Column::Id.eq(account.id))
        .exec(tx.db())
        .await?;
    session::Entity::update_many()
        .col_expr(session::Column::RevokedAt, Expr::value(now))
        .filter(session::Column::AccountId.eq(account.id))
        .filter(session::Column::RevokedAt.is_null())
        .exec(tx.db())
        .await?;
    PasswordAttempt::forget_failures(tx.db(), &account.email_key).await?;
    tx.signal(Signal::Access(AccessChange::Account(account.id)))
        .await?;
    let session = accounts::create_session(tx.db(), state, account.id).await?;
    tx.commit().await?;
    Ok(session)
}

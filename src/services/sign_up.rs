//! Self sign-up of a professional into a network, proved by email.
//!
//! `signUpTalent` makes no account: it records what was asked for (with the password's
//! hash) in `email_verification` and emails the address a link. The answer is the same
//! whether or not the address has an account; the email differs: a confirmation link for a
//! new address, "you already have an account" (with a link that adds the talent profile to
//! it) for a known one. `verifyEmail` redeems the link: it makes the account (or finds
//! it), adds the unverified talent profile and signs in. So nobody can hold an address
//! they cannot read, and a pending sign-up never stands in the way of the address's owner:
//! once the address has an account, made in any way, a sign-up's password is never used.

use chrono::Duration;
use entities::{account, email_verification, network, talent};
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set, sea_query::Expr};
use uuid::Uuid;

use crate::{
    domain::{
        EmailAddress, LinkedInUrl, LongText, Name, Password, PasswordHash, SecretToken, Slug,
        TokenHash,
    },
    error::{InputErrors, ServiceError, ServiceResult, UserError, UserErrorCode},
    mail::{SECRET_MARK, templates},
    services::{
        accounts::{self, NewAccount, SignedIn},
        talent::{self as talent_service, Profile},
        throttle::{self, EmailPurpose, PasswordAttempt},
        tx::Tx,
    },
    state::AppState,
};

pub const VERIFICATION_PREFIX: &str = "igv_";
pub const LIFETIME: Duration = Duration::hours(24);

pub struct SignUpTalent<'a> {
    pub network_slug: &'a str,
    pub name: &'a str,
    pub email: &'a str,
    pub password: &'a str,
    pub headline: Option<&'a str>,
    pub linkedin_url: Option<&'a str>,
}

/// Records the sign-up and emails the address; the same `Ok` for every address. Errors
/// depend only on the input and the network (and on the per-address email bound, which
/// counts every address alike).
#[tracing::instrument(skip_all)]
pub async fn sign_up_talent(
    state: &AppState,
    attempt: &PasswordAttempt,
    input: SignUpTalent<'_>,
) -> ServiceResult<EmailAddress> {
    let mut errors = InputErrors::default();
    let slug = errors.check("networkSlug", Slug::parse(input.network_slug));
    let name = errors.check("name", Name::parse(input.name));
    let email = errors.check("email", EmailAddress::parse(input.email));
    let password = errors.check(
        "password",
        Password::parse(input.password, &[input.email, input.name]),
    );
    let headline = errors.check("headline", input.headline.map(LongText::parse).transpose());
    let linkedin = errors.check(
        "linkedinUrl",
        LinkedInUrl::parse_optional(input.linkedin_url),
    );
    errors.finish()?;
    let (Some(slug), Some(name), Some(email), Some(password), Some(headline), Some(linkedin)) =
        (slug, name, email, password, headline, linkedin)
    else {
        unreachable!("finish() returned early on any missing field")
    };
    attempt.begin(state, &email.key()).await?;
    let network = network::Entity::find()
        .filter(network::Column::Slug.eq(slug.as_str()))
        .one(state.db.read())
        .await?
        .ok_or_else(|| ServiceError::not_found("networkSlug", "network"))?;
    // Hashed for known addresses too, so the answer takes as long either way.
    let hash = password.hash().await?;

    let tx = Tx::begin(state).await?;
    throttle::count_email(tx.db(), state, EmailPurpose::SignUp, &email.key()).await?;
    let existing = account::Entity::find()
        .filter(account::Column::EmailKey.eq(email.key()))
        .one(tx.db())
        .await?;
    let token = SecretToken::generate(VERIFICATION_PREFIX);
    let now = tx.now();
    email_verification::ActiveModel {
        id: Set(Uuid::now_v7()),
        network_id: Set(network.id),
        email: Set(email.as_str().to_owned()),
        email_key: Set(email.key()),
        name: Set(name.as_str().to_owned()),
        password_hash: Set(existing.is_none().then_some(hash.0)),
        headline: Set(headline
            .map(LongText::into_string)
            .filter(|h| !h.is_empty())),
        linkedin_url: Set(linkedin.map(LinkedInUrl::into_string)),
        token_hash: Set(token.hash().0),
        created_at: Set(now),
        expires_at: Set(now + LIFETIME),
        used_at: Set(None),
        revoked_at: Set(None),
    }
    .insert(tx.db())
    .await?;
    // The token is put in place when the email is sent: never stored in clear.
    let link = state.app_url.link(&format!("verify-email/{SECRET_MARK}"));
    let email_to_send = match &existing {
        // Addressed to the account as it is, not to the name the sign-up typed.
        Some(account) => templates::account_exists(
            network.id,
            &network.name,
            &templates::AccountLink {
                to: EmailAddress::stored(&account.email)?.mailbox(&account.name),
                name: &account.name,
                link: &link,
                expires_in: "24 hours",
            },
        ),
        None => templates::verify_email(
            network.id,
            &network.name,
            &templates::AccountLink {
                to: email.mailbox(name.as_str()),
                name: name.as_str(),
                link: &link,
                expires_in: "24 hours",
            },
        ),
    };
    tx.queue_email_with_secret(email_to_send, token.as_str())
        .await?;
    tx.commit().await?;
    Ok(email)
}

/// A confirmed sign-up: the session it opened and the talent profile.
pub struct Verified {
    pub session: SignedIn,
    pub talent: talent::Model,
}

/// Redeems a confirmation link: the account (made now with the sign-up's password, or the
/// one the address already has), the network's talent profile (unverified until an admin
/// says so; an admin-added profile of the same address is taken as it is), and a session.
#[tracing::instrument(skip_all)]
pub async fn verify_email(state: &AppState, token: &str) -> ServiceResult<Verified> {
    let invalid_token = || {
        ServiceError::from(
            UserError::new(
                UserErrorCode::InvalidToken,
                "this confirmation link is invalid, used or expired",
            )
            .on("token"),
        )
    };
    let now = state.now();
    let hash = TokenHash::of(token.trim());
    let tx = Tx::begin(state).await?;
    // Decided from the row as this transaction sees it, once it has won the link.
    let won = email_verification::Entity::update_many()
        .col_expr(email_verification::Column::UsedAt, Expr::value(now))
        .filter(email_verification::Column::TokenHash.eq(&hash.0))
        .filter(email_verification::Column::UsedAt.is_null())
        .filter(email_verification::Column::RevokedAt.is_null())
        .filter(email_verification::Column::ExpiresAt.gt(now))
        .exec(tx.db())
        .await?
        .rows_affected
        == 1;
    if !won {
        return Err(invalid_token());
    }
    let pending = email_verification::Entity::find()
        .filter(email_verification::Column::TokenHash.eq(&hash.0))
        .one(tx.db())
        .await?
        .ok_or_else(|| anyhow::anyhow!("email verification vanished in its transaction"))?;
    let stored = |what: &str, e: String| anyhow::anyhow!("stored sign-up {what}: {e}");
    let email = EmailAddress::parse(&pending.email).map_err(|e| stored("email", e))?;
    let name = Name::parse(&pending.name).map_err(|e| stored("name", e))?;
    let existing = account::Entity::find()
        .filter(account::Column::EmailKey.eq(email.key()))
        .one(tx.db())
        .await?;
    let account = match (existing, pending.password_hash.clone()) {
        (Some(account), _) => account,
        (None, Some(password_hash)) => {
            accounts::insert_account(
                tx.db(),
                state,
                NewAccount {
                    email: email.clone(),
                    name: name.clone(),
                    password_hash: PasswordHash(password_hash),
                },
            )
            .await?
        }
        // Made for an account that no longer exists: nothing to add the profile to.
        (None, None) => return Err(invalid_token()),
    };
    let talent = join_as_talent(&tx, &pending, &account, &email, &name).await?;
    let session = accounts::create_session(tx.db(), state, account.id).await?;
    tx.commit().await?;
    Ok(Verified { session, talent })
}

/// The account's talent profile in the sign-up's network: the one an admin already added
/// for this address (now the account's: the address is proved), or a new, unverified one.
async fn join_as_talent(
    tx: &Tx,
    pending: &email_verification::Model,
    account: &account::Model,
    email: &EmailAddress,
    name: &Name,
) -> ServiceResult<talent::Model> {
    let db = tx.db();
    let same_address = talent::Entity::find()
        .filter(talent::Column::NetworkId.eq(pending.network_id))
        .filter(talent::Column::EmailKey.eq(email.key()))
        .one(db)
        .await?;
    if let Some(talent) = same_address {
        if talent.account_id.is_none() {
            talent::Entity::update_many()
                .col_expr(talent::Column::AccountId, Expr::value(account.id))
                .col_expr(talent::Column::UpdatedAt, Expr::value(tx.now()))
                .filter(talent::Column::Id.eq(talent.id))
                .exec(db)
                .await?;
        }
        return Ok(talent::Entity::find_by_id(talent.id)
            .one(db)
            .await?
            .ok_or_else(|| anyhow::anyhow!("talent vanished in its transaction"))?);
    }
    let stored = |what: &str, e: String| anyhow::anyhow!("stored sign-up {what}: {e}");
    let profile = Profile {
        network_id: pending.network_id,
        account_id: Some(account.id),
        name,
        email,
        headline: pending
            .headline
            .as_deref()
            .map(LongText::parse)
            .transpose()
            .map_err(|e| stored("headline", e))?,
        linkedin_url: LinkedInUrl::parse_optional(pending.linkedin_url.as_deref())
            .map_err(|e| stored("LinkedIn URL", e))?,
        verified: false,
    };
    talent_service::insert(db, tx.state(), profile, "already in the network's talent").await
}

//! Bounding password guessing (issue 11): a request may check one password at most (a
//! second `signIn`, `acceptInvitation` or `signUpTalent` in the same document or batch is
//! refused before any hashing), and failed checks are counted per account and per client
//! address in fixed windows, in the database so that all processes share the count. Once
//! a key has had its failures, every further attempt is refused (the right password too)
//! until its window passes.
//!
//! Emails that anyone can cause to be sent to an address (invitations, sign-up
//! confirmations, password resets) are bounded per address and purpose: without a bound,
//! one request of duplicated fields mails an address as often as it has fields.
//! [`count_email`] counts them in fixed windows in the database.

use std::{
    net::IpAddr,
    sync::atomic::{AtomicBool, Ordering},
    time::Duration,
};

use chrono::{DateTime, Utc};
use entities::{invitation_throttle, sign_in_throttle};
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set,
    sea_query::{Expr, ExprTrait},
};

use crate::{
    error::{ServiceError, ServiceResult},
    state::AppState,
};

/// `SIGN_IN_MAX_FAILURES_PER_ACCOUNT`, `SIGN_IN_MAX_FAILURES_PER_CLIENT`,
/// `SIGN_IN_FAILURE_WINDOW`.
#[derive(Debug, Clone, Copy)]
pub struct SignInLimits {
    pub per_account: u32,
    pub per_client: u32,
    pub window: Duration,
}

/// One request's right to check a password, and who sent it.
#[derive(Debug, Default)]
pub struct PasswordAttempt {
    client: Option<IpAddr>,
    used: AtomicBool,
}

impl PasswordAttempt {
    pub fn new(client: Option<IpAddr>) -> Self {
        Self {
            client,
            used: AtomicBool::new(false),
        }
    }

    /// Before any hashing: the request's only password check, and neither the account
    /// (`email_key`) nor the client over its limit.
    pub async fn begin(&self, state: &AppState, email_key: &str) -> ServiceResult<()> {
        self.claim()?;
        let limits = state.sign_in_limits;
        let now = state.now();
        let window = window(limits);
        let keys = self.keys(email_key, limits);
        let rows = sign_in_throttle::Entity::find()
            .filter(sign_in_throttle::Column::Key.is_in(keys.iter().map(|(k, _)| k.clone())))
            .filter(sign_in_throttle::Column::WindowStartedAt.gt(now - window))
            .all(state.db.write())
            .await?;
        let blocked_until = keys
            .iter()
            .filter_map(|(key, limit)| {
                let row = rows.iter().find(|r| &r.key == key)?;
                (i64::from(row.failures) >= i64::from(*limit))
                    .then_some(row.window_started_at + window)
            })
            .max();
        match blocked_until {
            Some(until) => Err(ServiceError::RateLimited {
                message: "too many failed sign-ins: try again later",
                retry_after_secs: seconds_until(now, until),
            }),
            None => Ok(()),
        }
    }

    /// The request's only password check, for one that is not a sign-in (a new password
    /// set through a reset link): not refused for the account's failed sign-ins.
    pub fn claim(&self) -> ServiceResult<()> {
        if self.used.swap(true, Ordering::SeqCst) {
            return Err(ServiceError::RateLimited {
                message: "one sign-in, invitation, sign-up or password reset per request",
                retry_after_secs: 0,
            });
        }
        Ok(())
    }

    /// After the password was proved another way (a reset link from the mailbox): the
    /// account's failures are forgotten, so the new password works at once.
    pub async fn forget_failures(db: &impl ConnectionTrait, email_key: &str) -> ServiceResult<()> {
        sign_in_throttle::Entity::delete_many()
            .filter(sign_in_throttle::Column::Key.eq(account_key(email_key)))
            .exec(db)
            .await?;
        Ok(())
    }

    /// A wrong password: counted against the account and the client.
    pub async fn failed(&self, state: &AppState, email_key: &str) -> ServiceResult<()> {
        let now = state.now();
        let limits = state.sign_in_limits;
        let window_start = now - window(limits);
        for (key, _) in self.keys(email_key, limits) {
            // A new key, or one whose window has passed, starts a window at this failure.
            sign_in_throttle::Entity::insert(sign_in_throttle::ActiveModel {
                key: Set(key.clone()),
                window_started_at: Set(now),
                failures: Set(0),
            })
            .on_conflict_do_nothing_on([sign_in_throttle::Column::Key])
            .exec(state.db.write())
            .await?;
            sign_in_throttle::Entity::update_many()
                .col_expr(sign_in_throttle::Column::Failures, Expr::value(0))
                .col_expr(sign_in_throttle::Column::WindowStartedAt, Expr::value(now))
                .filter(sign_in_throttle::Column::Key.eq(&key))
                .filter(sign_in_throttle::Column::WindowStartedAt.lte(window_start))
                .exec(state.db.write())
                .await?;
            sign_in_throttle::Entity::update_many()
                .col_expr(
                    sign_in_throttle::Column::Failures,
                    Expr::col(sign_in_throttle::Column::Failures).add(1),
                )
                .filter(sign_in_throttle::Column::Key.eq(&key))
                .exec(state.db.write())
                .await?;
        }
        Ok(())
    }

    /// The keys an attempt counts against, with their limits.
    fn keys(&self, email_key: &str, limits: SignInLimits) -> Vec<(String, u32)> {
        let mut keys = vec![(account_key(email_key), limits.per_account)];
        if let Some(ip) = self.client {
            keys.push((format!("client:{ip}"), limits.per_client));
        }
        keys
    }
}

fn account_key(email_key: &str) -> String {
    format!("account:{email_key}")
}

/// `INVITATION_MAX_PER_ADDRESS`, `INVITATION_WINDOW`: also the bound of each other kind of
/// email that anyone may cause ([`EmailPurpose`]).
#[derive(Debug, Clone, Copy)]
pub struct InvitationLimits {
    pub per_address: u32,
    pub window: Duration,
}

/// Why an address is mailed; each purpose has its own count.
#[derive(Debug, Clone, Copy)]
pub enum EmailPurpose {
    Invitation,
    SignUp,
    PasswordReset,
}

impl EmailPurpose {
    /// The row of `email_key`'s count (invitations keep the bare address, as before).
    fn key(self, email_key: &str) -> String {
        match self {
            Self::Invitation => email_key.to_owned(),
            Self::SignUp => format!("sign-up:{email_key}"),
            Self::PasswordReset => format!("password-reset:{email_key}"),
        }
    }

    fn refusal(self) -> &'static str {
        match self {
            Self::Invitation => "too many invitations to this address: try again later",
            Self::SignUp => "too many sign-ups with this address: try again later",
            Self::PasswordReset => "too many password resets for this address: try again later",
        }
    }
}

/// One more email of `purpose` to `email_key`, in the caller's transaction (so an email
/// that is rolled back is not counted), or `RATE_LIMITED` when the address has had its
/// emails of that kind for the window, whether or not it has an account. The increment is
/// one conditional `UPDATE`: concurrent requests, from any process, cannot both take the
/// last one.
pub async fn count_email(
    db: &impl ConnectionTrait,
    state: &AppState,
    purpose: EmailPurpose,
    email_key: &str,
) -> ServiceResult<()> {
    use invitation_throttle::{ActiveModel, Column, Entity};
    let email_key = &purpose.key(email_key);
    let limits = state.invitation_limits;
    let now = state.now();
    let window = chrono::Duration::from_std(limits.window).unwrap_or(chrono::Duration::hours(1));
    Entity::insert(ActiveModel {
        email_key: Set(email_key.to_owned()),
        window_started_at: Set(now),
        invitations: Set(0),
    })
    .on_conflict_do_nothing_on([Column::EmailKey])
    .exec(db)
    .await?;
    Entity::update_many()
        .col_expr(Column::Invitations, Expr::value(0))
        .col_expr(Column::WindowStartedAt, Expr::value(now))
        .filter(Column::EmailKey.eq(email_key))
        .filter(Column::WindowStartedAt.lte(now - window))
        .exec(db)
        .await?;
    let counted = Entity::update_many()
        .col_expr(Column::Invitations, Expr::col(Column::Invitations).add(1))
        .filter(Column::EmailKey.eq(email_key))
        .filter(Column::Invitations.lt(i64::from(limits.per_address)))
        .exec(db)
        .await?;
    if counted.rows_affected == 1 {
        return Ok(());
    }
    let started = Entity::find_by_id(email_key)
        .one(db)
        .await?
        .map_or(now, |row| row.window_started_at);
    Err(ServiceError::RateLimited {
        message: purpose.refusal(),
        retry_after_secs: seconds_until(now, started + window),
    })
}

fn window(limits: SignInLimits) -> chrono::Duration {
    chrono::Duration::from_std(limits.window).unwrap_or(chrono::Duration::minutes(15))
}

/// Whole seconds from `now` until `until`, at least one.
fn seconds_until(now: DateTime<Utc>, until: DateTime<Utc>) -> u64 {
    let millis = Ord::max((until - now).num_milliseconds(), 0) as u64;
    Ord::max(millis.div_ceil(1000), 1)
}

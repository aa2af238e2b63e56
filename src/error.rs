//! Error policy — one for the whole server:
//!
//! * The service layer returns [`ServiceResult`]. Its error says *whose* problem it is:
//!   - [`ServiceError::User`]: an expected business failure (bad input, not found, wrong
//!     state, duplicate…). Mutations return it in their payload's `userErrors`; queries
//!     answer `null` / an empty list where §4.1 says "as if it did not exist".
//!   - [`ServiceError::Unauthenticated`] / [`ServiceError::Forbidden`]: top-level GraphQL
//!     errors with `extensions.code` `UNAUTHENTICATED` / `FORBIDDEN`. Forbidden is only used
//!     where the caller can already see the object; otherwise it is `NOT_FOUND`.
//!   - [`ServiceError::RateLimited`]: a top-level error `RATE_LIMITED` with
//!     `extensions.retryAfter` in seconds.
//!   - [`ServiceError::Internal`]: anything unexpected (database, I/O). Logged once with its
//!     whole cause chain and an error id; the client gets `INTERNAL`, the id and nothing else.
//! * Database errors never cross into a response: `From<DbErr>` makes them internal.
//! * [`report`] is the one place a fault is logged: it writes the whole cause chain with a
//!   fresh [`ErrorId`], which is all a client (or a background job's log line) gets of it.

use std::fmt;

use sea_orm::{DbErr, SqlErr};

/// The codes of expected failures, listed once: `user_error_codes!(m)` expands to
/// `m! { InvalidInput, NotFound, … }`, so the GraphQL enum is generated from this list too.
macro_rules! user_error_codes {
    ($callback:ident) => {
        $callback! {
            InvalidInput,
            NotFound,
            InvalidState,
            Duplicate,
            NoCompanyAdmin,
            NotVerified,
            InvalidCredentials,
            InvalidToken,
            TermsNotAccepted,
            GreenhouseAuthFailed,
            GreenhouseUnavailable,
        }
    };
}
pub(crate) use user_error_codes;

macro_rules! user_error_code_enum {
    ($($code:ident),* $(,)?) => {
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum UserErrorCode {
            $($code),*
        }

        impl UserErrorCode {
            pub const ALL: &[Self] = &[$(Self::$code),*];
        }
    };
}
user_error_codes!(user_error_code_enum);

/// An expected failure the caller can act on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserError {
    pub code: UserErrorCode,
    /// Path to the input field at fault, e.g. `["email"]`.
    pub field: Option<Vec<String>>,
    pub message: String,
}

impl UserError {
    pub fn new(code: UserErrorCode, message: impl Into<String>) -> Self {
        Self {
            code,
            field: None,
            message: message.into(),
        }
    }

    pub fn on(mut self, field: &str) -> Self {
        self.field = Some(field.split('.').map(str::to_owned).collect());
        self
    }

    pub fn invalid(field: &str, message: impl Into<String>) -> Self {
        Self::new(UserErrorCode::InvalidInput, message).on(field)
    }

    pub fn not_found(field: &str, what: &str) -> Self {
        Self::new(UserErrorCode::NotFound, format!("{what} not found")).on(field)
    }

    pub fn duplicate(field: &str, message: impl Into<String>) -> Self {
        Self::new(UserErrorCode::Duplicate, message).on(field)
    }
}

/// Deliberately not `Display`: GraphQL would otherwise turn it into a message by itself,
/// bypassing the policy above (see `graphql::errors`).
#[derive(Debug)]
pub enum ServiceError {
    User(Vec<UserError>),
    Unauthenticated,
    Forbidden,
    /// Too many attempts: a top-level `RATE_LIMITED` with `extensions.retryAfter` (seconds).
    RateLimited {
        message: &'static str,
        retry_after_secs: u64,
    },
    Internal(anyhow::Error),
}

impl From<anyhow::Error> for ServiceError {
    fn from(error: anyhow::Error) -> Self {
        Self::Internal(error)
    }
}

pub type ServiceResult<T> = Result<T, ServiceError>;

impl From<UserError> for ServiceError {
    fn from(error: UserError) -> Self {
        Self::User(vec![error])
    }
}

impl From<DbErr> for ServiceError {
    fn from(error: DbErr) -> Self {
        Self::Internal(anyhow::Error::new(error).context("database"))
    }
}

impl ServiceError {
    pub fn user(code: UserErrorCode, message: impl Into<String>) -> Self {
        UserError::new(code, message).into()
    }

    pub fn not_found(field: &str, what: &str) -> Self {
        UserError::not_found(field, what).into()
    }
}

/// Names one reported fault: in the log beside its cause, and in the answer instead of it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ErrorId(uuid::Uuid);

impl fmt::Display for ErrorId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// What [`report`] can log.
pub trait Fault {
    /// The cause, with its whole chain, on one line.
    fn describe(&self) -> String;
}

impl Fault for anyhow::Error {
    fn describe(&self) -> String {
        format!("{self:#}")
    }
}

impl Fault for ServiceError {
    fn describe(&self) -> String {
        match self {
            Self::Internal(error) => error.describe(),
            other => format!("{other:?}"),
        }
    }
}

/// Logs a fault once, with its cause chain, and returns the id to show instead of it.
pub fn report(fault: &impl Fault) -> ErrorId {
    let id = ErrorId(uuid::Uuid::now_v7());
    tracing::error!(error_id = %id, error = fault.describe(), "internal error");
    id
}

/// Whether a write failed on a unique index: the database's answer to a race.
pub fn is_unique_violation(error: &DbErr) -> bool {
    matches!(error.sql_err(), Some(SqlErr::UniqueConstraintViolation(_)))
}

/// Collects input errors so a caller gets all of them at once, not one per attempt.
#[derive(Debug, Default)]
pub struct InputErrors(Vec<UserError>);

impl InputErrors {
    /// Keeps the parsed value, or records why the field was refused.
    pub fn check<T>(&mut self, field: &str, parsed: Result<T, String>) -> Option<T> {
        match parsed {
            Ok(value) => Some(value),
            Err(message) => {
                self.0.push(UserError::invalid(field, message));
                None
            }
        }
    }

    pub fn push(&mut self, error: UserError) {
        self.0.push(error);
    }

    pub fn finish(self) -> ServiceResult<()> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(ServiceError::User(self.0))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every code is raised somewhere: a code nothing uses is an API promise nobody keeps.
    #[test]
    fn every_user_error_code_is_used() {
        fn sources(dir: &std::path::Path, out: &mut String) {
            for entry in std::fs::read_dir(dir).expect("src") {
                let path = entry.expect("entry").path();
                if path.is_dir() {
                    sources(&path, out);
                } else if path.extension().is_some_and(|e| e == "rs") {
                    out.push_str(&std::fs::read_to_string(&path).expect("read"));
                }
            }
        }
        let mut code = String::new();
        sources(
            &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src"),
            &mut code,
        );
        for variant in UserErrorCode::ALL {
            let usage = format!("UserErrorCode::{variant:?}");
            assert!(code.contains(&usage), "{usage} is never raised: remove it");
        }
    }
}

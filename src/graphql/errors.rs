//! How service errors become GraphQL errors (see the policy in [`crate::error`]).

use async_graphql::{Enum, ErrorExtensions, ServerError, SimpleObject};

use crate::error::{ServiceError, UserError as ServiceUserError, UserErrorCode as Code};

macro_rules! graphql_user_error_code {
    ($($code:ident),* $(,)?) => {
        #[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
        #[graphql(remote = "crate::error::UserErrorCode", name = "UserErrorCode")]
        pub enum UserErrorCode {
            $($code),*
        }
    };
}
crate::error::user_error_codes!(graphql_user_error_code);

/// An expected failure of a mutation, in its payload.
#[derive(SimpleObject, Debug, Clone)]
pub struct UserError {
    /// Path to the input field at fault, e.g. `["email"]`.
    pub field: Option<Vec<String>>,
    pub message: String,
    pub code: UserErrorCode,
}

impl From<ServiceUserError> for UserError {
    fn from(error: ServiceUserError) -> Self {
        Self {
            field: error.field,
            message: error.message,
            code: error.code.into(),
        }
    }
}

/// The code as the schema spells it (`INVALID_INPUT`), for `extensions.code`.
fn code_name(code: Code) -> &'static str {
    let code = UserErrorCode::from(code);
    <UserErrorCode as async_graphql::resolver_utils::EnumType>::items()
        .iter()
        .find(|item| item.value == code)
        .map_or("INVALID_INPUT", |item| item.name)
}

pub fn with_code(message: impl Into<String>, code: &'static str) -> async_graphql::Error {
    async_graphql::Error::new(message).extend_with(|_, e| e.set("code", code))
}

/// An error of the request as a whole: no field, no position in the document.
pub fn request_error(error: async_graphql::Error) -> ServerError {
    ServerError {
        message: error.message,
        source: error.source,
        locations: Vec::new(),
        path: Vec::new(),
        extensions: error.extensions,
    }
}

/// The error's `extensions.code`, if it has one.
pub fn code_of(error: &ServerError) -> Option<&str> {
    match error.extensions.as_ref()?.get("code")? {
        async_graphql::Value::String(code) => Some(code),
        _ => None,
    }
}

/// An internal fault, reported (see [`crate::error::report`]): the client only gets its id.
pub fn internal(error: &impl crate::error::Fault) -> async_graphql::Error {
    let error_id = crate::error::report(error);
    async_graphql::Error::new("internal error").extend_with(|_, e| {
        e.set("code", "INTERNAL");
        e.set("errorId", error_id.to_string());
    })
}

impl From<ServiceError> for async_graphql::Error {
    fn from(error: ServiceError) -> Self {
        match error {
            ServiceError::User(errors) => {
                let first = errors
                    .into_iter()
                    .next()
                    .unwrap_or_else(|| ServiceUserError::new(Code::InvalidInput, "invalid input"));
                let code = code_name(first.code);
                let field = first.field.clone();
                async_graphql::Error::new(first.message).extend_with(|_, e| {
                    e.set("code", code);
                    if let Some(field) = field {
                        e.set("field", field);
                    }
                })
            }
            ServiceError::Unauthenticated => with_code("sign in first", "UNAUTHENTICATED"),
            ServiceError::Forbidden => with_code("not allowed", "FORBIDDEN"),
            ServiceError::RateLimited {
                message,
                retry_after_secs,
            } => async_graphql::Error::new(message).extend_with(|_, e| {
                e.set("code", "RATE_LIMITED");
                e.set("retryAfter", retry_after_secs);
            }),
            ServiceError::Internal(error) => internal(&error),
        }
    }
}

impl From<ServiceUserError> for async_graphql::Error {
    fn from(error: ServiceUserError) -> Self {
        ServiceError::from(error).into()
    }
}

/// Mutation payloads: `userErrors` for expected failures, top-level errors for the rest.
pub trait Payload: Sized {
    fn failed(errors: Vec<UserError>) -> Self;

    fn respond<T>(
        result: Result<T, ServiceError>,
        ok: impl FnOnce(T) -> Self,
    ) -> async_graphql::Result<Self> {
        match result {
            Ok(value) => Ok(ok(value)),
            Err(ServiceError::User(errors)) => {
                Ok(Self::failed(errors.into_iter().map(Into::into).collect()))
            }
            Err(other) => Err(other.into()),
        }
    }
}

/// Declares payload types: `payload!(CreateCompanyPayload { company: Company })`.
#[macro_export]
macro_rules! payload {
    ($(#[$meta:meta])* $name:ident { $($(#[$field_meta:meta])* $field:ident : $ty:ty),* $(,)? }) => {
        $(#[$meta])*
        #[derive(async_graphql::SimpleObject, Default)]
        pub struct $name {
            $($(#[$field_meta])* pub $field: Option<$ty>,)*
            pub user_errors: Vec<$crate::graphql::errors::UserError>,
        }

        impl $crate::graphql::errors::Payload for $name {
            fn failed(user_errors: Vec<$crate::graphql::errors::UserError>) -> Self {
                Self { user_errors, ..Default::default() }
            }
        }
    };
}

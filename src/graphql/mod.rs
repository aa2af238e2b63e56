//! The GraphQL schema: types, resolvers and loaders. Thin by design: resolvers parse,
//! call a service, and shape the answer. What every request goes through whatever its
//! transport (the alias limit, the timeout, error codes, field order, one parse of the
//! document) is the [`extension::RequestPolicy`], registered here.

pub mod batch;
pub mod connection;
pub mod context;
pub mod cost;
pub mod documents;
pub mod errors;
pub mod extension;
pub mod ids;
pub mod loaders;
mod mutations;
pub mod one_pass;
mod order;
mod query;
mod subscription;
pub mod types;

use std::sync::Arc;

use async_graphql::Schema;

pub use mutations::MutationRoot;
pub use query::QueryRoot;
pub use subscription::{LiveSession, SubscriptionRoot};

use crate::{config::LimitsConfig, services::access::Actor, state::AppState};

pub type AppSchema = Schema<QueryRoot, MutationRoot, SubscriptionRoot>;

/// The schema with its limits; `state` is absent only for printing the SDL.
pub fn build_schema(state: Option<AppState>, limits: &LimitsConfig) -> AppSchema {
    let mut builder = Schema::build(QueryRoot, MutationRoot::default(), SubscriptionRoot)
        .limit_depth(limits.max_depth)
        .limit_complexity(limits.max_complexity)
        .limit_recursive_depth(32)
        .limit_directives(10)
        .extension(extension::RequestPolicy::new(limits));
    if !limits.one_pass {
        builder = builder.data(one_pass::OnePassOff);
    }
    if let Some(state) = state {
        builder = builder.data(state);
    }
    builder.finish()
}

/// The SDL printed by `introgate schema` and kept in `schema.graphql`.
pub fn sdl() -> String {
    build_schema(None, &LimitsConfig::default()).sdl()
}

/// Per-request data: who asks (its loaders are made when first used), the request's one
/// password check, and how the response is written. One value: each piece of request data
/// is an allocation and a map entry.
pub fn request_data(
    request: async_graphql::Request,
    actor: Arc<Actor>,
    attempt: Arc<crate::services::throttle::PasswordAttempt>,
    writer: context::ResponseWriter,
) -> async_graphql::Request {
    request.data(Arc::new(context::RequestScope::new(actor, attempt, writer)))
}

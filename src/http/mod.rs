//! Routes: `/graphql` (GraphQL over HTTP), `/graphql/ws` (subscriptions), `/graphiql`, `/healthz`, `/readyz`, `/metrics`,
//! `/webhooks/greenhouse/{companyId}`.

mod graphiql;
mod graphql;
mod health;
mod operation;
mod webhooks;
mod ws;

use std::sync::{Arc, atomic::Ordering};

use axum::{
    Router,
    extract::{DefaultBodyLimit, MatchedPath, Request, State},
    http::{HeaderValue, Method, header},
    middleware::{self, Next},
    response::{IntoResponse, Response},
    routing::{get, post},
};
use tower_http::{cors::CorsLayer, limit::RequestBodyLimitLayer, trace::TraceLayer};

use crate::{
    config::Origin,
    graphql::AppSchema,
    metrics::{REQUEST_STATEMENTS, RequestStatements},
    state::AppState,
};

/// What the handlers share. axum clones it for every request, so it is one `Arc`: a clone
/// of the fields themselves (the app state's dozen `Arc`s and more) was an eighth of the
/// CPU of `{ __typename }`.
#[derive(Clone)]
pub struct HttpState(Arc<HttpStateData>);

impl HttpState {
    pub fn new(data: HttpStateData) -> Self {
        Self(Arc::new(data))
    }
}

impl std::ops::Deref for HttpState {
    type Target = HttpStateData;

    fn deref(&self) -> &HttpStateData {
        &self.0
    }
}

pub struct HttpStateData {
    pub state: AppState,
    pub schema: AppSchema,
    pub limits: Arc<crate::config::LimitsConfig>,
    pub live: Arc<crate::config::LiveConfig>,
    /// Browser origins allowed besides our own (WebSocket `Origin` check, CORS).
    pub cors_origins: Arc<Vec<Origin>>,
    /// `SERVER_TIMING`: send the `Server-Timing` header.
    pub server_timing: bool,
    /// Cancelled when the server stops: open WebSockets close with 1001.
    pub shutdown: tokio_util::sync::CancellationToken,
    /// Subscriptions computed once for all who would compute the same.
    pub shared: Arc<ws::shared::SharedSubscriptions>,
    /// Documents parsed recently, by text.
    pub documents: crate::graphql::documents::Documents,
}

/// The token of an `Authorization` value: the scheme `Bearer` in any case (RFC 9110
/// schemes are case-insensitive), then the token.
pub(crate) fn bearer_token(value: &str) -> Option<&str> {
    let (scheme, token) = value.trim().split_once(char::is_whitespace)?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}

pub fn router(http: HttpState) -> Router {
    let body_limit = http.limits.max_body_bytes;
    let cors_origins = http.cors_origins.clone();
    let mut router = Router::new()
        .route("/graphql", get(graphql::get).post(graphql::post))
        .route("/graphql/ws", get(ws::upgrade))
        .route("/graphiql", get(graphiql::page))
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
        .route("/metrics", get(health::metrics))
        .route(
            "/webhooks/greenhouse/{company_id}",
            post(webhooks::greenhouse),
        )
        .layer(DefaultBodyLimit::max(body_limit))
        // A body declared larger than the limit is refused before any of it is read.
        .layer(RequestBodyLimitLayer::new(body_limit))
        .layer(middleware::map_response(too_large_as_graphql_error))
        .layer(middleware::from_fn_with_state(http.clone(), count_requests))
        .layer(TraceLayer::new_for_http());
    if !cors_origins.is_empty() {
        let origins: Vec<HeaderValue> = cors_origins
            .iter()
            .filter_map(|o| HeaderValue::from_str(&o.0).ok())
            .collect();
        router = router.layer(
            CorsLayer::new()
                .allow_origin(origins)
                .allow_methods([Method::GET, Method::POST])
                .allow_headers([header::AUTHORIZATION, header::CONTENT_TYPE, header::ACCEPT]),
        );
    }
    router.with_state(http)
}

/// A body over `GRAPHQL_MAX_BODY_BYTES` (refused by the layers above with a bare 413)
/// answers a GraphQL error with a code, like every other refusal.
async fn too_large_as_graphql_error(response: Response) -> Response {
    if response.status() != axum::http::StatusCode::PAYLOAD_TOO_LARGE {
        return response;
    }
    let body = serde_json::json!({ "errors": [{
        "message": "the request body is larger than the server accepts (GRAPHQL_MAX_BODY_BYTES)",
        "extensions": { "code": "PAYLOAD_TOO_LARGE" },
    }] });
    (
        axum::http::StatusCode::PAYLOAD_TOO_LARGE,
        [(header::CONTENT_TYPE, "application/json")],
        body.to_string(),
    )
        .into_response()
}

/// Counts requests; reports the database work of each in a `Server-Timing` header
/// (`db;dur=<ms>;desc="<n> statements"`, which browsers' developer tools show) when
/// `SERVER_TIMING` is on; and marks every response `X-Content-Type-Options: nosniff`.
async fn count_requests(State(http): State<HttpState>, request: Request, next: Next) -> Response {
    let method = request.method().to_string();
    // The route, not the raw path: unknown paths must not create a label each.
    let path = request
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_owned())
        .unwrap_or_else(|| "unmatched".into());
    let statements = Arc::new(RequestStatements::default());
    let mut response = REQUEST_STATEMENTS
        .scope(statements.clone(), next.run(request))
        .await;
    let (count, micros) = (
        statements.count.load(Ordering::Relaxed),
        statements.micros.load(Ordering::Relaxed),
    );
    if http.server_timing
        && let Ok(value) = HeaderValue::from_str(&format!(
            "db;dur={:.3};desc=\"{count} statements\"",
            micros as f64 / 1000.0
        ))
    {
        response.headers_mut().insert("server-timing", value);
    }
    // Nothing here is meant to be sniffed into another type.
    response.headers_mut().insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    let labels = crate::metrics::HttpLabels {
        method,
        path,
        status: response.status().as_u16(),
    };
    http.state
        .metrics
        .http_requests
        .get_or_create(&labels)
        .inc();
    response
}

#[cfg(test)]
mod tests {
    use super::bearer_token;

    #[test]
    fn the_bearer_scheme_is_case_insensitive() {
        for value in [
            "Bearer igs_x",
            "bearer igs_x",
            "BEARER igs_x",
            "  BeArEr   igs_x ",
        ] {
            assert_eq!(bearer_token(value), Some("igs_x"), "{value}");
        }
        for value in ["Basic igs_x", "Bearer", "Bearer   ", "Bearerigs_x", "igs_x"] {
            assert_eq!(bearer_token(value), None, "{value}");
        }
    }
}

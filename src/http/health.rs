use axum::{
    extract::State,
    http::{StatusCode, header},
    response::IntoResponse,
};

use super::HttpState;

/// Liveness: the process answers.
pub async fn healthz() -> &'static str {
    "ok"
}

/// Readiness: the database answers and is fully migrated.
pub async fn readyz(State(http): State<HttpState>) -> impl IntoResponse {
    if http.state.db.is_ready().await {
        (StatusCode::OK, "ready")
    } else {
        (StatusCode::SERVICE_UNAVAILABLE, "not ready")
    }
}

pub async fn metrics(State(http): State<HttpState>) -> impl IntoResponse {
    // Each shared execution follows the hub once, for all its members.
    let subscribers = http.state.hub.subscriber_count() + http.shared.members_sharing();
    http.state
        .metrics
        .live_subscribers
        .set(i64::try_from(subscribers).unwrap_or(i64::MAX));
    (
        [(
            header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        http.state.metrics.render(),
    )
}

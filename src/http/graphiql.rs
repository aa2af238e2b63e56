//! GraphiQL, served from the binary: its assets were taken from npm at build time
//! (see `build.rs`), so it works without any internet access.

use axum::{
    http::header,
    response::{Html, IntoResponse},
};

const GRAPHIQL_HTML: &str = include_str!(concat!(env!("OUT_DIR"), "/graphiql.html"));

/// Never inside another site's frame (clickjacking an admin's GraphiQL).
pub async fn page() -> impl IntoResponse {
    (
        [
            (header::CONTENT_SECURITY_POLICY, "frame-ancestors 'none'"),
            (header::X_FRAME_OPTIONS, "DENY"),
        ],
        Html(GRAPHIQL_HTML),
    )
}

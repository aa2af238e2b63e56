//! GraphiQL, served from the binary: its assets were taken from npm at build time
//! (see `build.rs`), so it works without any internet access.

use axum::response::Html;

const GRAPHIQL_HTML: &str = include_str!(concat!(env!("OUT_DIR"), "/graphiql.html"));

pub async fn page() -> Html<&'static str> {
    Html(GRAPHIQL_HTML)
}

//! GraphQL over HTTP, as the GraphQL-over-HTTP spec (and its `graphql-http` audit) says:
//!
//! * `Accept` picks `application/graphql-response+json` or `application/json`; `*/*` or no
//!   `Accept` means `application/json`; anything else is 406.
//! * POST bodies must be `application/json` (415 otherwise): no cross-site form can post.
//! * GET never runs a mutation (405).
//! * Malformed requests are 400. Documents that do not parse or validate are 400 with the
//!   new media type and 200 with `application/json` (legacy clients expect that).
//! * A JSON array is a batch (at most `max_batch` operations).

use std::{panic::AssertUnwindSafe, sync::Arc};

use async_graphql::{
    Variables,
    parser::types::{ExecutableDocument, OperationType},
};
use axum::{
    body::Bytes,
    extract::{RawQuery, State},
    http::{HeaderMap, HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};
use futures::FutureExt;
use serde_json::{Map, Value, json};

use super::{HttpState, limits};
use crate::{
    graphql::{errors::internal, request_data},
    services::{access::Actor, accounts},
};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum MediaType {
    GraphqlResponseJson,
    Json,
}

impl MediaType {
    fn content_type(self) -> HeaderValue {
        HeaderValue::from_static(match self {
            Self::GraphqlResponseJson => "application/graphql-response+json; charset=utf-8",
            Self::Json => "application/json; charset=utf-8",
        })
    }
}

/// The best acceptable media type, honouring q-values; `None` if none is acceptable.
fn negotiate(headers: &HeaderMap) -> Option<MediaType> {
    let Some(accept) = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .filter(|v| !v.trim().is_empty())
    else {
        return Some(MediaType::Json);
    };
    let mut best: Option<(f32, MediaType)> = None;
    for range in accept.split(',') {
        let mut parts = range.split(';').map(str::trim);
        let media = parts.next().unwrap_or_default().to_ascii_lowercase();
        let mut q = 1.0f32;
        let mut charset_ok = true;
        for param in parts {
            if let Some((key, value)) = param.split_once('=') {
                match key.trim().to_ascii_lowercase().as_str() {
                    "q" => q = value.trim().parse().unwrap_or(0.0),
                    "charset" => {
                        charset_ok = value.trim().trim_matches('"').eq_ignore_ascii_case("utf-8")
                    }
                    _ => {}
                }
            }
        }
        let candidate = match media.as_str() {
            "application/graphql-response+json" => MediaType::GraphqlResponseJson,
            "application/json" | "application/*" | "*/*" => MediaType::Json,
            _ => continue,
        };
        if q <= 0.0 || !charset_ok {
            continue;
        }
        let better = match best {
            None => true,
            Some((best_q, best_type)) => {
                q > best_q
                    || (q == best_q
                        && candidate == MediaType::GraphqlResponseJson
                        && best_type != candidate)
            }
        };
        if better {
            best = Some((q, candidate));
        }
    }
    best.map(|(_, media)| media)
}

fn respond(status: StatusCode, media: MediaType, body: &Value) -> Response {
    let mut response = (status, serde_json::to_vec(body).unwrap_or_default()).into_response();
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, media.content_type());
    response
}

fn request_error(status: StatusCode, media: MediaType, message: &str, code: &str) -> Response {
    respond(
        status,
        media,
        &json!({ "errors": [{ "message": message, "extensions": { "code": code } }] }),
    )
}

/// A request the server refuses as malformed, before any GraphQL runs.
pub(super) struct Refusal {
    status: StatusCode,
    message: String,
    code: &'static str,
}

impl Refusal {
    fn bad_request(message: impl Into<String>) -> Self {
        Self {
            status: StatusCode::BAD_REQUEST,
            message: message.into(),
            code: "BAD_REQUEST",
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Method {
    Get,
    Post,
}

/// The parameters of one GraphQL request, checked for shape (over HTTP or WebSocket).
pub(super) struct Params {
    pub(super) query: String,
    pub(super) operation_name: Option<String>,
    variables: Option<Map<String, Value>>,
}

impl Params {
    /// The async-graphql request, before per-request data.
    pub(super) fn into_request(self) -> async_graphql::Request {
        let mut request = async_graphql::Request::new(self.query);
        if let Some(name) = self.operation_name {
            request = request.operation_name(name);
        }
        if let Some(variables) = self.variables {
            request = request.variables(Variables::from_json(Value::Object(variables)));
        }
        request
    }
}

/// A document that cannot run: the `errors` of the answer.
pub(super) fn errors(message: &str, code: &str) -> Value {
    json!([{ "message": message, "extensions": { "code": code } }])
}

/// Parses the document; `errors` if it does not parse.
pub(super) fn parse(query: &str) -> Result<ExecutableDocument, Value> {
    async_graphql::parser::parse_query(query)
        .map_err(|error| errors(&error.to_string(), "GRAPHQL_PARSE_FAILED"))
}

/// The alias limit, which async-graphql lacks; `errors` when the document exceeds it.
pub(super) fn check_aliases(document: &ExecutableDocument, limit: usize) -> Result<(), Value> {
    let aliases = limits::alias_count(document);
    if aliases > limit {
        return Err(errors(
            &format!("the query uses {aliases} aliases; the limit is {limit}"),
            "ALIAS_LIMIT_EXCEEDED",
        ));
    }
    Ok(())
}

/// A response as JSON: every error with a code (see [`scrub`]), fields in query order.
/// `request_error`: it failed before execution (parsing, validation, limits).
pub(super) fn response_json(
    response: &async_graphql::Response,
    document: &ExecutableDocument,
    operation_name: Option<&str>,
) -> (Value, bool) {
    let request_error = response.data == async_graphql::Value::Null
        && !response.errors.is_empty()
        && response.errors.iter().all(|e| e.path.is_empty());
    let mut body = serde_json::to_value(response)
        .unwrap_or_else(|_| json!({ "errors": [{ "message": "internal error" }] }));
    if let Some(errors) = body.get_mut("errors").and_then(Value::as_array_mut) {
        for error in errors.iter_mut() {
            scrub(error, request_error);
        }
    }
    if let Some(data) = body.get_mut("data") {
        super::order::reorder(document, operation_name, data);
    }
    (body, request_error)
}

pub(super) fn params_from_json(value: &Value) -> Result<Params, Refusal> {
    let object = value
        .as_object()
        .ok_or_else(|| Refusal::bad_request("the request must be a JSON object"))?;
    let query = match object.get("query") {
        Some(Value::String(query)) => query.clone(),
        Some(_) => return Err(Refusal::bad_request("`query` must be a string")),
        None => return Err(Refusal::bad_request("`query` is required")),
    };
    let operation_name = match object.get("operationName") {
        None | Some(Value::Null) => None,
        Some(Value::String(name)) => Some(name.clone()),
        Some(_) => return Err(Refusal::bad_request("`operationName` must be a string")),
    };
    let variables = match object.get("variables") {
        None | Some(Value::Null) => None,
        Some(Value::Object(map)) => Some(map.clone()),
        Some(_) => return Err(Refusal::bad_request("`variables` must be an object")),
    };
    match object.get("extensions") {
        None | Some(Value::Null) | Some(Value::Object(_)) => {}
        Some(_) => return Err(Refusal::bad_request("`extensions` must be an object")),
    }
    Ok(Params {
        query,
        operation_name,
        variables,
    })
}

fn params_from_query_string(raw: Option<&str>) -> Result<Params, Refusal> {
    let mut object = Map::new();
    for (key, value) in url::form_urlencoded::parse(raw.unwrap_or_default().as_bytes()) {
        let value = match key.as_ref() {
            "variables" | "extensions" => serde_json::from_str(&value)
                .map_err(|_| Refusal::bad_request(format!("`{key}` must be JSON")))?,
            _ => Value::String(value.into_owned()),
        };
        object.insert(key.into_owned(), value);
    }
    params_from_json(&Value::Object(object))
}

/// Who is asking: anonymous without `Authorization`, else the token's owner or 401.
async fn actor(http: &HttpState, headers: &HeaderMap) -> Result<Arc<Actor>, Response> {
    let Some(value) = headers.get(header::AUTHORIZATION) else {
        return Ok(Arc::new(Actor::anonymous()));
    };
    let unauthenticated = |message: &str| {
        let mut response = request_error(
            StatusCode::UNAUTHORIZED,
            MediaType::Json,
            message,
            "UNAUTHENTICATED",
        );
        response
            .headers_mut()
            .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        response
    };
    let token = value
        .to_str()
        .ok()
        .and_then(|v| {
            v.strip_prefix("Bearer ")
                .or_else(|| v.strip_prefix("bearer "))
        })
        .map(str::trim);
    let Some(token) = token.filter(|t| !t.is_empty()) else {
        return Err(unauthenticated("use `Authorization: Bearer <token>`"));
    };
    match accounts::authenticate(&http.state, token).await {
        Ok(Some(principal)) => Ok(Arc::new(Actor::new(principal))),
        Ok(None) => Err(unauthenticated("the token is invalid, expired or revoked")),
        Err(error) => {
            // The client only learns that it failed, and the id of the log line.
            let error_id = crate::error::report(&error);
            Err(respond(
                StatusCode::INTERNAL_SERVER_ERROR,
                MediaType::Json,
                &json!({ "errors": [{ "message": "internal error", "extensions": { "code": "INTERNAL", "errorId": error_id.to_string() } }] }),
            ))
        }
    }
}

/// The outcome of one operation: its JSON, and whether it failed before execution.
struct Outcome {
    body: Value,
    request_error: bool,
    status: Option<StatusCode>,
}

impl Outcome {
    /// Failed before execution, with these `errors`.
    fn failed(errors: Value) -> Self {
        Self {
            body: json!({ "errors": errors }),
            request_error: true,
            status: None,
        }
    }

    fn refused(refusal: Refusal) -> Self {
        Self {
            body: json!({ "errors": [{ "message": refusal.message, "extensions": { "code": refusal.code } }] }),
            request_error: true,
            status: Some(refusal.status),
        }
    }
}

async fn execute(http: &HttpState, actor: &Arc<Actor>, method: Method, params: Params) -> Outcome {
    let document = match parse(&params.query) {
        Ok(document) => document,
        Err(errors) => return Outcome::failed(errors),
    };
    let operation = limits::operation_type(&document, params.operation_name.as_deref());
    if method == Method::Get
        && (operation == Some(OperationType::Mutation)
            || (operation.is_none() && limits::has_operation(&document, OperationType::Mutation)))
    {
        return Outcome::refused(Refusal {
            status: StatusCode::METHOD_NOT_ALLOWED,
            message: "mutations are only accepted over POST".into(),
            code: "METHOD_NOT_ALLOWED",
        });
    }
    if operation == Some(OperationType::Subscription) {
        return Outcome::refused(Refusal::bad_request(
            "subscriptions are served over WebSocket at /graphql/ws",
        ));
    }
    if let Err(errors) = check_aliases(&document, http.limits.max_aliases) {
        return Outcome::failed(errors);
    }

    let operation_name = params.operation_name.clone();
    let request = request_data(params.into_request(), &http.state, actor.clone());
    let running = AssertUnwindSafe(http.schema.execute(request)).catch_unwind();
    let response = match tokio::time::timeout(http.limits.request_timeout, running).await {
        Ok(Ok(response)) => response,
        Ok(Err(_panic)) => {
            let _ = internal(&anyhow::anyhow!("a resolver panicked"));
            return Outcome::refused(Refusal {
                status: StatusCode::INTERNAL_SERVER_ERROR,
                message: "internal error".into(),
                code: "INTERNAL",
            });
        }
        Err(_elapsed) => {
            return Outcome::refused(Refusal {
                status: StatusCode::SERVICE_UNAVAILABLE,
                message: format!(
                    "the request took longer than {:?}",
                    http.limits.request_timeout
                ),
                code: "TIMEOUT",
            });
        }
    };

    let (mut body, request_error) = response_json(&response, &document, operation_name.as_deref());
    if request_error && let Some(object) = body.as_object_mut() {
        object.remove("data");
    }
    Outcome {
        body,
        request_error,
        status: None,
    }
}

/// Every error leaves with a code. A resolver error without one came from outside the
/// error policy (a library's `Display`): its text may hold internals, so it is replaced.
fn scrub(error: &mut Value, request_error: bool) {
    let has_code = error.pointer("/extensions/code").is_some();
    if has_code {
        return;
    }
    if request_error {
        let extensions = error
            .as_object_mut()
            .map(|e| e.entry("extensions").or_insert_with(|| json!({})));
        if let Some(Value::Object(extensions)) = extensions {
            extensions.insert("code".into(), json!("GRAPHQL_VALIDATION_FAILED"));
        }
    } else {
        let message = error
            .get("message")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned();
        let replacement = internal(&anyhow::anyhow!("unclassified resolver error: {message}"));
        if let Some(object) = error.as_object_mut() {
            object.insert("message".into(), json!(replacement.message));
            object.insert(
                "extensions".into(),
                replacement
                    .extensions
                    .map(|e| serde_json::to_value(e).unwrap_or_default())
                    .unwrap_or_default(),
            );
        }
    }
}

fn status_of(outcome: &Outcome, media: MediaType) -> StatusCode {
    match (outcome.status, outcome.request_error, media) {
        (Some(status), _, _) => status,
        (None, true, MediaType::GraphqlResponseJson) => StatusCode::BAD_REQUEST,
        _ => StatusCode::OK,
    }
}

pub async fn get(
    State(http): State<HttpState>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Response {
    let Some(media) = negotiate(&headers) else {
        return request_error(
            StatusCode::NOT_ACCEPTABLE,
            MediaType::Json,
            "accept application/graphql-response+json or application/json",
            "NOT_ACCEPTABLE",
        );
    };
    let params = match params_from_query_string(raw.as_deref()) {
        Ok(params) => params,
        Err(refusal) => {
            return request_error(refusal.status, media, &refusal.message, refusal.code);
        }
    };
    let actor = match actor(&http, &headers).await {
        Ok(actor) => actor,
        Err(response) => return response,
    };
    let outcome = execute(&http, &actor, Method::Get, params).await;
    let mut response = respond(status_of(&outcome, media), media, &outcome.body);
    if response.status() == StatusCode::METHOD_NOT_ALLOWED {
        response
            .headers_mut()
            .insert(header::ALLOW, HeaderValue::from_static("POST"));
    }
    response
}

fn is_json(headers: &HeaderMap) -> bool {
    let Some(value) = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
    else {
        return false;
    };
    let mut parts = value.split(';').map(str::trim);
    let media_ok = parts
        .next()
        .is_some_and(|m| m.eq_ignore_ascii_case("application/json"));
    let charset_ok = parts.all(|p| match p.split_once('=') {
        Some((k, v)) if k.trim().eq_ignore_ascii_case("charset") => {
            v.trim().trim_matches('"').eq_ignore_ascii_case("utf-8")
        }
        _ => true,
    });
    media_ok && charset_ok
}

pub async fn post(State(http): State<HttpState>, headers: HeaderMap, body: Bytes) -> Response {
    let Some(media) = negotiate(&headers) else {
        return request_error(
            StatusCode::NOT_ACCEPTABLE,
            MediaType::Json,
            "accept application/graphql-response+json or application/json",
            "NOT_ACCEPTABLE",
        );
    };
    if !is_json(&headers) {
        return request_error(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            media,
            "send the request as Content-Type: application/json",
            "UNSUPPORTED_MEDIA_TYPE",
        );
    }
    let json: Value = match serde_json::from_slice(&body) {
        Ok(json) => json,
        Err(_) => {
            return request_error(
                StatusCode::BAD_REQUEST,
                media,
                "the body is not valid JSON",
                "BAD_REQUEST",
            );
        }
    };
    let actor = match actor(&http, &headers).await {
        Ok(actor) => actor,
        Err(response) => return response,
    };
    match json {
        Value::Array(batch) => {
            if batch.is_empty() || batch.len() > http.limits.max_batch {
                let message = format!("a batch holds 1 to {} operations", http.limits.max_batch);
                return request_error(
                    StatusCode::BAD_REQUEST,
                    media,
                    &message,
                    "BATCH_LIMIT_EXCEEDED",
                );
            }
            let mut results = Vec::with_capacity(batch.len());
            for item in &batch {
                let outcome = match params_from_json(item) {
                    Ok(params) => execute(&http, &actor, Method::Post, params).await,
                    Err(refusal) => Outcome::refused(refusal),
                };
                results.push(outcome.body);
            }
            respond(StatusCode::OK, media, &Value::Array(results))
        }
        single => {
            let outcome = match params_from_json(&single) {
                Ok(params) => execute(&http, &actor, Method::Post, params).await,
                Err(refusal) => Outcome::refused(refusal),
            };
            respond(status_of(&outcome, media), media, &outcome.body)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn accept(value: &str) -> Option<MediaType> {
        let mut headers = HeaderMap::new();
        headers.insert(header::ACCEPT, HeaderValue::from_str(value).unwrap());
        negotiate(&headers)
    }

    #[test]
    fn negotiation() {
        assert_eq!(negotiate(&HeaderMap::new()), Some(MediaType::Json));
        assert_eq!(
            accept("application/graphql-response+json"),
            Some(MediaType::GraphqlResponseJson)
        );
        assert_eq!(
            accept("application/graphql-response+json, application/json;q=0.9"),
            Some(MediaType::GraphqlResponseJson)
        );
        assert_eq!(
            accept("application/json, application/graphql-response+json;q=0.5"),
            Some(MediaType::Json)
        );
        assert_eq!(accept("*/*"), Some(MediaType::Json));
        assert_eq!(accept("text/html"), None);
        assert_eq!(accept("application/json; charset=iso-8859-1"), None);
    }
}

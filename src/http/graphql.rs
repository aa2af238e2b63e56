//! GraphQL over HTTP, as the GraphQL-over-HTTP spec (and its `graphql-http` audit) says:
//!
//! * `Accept` picks `application/graphql-response+json` or `application/json`; `*/*` or no
//!   `Accept` means `application/json`; anything else is 406.
//! * POST bodies must be `application/json` (415 otherwise): no cross-site form can post.
//! * GET never runs a mutation (405); subscriptions are served over WebSocket only (400).
//! * Malformed requests are 400. Documents that do not parse or validate are 400 with the
//!   new media type and 200 with `application/json` (legacy clients expect that). A
//!   request over the time limit is 503; a panic is 500.
//! * A JSON array is a batch (at most `max_batch` operations), which has one timeout as a
//!   whole: the operations that finished keep their answers, the one running at the
//!   deadline and those after it each answer `TIMEOUT`.
//! * A text of more than `max_tokens` tokens is refused before it is parsed.
//!
//! Only the transport lives here. The handler parses the document (or finds it among the
//! recent ones), since it must know the operation type, and leaves it in the request's
//! data, where the request policy takes it: each document is parsed once. The alias
//! limit, the timeout, error codes and field order are the schema's
//! [`RequestPolicy`](crate::graphql::extension::RequestPolicy), which the WebSocket
//! shares; this module only says its request failures in status codes.

use std::{
    net::{IpAddr, SocketAddr},
    sync::Arc,
};

use async_graphql::{ServerError, Variables, parser::types::OperationType};
use axum::{
    body::Bytes,
    extract::{ConnectInfo, State},
    http::{HeaderMap, HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};
use serde_json::{Map, Value};

use super::{HttpState, operation};
use crate::{
    graphql::{
        context::ResponseWriter,
        documents::Documents,
        errors::{internal, request_error, with_code},
        extension::{
            RequestFailure, check_tokens, is_request_error, parse_failed, request_failure,
        },
        one_pass::write_json,
        request_data,
    },
    services::{access::Actor, accounts, throttle::PasswordAttempt},
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

fn respond(status: StatusCode, media: MediaType, body: Vec<u8>) -> Response {
    let mut response = (status, body).into_response();
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, media.content_type());
    response
}

/// A response as HTTP sends it: without `data` when the request failed as a whole (the
/// spec's "request error"), else as async-graphql serialises it, with the JSON objects
/// PostgreSQL built written as they came ([`write_json`]).
struct Body<'a>(&'a async_graphql::Response);

impl Body<'_> {
    fn write(&self, out: &mut Vec<u8>) {
        let response = self.0;
        let mut entries = 0;
        let mut key = |out: &mut Vec<u8>, key: &str| {
            out.extend_from_slice(if entries == 0 { b"{\"" } else { b",\"" });
            out.extend_from_slice(key.as_bytes());
            out.extend_from_slice(b"\":");
            entries += 1;
        };
        if !is_request_error(response) {
            key(out, "data");
            write_json(out, &response.data);
        }
        if !response.errors.is_empty() {
            key(out, "errors");
            serde_json::to_writer(&mut *out, &response.errors).expect("writes to memory");
        }
        if !response.extensions.is_empty() {
            key(out, "extensions");
            serde_json::to_writer(&mut *out, &response.extensions).expect("writes to memory");
        }
        if entries == 0 {
            out.push(b'{');
        }
        out.push(b'}');
    }

    fn bytes(&self) -> Vec<u8> {
        let mut out = Vec::new();
        self.write(&mut out);
        out
    }
}

fn coded(message: impl Into<String>, code: &'static str) -> ServerError {
    request_error(with_code(message, code))
}

fn request_error_response(
    status: StatusCode,
    media: MediaType,
    message: &str,
    code: &'static str,
) -> Response {
    let response = async_graphql::Response::from_errors(vec![coded(message, code)]);
    respond(status, media, Body(&response).bytes())
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
    query: String,
    operation_name: Option<String>,
    variables: Option<Map<String, Value>>,
}

impl Params {
    /// The document, the operation's name and the variables, as sent.
    pub(super) fn parts(&self) -> (&str, Option<&str>, Option<&Map<String, Value>>) {
        (
            &self.query,
            self.operation_name.as_deref(),
            self.variables.as_ref(),
        )
    }

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

/// The shape almost every request has, read straight from the body: reading it as a
/// [`Value`] first (as [`params_from_json`] does, which says what is wrong with the rest)
/// was a noticeable part of a small query's CPU.
#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct WellFormed {
    query: String,
    operation_name: Option<String>,
    variables: Option<Map<String, Value>>,
    /// Read only to check that it is an object.
    #[serde(rename = "extensions")]
    _extensions: Option<Map<String, Value>>,
}

impl From<WellFormed> for Params {
    fn from(request: WellFormed) -> Self {
        Self {
            query: request.query,
            operation_name: request.operation_name,
            variables: request.variables,
        }
    }
}

pub(super) fn params_from_json(value: &Value) -> Result<Params, Refusal> {
    let object = value
        .as_object()
        .ok_or_else(|| Refusal::bad_request("the request must be a JSON object"))?;
    let query = required(match object.get("query") {
        Some(Value::String(query)) => Some(query.clone()),
        Some(_) => return Err(Refusal::bad_request("`query` must be a string")),
        None => None,
    })?;
    let operation_name = match object.get("operationName") {
        None | Some(Value::Null) => None,
        Some(Value::String(name)) => Some(name.clone()),
        Some(_) => return Err(Refusal::bad_request("`operationName` must be a string")),
    };
    let variables = variables_of(object.get("variables").cloned())?;
    check_extensions(object.get("extensions"))?;
    Ok(Params {
        query,
        operation_name,
        variables,
    })
}

/// The rules both shapes of a request (a JSON body, a GET's query string) share.
fn required(query: Option<String>) -> Result<String, Refusal> {
    query.ok_or_else(|| Refusal::bad_request("`query` is required"))
}

fn variables_of(value: Option<Value>) -> Result<Option<Map<String, Value>>, Refusal> {
    match value {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Object(map)) => Ok(Some(map)),
        Some(_) => Err(Refusal::bad_request("`variables` must be an object")),
    }
}

fn check_extensions(value: Option<&Value>) -> Result<(), Refusal> {
    match value {
        None | Some(Value::Null) | Some(Value::Object(_)) => Ok(()),
        Some(_) => Err(Refusal::bad_request("`extensions` must be an object")),
    }
}

/// The parameters of a GET, read straight from the query string (the last of a repeated
/// key counts), under the rules of [`params_from_json`].
fn params_from_query_string(raw: Option<&str>) -> Result<Params, Refusal> {
    let json = |key: &str, value: &str| {
        serde_json::from_str::<Value>(value)
            .map_err(|_| Refusal::bad_request(format!("`{key}` must be JSON")))
    };
    let (mut query, mut operation_name, mut variables, mut extensions) = (None, None, None, None);
    for (key, value) in url::form_urlencoded::parse(raw.unwrap_or_default().as_bytes()) {
        match key.as_ref() {
            "query" => query = Some(value.into_owned()),
            "operationName" => operation_name = Some(value.into_owned()),
            "variables" => variables = Some(json("variables", &value)?),
            "extensions" => extensions = Some(json("extensions", &value)?),
            _ => {}
        }
    }
    // In the order `params_from_json` checks them.
    let query = required(query)?;
    let variables = variables_of(variables)?;
    check_extensions(extensions.as_ref())?;
    Ok(Params {
        query,
        operation_name,
        variables,
    })
}

/// Who is asking: anonymous without `Authorization`, else the token's owner or 401.
async fn actor(http: &HttpState, headers: &HeaderMap) -> Result<Arc<Actor>, Response> {
    let Some(value) = headers.get(header::AUTHORIZATION) else {
        return Ok(Arc::new(Actor::anonymous()));
    };
    let unauthenticated = |message: &str| {
        let mut response = request_error_response(
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
    let Some(token) = value.to_str().ok().and_then(super::bearer_token) else {
        return Err(unauthenticated("use `Authorization: Bearer <token>`"));
    };
    // Boxed, as the execution is (see `execute`); only a signed-in request allocates it.
    match Box::pin(accounts::authenticate(&http.state, token)).await {
        Ok(Some(actor)) => Ok(Arc::new(actor)),
        Ok(None) => Err(unauthenticated("the token is invalid, expired or revoked")),
        Err(error) => {
            // The client only learns that it failed, and the id of the log line.
            let response =
                async_graphql::Response::from_errors(vec![request_error(internal(&error))]);
            Err(respond(
                StatusCode::INTERNAL_SERVER_ERROR,
                MediaType::Json,
                Body(&response).bytes(),
            ))
        }
    }
}

/// The outcome of one operation: its response, and the status a refusal before GraphQL
/// ran calls for.
struct Outcome {
    response: async_graphql::Response,
    status: Option<StatusCode>,
}

impl Outcome {
    fn answered(response: async_graphql::Response) -> Self {
        Self {
            response,
            status: None,
        }
    }

    fn refused(refusal: Refusal) -> Self {
        Self {
            response: async_graphql::Response::from_errors(vec![coded(
                refusal.message,
                refusal.code,
            )]),
            status: Some(refusal.status),
        }
    }
}

/// The request async-graphql runs, holding its document (parsed here, once), unless the
/// transport refuses it first.
fn graphql_request(
    documents: &Documents,
    max_tokens: usize,
    params: Params,
    method: Method,
) -> Result<async_graphql::Request, Box<Outcome>> {
    let operation_name = params.operation_name.clone();
    if let Err(error) = check_tokens(&params.query, max_tokens) {
        let response = async_graphql::Response::from_errors(vec![error]);
        return Err(Box::new(Outcome::answered(response)));
    }
    let mut request = params.into_request();
    let document = documents.parse(&request.query).map_err(|error| {
        let response = async_graphql::Response::from_errors(vec![parse_failed(error)]);
        Box::new(Outcome::answered(response))
    })?;
    let operation = operation::operation_type(document.parsed(), operation_name.as_deref());
    if method == Method::Get
        && (operation == Some(OperationType::Mutation)
            || (operation.is_none()
                && operation::has_operation(document.parsed(), OperationType::Mutation)))
    {
        return Err(Box::new(Outcome::refused(Refusal {
            status: StatusCode::METHOD_NOT_ALLOWED,
            message: "mutations are only accepted over POST".into(),
            code: "METHOD_NOT_ALLOWED",
        })));
    }
    if operation == Some(OperationType::Subscription) {
        return Err(Box::new(Outcome::refused(Refusal::bad_request(
            "subscriptions are served over WebSocket at /graphql/ws",
        ))));
    }
    // The request policy runs this document, and remembers its validation there.
    request.data.insert(document);
    Ok(request)
}

async fn execute(
    http: &HttpState,
    actor: &Arc<Actor>,
    attempt: &Arc<PasswordAttempt>,
    method: Method,
    params: Params,
) -> Outcome {
    match graphql_request(&http.documents, http.limits.max_tokens, params, method) {
        Ok(request) => {
            // Responses are written by `Body`, which splices the JSON PostgreSQL built.
            let request = request_data(
                request,
                actor.clone(),
                attempt.clone(),
                ResponseWriter::RawJson,
            );
            // Boxed: async-graphql's execution is a future of ~3 KiB, and a future is moved
            // by copying it whole, at the layers of the stack above. The handler's future
            // was 4.4 KiB and memcpy ~9% of `{ __typename }`'s CPU; with this and the
            // token's check boxed it is 1.3 KiB, and memcpy 7.5%.
            Outcome::answered(Box::pin(http.schema.execute(request)).await)
        }
        Err(refused) => *refused,
    }
}

/// An operation of a batch cut, or never started, at the batch's deadline.
fn timed_out(limit: std::time::Duration) -> Outcome {
    Outcome::answered(async_graphql::Response::from_errors(vec![request_error(
        with_code(format!("the request took longer than {limit:?}"), "TIMEOUT"),
    )]))
}

fn status_of(outcome: &Outcome, media: MediaType) -> StatusCode {
    if let Some(status) = outcome.status {
        return status;
    }
    match (request_failure(&outcome.response), media) {
        (None, _) => StatusCode::OK,
        (Some(RequestFailure::TimedOut), _) => StatusCode::SERVICE_UNAVAILABLE,
        (Some(RequestFailure::Internal), _) => StatusCode::INTERNAL_SERVER_ERROR,
        (Some(RequestFailure::Invalid), MediaType::GraphqlResponseJson) => StatusCode::BAD_REQUEST,
        (Some(RequestFailure::Invalid), MediaType::Json) => StatusCode::OK,
    }
}

fn not_acceptable() -> Response {
    request_error_response(
        StatusCode::NOT_ACCEPTABLE,
        MediaType::Json,
        "accept application/graphql-response+json or application/json",
        "NOT_ACCEPTABLE",
    )
}

/// The peer's address (the server is served with connect info).
fn client_address(client: Option<&ConnectInfo<SocketAddr>>) -> Option<IpAddr> {
    client.map(|ConnectInfo(address)| address.ip())
}

pub async fn get(State(http): State<HttpState>, request: axum::extract::Request) -> Response {
    // The headers are read where they are: axum's `HeaderMap` extractor clones them.
    let (parts, _) = request.into_parts();
    let (headers, client) = (
        &parts.headers,
        parts.extensions.get::<ConnectInfo<SocketAddr>>(),
    );
    let Some(media) = negotiate(headers) else {
        return not_acceptable();
    };
    let params = match params_from_query_string(parts.uri.query()) {
        Ok(params) => params,
        Err(refusal) => {
            return request_error_response(refusal.status, media, &refusal.message, refusal.code);
        }
    };
    let actor = match actor(&http, headers).await {
        Ok(actor) => actor,
        Err(response) => return response,
    };
    let attempt = Arc::new(PasswordAttempt::new(client_address(client)));
    let outcome = execute(&http, &actor, &attempt, Method::Get, params).await;
    let mut response = respond(
        status_of(&outcome, media),
        media,
        Body(&outcome.response).bytes(),
    );
    if response.status() == StatusCode::METHOD_NOT_ALLOWED {
        response
            .headers_mut()
            .insert(header::ALLOW, HeaderValue::from_static("POST"));
    }
    response
}

/// One operation posted on its own.
async fn single(
    http: &HttpState,
    media: MediaType,
    actor: &Arc<Actor>,
    attempt: &Arc<PasswordAttempt>,
    params: Params,
) -> Response {
    let outcome = execute(http, actor, attempt, Method::Post, params).await;
    respond(
        status_of(&outcome, media),
        media,
        Body(&outcome.response).bytes(),
    )
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

/// The body, whole; 413 over the limit (`RequestBodyLimitLayer` wraps the body).
async fn read_body(body: axum::body::Body) -> Result<Bytes, Response> {
    axum::body::to_bytes(body, usize::MAX)
        .await
        .map_err(|error| {
            let too_large = std::iter::successors(
                Some(&error as &(dyn std::error::Error + 'static)),
                |error| error.source(),
            )
            .any(|error| error.is::<http_body_util::LengthLimitError>());
            if too_large {
                StatusCode::PAYLOAD_TOO_LARGE.into_response()
            } else {
                request_error_response(
                    StatusCode::BAD_REQUEST,
                    MediaType::Json,
                    "the body could not be read",
                    "BAD_REQUEST",
                )
            }
        })
}

/// Operations posted as a JSON array, answered in one array.
async fn batch(
    http: &HttpState,
    media: MediaType,
    actor: &Arc<Actor>,
    attempt: &Arc<PasswordAttempt>,
    operations: Vec<Value>,
) -> Response {
    if operations.is_empty() || operations.len() > http.limits.max_batch {
        let message = format!("a batch holds 1 to {} operations", http.limits.max_batch);
        return request_error_response(
            StatusCode::BAD_REQUEST,
            media,
            &message,
            "BATCH_LIMIT_EXCEEDED",
        );
    }
    // One timeout for the whole batch, not one per operation.
    let limit = http.limits.request_timeout;
    let deadline = tokio::time::Instant::now() + limit;
    let mut results = Vec::with_capacity(operations.len());
    for item in &operations {
        let outcome = match params_from_json(item) {
            Ok(_) if tokio::time::Instant::now() >= deadline => timed_out(limit),
            Ok(params) => tokio::time::timeout_at(
                deadline,
                execute(http, actor, attempt, Method::Post, params),
            )
            .await
            .unwrap_or_else(|_elapsed| timed_out(limit)),
            Err(refusal) => Outcome::refused(refusal),
        };
        results.push(outcome.response);
    }
    let mut bodies = vec![b'['];
    for (i, response) in results.iter().enumerate() {
        if i > 0 {
            bodies.push(b',');
        }
        Body(response).write(&mut bodies);
    }
    bodies.push(b']');
    respond(StatusCode::OK, media, bodies)
}

pub async fn post(State(http): State<HttpState>, request: axum::extract::Request) -> Response {
    // The headers are read where they are: axum's `HeaderMap` extractor clones them.
    let (parts, body) = request.into_parts();
    let (headers, client) = (
        &parts.headers,
        parts.extensions.get::<ConnectInfo<SocketAddr>>(),
    );
    let body = match read_body(body).await {
        Ok(body) => body,
        Err(refused) => return refused,
    };
    let Some(media) = negotiate(headers) else {
        return not_acceptable();
    };
    if !is_json(headers) {
        return request_error_response(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            media,
            "send the request as Content-Type: application/json",
            "UNSUPPORTED_MEDIA_TYPE",
        );
    }
    // The usual shape straight into `Params`; anything else as a `Value`, which says what
    // is wrong with it or holds a batch.
    let posted = match serde_json::from_slice::<WellFormed>(&body) {
        Ok(well_formed) => Ok(Params::from(well_formed)),
        Err(_) => match serde_json::from_slice::<Value>(&body) {
            Ok(json) => Err(json),
            Err(_) => {
                return request_error_response(
                    StatusCode::BAD_REQUEST,
                    media,
                    "the body is not valid JSON",
                    "BAD_REQUEST",
                );
            }
        },
    };
    let actor = match actor(&http, headers).await {
        Ok(actor) => actor,
        Err(response) => return response,
    };
    // One password check per HTTP request, a batch included.
    let attempt = Arc::new(PasswordAttempt::new(client_address(client)));
    let params = match posted {
        Ok(params) => params,
        // Boxed, for the reason `execute` boxes the execution.
        Err(Value::Array(operations)) => {
            return Box::pin(batch(&http, media, &actor, &attempt, operations)).await;
        }
        Err(other) => match params_from_json(&other) {
            Ok(params) => params,
            Err(refusal) => {
                return request_error_response(
                    refusal.status,
                    media,
                    &refusal.message,
                    refusal.code,
                );
            }
        },
    };
    single(&http, media, &actor, &attempt, params).await
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

    fn params(query: &str) -> Params {
        params_from_json(&serde_json::json!({ "query": query })).unwrap_or_else(|_| panic!())
    }

    #[test]
    fn a_get_reads_its_parameters_from_the_query_string() {
        let Ok(params) = params_from_query_string(Some(
            "query=%7B+a+%7D&operationName=Q&variables=%7B%22n%22%3A1%7D&extensions=%7B%7D",
        )) else {
            panic!("refused");
        };
        let (query, operation_name, variables) = params.parts();
        assert_eq!((query, operation_name), ("{ a }", Some("Q")));
        assert_eq!(variables, serde_json::json!({ "n": 1 }).as_object());
        let Ok(params) = params_from_query_string(Some("query=%7Ba%7D&variables=null")) else {
            panic!("refused");
        };
        assert_eq!(params.parts(), ("{a}", None, None));
        for (raw, message) in [
            (None, "`query` is required"),
            (Some("operationName=Q"), "`query` is required"),
            (
                Some("query=a&variables=%5B1%5D"),
                "`variables` must be an object",
            ),
            (Some("query=a&variables=nope"), "`variables` must be JSON"),
            (Some("variables=%5B1%5D"), "`query` is required"),
            (
                Some("query=a&extensions=1"),
                "`extensions` must be an object",
            ),
        ] {
            let Err(refusal) = params_from_query_string(raw) else {
                panic!("{raw:?} was not refused");
            };
            assert_eq!(refusal.message, message, "{raw:?}");
            assert_eq!(refusal.status, StatusCode::BAD_REQUEST);
        }
    }

    #[tokio::test]
    async fn the_document_parsed_here_is_the_one_that_runs() {
        let Ok(mut request) = graphql_request(
            &Documents::default(),
            100,
            params("{ __typename }"),
            Method::Get,
        ) else {
            panic!("refused");
        };
        // Only the document parsed above can still run.
        request.query = "not GraphQL {".into();
        let schema = crate::graphql::build_schema(None, &Default::default());
        let response = schema.execute(request).await;
        assert_eq!(
            String::from_utf8(Body(&response).bytes()).unwrap(),
            r#"{"data":{"__typename":"Query"}}"#
        );
    }

    #[test]
    fn the_transport_refuses_before_graphql_runs() {
        let refused = |query: &str, method: Method| {
            let Err(outcome) = graphql_request(&Documents::default(), 100, params(query), method)
            else {
                panic!("{query} was not refused");
            };
            (
                status_of(&outcome, MediaType::GraphqlResponseJson),
                serde_json::from_slice::<Value>(&Body(&outcome.response).bytes()).unwrap(),
            )
        };
        let (status, body) = refused("mutation { signOut { success } }", Method::Get);
        assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED);
        assert_eq!(
            body["errors"][0]["extensions"]["code"],
            "METHOD_NOT_ALLOWED"
        );
        let (status, _) = refused("subscription { inboxUpdated { kind } }", Method::Post);
        assert_eq!(status, StatusCode::BAD_REQUEST);
        let (status, body) = refused("{ viewer", Method::Post);
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert_eq!(
            body["errors"][0]["extensions"]["code"],
            "GRAPHQL_PARSE_FAILED"
        );
        assert!(body.get("data").is_none(), "{body}");
    }

    #[test]
    fn request_failures_have_their_status() {
        let failed = |code: &'static str| {
            Outcome::answered(async_graphql::Response::from_errors(vec![coded("", code)]))
        };
        let status = |outcome: &Outcome, media| status_of(outcome, media);
        let invalid = failed("GRAPHQL_VALIDATION_FAILED");
        assert_eq!(
            status(&invalid, MediaType::GraphqlResponseJson),
            StatusCode::BAD_REQUEST
        );
        assert_eq!(status(&invalid, MediaType::Json), StatusCode::OK);
        for media in [MediaType::GraphqlResponseJson, MediaType::Json] {
            assert_eq!(
                status(&failed("TIMEOUT"), media),
                StatusCode::SERVICE_UNAVAILABLE
            );
            assert_eq!(
                status(&failed("INTERNAL"), media),
                StatusCode::INTERNAL_SERVER_ERROR
            );
        }
    }
}

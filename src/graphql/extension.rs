//! The request policy: one async-graphql extension, so HTTP and WebSocket share it and
//! neither transport re-implements any of it. For every operation it
//!
//! * parses the document once (`prepare_request`): a transport that had to read it first
//!   (HTTP, to know the operation type) leaves it in the request's data as a
//!   [`Document`] of its cache, and async-graphql executes a copy of that; otherwise it
//!   is parsed here. A document that does not parse is `GRAPHQL_PARSE_FAILED`;
//! * validates an operation sent without variables once per cached document
//!   (`validation`): the result depends on nothing else, and was the largest cost of a
//!   small query after parsing;
//! * refuses a text of more than `GRAPHQL_MAX_TOKENS` tokens before parsing it
//!   (`prepare_request`; HTTP checks it before its own parse): `TOKEN_LIMIT_EXCEEDED`;
//! * refuses more aliases than `GRAPHQL_MAX_ALIASES` (`parse_query`): async-graphql has no
//!   alias limit; `ALIAS_LIMIT_EXCEEDED`;
//! * refuses more field selections than `GRAPHQL_MAX_FIELDS` once fragments are expanded,
//!   duplicates included (`parse_query`): `FIELD_LIMIT_EXCEEDED`;
//! * charges each root field of a mutation [`MUTATION_COST`] in the complexity
//!   (`validation`), against the same `GRAPHQL_MAX_COMPLEXITY`:
//!   `COMPLEXITY_LIMIT_EXCEEDED`;
//! * stops a query or mutation after `GRAPHQL_REQUEST_TIMEOUT` (`execute`): `TIMEOUT`.
//!   Subscriptions are streams and are never timed out (async-graphql does not call
//!   `execute` for them);
//! * turns a panic into an `INTERNAL` error (`request`, `subscribe`), so a client gets an
//!   answer, not a dropped connection;
//! * shapes every response before it is serialised (`request`, `subscribe`): each error
//!   leaves with an `extensions.code` (see `scrub`), at most [`MAX_ERRORS`] errors leave
//!   (the last says how many were dropped) and fields come in query order.

use std::{
    any::{Any, TypeId},
    panic::AssertUnwindSafe,
    sync::{Arc, OnceLock},
    task::Poll,
    time::Duration,
};

use async_graphql::{
    Request, Response, ServerError, ServerResult, ValidationResult, Value, Variables,
    extensions::{
        Extension, ExtensionContext, ExtensionFactory, NextExecute, NextParseQuery,
        NextPrepareRequest, NextRequest, NextSubscribe, NextValidation,
    },
    futures_util::stream::BoxStream,
    parser::types::{ExecutableDocument, Selection, SelectionSet},
};
use futures::{FutureExt, StreamExt};

use super::{
    cost,
    documents::Document,
    errors::{code_of, internal, request_error, with_code},
    order,
};
use crate::config::LimitsConfig;

/// What a root field of a mutation costs in the complexity, on top of its selections:
/// with the default `GRAPHQL_MAX_COMPLEXITY` (20,000) an operation holds at most 13
/// mutation fields.
pub const MUTATION_COST: usize = 1_500;

/// The most errors one response carries; the last of them says how many more were dropped.
pub const MAX_ERRORS: usize = 100;

/// The policy's limits; registered once on the schema, it makes one extension per request.
#[derive(Debug, Clone, Copy)]
pub struct RequestPolicy {
    max_aliases: usize,
    max_fields: usize,
    max_tokens: usize,
    max_complexity: usize,
    request_timeout: Duration,
}

impl RequestPolicy {
    pub fn new(limits: &LimitsConfig) -> Self {
        Self {
            max_aliases: limits.max_aliases,
            max_fields: limits.max_fields,
            max_tokens: limits.max_tokens,
            max_complexity: limits.max_complexity,
            request_timeout: limits.request_timeout,
        }
    }
}

/// A text of more tokens than `limit` is refused before it is parsed.
pub fn check_tokens(query: &str, limit: usize) -> ServerResult<()> {
    if cost::token_count(query, limit) > limit {
        return Err(request_error(with_code(
            format!("the query has more than {limit} tokens"),
            "TOKEN_LIMIT_EXCEEDED",
        )));
    }
    Ok(())
}

impl ExtensionFactory for RequestPolicy {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(PolicyForRequest {
            policy: *self,
            query: Arc::default(),
        })
    }
}

/// What the response of one request is shaped by: its document and operation.
struct RequestedOperation {
    document: Arc<Document>,
    operation_name: Option<String>,
    /// Its validation depends on the document and operation alone, and can be remembered.
    without_variables: bool,
}

struct PolicyForRequest {
    policy: RequestPolicy,
    /// Set when the request is prepared; shared with a subscription's stream.
    query: Arc<OnceLock<RequestedOperation>>,
}

#[async_graphql::async_trait::async_trait]
impl Extension for PolicyForRequest {
    /// A query or mutation (`Schema::execute`), from start to response.
    async fn request(&self, ctx: &ExtensionContext<'_>, next: NextRequest<'_>) -> Response {
        let response = AssertUnwindSafe(next.run(ctx))
            .catch_unwind()
            .await
            .unwrap_or_else(panicked);
        shape(&self.query, response)
    }

    /// Any operation run as a stream (`Schema::execute_stream`: the WebSocket), each response.
    fn subscribe<'s>(
        &self,
        ctx: &ExtensionContext<'_>,
        stream: BoxStream<'s, Response>,
        next: NextSubscribe<'_>,
    ) -> BoxStream<'s, Response> {
        let query = self.query.clone();
        // A panic ends the stream, after an answer that says so.
        AssertUnwindSafe(next.run(ctx, stream))
            .catch_unwind()
            .map(move |response| shape(&query, response.unwrap_or_else(panicked)))
            .boxed()
    }

    async fn prepare_request(
        &self,
        ctx: &ExtensionContext<'_>,
        mut request: Request,
        next: NextPrepareRequest<'_>,
    ) -> ServerResult<Request> {
        // Takes the document the transport parsed (or parses it now) and leaves a copy in
        // the request: async-graphql then takes it from there instead of parsing the text.
        let document = match request.data.get(&TypeId::of::<Arc<Document>>()) {
            Some(parsed) => {
                let document = parsed
                    .downcast_ref::<Arc<Document>>()
                    .expect("the data of this type id")
                    .clone();
                request.set_parsed_query(document.parsed().clone());
                document
            }
            None => {
                check_tokens(&request.query, self.policy.max_tokens)?;
                let parsed = request.parsed_query().cloned().map_err(parse_failed)?;
                Arc::new(Document::new(parsed))
            }
        };
        let _ = self.query.set(RequestedOperation {
            document,
            operation_name: request.operation_name.clone(),
            without_variables: request.variables.is_empty(),
        });
        next.run(ctx, request).await
    }

    async fn parse_query(
        &self,
        ctx: &ExtensionContext<'_>,
        query: &str,
        variables: &Variables,
        next: NextParseQuery<'_>,
    ) -> ServerResult<ExecutableDocument> {
        let document = next.run(ctx, query, variables).await?;
        let (aliases, limit) = (alias_count(&document), self.policy.max_aliases);
        if aliases > limit {
            return Err(request_error(with_code(
                format!("the query uses {aliases} aliases; the limit is {limit}"),
                "ALIAS_LIMIT_EXCEEDED",
            )));
        }
        let (fields, limit) = (cost::field_count(&document), self.policy.max_fields);
        if fields > limit {
            return Err(request_error(with_code(
                format!(
                    "the query selects {} fields once fragments are expanded; the limit is {limit}",
                    if fields == usize::MAX {
                        "too many".to_owned()
                    } else {
                        fields.to_string()
                    }
                ),
                "FIELD_LIMIT_EXCEEDED",
            )));
        }
        Ok(document)
    }

    /// async-graphql's complexity, plus [`MUTATION_COST`] for each root field of a mutation.
    async fn validation(
        &self,
        ctx: &ExtensionContext<'_>,
        next: NextValidation<'_>,
    ) -> Result<ValidationResult, Vec<ServerError>> {
        let query = self.query.get();
        let remembered = query.filter(|query| query.without_variables);
        if let Some(result) =
            remembered.and_then(|query| query.document.validated(query.operation_name.as_deref()))
        {
            return Ok(result);
        }
        let mut result = next.run(ctx).await?;
        let mutations = query.map_or(0, |query| {
            cost::mutation_field_count(query.document.parsed())
        });
        let complexity = result
            .complexity
            .saturating_add(mutations.saturating_mul(MUTATION_COST));
        let limit = self.policy.max_complexity;
        if complexity > limit {
            return Err(vec![request_error(with_code(
                format!(
                    "the query's complexity is {complexity} ({mutations} mutation fields at \
                     {MUTATION_COST} each); the limit is {limit}"
                ),
                "COMPLEXITY_LIMIT_EXCEEDED",
            ))]);
        }
        result.complexity = complexity;
        if let Some(query) = remembered {
            query
                .document
                .remember_validated(query.operation_name.as_deref(), result);
        }
        Ok(result)
    }

    /// Only queries and mutations come here.
    async fn execute(
        &self,
        ctx: &ExtensionContext<'_>,
        operation_name: Option<&str>,
        next: NextExecute<'_>,
    ) -> Response {
        let limit = self.policy.request_timeout;
        let started = tokio::time::Instant::now();
        let mut execution = std::pin::pin!(next.run(ctx, operation_name));
        // An operation that waits on nothing is done at its first poll, which a timeout
        // would not cut short either: it needs no timer (registering one and cancelling it
        // cost a tenth of `{ __typename }`).
        if let Poll::Ready(response) = futures::poll!(execution.as_mut()) {
            return response;
        }
        tokio::time::timeout_at(started + limit, execution)
            .await
            .unwrap_or_else(|_elapsed| {
                Response::from_errors(vec![request_error(with_code(
                    format!("the request took longer than {limit:?}"),
                    "TIMEOUT",
                ))])
            })
    }
}

/// A document that does not parse: its error, with the code that says so.
pub fn parse_failed(mut error: ServerError) -> ServerError {
    error
        .extensions
        .get_or_insert_with(Default::default)
        .set("code", "GRAPHQL_PARSE_FAILED");
    error
}

/// How a request failed as a whole (see [`is_request_error`]), for a transport that says
/// it in a status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RequestFailure {
    /// The document did not parse or validate, or exceeded a limit.
    Invalid,
    TimedOut,
    /// A panic.
    Internal,
}

/// `None` when the request ran, even if some fields failed.
pub fn request_failure(response: &Response) -> Option<RequestFailure> {
    if !is_request_error(response) {
        return None;
    }
    let has = |code: &str| response.errors.iter().any(|e| code_of(e) == Some(code));
    Some(if has("TIMEOUT") {
        RequestFailure::TimedOut
    } else if has("INTERNAL") {
        RequestFailure::Internal
    } else {
        RequestFailure::Invalid
    })
}

/// No data and no error in a field: the request failed as a whole (the spec's "request
/// error"), before execution or instead of it.
pub fn is_request_error(response: &Response) -> bool {
    response.data == Value::Null
        && !response.errors.is_empty()
        && response.errors.iter().all(|e| e.path.is_empty())
}

fn panicked(panic: Box<dyn Any + Send>) -> Response {
    let message = panic
        .downcast_ref::<&str>()
        .map(|m| (*m).to_owned())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_default();
    let error = internal(&anyhow::anyhow!("a resolver panicked: {message}"));
    Response::from_errors(vec![request_error(error)])
}

fn shape(query: &OnceLock<RequestedOperation>, mut response: Response) -> Response {
    // Capped first: what is dropped is not worth scrubbing (or logging).
    cap_errors(&mut response.errors);
    scrub(&mut response);
    if let Some(query) = query.get() {
        order::reorder(
            query.document.parsed(),
            query.operation_name.as_deref(),
            &mut response.data,
        );
    }
    response
}

/// Every error leaves with a code. A request error without one is a parse or validation
/// error of async-graphql's. A field error without one came from outside the error policy
/// (a library's `Display`): its text may hold internals, so it is reported and replaced.
fn scrub(response: &mut Response) {
    let request_error = is_request_error(response);
    for error in response.errors.iter_mut().filter(|e| code_of(e).is_none()) {
        if request_error {
            error
                .extensions
                .get_or_insert_with(Default::default)
                .set("code", "GRAPHQL_VALIDATION_FAILED");
        } else {
            let replacement = internal(&anyhow::anyhow!(
                "unclassified resolver error: {}",
                error.message
            ));
            error.message = replacement.message;
            error.extensions = replacement.extensions;
            error.source = None;
        }
    }
}

/// At most [`MAX_ERRORS`]: the first ones, then one that says how many were dropped.
pub fn cap_errors(errors: &mut Vec<ServerError>) {
    if errors.len() <= MAX_ERRORS {
        return;
    }
    let dropped = errors.len() - (MAX_ERRORS - 1);
    errors.truncate(MAX_ERRORS - 1);
    errors.push(request_error(with_code(
        format!("{dropped} more errors were dropped: a response carries at most {MAX_ERRORS}"),
        "TOO_MANY_ERRORS",
    )));
}

/// Aliased fields in the document's text (each fragment counted once).
fn alias_count(document: &ExecutableDocument) -> usize {
    fn count(set: &SelectionSet) -> usize {
        set.items
            .iter()
            .map(|item| match &item.node {
                Selection::Field(field) => {
                    usize::from(field.node.alias.is_some()) + count(&field.node.selection_set.node)
                }
                Selection::InlineFragment(fragment) => count(&fragment.node.selection_set.node),
                Selection::FragmentSpread(_) => 0,
            })
            .sum()
    }
    document
        .operations
        .iter()
        .map(|(_, op)| count(&op.node.selection_set.node))
        .sum::<usize>()
        + document
            .fragments
            .values()
            .map(|f| count(&f.node.selection_set.node))
            .sum::<usize>()
}

#[cfg(test)]
mod tests {
    use async_graphql::{EmptyMutation, Object, Schema, Subscription};
    use futures::{Stream, stream};

    use super::*;

    struct Query;

    #[Object]
    impl Query {
        async fn value(&self) -> i32 {
            1
        }

        async fn twice(&self, n: i32) -> i32 {
            2 * n
        }

        /// Resolved after its siblings: async-graphql records it last.
        async fn late(&self) -> i32 {
            tokio::time::sleep(Duration::from_millis(20)).await;
            2
        }

        async fn slow(&self) -> i32 {
            tokio::time::sleep(Duration::from_secs(60)).await;
            3
        }

        async fn panics(&self) -> i32 {
            bug()
        }

        /// An error from outside the error policy, whose text would leak an internal.
        async fn leaks(&self) -> async_graphql::Result<i32> {
            Err(async_graphql::Error::new(
                "connect to db.internal:5432 refused",
            ))
        }
    }

    fn bug() -> i32 {
        panic!("a bug")
    }

    struct Subscription;

    #[Subscription]
    impl Subscription {
        /// Slower than the test's request timeout, which does not apply to it.
        async fn ticks(&self) -> impl Stream<Item = i32> {
            stream::iter([1, 2]).then(|tick| async move {
                tokio::time::sleep(TIMEOUT * 2).await;
                tick
            })
        }

        async fn panics(&self) -> impl Stream<Item = i32> {
            stream::once(async { bug() })
        }
    }

    const TIMEOUT: Duration = Duration::from_millis(100);

    fn limits() -> LimitsConfig {
        LimitsConfig {
            max_aliases: 2,
            max_fields: 6,
            max_tokens: 40,
            request_timeout: TIMEOUT,
            ..LimitsConfig::default()
        }
    }

    fn schema() -> Schema<Query, EmptyMutation, Subscription> {
        Schema::build(Query, EmptyMutation, Subscription)
            .extension(RequestPolicy::new(&limits()))
            .finish()
    }

    /// Replaces the request's text with garbage once the policy has seen it: whatever
    /// parses it after that fails.
    struct GarbleText;

    impl ExtensionFactory for GarbleText {
        fn create(&self) -> Arc<dyn Extension> {
            Arc::new(GarbleText)
        }
    }

    #[async_graphql::async_trait::async_trait]
    impl Extension for GarbleText {
        async fn prepare_request(
            &self,
            ctx: &ExtensionContext<'_>,
            mut request: Request,
            next: NextPrepareRequest<'_>,
        ) -> ServerResult<Request> {
            request.query = "not GraphQL {".into();
            next.run(ctx, request).await
        }
    }

    fn json(response: &Response) -> serde_json::Value {
        serde_json::to_value(response).unwrap()
    }

    fn code(response: &Response) -> Option<&str> {
        response.errors.first().and_then(code_of)
    }

    #[tokio::test]
    async fn a_document_parsed_by_the_transport_is_not_parsed_again() {
        let mut request = Request::new("{ late value }");
        request.parsed_query().unwrap();
        // Only the document parsed above can still run.
        request.query = "not GraphQL {".into();
        let response = schema().execute(request).await;
        assert_eq!(
            json(&response),
            serde_json::json!({ "data": { "late": 2, "value": 1 } })
        );
    }

    /// Counts the validations that reach async-graphql's rules.
    struct CountValidations(Arc<std::sync::atomic::AtomicUsize>);

    impl ExtensionFactory for CountValidations {
        fn create(&self) -> Arc<dyn Extension> {
            Arc::new(CountValidations(self.0.clone()))
        }
    }

    #[async_graphql::async_trait::async_trait]
    impl Extension for CountValidations {
        async fn validation(
            &self,
            ctx: &ExtensionContext<'_>,
            next: NextValidation<'_>,
        ) -> Result<ValidationResult, Vec<ServerError>> {
            self.0.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            next.run(ctx).await
        }
    }

    #[tokio::test]
    async fn a_documents_validation_is_remembered_only_without_variables() {
        let validations = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let schema = Schema::build(Query, EmptyMutation, Subscription)
            .extension(RequestPolicy::new(&limits()))
            .extension(CountValidations(validations.clone()))
            .finish();
        let count = || validations.load(std::sync::atomic::Ordering::Relaxed);
        let document = |text: &str| {
            Arc::new(Document::new(
                async_graphql::parser::parse_query(text).unwrap(),
            ))
        };
        let run = |document: &Arc<Document>, variables: Option<serde_json::Value>| {
            let mut request = Request::new("not GraphQL {");
            request.data.insert(document.clone());
            if let Some(variables) = variables {
                request = request.variables(Variables::from_json(variables));
            }
            schema.execute(request)
        };

        let with_default = document("query Q($n: Int = 1) { twice(n: $n) }");
        for _ in 0..3 {
            assert_eq!(
                json(&run(&with_default, None).await),
                serde_json::json!({ "data": { "twice": 2 } })
            );
        }
        assert_eq!(count(), 1, "validated once");
        for _ in 0..2 {
            assert_eq!(
                json(&run(&with_default, Some(serde_json::json!({ "n": 2 }))).await),
                serde_json::json!({ "data": { "twice": 4 } })
            );
        }
        assert_eq!(count(), 3, "validated each time");

        // A document that fails validation fails each time.
        let invalid = document("{ value unknown }");
        for _ in 0..2 {
            let response = run(&invalid, None).await;
            assert_eq!(code(&response), Some("GRAPHQL_VALIDATION_FAILED"));
        }
        assert_eq!(count(), 5);

        // So does one over the complexity limit, which the policy adds to validation.
        let limits = LimitsConfig {
            max_complexity: 1,
            ..limits()
        };
        let schema = Schema::build(Query, EmptyMutation, Subscription)
            .extension(RequestPolicy::new(&limits))
            .finish();
        let document = Arc::new(Document::new(
            async_graphql::parser::parse_query("{ value late }").unwrap(),
        ));
        for _ in 0..2 {
            let mut request = Request::new("");
            request.data.insert(document.clone());
            let response = schema.execute(request).await;
            assert_eq!(code(&response), Some("COMPLEXITY_LIMIT_EXCEEDED"));
        }
    }

    #[tokio::test]
    async fn a_document_is_parsed_once_before_execution() {
        let schema = Schema::build(Query, EmptyMutation, Subscription)
            .extension(RequestPolicy::new(&limits()))
            .extension(GarbleText)
            .finish();
        let response = schema.execute("{ late value }").await;
        assert_eq!(
            json(&response),
            serde_json::json!({ "data": { "late": 2, "value": 1 } })
        );
        let mut stream = schema.execute_stream("subscription { ticks }");
        assert_eq!(
            json(&stream.next().await.unwrap()),
            serde_json::json!({ "data": { "ticks": 1 } })
        );
        // What does not parse fails before the policy lets it go, with its own code.
        let response = schema.execute("{ value").await;
        assert_eq!(
            code(&response),
            Some("GRAPHQL_PARSE_FAILED"),
            "{response:?}"
        );
        assert_eq!(request_failure(&response), Some(RequestFailure::Invalid));
    }

    #[tokio::test]
    async fn more_aliases_than_the_limit_are_refused() {
        let within = schema().execute("{ a: value b: value value }").await;
        assert!(within.errors.is_empty(), "{within:?}");
        let over = "{ a: value ...F } fragment F on Query { b: value c: value }";
        let response = schema().execute(over).await;
        assert_eq!(
            code(&response),
            Some("ALIAS_LIMIT_EXCEEDED"),
            "{response:?}"
        );
        assert_eq!(request_failure(&response), Some(RequestFailure::Invalid));
        let mut stream = schema().execute_stream(over);
        assert_eq!(
            code(&stream.next().await.unwrap()),
            Some("ALIAS_LIMIT_EXCEEDED")
        );
    }

    #[tokio::test]
    async fn queries_time_out_and_subscriptions_do_not() {
        let response = schema().execute("{ value slow }").await;
        assert_eq!(code(&response), Some("TIMEOUT"), "{response:?}");
        assert_eq!(request_failure(&response), Some(RequestFailure::TimedOut));
        let mut stream = schema().execute_stream("{ slow }");
        assert_eq!(code(&stream.next().await.unwrap()), Some("TIMEOUT"));

        let ticks: Vec<_> = schema()
            .execute_stream("subscription { ticks }")
            .map(|response| json(&response))
            .collect()
            .await;
        assert_eq!(
            ticks,
            [1, 2].map(|tick| serde_json::json!({ "data": { "ticks": tick } }))
        );
    }

    #[tokio::test]
    async fn a_panic_is_an_internal_error() {
        let internal = |response: &Response| {
            let error = &response.errors[0];
            error.message == "internal error"
                && code_of(error) == Some("INTERNAL")
                && error.extensions.as_ref().unwrap().get("errorId").is_some()
        };
        let response = schema().execute("{ value panics }").await;
        assert!(internal(&response), "{response:?}");
        assert_eq!(request_failure(&response), Some(RequestFailure::Internal));
        let mut stream = schema().execute_stream("{ panics }");
        assert!(internal(&stream.next().await.unwrap()));

        let mut stream = schema().execute_stream("subscription { panics }");
        assert!(internal(&stream.next().await.unwrap()));
        assert!(stream.next().await.is_none(), "the stream ends");
    }

    #[tokio::test]
    async fn every_error_leaves_with_a_code_and_no_internals() {
        let response = schema().execute("{ value leaks }").await;
        let text = json(&response).to_string();
        assert!(!text.contains("db.internal"), "{text}");
        assert_eq!(response.errors[0].message, "internal error");
        assert_eq!(code(&response), Some("INTERNAL"));
        assert_eq!(response.errors[0].path.len(), 1, "the field at fault stays");
        assert_eq!(request_failure(&response), None);

        let response = schema().execute("{ nope }").await;
        assert_eq!(
            code(&response),
            Some("GRAPHQL_VALIDATION_FAILED"),
            "{response:?}"
        );
        assert_eq!(request_failure(&response), Some(RequestFailure::Invalid));
    }

    #[tokio::test]
    async fn fields_come_in_query_order() {
        let query =
            "query Q { late ... on Query { b: value } ...F } fragment F on Query { a: value }";
        let order = r#"{"data":{"late":2,"b":1,"a":1}}"#;
        let response = schema().execute(query).await;
        assert_eq!(serde_json::to_string(&response).unwrap(), order);
        let mut stream = schema().execute_stream(query);
        let response = stream.next().await.unwrap();
        assert_eq!(serde_json::to_string(&response).unwrap(), order);
    }
}

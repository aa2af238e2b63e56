//! Prometheus metrics, one registry per application (tests run several in one process).

use std::{sync::Mutex, time::Duration};

use prometheus_client::{
    encoding::{EncodeLabelSet, text::encode},
    metrics::{counter::Counter, family::Family, gauge::Gauge, histogram::Histogram},
    registry::Registry,
};

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct HttpLabels {
    pub method: String,
    pub path: String,
    pub status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct OutcomeLabels {
    pub outcome: &'static str,
}

/// Statements run on behalf of one HTTP request (reported in its `Server-Timing`).
#[derive(Debug, Default)]
pub struct RequestStatements {
    pub count: std::sync::atomic::AtomicU64,
    pub micros: std::sync::atomic::AtomicU64,
}

tokio::task_local! {
    /// Set around the handling of one request: the database work done in its task counts here.
    pub static REQUEST_STATEMENTS: std::sync::Arc<RequestStatements>;
}

pub struct Metrics {
    registry: Mutex<Registry>,
    pub http_requests: Family<HttpLabels, Counter>,
    pub db_statements: Counter,
    pub db_statement_errors: Counter,
    pub db_statement_seconds: Histogram,
    pub emails: Family<OutcomeLabels, Counter>,
    /// Open subscriptions of this process (set when scraped).
    pub live_subscribers: Gauge,
    /// Results of subscriptions computed: one per event per execution, however many
    /// subscribers share it.
    pub live_executions: Counter,
    /// Objects of lists answered in one pass (`graphql::one_pass`) rather than field by field.
    pub graphql_one_pass_objects: Counter,
    /// Of those, the objects PostgreSQL built as JSON (`one_pass::sql`).
    pub graphql_one_pass_sql_objects: Counter,
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Metrics").finish_non_exhaustive()
    }
}

impl Default for Metrics {
    fn default() -> Self {
        let mut registry = Registry::with_prefix("introgate");
        let http_requests = Family::<HttpLabels, Counter>::default();
        let db_statements = Counter::default();
        let db_statement_errors = Counter::default();
        let db_statement_seconds =
            Histogram::new([0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1.0]);
        let emails = Family::<OutcomeLabels, Counter>::default();
        let live_subscribers = Gauge::default();
        let live_executions = Counter::default();
        let graphql_one_pass_objects = Counter::default();
        let graphql_one_pass_sql_objects = Counter::default();
        registry.register(
            "graphql_one_pass_sql_objects",
            "Objects of lists answered in one pass that PostgreSQL built as JSON",
            graphql_one_pass_sql_objects.clone(),
        );
        registry.register(
            "graphql_one_pass_objects",
            "Objects of lists answered in one pass rather than field by field",
            graphql_one_pass_objects.clone(),
        );
        registry.register(
            "live_executions",
            "Subscription results computed (one per event per shared execution)",
            live_executions.clone(),
        );
        registry.register(
            "live_subscribers",
            "Subscriptions following live events in this process",
            live_subscribers.clone(),
        );
        registry.register(
            "http_requests",
            "HTTP requests answered",
            http_requests.clone(),
        );
        registry.register(
            "db_statements",
            "SQL statements executed",
            db_statements.clone(),
        );
        registry.register(
            "db_statement_errors",
            "SQL statements that failed",
            db_statement_errors.clone(),
        );
        registry.register(
            "db_statement_seconds",
            "SQL statement duration",
            db_statement_seconds.clone(),
        );
        registry.register(
            "emails",
            "Email delivery attempts by outcome",
            emails.clone(),
        );
        Self {
            registry: Mutex::new(registry),
            http_requests,
            db_statements,
            db_statement_errors,
            db_statement_seconds,
            emails,
            live_subscribers,
            live_executions,
            graphql_one_pass_objects,
            graphql_one_pass_sql_objects,
        }
    }
}

impl Metrics {
    pub fn record_statement(&self, elapsed: Duration, failed: bool) {
        use std::sync::atomic::Ordering::Relaxed;
        let _ = REQUEST_STATEMENTS.try_with(|request| {
            request.count.fetch_add(1, Relaxed);
            request
                .micros
                .fetch_add(elapsed.as_micros() as u64, Relaxed);
        });
        self.db_statements.inc();
        if failed {
            self.db_statement_errors.inc();
        }
        self.db_statement_seconds.observe(elapsed.as_secs_f64());
    }

    pub fn record_email(&self, outcome: &'static str) {
        self.emails.get_or_create(&OutcomeLabels { outcome }).inc();
    }

    pub fn render(&self) -> String {
        let mut out = String::new();
        let registry = self.registry.lock().expect("metrics registry poisoned");
        // Writing into a String cannot fail.
        let _ = encode(&mut out, &registry);
        out
    }
}

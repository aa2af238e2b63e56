//! Test harness: `TestApp::spawn`, typed GraphQL helpers, fixtures, a mailbox.

pub mod fake_harvest;
pub mod smtp;
pub mod ws;

use std::{path::PathBuf, sync::Arc, time::Duration};

use introgate::{
    app::Application,
    clock::OffsetClock,
    config::{
        DatabaseConfig, DatabaseUrl, GreenhouseConfig, LimitsConfig, LiveConfig, MailConfig,
        ServerConfig,
    },
    state::AppState,
};
use serde_json::{Value, json};
use tokio_util::sync::CancellationToken;

/// Runs one test body on SQLite and on PostgreSQL: `both_databases!(name)` for an
/// `async fn name(app: TestApp)`.
#[macro_export]
macro_rules! both_databases {
    ($($name:ident),* $(,)?) => {
        $(
            mod $name {
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn sqlite() {
                    super::$name($crate::support::TestApp::spawn($crate::support::Backend::Sqlite).await).await;
                }

                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn postgres() {
                    if let Some(backend) = $crate::support::Backend::postgres() {
                        super::$name($crate::support::TestApp::spawn(backend).await).await;
                    }
                }
            }
        )*
    };
}

/// Like `both_databases!`, for an `async fn name(backend: Backend)` that starts its own
/// app (with an SMTP server, several processes…).
#[macro_export]
macro_rules! with_backends {
    ($($name:ident),* $(,)?) => {
        $(mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                super::$name($crate::support::Backend::Sqlite).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                if let Some(backend) = $crate::support::Backend::postgres() {
                    super::$name(backend).await;
                }
            }
        })*
    };
}

#[derive(Clone, Debug)]
pub enum Backend {
    Sqlite,
    Postgres(String),
}

impl Backend {
    /// PostgreSQL when configured; CI must configure it, so a missing URL there fails.
    pub fn postgres() -> Option<Self> {
        match std::env::var("INTROGATE_TEST_POSTGRES_URL") {
            Ok(url) if !url.is_empty() => Some(Self::Postgres(url)),
            _ if std::env::var("CI").is_ok_and(|v| v == "true") => {
                panic!("CI must set INTROGATE_TEST_POSTGRES_URL")
            }
            _ => {
                eprintln!("INTROGATE_TEST_POSTGRES_URL unset: PostgreSQL variant skipped");
                None
            }
        }
    }
}

/// A database that exists for one test only.
pub struct TestDatabase {
    pub url: DatabaseUrl,
    _dir: Option<tempfile::TempDir>,
    drop_postgres: Option<(String, String)>,
}

impl TestDatabase {
    pub async fn create(backend: &Backend) -> Self {
        match backend {
            Backend::Sqlite => {
                let dir = tempfile::tempdir().expect("temp dir");
                let url = format!(
                    "sqlite://{}?mode=rwc",
                    dir.path().join("introgate.db").display()
                );
                Self {
                    url: url.parse().expect("sqlite url"),
                    _dir: Some(dir),
                    drop_postgres: None,
                }
            }
            Backend::Postgres(admin_url) => {
                let name = format!("introgate_test_{}", uuid::Uuid::now_v7().simple());
                let admin = sea_orm::Database::connect(admin_url.as_str())
                    .await
                    .expect("connect to PostgreSQL");
                sea_orm::ConnectionTrait::execute_unprepared(
                    &admin,
                    &format!("CREATE DATABASE {name}"),
                )
                .await
                .expect("create test database");
                admin.close().await.ok();
                let mut url = url::Url::parse(admin_url).expect("postgres url");
                url.set_path(&name);
                Self {
                    url: url.as_str().parse().expect("postgres url"),
                    _dir: None,
                    drop_postgres: Some((admin_url.clone(), name)),
                }
            }
        }
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        if let Some((admin_url, name)) = self.drop_postgres.take() {
            // Drop runs outside async: a short-lived runtime on its own thread does the work.
            let _ = std::thread::spawn(move || {
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .expect("runtime");
                runtime.block_on(async {
                    if let Ok(admin) = sea_orm::Database::connect(admin_url.as_str()).await {
                        let _ = sea_orm::ConnectionTrait::execute_unprepared(
                            &admin,
                            &format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"),
                        )
                        .await;
                        admin.close().await.ok();
                    }
                });
            })
            .join();
        }
    }
}

pub struct TestApp {
    pub address: String,
    pub client: reqwest::Client,
    pub state: AppState,
    pub clock: Arc<OffsetClock>,
    pub mail_dir: PathBuf,
    pub shutdown: CancellationToken,
    pub config: ServerConfig,
    _mail_dir: tempfile::TempDir,
    database: Arc<TestDatabase>,
    seen_emails: std::sync::Mutex<std::collections::HashSet<String>>,
}

pub fn test_config(url: DatabaseUrl, mail_dir: PathBuf) -> ServerConfig {
    ServerConfig {
        database: DatabaseConfig {
            database_url: url,
            secret_key: Some(introgate::secret_key::SecretKey::generate()),
        },
        bind: "127.0.0.1:0".parse().unwrap(),
        app_url: "http://app.test".parse().unwrap(),
        mail: MailConfig {
            smtp_url: None,
            mail_dir,
            mail_from: "introgate <no-reply@app.test>".parse().unwrap(),
            mail_retry_base: Duration::from_millis(100),
            mail_retry_max: Duration::from_millis(400),
            mail_max_attempts: 50,
            mail_poll_interval: Duration::from_millis(200),
        },
        cors_origins: vec![],
        // The tests count statements through it.
        server_timing: true,
        greenhouse: GreenhouseConfig {
            greenhouse_api_url: "http://127.0.0.1:9".parse().unwrap(),
            greenhouse_auth_url: "http://127.0.0.1:9".parse().unwrap(),
            greenhouse_sync_interval: Duration::from_secs(600),
            greenhouse_timeout: Duration::from_secs(5),
            greenhouse_retry_base: Duration::from_millis(100),
            greenhouse_max_attempts: 5,
            greenhouse_poll_interval: Duration::from_secs(600),
            greenhouse_webhook_base_url: None,
        },
        limits: LimitsConfig::default(),
        // Long: tests must see events through the signals, not through the safety sweep.
        live: LiveConfig {
            live_sweep_interval: Duration::from_secs(600),
            ..LiveConfig::default()
        },
        intro_follow_up_interval: Duration::from_millis(100),
    }
}

impl TestApp {
    pub async fn spawn(backend: Backend) -> Self {
        Self::spawn_with(backend, |_| {}).await
    }

    /// Starts the server with a test configuration adjusted by `configure`.
    pub async fn spawn_with(backend: Backend, configure: impl FnOnce(&mut ServerConfig)) -> Self {
        let database = Arc::new(TestDatabase::create(&backend).await);
        let mail = tempfile::tempdir().expect("mail dir");
        let mut config = test_config(database.url.clone(), mail.path().to_owned());
        configure(&mut config);
        Self::start(config, database, mail).await
    }

    /// A second server process on the same database (as several `introgate serve` would be).
    pub async fn spawn_sibling(&self, configure: impl FnOnce(&mut ServerConfig)) -> Self {
        let mail = tempfile::tempdir().expect("mail dir");
        let mut config = self.config.clone();
        config.mail.mail_dir = mail.path().to_owned();
        configure(&mut config);
        Self::start(config, self.database.clone(), mail).await
    }

    async fn start(
        config: ServerConfig,
        database: Arc<TestDatabase>,
        mail: tempfile::TempDir,
    ) -> Self {
        init_test_logging();
        let clock = Arc::new(OffsetClock::default());
        let app = Application::build_with_clock(config.clone(), clock.clone())
            .await
            .expect("build app");
        let address = format!("http://{}", app.local_addr());
        let state = app.state().clone();
        let shutdown = app.shutdown_token();
        tokio::spawn(app.run_until_stopped());
        Self {
            address,
            client: reqwest::Client::new(),
            state,
            clock,
            mail_dir: config.mail.mail_dir.clone(),
            shutdown,
            config,
            _mail_dir: mail,
            database,
            seen_emails: Default::default(),
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.address)
    }

    /// POSTs a GraphQL operation; returns the whole response body (data and errors).
    pub async fn gql(&self, token: Option<&str>, query: &str, variables: Value) -> Value {
        let mut request = self
            .client
            .post(self.url("/graphql"))
            .json(&json!({ "query": query, "variables": variables }));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        let response = request.send().await.expect("request");
        response.json().await.expect("JSON response")
    }

    /// A mutation's payload (`data.<field>`), failing the test on top-level errors.
    pub async fn mutate(
        &self,
        token: Option<&str>,
        field: &str,
        query: &str,
        variables: Value,
    ) -> Value {
        let body = self.gql(token, query, variables).await;
        assert!(body.get("errors").is_none(), "{field} failed: {body:#}");
        body["data"][field].clone()
    }

    pub async fn sign_in(&self, email: &str, password: &str) -> String {
        let payload = self
            .mutate(None, "signIn", "mutation($e: String!, $p: String!) { signIn(input: {email: $e, password: $p}) { token userErrors { code message } } }", json!({ "e": email, "p": password }))
            .await;
        payload["token"]
            .as_str()
            .unwrap_or_else(|| panic!("sign in as {email}: {payload}"))
            .to_owned()
    }

    /// A network with its first admin, made the way `introgate bootstrap` makes it.
    pub async fn network(&self, name: &str) -> TestNetwork {
        let admin_email = format!(
            "admin-{}@{}.test",
            uuid::Uuid::now_v7().simple(),
            name.to_lowercase().replace(' ', "-")
        );
        let input = introgate::services::networks::Bootstrap {
            network_name: name,
            admin_email: &admin_email,
            admin_password: PASSWORD,
            admin_name: Some("Admin"),
            gatekeeper: false,
        };
        let (network, _) = introgate::services::networks::bootstrap(&self.state, input)
            .await
            .expect("bootstrap");
        let admin_token = self.sign_in(&admin_email, PASSWORD).await;
        let id = introgate::graphql::ids::GlobalId::encode(
            introgate::graphql::ids::NodeKind::Network,
            network.id,
        )
        .0;
        TestNetwork {
            id,
            slug: network.slug,
            admin_token,
            admin_email,
        }
    }

    /// Every email delivered so far through the file transport, oldest first.
    pub fn delivered_files(&self) -> Vec<Email> {
        let Ok(entries) = std::fs::read_dir(&self.mail_dir) else {
            return Vec::new();
        };
        let mut files: Vec<_> = entries
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|x| x == "eml"))
            .collect();
        files.sort();
        files
            .iter()
            .map(|path| Email::parse(&std::fs::read(path).expect("read eml")))
            .collect()
    }

    /// Waits until an email to `to` that no earlier call returned arrives, and returns it.
    pub async fn email_to(&self, to: &str) -> Email {
        for _ in 0..100 {
            let fresh = self.delivered_files().into_iter().find(|e| {
                e.to.iter().any(|t| t.eq_ignore_ascii_case(to))
                    && !self.seen_emails.lock().unwrap().contains(&e.message_id)
            });
            if let Some(email) = fresh {
                self.seen_emails
                    .lock()
                    .unwrap()
                    .insert(email.message_id.clone());
                return email;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("no email to {to} arrived");
    }

    /// Runs a query and returns its body with the number of SQL statements it cost, as the
    /// server reports it in `Server-Timing`.
    pub async fn gql_counting(&self, token: &str, query: &str, variables: Value) -> (Value, u64) {
        let response = self
            .client
            .post(self.url("/graphql"))
            .bearer_auth(token)
            .json(&json!({ "query": query, "variables": variables }))
            .send()
            .await
            .expect("request");
        let timing = response.headers()["server-timing"]
            .to_str()
            .unwrap()
            .to_owned();
        let count = regex::Regex::new(r#"desc="(\d+) statements""#)
            .unwrap()
            .captures(&timing)
            .expect("statement count")[1]
            .parse()
            .unwrap();
        (response.json().await.expect("JSON"), count)
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}

pub const PASSWORD: &str = "correct horse battery";

pub struct TestNetwork {
    pub id: String,
    pub slug: String,
    pub admin_token: String,
    pub admin_email: String,
}

/// A received email, decoded.
#[derive(Debug, Clone)]
pub struct Email {
    pub to: Vec<String>,
    pub cc: Vec<String>,
    pub subject: String,
    pub text: String,
    pub html: String,
    pub message_id: String,
}

impl Email {
    pub fn parse(raw: &[u8]) -> Self {
        let message = mail_parser::MessageParser::default()
            .parse(raw)
            .expect("parse email");
        let addresses = |a: Option<&mail_parser::Address>| -> Vec<String> {
            a.map(|a| {
                a.iter()
                    .filter_map(|x| x.address().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default()
        };
        Self {
            to: addresses(message.to()),
            cc: addresses(message.cc()),
            subject: message.subject().unwrap_or_default().to_owned(),
            text: message
                .body_text(0)
                .map(|t| t.into_owned())
                .unwrap_or_default(),
            html: message
                .body_html(0)
                .map(|t| t.into_owned())
                .unwrap_or_default(),
            message_id: message.message_id().unwrap_or_default().to_owned(),
        }
    }

    /// The invitation token from the email's link.
    pub fn invitation_token(&self) -> String {
        let pattern = regex::Regex::new(r"/invitations/(igi_[A-Za-z0-9_-]+)").unwrap();
        pattern
            .captures(&self.text)
            .map(|c| c[1].to_owned())
            .unwrap_or_else(|| panic!("no invitation link in {}", self.text))
    }
}

/// The first user error code of a payload, if any.
pub fn user_error(payload: &Value) -> Option<String> {
    payload["userErrors"]
        .as_array()
        .and_then(|e| e.first())
        .map(|e| e["code"].as_str().unwrap_or_default().to_owned())
}

/// The `extensions.code` of the first top-level error.
pub fn error_code(body: &Value) -> Option<String> {
    body["errors"]
        .as_array()
        .and_then(|e| e.first())
        .and_then(|e| e["extensions"]["code"].as_str())
        .map(str::to_owned)
}

/// Logs to the test output when `TEST_LOG` names a filter (e.g. `introgate::sql=trace`).
pub fn init_test_logging() {
    if let Ok(filter) = std::env::var("TEST_LOG") {
        let _ = tracing_subscriber::fmt()
            .with_env_filter(filter)
            .with_test_writer()
            .try_init();
    }
}

//! The release binary serving on 127.0.0.1:0, as the benches drive it: started in a
//! directory, its address read from its first line, its GraphQL answers checked to carry no
//! `errors`. Each bench includes this file (`#[path]`) and uses the part it needs.

#![allow(dead_code)]

use std::{
    path::Path,
    process::Stdio,
    time::{Duration, Instant},
};

use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, BufReader};

pub const BIN: &str = env!("CARGO_BIN_EXE_introgate");

pub struct Server {
    child: tokio::process::Child,
    pub address: String,
    /// One client for the whole run: its connections are reused, as a browser's are.
    client: reqwest::Client,
}

impl Server {
    /// `introgate serve` in `dir` on `database_url`, with a key (PostgreSQL requires one),
    /// without SMTP (emails land in `dir/mail`), and with `env` besides.
    pub async fn start(dir: &Path, database_url: &str, env: &[(&str, &str)]) -> Self {
        Self::start_on(None, dir, database_url, env).await
    }

    /// As [`Server::start`], on the CPUs `cpus` only (`taskset -c`) when given: the process
    /// then sees only those, and sizes its runtime for them.
    pub async fn start_on(
        cpus: Option<&str>,
        dir: &Path,
        database_url: &str,
        env: &[(&str, &str)],
    ) -> Self {
        let mut command = match cpus {
            Some(cpus) => {
                let mut taskset = tokio::process::Command::new("taskset");
                taskset.args(["-c", cpus, BIN]);
                taskset
            }
            None => tokio::process::Command::new(BIN),
        };
        let mut child = command
            .args(["serve", "--bind", "127.0.0.1:0"])
            .current_dir(dir)
            .env("DATABASE_URL", database_url)
            .env("INTROGATE_SECRET_KEY", secret_key())
            .env("RUST_LOG", "warn")
            .envs(env.iter().copied())
            .env_remove("SMTP_URL")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .expect("start introgate serve");
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        loop {
            let line = lines.next_line().await.unwrap().expect("server address");
            if let Some(rest) = line.strip_prefix("introgate listening on ") {
                let address = rest.split_whitespace().next().unwrap().to_owned();
                tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
                return Self {
                    child,
                    address,
                    client: reqwest::Client::new(),
                };
            }
        }
    }

    pub fn pid(&self) -> u32 {
        self.child.id().expect("running")
    }

    /// The response's `data`, once checked to have no `errors`; and how long it took.
    pub async fn timed(
        &self,
        token: Option<&str>,
        query: &str,
        variables: &Value,
    ) -> (Duration, Value) {
        let started = Instant::now();
        let mut request = self
            .client
            .post(format!("{}/graphql", self.address))
            .json(&json!({ "query": query, "variables": variables }));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        let body: Value = request.send().await.unwrap().json().await.unwrap();
        let elapsed = started.elapsed();
        assert!(body.get("errors").is_none(), "{body}");
        (elapsed, body["data"].clone())
    }

    pub async fn gql(&self, token: Option<&str>, query: &str, variables: Value) -> Value {
        self.timed(token, query, &variables).await.1
    }

    /// A mutation's payload, checked to have no `userErrors`.
    pub async fn mutate(&self, token: &str, field: &str, query: &str, variables: Value) -> Value {
        let payload = self.gql(Some(token), query, variables).await[field].clone();
        let user_errors = &payload["userErrors"];
        assert!(
            user_errors.is_null() || user_errors.as_array().is_some_and(Vec::is_empty),
            "{field}: {payload}"
        );
        payload
    }
}

/// The server's key: 64 hex characters, the same for the run.
pub fn secret_key() -> &'static str {
    static KEY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    KEY.get_or_init(|| hex::encode(rand::random::<[u8; 32]>()))
}

/// The password of every account the benches make.
pub const PASSWORD: &str = "correct horse battery";

/// A new network, "Bench", made by `introgate bootstrap` in `dir` and then served (with
/// `env` besides): the server, its admin's session token and the network's viewer fields
/// (`id slug`).
pub async fn bootstrap(
    dir: &Path,
    database_url: &str,
    env: &[(&str, &str)],
) -> (Server, String, Value) {
    create_network(dir, database_url);
    let server = Server::start(dir, database_url, env).await;
    let (admin, network) = sign_in_admin(&server).await;
    (server, admin, network)
}

/// The network "Bench" and its admin, made by `introgate bootstrap` in `dir` (which
/// migrates the database first).
pub fn create_network(dir: &Path, database_url: &str) {
    let output = std::process::Command::new(BIN)
        .args(["bootstrap", "--network-name", "Bench"])
        .args([
            "--admin-email",
            "admin@bench.test",
            "--admin-password",
            PASSWORD,
        ])
        .current_dir(dir)
        .env("DATABASE_URL", database_url)
        .env("INTROGATE_SECRET_KEY", secret_key())
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

/// The bench network's admin signed in on `server`: the session token and the network's
/// viewer fields (`id slug`).
pub async fn sign_in_admin(server: &Server) -> (String, Value) {
    let sign_in =
        "mutation($e: String!, $p: String!) { signIn(input: {email: $e, password: $p}) { token } }";
    let admin = server
        .gql(
            None,
            sign_in,
            json!({ "e": "admin@bench.test", "p": PASSWORD }),
        )
        .await["signIn"]["token"]
        .as_str()
        .unwrap()
        .to_owned();
    let network = server
        .gql(
            Some(&admin),
            "{ viewer { networkAdminOf { id slug } } }",
            json!({}),
        )
        .await["viewer"]["networkAdminOf"][0]
        .clone();
    (admin, network)
}

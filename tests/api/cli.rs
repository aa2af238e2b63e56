//! The binary as an operator uses it: `bootstrap`, `serve --demo`, a bad setting, SIGTERM.

use std::{process::Stdio, time::Duration};

use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, BufReader};

const BIN: &str = env!("CARGO_BIN_EXE_introgate");

fn command(dir: &std::path::Path) -> tokio::process::Command {
    let mut command = tokio::process::Command::new(BIN);
    command
        .current_dir(dir)
        .env_remove("DATABASE_URL")
        .env_remove("INTROGATE_SECRET_KEY")
        .env_remove("SMTP_URL")
        .env("RUST_LOG", "warn")
        .stdin(Stdio::null());
    command
}

#[tokio::test]
async fn bootstrap_prints_the_new_ids() {
    let dir = tempfile::tempdir().unwrap();
    let output = command(dir.path())
        .args([
            "bootstrap",
            "--network-name",
            "Acme Ventures",
            "--admin-email",
            "ann@acme.test",
            "--admin-password",
            "correct horse battery",
            "--gatekeeper",
        ])
        .output()
        .await
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let line: Value = serde_json::from_slice(&output.stdout).expect("one JSON line");
    assert!(
        line["networkId"].is_string() && line["accountId"].is_string(),
        "{line}"
    );
    assert!(
        dir.path().join("introgate.db.secret-key").exists(),
        "the secret key is kept beside the database"
    );
    // The same admin for a second network: their account's password, or nothing happens.
    let again = |password: &'static str| {
        command(dir.path())
            .args([
                "bootstrap",
                "--network-name",
                "Acme Labs",
                "--admin-email",
                "ANN@acme.test",
                "--admin-password",
                password,
            ])
            .output()
    };
    let wrong = again("not her password").await.unwrap();
    assert!(!wrong.status.success());
    let stderr = String::from_utf8_lossy(&wrong.stderr);
    assert!(stderr.contains("adminPassword"), "{stderr}");
    let right = again("correct horse battery").await.unwrap();
    let second: Value = serde_json::from_slice(&right.stdout).expect("one JSON line");
    assert_eq!(second["accountId"], line["accountId"], "the same account");
    assert_ne!(second["networkId"], line["networkId"]);

    let bad = command(dir.path())
        .args([
            "bootstrap",
            "--network-name",
            " ",
            "--admin-email",
            "nope",
            "--admin-password",
            "x",
        ])
        .output()
        .await
        .unwrap();
    assert!(!bad.status.success());
    let stderr = String::from_utf8_lossy(&bad.stderr);
    assert!(
        stderr.contains("adminEmail") && stderr.contains("networkName"),
        "{stderr}"
    );
}

#[tokio::test]
async fn help_shows_no_database_password() {
    let dir = tempfile::tempdir().unwrap();
    let output = command(dir.path())
        .args(["serve", "--help"])
        .env(
            "DATABASE_URL",
            "postgres://app:s3cret@db.internal/introgate",
        )
        .output()
        .await
        .unwrap();
    let help = String::from_utf8_lossy(&output.stdout);
    assert!(help.contains("DATABASE_URL"), "{help}");
    assert!(!help.contains("s3cret"), "{help}");
}

#[tokio::test]
async fn a_bad_secret_key_is_refused_without_printing_it() {
    let dir = tempfile::tempdir().unwrap();
    let bad = "Zq9xTOPSECRET-but-not-32-bytes";
    for with_flag in [false, true] {
        let mut command = command(dir.path());
        command.args(["serve", "--bind", "127.0.0.1:0"]);
        if with_flag {
            command.args(["--secret-key", bad]);
        } else {
            command.env("INTROGATE_SECRET_KEY", bad);
        }
        let output = tokio::time::timeout(Duration::from_secs(20), command.output())
            .await
            .expect("exits")
            .unwrap();
        assert!(!output.status.success());
        let printed = format!(
            "{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        assert!(printed.contains("64 hex digits or as base64"), "{printed}");
        assert!(!printed.contains("TOPSECRET"), "the key printed: {printed}");
    }
}

#[tokio::test]
async fn a_bad_setting_stops_the_start_with_a_clear_message() {
    let dir = tempfile::tempdir().unwrap();
    for (args, mentions) in [
        (vec!["serve", "--bind", "not-an-address"], "--bind"),
        (
            vec!["serve", "--event-retention", "3d"],
            "--event-retention",
        ),
        (
            vec!["serve", "--database-url", "mysql://localhost/db"],
            "--database-url",
        ),
        (
            vec!["serve", "--smtp-url", "http://mail.example.com"],
            "--smtp-url",
        ),
        (
            vec![
                "serve",
                "--database-url",
                "postgres://postgres@127.0.0.1:5432/test",
            ],
            "INTROGATE_SECRET_KEY",
        ),
    ] {
        let output = tokio::time::timeout(
            Duration::from_secs(20),
            command(dir.path()).args(&args).output(),
        )
        .await
        .expect("exits")
        .unwrap();
        assert!(!output.status.success(), "{args:?} started");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains(mentions), "{args:?}: {stderr}");
    }
}

#[tokio::test]
async fn serve_demo_answers_with_its_credentials_and_stops_on_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = command(dir.path())
        .args(["serve", "--demo", "--bind", "127.0.0.1:0"])
        .env("RUST_LOG", "info")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let logs = tokio::spawn(async move {
        let mut logs = String::new();
        tokio::io::AsyncReadExt::read_to_string(&mut BufReader::new(stderr), &mut logs)
            .await
            .unwrap();
        logs
    });
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let (mut logins, mut address) = (Vec::new(), None);
    while let Ok(Ok(Some(line))) =
        tokio::time::timeout(Duration::from_secs(30), lines.next_line()).await
    {
        if let Some(rest) = line.strip_prefix("introgate listening on ") {
            address = rest.split_whitespace().next().map(str::to_owned);
            break;
        }
        let words: Vec<&str> = line.split_whitespace().collect();
        if let [.., email, "password:", password] = words.as_slice() {
            logins.push((
                line.trim().split("  ").next().unwrap().to_owned(),
                email.to_string(),
                password.to_string(),
            ));
        }
    }
    let address = address.expect("the server says where it listens");
    assert_eq!(logins.len(), 4, "{logins:?}");
    let client = reqwest::Client::new();
    // By default no `Server-Timing` (its statement count told outsiders whether another
    // tenant's id exists); `nosniff` everywhere; GraphiQL never framed by another site.
    let answer = client
        .post(format!("{address}/graphql"))
        .json(&json!({ "query": "{ __typename }" }))
        .send()
        .await
        .unwrap();
    assert!(answer.headers().get("server-timing").is_none());
    assert_eq!(answer.headers()["x-content-type-options"], "nosniff");
    let graphiql = client
        .get(format!("{address}/graphiql"))
        .send()
        .await
        .unwrap();
    assert_eq!(graphiql.headers()["x-content-type-options"], "nosniff");
    assert_eq!(
        graphiql.headers()["content-security-policy"],
        "frame-ancestors 'none'"
    );
    let gql = |token: Option<String>, query: &'static str, variables: Value| {
        let mut request = client
            .post(format!("{address}/graphql"))
            .json(&json!({ "query": query, "variables": variables }));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        async move { request.send().await.unwrap().json::<Value>().await.unwrap() }
    };
    let (_, email, password) = logins
        .iter()
        .find(|(role, ..)| role == "network admin")
        .unwrap();
    let signed_in = gql(None, "mutation($e: String!, $p: String!) { signIn(input: {email: $e, password: $p}) { token viewer { networkAdminOf { id } } } }", json!({ "e": email, "p": password })).await;
    let token = signed_in["data"]["signIn"]["token"]
        .as_str()
        .unwrap()
        .to_owned();
    let network = signed_in["data"]["signIn"]["viewer"]["networkAdminOf"][0]["id"].clone();
    let counts = gql(Some(token), "query($id: ID!) { network(id: $id) { companies { totalCount nodes { hasActiveAdmin } } talent { totalCount } verified: talent(verified: true) { totalCount } allies { totalCount } } }", json!({ "id": network })).await;
    let network = &counts["data"]["network"];
    assert!(
        network["companies"]["totalCount"].as_i64().unwrap() >= 6,
        "{counts}"
    );
    let with_admin = network["companies"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["hasActiveAdmin"] == true)
        .count();
    assert!(
        (1..6).contains(&with_admin),
        "some companies have an active admin, some not: {counts}"
    );
    assert!(network["talent"]["totalCount"].as_i64().unwrap() >= 12);
    assert!(
        network["verified"]["totalCount"].as_i64().unwrap()
            < network["talent"]["totalCount"].as_i64().unwrap()
    );
    assert_eq!(network["allies"]["totalCount"], 1);
    for (role, email, password) in &logins {
        let signed_in = gql(None, "mutation($e: String!, $p: String!) { signIn(input: {email: $e, password: $p}) { token } }", json!({ "e": email, "p": password })).await;
        assert!(
            signed_in["data"]["signIn"]["token"].is_string(),
            "{role} cannot sign in"
        );
    }

    let pid = child.id().unwrap().to_string();
    assert!(
        std::process::Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .unwrap()
            .success()
    );
    let status = tokio::time::timeout(Duration::from_secs(15), child.wait())
        .await
        .expect("stops after SIGTERM")
        .unwrap();
    assert!(status.success(), "{status}");
    // Logs to a pipe carry no terminal colours.
    let logs = logs.await.unwrap();
    assert!(logs.contains("introgate listening"), "{logs}");
    assert!(!logs.contains('\x1b'), "ANSI escapes in piped logs: {logs}");
}

//! Checks written for JavaScript clients, run against the real server: the `graphql-http`
//! audit suite (zero MUST failures) and GraphiQL in headless Chromium with no network
//! beyond loopback.

use std::{path::Path, process::Stdio, sync::OnceLock};

use crate::{
    both_databases,
    support::{Backend, TestApp},
};

both_databases!(
    graphql_http_audit_has_no_must_failure,
    graphql_ws_client_follows_the_inboxes
);

const JS_DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/js");

/// `npm ci` once per test run, from the committed lockfile.
fn npm_installed() {
    static INSTALLED: OnceLock<()> = OnceLock::new();
    INSTALLED.get_or_init(|| {
        if Path::new(JS_DIR)
            .join("node_modules/.package-lock.json")
            .exists()
        {
            return;
        }
        let status = std::process::Command::new("npm")
            .args(["ci", "--no-audit", "--no-fund"])
            .current_dir(JS_DIR)
            .status()
            .expect("npm (Node.js) is needed for the JS checks");
        assert!(status.success(), "npm ci in tests/js failed");
    });
}

async fn node(script: &str, argument: &str) -> (bool, String) {
    node_with(script, &[argument]).await
}

async fn node_with(script: &str, arguments: &[&str]) -> (bool, String) {
    npm_installed();
    let output = tokio::process::Command::new("node")
        .arg(script)
        .args(arguments)
        .current_dir(JS_DIR)
        .stdin(Stdio::null())
        .output()
        .await
        .expect("node");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    (output.status.success(), text)
}

async fn graphql_http_audit_has_no_must_failure(app: TestApp) {
    let (ok, output) = node("audit.mjs", &app.url("/graphql")).await;
    println!("{output}");
    assert!(ok, "graphql-http audit found MUST failures:\n{output}");
    assert!(output.lines().any(|l| l.ends_with(" 0 failed")), "{output}");
}

/// The `graphql-ws` npm client over a real socket (SPEC §3's `/graphql/ws`).
async fn graphql_ws_client_follows_the_inboxes(app: TestApp) {
    let live = crate::subscriptions::live_network(&app, "Node").await;
    let setup = serde_json::json!({
        "url": app.address,
        "adminToken": live.network.admin_token,
        "companyAdminToken": live.company_admin_token,
        "talentToken": live.talent_token,
        "networkId": live.network.id,
        "companyId": live.company,
    });
    let (ok, output) = node("subscriptions.mjs", &setup.to_string()).await;
    println!("{output}");
    assert!(ok, "the graphql-ws client saw something else:\n{output}");
    assert_eq!(output.matches("ok - ").count(), 8, "{output}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn graphiql_runs_a_query_in_headless_chromium() {
    if !Path::new("/usr/bin/chromium").exists() {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "CI must install chromium"
        );
        eprintln!(
            "/usr/bin/chromium missing: GraphiQL browser check skipped (apt-get install chromium)"
        );
        return;
    }
    let app = TestApp::spawn(Backend::Sqlite).await;
    let live = crate::subscriptions::live_network(&app, "Browser").await;
    let setup = serde_json::json!({
        "adminToken": live.network.admin_token,
        "talentToken": live.talent_token,
        "networkId": live.network.id,
        "companyId": live.company,
    });
    let (ok, output) = node_with("graphiql.mjs", &[&app.address, &setup.to_string()]).await;
    println!("{output}");
    assert!(ok, "GraphiQL did not run a query offline:\n{output}");
    assert!(
        output.contains("a subscription received the inbox event"),
        "{output}"
    );
}

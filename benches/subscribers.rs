//! Idle subscribers: N WebSocket clients follow one network's inbox on one `introgate serve`
//! process (SQLite), one event happens, and each client's wait for it is measured.
//!
//! ```sh
//! cargo bench --bench subscribers                 # N = 1, 100, 1000, 10000
//! cargo bench --bench subscribers -- 1 500        # chosen N
//! ```
//!
//! Prints, per N: p50 / p99 / max of the time from the mutation's response to each
//! client's `next` message, as ratios to N = 1 measured in the same run, and the server's
//! resident memory per subscriber (VmRSS after subscribing minus before, over N). Each N
//! runs on a fresh server process over the same database; clients run in this process.

use std::{
    path::Path,
    time::{Duration, Instant},
};

use futures::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::{
    Message, client::IntoClientRequest, http::HeaderValue, protocol::WebSocketConfig,
};

#[path = "support/server.rs"]
mod server;

use server::{PASSWORD, Server, bootstrap};
const EVENTS_PER_N: usize = 5;
const INBOX: &str = "subscription($n: ID!) { inboxUpdated(networkId: $n) { cursor kind counts { inNetwork outOfNetwork } introRequest { id status } } }";

/// The server's resident memory.
fn rss_kib(server: &Server) -> u64 {
    std::fs::read_to_string(format!("/proc/{}/status", server.pid()))
        .unwrap()
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap()
}

/// How many subscriptions the server holds, from its metrics.
async fn subscribers(server: &Server) -> usize {
    let text = reqwest::get(format!("{}/metrics", server.address))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    text.lines()
        .find_map(|l| l.strip_prefix("introgate_live_subscribers "))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0)
}

/// The network, a company nobody receives for, a verified talent: (admin, talent, ids).
struct Fixture {
    admin_token: String,
    talent_token: String,
    network_id: String,
    company_id: String,
}

async fn fixture(dir: &Path) -> Fixture {
    let (server, admin_token, network) = bootstrap(
        dir,
        "sqlite://introgate.db?mode=rwc",
        &[("GRAPHQL_WS_KEEPALIVE", "1h")],
    )
    .await;
    let network_id = network["id"].as_str().unwrap().to_owned();
    let slug = network["slug"].as_str().unwrap().to_owned();
    let company = server.gql(Some(&admin_token), "mutation($n: ID!) { createCompany(input: {networkId: $n, name: \"Acme\"}) { company { id } } }", json!({ "n": network_id })).await;
    let company_id = company["createCompany"]["company"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    server.gql(None, "mutation($s: String!, $p: String!) { signUpTalent(input: {networkSlug: $s, name: \"Vera\", email: \"vera@bench.test\", password: $p}) { email } }", json!({ "s": slug, "p": PASSWORD })).await;
    // The sign-up is confirmed through the link emailed to the address (`./mail`).
    let token = confirmation_token(&dir.join("mail")).await;
    let talent = server
        .gql(
            None,
            "mutation($t: String!) { verifyEmail(input: {token: $t}) { token talent { id } } }",
            json!({ "t": token }),
        )
        .await;
    let talent_token = talent["verifyEmail"]["token"].as_str().unwrap().to_owned();
    let talent_id = talent["verifyEmail"]["talent"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    server.gql(Some(&admin_token), "mutation($t: ID!) { setTalentVerified(input: {talentId: $t, verified: true}) { talent { id } } }", json!({ "t": talent_id })).await;
    Fixture {
        admin_token,
        talent_token,
        network_id,
        company_id,
    }
}

/// The token of the sign-up confirmation link, from the email in `mail_dir`.
async fn confirmation_token(mail_dir: &Path) -> String {
    let pattern = regex::Regex::new(r"/verify-email/(igv_[A-Za-z0-9_-]+)").unwrap();
    for _ in 0..100 {
        for entry in std::fs::read_dir(mail_dir).into_iter().flatten().flatten() {
            let raw = std::fs::read(entry.path()).unwrap();
            let message = mail_parser::MessageParser::default().parse(&raw).unwrap();
            let text = message.body_text(0).unwrap_or_default();
            if let Some(found) = pattern.captures(&text) {
                return found[1].to_owned();
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("no confirmation email in {}", mail_dir.display());
}

/// One idle subscriber: reports the instant each event arrives.
async fn subscriber(
    address: String,
    token: String,
    network_id: String,
    ready: mpsc::UnboundedSender<()>,
    arrivals: mpsc::UnboundedSender<Instant>,
) {
    let url = format!("{}/graphql/ws", address.replacen("http://", "ws://", 1));
    let mut request = url.into_client_request().unwrap();
    request.headers_mut().insert(
        "sec-websocket-protocol",
        HeaderValue::from_static("graphql-transport-ws"),
    );
    // tungstenite zero-fills a client's whole read buffer (128 KiB by default) on every
    // read: at 10,000 clients that cost more CPU than the server under test. The events
    // are a few hundred bytes.
    let config = WebSocketConfig::default().read_buffer_size(4 * 1024);
    let (mut socket, _) = tokio_tungstenite::connect_async_with_config(request, Some(config), true)
        .await
        .expect("connect");
    let send = |v: Value| Message::Text(v.to_string().into());
    socket.send(send(json!({ "type": "connection_init", "payload": { "authorization": format!("Bearer {token}") } }))).await.unwrap();
    socket.send(send(json!({ "type": "subscribe", "id": "1", "payload": { "query": INBOX, "variables": { "n": network_id } } }))).await.unwrap();
    let _ = ready.send(());
    while let Some(Ok(message)) = socket.next().await {
        if let Message::Text(text) = message {
            if text.contains("\"next\"") {
                let _ = arrivals.send(Instant::now());
            } else if text.contains("\"ping\"") {
                let _ = socket.send(send(json!({ "type": "pong" }))).await;
            }
        }
    }
}

struct Run {
    n: usize,
    p50: Duration,
    p99: Duration,
    max: Duration,
    kib_per_subscriber: f64,
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

async fn run(dir: &Path, fixture: &Fixture, n: usize) -> Run {
    let server = Server::start(
        dir,
        "sqlite://introgate.db?mode=rwc",
        &[("GRAPHQL_WS_KEEPALIVE", "1h")],
    )
    .await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let rss_before = rss_kib(&server);
    let (ready_tx, mut ready) = mpsc::unbounded_channel();
    let (arrival_tx, mut arrivals) = mpsc::unbounded_channel();
    let mut clients = Vec::with_capacity(n);
    for started in 0..n {
        clients.push(tokio::spawn(subscriber(
            server.address.clone(),
            fixture.admin_token.clone(),
            fixture.network_id.clone(),
            ready_tx.clone(),
            arrival_tx.clone(),
        )));
        // Connect in waves, so the listen backlog never overflows.
        if started % 200 == 199 {
            for _ in 0..200 {
                ready.recv().await;
            }
        }
    }
    while subscribers(&server).await < n {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    let rss_after = rss_kib(&server);

    let mut latencies = Vec::with_capacity(n * EVENTS_PER_N);
    let mut round = 0;
    let request = "mutation($c: ID!) { requestIntroToCompany(input: {companyId: $c, jobIds: [], message: \"hi\"}) { introRequest { id } } }";
    let decline =
        "mutation($r: ID!) { declineIntro(input: {introRequestId: $r}) { userErrors { code } } }";
    let mut open: Option<String> = None;
    // One warm-up event (a fresh process's first statements), then the measured ones.
    for _ in 0..=EVENTS_PER_N {
        round += 1;
        // Each event: a request enters the inbox, or the open one is declined.
        let sent = Instant::now();
        match open.take() {
            None => {
                let data = server
                    .gql(
                        Some(&fixture.talent_token),
                        request,
                        json!({ "c": fixture.company_id }),
                    )
                    .await;
                open = Some(
                    data["requestIntroToCompany"]["introRequest"]["id"]
                        .as_str()
                        .unwrap()
                        .to_owned(),
                );
            }
            Some(id) => {
                server
                    .gql(Some(&fixture.admin_token), decline, json!({ "r": id }))
                    .await;
            }
        }
        for _ in 0..n {
            let at = tokio::time::timeout(Duration::from_secs(60), arrivals.recv())
                .await
                .expect("every subscriber receives the event within 60 s")
                .unwrap();
            if round > 1 {
                latencies.push(at.saturating_duration_since(sent));
            }
        }
    }
    if let Some(id) = open {
        server
            .gql(Some(&fixture.admin_token), decline, json!({ "r": id }))
            .await;
    }
    for client in clients {
        client.abort();
    }
    latencies.sort();
    Run {
        n,
        p50: percentile(&latencies, 0.50),
        p99: percentile(&latencies, 0.99),
        max: *latencies.last().unwrap(),
        kib_per_subscriber: (rss_after as f64 - rss_before as f64) / n as f64,
    }
}

#[tokio::main]
async fn main() {
    let sizes: Vec<usize> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    let sizes = if sizes.is_empty() {
        vec![1, 100, 1000, 10_000]
    } else {
        sizes
    };
    let dir = tempfile::tempdir().unwrap();
    let fixture = fixture(dir.path()).await;
    // N = 1 is the baseline every figure is divided by.
    let baseline = run(dir.path(), &fixture, 1).await;
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!(
        "{EVENTS_PER_N} events per N after a warm-up one; latency = mutation sent → client's `next`"
    );
    println!(
        "baseline N=1: p50 {:.2} ms, p99 {:.2} ms",
        ms(baseline.p50),
        ms(baseline.p99)
    );
    println!(
        "{:>6} {:>9} {:>9} {:>9} {:>8} {:>8} {:>8} {:>10}",
        "N", "p50 ms", "p99 ms", "max ms", "p50 ×", "p99 ×", "max ×", "KiB/sub"
    );
    for n in sizes {
        let r = if n == 1 {
            baseline_copy(&baseline)
        } else {
            run(dir.path(), &fixture, n).await
        };
        println!(
            "{:>6} {:>9.2} {:>9.2} {:>9.2} {:>8.1} {:>8.1} {:>8.1} {:>10.1}",
            r.n,
            ms(r.p50),
            ms(r.p99),
            ms(r.max),
            ms(r.p50) / ms(baseline.p50),
            ms(r.p99) / ms(baseline.p99),
            ms(r.max) / ms(baseline.max),
            r.kib_per_subscriber,
        );
    }
}

fn baseline_copy(run: &Run) -> Run {
    Run {
        n: run.n,
        p50: run.p50,
        p99: run.p99,
        max: run.max,
        kib_per_subscriber: run.kib_per_subscriber,
    }
}

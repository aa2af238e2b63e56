//! `importContacts` of a LinkedIn export end to end over HTTP, as an ally's browser sends it:
//! the release binary serving, one `POST /graphql` with the whole CSV. Times the first
//! import (every row created) and a re-import of the same file (every row skipped), on
//! SQLite and, when `INTROGATE_TEST_POSTGRES_URL` is set, on a fresh PostgreSQL database.
//! The issue's goal is 2 s for 30,000 rows (LinkedIn's connection limit).
//!
//! `cargo bench --bench contacts_import [-- ROWS]` (default 30000).

use std::{
    fmt::Write as _,
    path::Path,
    time::{Duration, Instant},
};

use serde_json::{Value, json};

#[path = "support/server.rs"]
mod server;

use server::{PASSWORD, Server, bootstrap};

/// A signed-in ally of a new network.
async fn ally(dir: &Path, database_url: &str) -> (Server, String) {
    let (server, admin, network) = bootstrap(dir, database_url, &[]).await;
    let network = network["id"].clone();
    server.gql(Some(&admin), "mutation($n: ID!) { inviteTeamMember(input: {networkId: $n, role: ALLY, name: \"Alex\", email: \"alex@bench.test\"}) { ally { id } } }", json!({ "n": network })).await;
    let token = invitation_token(&dir.join("mail")).await;
    let joined = server.gql(None, "mutation($t: String!, $p: String!) { acceptInvitation(input: {token: $t, password: $p, acceptTerms: true}) { token } }", json!({ "t": token, "p": PASSWORD })).await;
    let ally = joined["acceptInvitation"]["token"]
        .as_str()
        .unwrap()
        .to_owned();
    (server, ally)
}

async fn invitation_token(mail_dir: &Path) -> String {
    let pattern = regex::Regex::new(r"/invitations/(igi_[A-Za-z0-9_-]+)").unwrap();
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
    panic!("no invitation email in {}", mail_dir.display());
}

/// A LinkedIn export of `rows` connections: the preamble, quoted fields, a third of the
/// rows with an email (LinkedIn shows few).
fn connections_csv(rows: usize) -> String {
    const FIRST: [&str; 8] = ["Ann", "Bo", "Cara", "Dev", "Ela", "Finn", "Gus", "Hana"];
    const LAST: [&str; 8] = ["Lee", "Chen", "Diaz", "Patel", "Fox", "Gray", "Hale", "Ito"];
    const COMPANIES: [&str; 6] = [
        "Acme, Inc.",
        "Globex",
        "Initech",
        "Hooli",
        "Umbrella",
        "Stark Industries",
    ];
    const POSITIONS: [&str; 6] = [
        "Senior Software Engineer",
        "Head of \"Platform\"",
        "Product Manager",
        "Data Scientist",
        "VP Engineering",
        "Technical Recruiter",
    ];
    let mut csv = String::from(
        "Notes:\n\"When exporting your connection data, you may notice that some of the email addresses are missing.\"\n\nFirst Name,Last Name,URL,Email Address,Company,Position,Connected On\n",
    );
    for i in 0..rows {
        let (first, last) = (FIRST[i % 8], LAST[(i / 8) % 8]);
        let email = if i % 3 == 0 {
            format!(
                "{}.{}{i}@example.com",
                first.to_lowercase(),
                last.to_lowercase()
            )
        } else {
            String::new()
        };
        let company = COMPANIES[i % 6].replace('"', "\"\"");
        let position = POSITIONS[(i / 6) % 6].replace('"', "\"\"");
        let _ = writeln!(
            csv,
            "{first},{last},https://www.linkedin.com/in/{}-{}-{i:06x},{email},\"{company}\",\"{position}\",{:02} Mar 20{:02}",
            first.to_lowercase(),
            last.to_lowercase(),
            1 + i % 28,
            10 + i % 15,
        );
    }
    csv
}

async fn import(server: &Server, token: &str, csv: &str) -> (Duration, Value) {
    let started = Instant::now();
    let body = server.gql(Some(token), "mutation($csv: String!) { importContacts(input: {csv: $csv}) { created updated skipped errorCount } }", json!({ "csv": csv })).await;
    (started.elapsed(), body["importContacts"].clone())
}

async fn run(label: &str, dir: &Path, database_url: &str, csv: &str) {
    let (server, token) = ally(dir, database_url).await;
    let (first, counts) = import(&server, &token, csv).await;
    println!(
        "{label}: first import {:.3} s ({counts})",
        first.as_secs_f64()
    );
    let (again, counts) = import(&server, &token, csv).await;
    println!(
        "{label}: re-import  {:.3} s ({counts})",
        again.as_secs_f64()
    );
}

#[tokio::main]
async fn main() {
    let rows = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(30_000);
    let csv = connections_csv(rows);
    println!("{rows} rows, {:.1} MB", csv.len() as f64 / 1e6);

    let dir = tempfile::tempdir().unwrap();
    run("SQLite", dir.path(), "sqlite://introgate.db?mode=rwc", &csv).await;

    if let Ok(admin_url) = std::env::var("INTROGATE_TEST_POSTGRES_URL") {
        let name = format!("introgate_bench_{}", uuid::Uuid::now_v7().simple());
        let admin = sea_orm::Database::connect(admin_url.as_str())
            .await
            .unwrap();
        sea_orm::ConnectionTrait::execute_unprepared(&admin, &format!("CREATE DATABASE {name}"))
            .await
            .unwrap();
        let mut url = url::Url::parse(&admin_url).unwrap();
        url.set_path(&name);
        let dir = tempfile::tempdir().unwrap();
        run("PostgreSQL", dir.path(), url.as_str(), &csv).await;
        sea_orm::ConnectionTrait::execute_unprepared(
            &admin,
            &format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"),
        )
        .await
        .ok();
    }
}

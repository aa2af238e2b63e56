//! The read path against PostGraphile 5 on the same PostgreSQL database, and on SQLite.
//!
//! ```sh
//! cargo bench --bench read_path                 # 1× and 10× the data, SQLite and PostgreSQL
//! cargo bench --bench read_path -- 1 postgres   # 1× only, PostgreSQL only
//! ```
//!
//! For each scale (1×: 1 network, 200 companies, 2,000 talent, 5,000 introduction requests,
//! ~14,000 timeline events; 10×: ten times each) and each backend, the bench makes a fresh
//! database (PostgreSQL when `INTROGATE_TEST_POSTGRES_URL` is set), migrates it and makes the
//! network with `introgate bootstrap`, writes the data straight into the tables, then:
//!
//! 1. starts `introgate serve` (with `SERVER_TIMING=true`) and, on PostgreSQL, PostGraphile
//!    5 (amber preset, Node.js 22 from `benches/postgraphile`, installed by `npm ci` on first
//!    use) on the same database, both pinned to CPU 0 (`taskset`);
//! 2. checks the two answer every query with the same rows;
//! 3. counts the SQL statements of one request of each query: introgate's `Server-Timing`,
//!    and, for both servers, PostgreSQL's own statement log (`log_statement = all` on the
//!    bench database while the probe runs, read back with `pg_read_file`);
//! 4. loads each server in turn with `wrk` (pinned to CPU 1; 16 connections, one thread),
//!    rounds alternated, the other server paused (`SIGSTOP`) meanwhile, and prints req/s,
//!    p50, p99, the server's and PostgreSQL's CPU time per request (from `/proc`), and the
//!    ratios.
//!
//! The queries: the network admins' nested list of 50 requests (talent, company with its
//! admins and 5 jobs, the request's jobs, its timeline), `Network.companies(first: 50)` with
//! admins and jobs, a single `node`, and `{ __typename }` against `GET /healthz`, both as
//! most clients send it (POST with a JSON body) and as `GET /graphql?query=…`, which like
//! `/healthz` has no body, so that the pair differs by the GraphQL work alone.
//! PostGraphile runs as the database owner without row-level security: it checks nothing of
//! who asks, where introgate authenticates the session and applies SPEC §4.1 to every row.
//!
//! `INTROGATE_BENCH_SECS` (default 10) is the length of a timed round, `INTROGATE_BENCH_ROUNDS`
//! (default 3) how many rounds each server gets per query; `{ __typename }` and `/healthz`
//! get `INTROGATE_BENCH_PAIR_ROUNDS` (default 7): a round of theirs is cheap, and on this
//! machine one round's ratio of the two strays by ±4 points. Needs `wrk` and `taskset` on the
//! PATH (Debian: `apt-get install wrk`) and npm for PostGraphile.

use std::{
    collections::HashMap,
    fmt::Write as _,
    path::{Path, PathBuf},
    process::Stdio,
    time::{Duration, Instant},
};

use base64::Engine as _;
use chrono::{DateTime, TimeDelta, Utc};
use entities::{
    account, company, company_admin,
    enums::{CompanyAdminStatus, IntroDirection, IntroStatus, JobStatus},
    intro_request, intro_request_event, intro_request_job, job, network, talent,
};
use sea_orm::{
    ActiveModelTrait, ConnectionTrait, DatabaseConnection, EntityTrait, IntoActiveModel,
    TransactionTrait,
};
use serde_json::{Value, json};
use uuid::Uuid;

#[path = "support/server.rs"]
mod server;

use server::{Server, create_network, sign_in_admin};

/// The server's CPU; the load generator gets the other one.
const SERVER_CPU: &str = "0";
const LOAD_CPU: &str = "1";
const CONNECTIONS: usize = 16;
const WARMUP_SECS: u64 = 2;

// ---------------------------------------------------------------------------------------
// The data.

/// The 1× sizes; the 10× data set multiplies each.
const COMPANIES: usize = 200;
const TALENT: usize = 2_000;
const REQUESTS: usize = 5_000;

/// A deterministic generator (SplitMix64): the same data set on every run.
struct Draw(u64);

impl Draw {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut x = self.0;
        x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        x ^ (x >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn percent(&mut self) -> usize {
        self.below(100)
    }
}

const WORDS: [&str; 24] = [
    "Backend",
    "Platform",
    "Data",
    "Product",
    "Design",
    "Growth",
    "Security",
    "Mobile",
    "Cloud",
    "Payments",
    "Search",
    "Research",
    "Infrastructure",
    "Sales",
    "Marketing",
    "Finance",
    "People",
    "Support",
    "Analytics",
    "Frontend",
    "Reliability",
    "Machine Learning",
    "Operations",
    "Legal",
];
const ROLES: [&str; 8] = [
    "Engineer",
    "Senior Engineer",
    "Staff Engineer",
    "Manager",
    "Lead",
    "Director",
    "Designer",
    "Analyst",
];

/// Where a request is, and the statuses it went through to get there (the timeline).
fn history(draw: &mut Draw, company_has_admin: bool) -> Vec<IntroStatus> {
    use IntroStatus::*;
    let roll = draw.percent();
    // Delivery waits for a point of contact when nobody receives for the company.
    let delivered: &[IntroStatus] = if company_has_admin {
        &[PendingReview, Sent]
    } else {
        &[PendingReview, AwaitingPointOfContact, Sent]
    };
    let then = |last: IntroStatus| [delivered, &[last]].concat();
    match roll {
        0..55 => then(Accepted),
        55..67 => delivered.to_vec(),
        67..76 => then(Declined),
        76..85 => vec![PendingReview, Declined],
        85..91 => vec![PendingReview],
        91..93 => vec![PendingReview, AwaitingPointOfContact],
        93..97 => vec![PendingReview, Withdrawn],
        _ => then(Expired),
    }
}

/// Row counts of what was written.
#[derive(Debug, Default)]
struct Written {
    companies: usize,
    company_admins: usize,
    jobs: usize,
    talent: usize,
    requests: usize,
    request_jobs: usize,
    events: usize,
}

/// Inserts `rows` in statements of `per_statement` rows.
async fn insert<A>(db: &impl ConnectionTrait, rows: Vec<A>, per_statement: usize)
where
    A: ActiveModelTrait + Send,
{
    let mut rows = rows.into_iter().peekable();
    while rows.peek().is_some() {
        let chunk: Vec<A> = rows.by_ref().take(per_statement).collect();
        A::Entity::insert_many(chunk).exec(db).await.unwrap();
    }
}

/// The network's companies, their admins and jobs, talent, requests with their jobs and
/// timelines: `scale` times the 1× sizes, written in one transaction.
async fn seed(database_url: &str, scale: usize) -> Written {
    let db = sea_orm::Database::connect(database_url).await.unwrap();
    let network = network::Entity::find().one(&db).await.unwrap().unwrap();
    let admin = account::Entity::find().one(&db).await.unwrap().unwrap();
    let mut draw = Draw(scale as u64);
    let now = Utc::now();
    // The requests arrive evenly over the last 200 days.
    let start = now - TimeDelta::days(200);
    let txn = db.begin().await.unwrap();
    let mut written = Written::default();

    let mut accounts = Vec::new();
    let mut new_account = |email: &str, name: &str, at: DateTime<Utc>| {
        let id = Uuid::now_v7();
        accounts.push(
            account::Model {
                id,
                email: email.to_owned(),
                email_key: email.to_lowercase(),
                name: name.to_owned(),
                // Nobody signs in as them.
                password_hash: "!".into(),
                contacts_imported_at: None,
                created_at: at,
                updated_at: at,
            }
            .into_active_model(),
        );
        id
    };

    // Companies: about one in eight has nobody receiving its introductions (only an
    // invited admin, or none); the rest one to three active admins. Five to ten jobs each.
    let mut companies = Vec::new();
    let mut admins = Vec::new();
    let mut jobs = Vec::new();
    // Per company: its job ids, and its active admin accounts.
    let mut company_jobs: Vec<Vec<Uuid>> = Vec::new();
    let mut company_receivers: Vec<Vec<Uuid>> = Vec::new();
    let mut company_invited: Vec<Option<Uuid>> = Vec::new();
    let mut company_ids = Vec::new();
    for c in 0..COMPANIES * scale {
        let id = Uuid::now_v7();
        let name = format!(
            "{} {} {c}",
            WORDS[c % WORDS.len()],
            ["Labs", "Systems", "AG"][c % 3]
        );
        let domain = format!("company{c}.test");
        companies.push(
            company::Model {
                id,
                network_id: network.id,
                name,
                domain: Some(domain.clone()),
                website_url: Some(format!("https://{domain}")),
                created_at: start,
                updated_at: start,
            }
            .into_active_model(),
        );
        let (active, invited) = if draw.below(8) == 0 {
            (0, draw.below(2))
        } else {
            (1 + draw.below(3), draw.below(4) / 3)
        };
        let mut receivers = Vec::new();
        let mut invited_id = None;
        for a in 0..active + invited {
            let admin_id = Uuid::now_v7();
            let email = format!("admin{a}@{domain}");
            let name = format!("Admin {a} of {c}");
            let account_id = (a < active).then(|| new_account(&email, &name, start));
            receivers.extend(account_id);
            if account_id.is_none() {
                invited_id = Some(admin_id);
            }
            admins.push(
                company_admin::Model {
                    id: admin_id,
                    network_id: network.id,
                    company_id: id,
                    name,
                    email_key: email.clone(),
                    email,
                    status: if account_id.is_some() {
                        CompanyAdminStatus::Active
                    } else {
                        CompanyAdminStatus::Invited
                    },
                    account_id,
                    invited_at: start,
                    accepted_at: account_id.map(|_| start),
                    removed_at: None,
                }
                .into_active_model(),
            );
        }
        let mut ids = Vec::new();
        for j in 0..5 + draw.below(6) {
            let job_id = Uuid::now_v7();
            ids.push(job_id);
            let closed = draw.below(5) == 0;
            jobs.push(
                job::Model {
                    id: job_id,
                    network_id: network.id,
                    company_id: id,
                    title: format!(
                        "{} {}",
                        WORDS[draw.below(WORDS.len())],
                        ROLES[draw.below(ROLES.len())]
                    ),
                    location: Some(["Berlin", "Remote", "London", "Lisbon"][j % 4].into()),
                    department: Some(WORDS[draw.below(WORDS.len())].into()),
                    url: Some(format!("https://{domain}/jobs/{j}")),
                    status: if closed {
                        JobStatus::Closed
                    } else {
                        JobStatus::Open
                    },
                    greenhouse_job_id: None,
                    created_at: start,
                    updated_at: start,
                    closed_at: closed.then_some(start),
                }
                .into_active_model(),
            );
        }
        company_ids.push(id);
        company_jobs.push(ids);
        company_receivers.push(receivers);
        company_invited.push(invited_id);
    }

    // Talent: half verified, each with an account (they ask for their own introductions).
    let mut talents = Vec::new();
    let mut talent_ids = Vec::new();
    let mut talent_accounts = Vec::new();
    for t in 0..TALENT * scale {
        let id = Uuid::now_v7();
        let email = format!("talent{t}@people.test");
        let name = format!("Talent {t}");
        let account_id = new_account(&email, &name, start);
        talents.push(
            talent::Model {
                id,
                network_id: network.id,
                account_id: Some(account_id),
                name,
                email_key: email.clone(),
                email,
                headline: Some(format!(
                    "{} {}",
                    WORDS[draw.below(WORDS.len())],
                    ROLES[draw.below(ROLES.len())]
                )),
                linkedin_url: Some(format!("https://www.linkedin.com/in/talent{t}")),
                verified: t % 2 == 0,
                search_terms: None,
                created_at: start,
                updated_at: start,
            }
            .into_active_model(),
        );
        talent_ids.push(id);
        talent_accounts.push(account_id);
    }

    // Requests, newest last, with the company's jobs they name and their timelines.
    let mut requests = Vec::new();
    let mut request_jobs = Vec::new();
    let mut events = Vec::new();
    let count = REQUESTS * scale;
    let spacing = TimeDelta::seconds(200 * 86_400 / count as i64);
    // A talent and a company have at most one open request each way (as the schema says).
    let mut open = std::collections::HashSet::new();
    for r in 0..count {
        let id = Uuid::now_v7();
        let (t, c, company_asks, path) = loop {
            let t = draw.below(talent_ids.len());
            let c = draw.below(company_ids.len());
            let company_asks = draw.below(5) == 0 && !company_receivers[c].is_empty();
            let path = history(&mut draw, !company_receivers[c].is_empty());
            let is_open = matches!(
                path.last(),
                Some(
                    IntroStatus::PendingReview
                        | IntroStatus::AwaitingPointOfContact
                        | IntroStatus::Sent
                )
            );
            if !is_open || open.insert((t, c, company_asks)) {
                break (t, c, company_asks, path);
            }
        };
        let (direction, requested_by) = if company_asks {
            (
                IntroDirection::CompanyToTalent,
                company_receivers[c][draw.below(company_receivers[c].len())],
            )
        } else {
            (IntroDirection::TalentToCompany, talent_accounts[t])
        };
        let created = start + spacing * r as i32;
        let mut at = created;
        let mut sent_at = None;
        let mut decided_at = None;
        let mut from = None;
        for &status in &path {
            events.push(
                intro_request_event::Model {
                    id: Uuid::now_v7(),
                    network_id: network.id,
                    intro_request_id: id,
                    actor_account_id: Some(admin.id),
                    from_status: from,
                    to_status: status,
                    note: (status == IntroStatus::Declined)
                        .then(|| "Not hiring for this right now".to_owned()),
                    at,
                }
                .into_active_model(),
            );
            match status {
                IntroStatus::Sent => sent_at = Some(at),
                IntroStatus::Accepted
                | IntroStatus::Declined
                | IntroStatus::Withdrawn
                | IntroStatus::Expired => decided_at = Some(at),
                _ => {}
            }
            from = Some(status);
            at += TimeDelta::hours(1 + draw.below(48) as i64);
        }
        let status = *path.last().unwrap();
        let point_of_contact = path
            .contains(&IntroStatus::AwaitingPointOfContact)
            .then(|| company_invited[c])
            .flatten()
            .filter(|_| status != IntroStatus::AwaitingPointOfContact);
        requests.push(
            intro_request::Model {
                id,
                network_id: network.id,
                direction,
                talent_id: talent_ids[t],
                company_id: company_ids[c],
                message: format!("Hello from talent {t}: I'd love to talk about your team."),
                status,
                requested_by_account_id: requested_by,
                point_of_contact_id: point_of_contact,
                decline_reason: (status == IntroStatus::Declined)
                    .then(|| "Not hiring for this right now".to_owned()),
                created_at: created,
                updated_at: at,
                sent_at,
                decided_at,
                reminded_at: None,
            }
            .into_active_model(),
        );
        // Most requests name one or two of the company's jobs.
        let jobs_of_company = &company_jobs[c];
        let named = [0, 1, 1, 1, 2][draw.below(5)];
        let first = draw.below(jobs_of_company.len());
        for k in 0..named {
            request_jobs.push(
                intro_request_job::Model {
                    intro_request_id: id,
                    job_id: jobs_of_company[(first + k) % jobs_of_company.len()],
                }
                .into_active_model(),
            );
        }
    }

    written.companies = companies.len();
    written.company_admins = admins.len();
    written.jobs = jobs.len();
    written.talent = talents.len();
    written.requests = requests.len();
    written.request_jobs = request_jobs.len();
    written.events = events.len();
    insert(&txn, accounts, 1_000).await;
    insert(&txn, companies, 1_000).await;
    insert(&txn, admins, 1_000).await;
    insert(&txn, jobs, 1_000).await;
    insert(&txn, talents, 1_000).await;
    insert(&txn, requests, 1_000).await;
    insert(&txn, request_jobs, 1_000).await;
    insert(&txn, events, 1_000).await;
    txn.commit().await.unwrap();
    if db.get_database_backend() == sea_orm::DatabaseBackend::Postgres {
        // This machine's PostgreSQL runs without autovacuum: analyse as it would have.
        db.execute_unprepared("VACUUM ANALYZE").await.unwrap();
    } else {
        db.execute_unprepared("ANALYZE").await.unwrap();
    }
    written
}

// ---------------------------------------------------------------------------------------
// The queries, as each server spells them.

/// One query in introgate's and PostGraphile's words, and how to reduce either answer to
/// the rows it holds (ids as UUIDs, in order), to check they agree.
struct Query {
    name: &'static str,
    /// Sent with the network admin's session (else anonymously).
    signed_in: bool,
    introgate: String,
    postgraphile: Option<String>,
}

const NESTED: &str = "query($n: ID!, $first: Int!) { node(id: $n) { ... on Network { introRequests(first: $first) { nodes { id status direction message createdAt talent { id name headline } company { id name admins { id name email status } jobs(first: 5) { nodes { id title status } } } jobs { id title } events { at fromStatus toStatus note } } } } } }";
const NESTED_PG: &str = "query($n: UUID!, $first: Int!) { allIntroRequests(condition: {networkId: $n}, orderBy: PRIMARY_KEY_DESC, first: $first) { nodes { rowId status direction message createdAt talentByTalentId { rowId name headline } companyByCompanyId { rowId name companyAdminsByCompanyId(orderBy: PRIMARY_KEY_ASC) { nodes { rowId name email status } } jobsByCompanyId(orderBy: PRIMARY_KEY_ASC, first: 5) { nodes { rowId title status } } } introRequestJobsByIntroRequestId(orderBy: JOB_ID_ASC) { nodes { jobByJobId { rowId title } } } introRequestEventsByIntroRequestId(orderBy: PRIMARY_KEY_ASC) { nodes { at fromStatus toStatus note } } } } }";
const COMPANIES_Q: &str = "query($n: ID!) { node(id: $n) { ... on Network { companies(first: 50) { nodes { id name domain websiteUrl admins { id name email status } jobs(first: 5) { nodes { id title status } } } } } } }";
const COMPANIES_PG: &str = "query($n: UUID!) { allCompanies(condition: {networkId: $n}, orderBy: PRIMARY_KEY_ASC, first: 50) { nodes { rowId name domain websiteUrl companyAdminsByCompanyId(orderBy: PRIMARY_KEY_ASC) { nodes { rowId name email status } } jobsByCompanyId(orderBy: PRIMARY_KEY_ASC, first: 5) { nodes { rowId title status } } } } }";
const NODE: &str = "query($r: ID!) { node(id: $r) { ... on IntroRequest { id status message talent { id name } company { id name } } } }";
const NODE_PG: &str = "query($r: UUID!) { introRequestByRowId(rowId: $r) { rowId status message talentByTalentId { rowId name } companyByCompanyId { rowId name } } }";
const TYPENAME: &str = "{ __typename }";
/// The query names the report refers to.
const TYPENAME_ANONYMOUS: &str = "{ __typename }";
const TYPENAME_SIGNED_IN: &str = "{ __typename } +auth";
/// `{ __typename }` as a GET: no body, like `/healthz`.
const TYPENAME_GET_PATH: &str = "/graphql?query=%7B__typename%7D";

/// A GraphQL request body.
fn body(query: &str, variables: Value) -> String {
    json!({ "query": query, "variables": variables }).to_string()
}

/// The UUID behind one of introgate's global ids (`base64url("Kind:<uuid>")`).
fn uuid_of(global_id: &str) -> String {
    let raw = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(global_id)
        .expect("a global id");
    let text = String::from_utf8(raw).unwrap();
    let (_, id) = text.split_once(':').unwrap();
    Uuid::parse_str(id).unwrap().to_string()
}

/// The ids (as UUIDs) and plain values of an answer, in document order, with the
/// connection wrappers and the two servers' field names set aside: what must agree.
fn rows(value: &Value, introgate: bool, out: &mut Vec<String>) {
    match value {
        Value::Object(fields) => {
            for (key, value) in fields {
                match (key.as_str(), value) {
                    // Timestamps: both servers print the same instant in their own format.
                    ("createdAt" | "at", _) => {}
                    ("id", Value::String(id)) if introgate => out.push(uuid_of(id)),
                    _ => rows(value, introgate, out),
                }
            }
        }
        Value::Array(items) => {
            out.push(format!("[{}", items.len()));
            for item in items {
                rows(item, introgate, out);
            }
        }
        Value::String(s) => out.push(s.clone()),
        other => out.push(other.to_string()),
    }
}

// ---------------------------------------------------------------------------------------
// The servers.

/// A server under load: where to send what, and whose CPU to count.
struct Target {
    label: &'static str,
    url: String,
    pid: u32,
    token: Option<String>,
}

/// PostGraphile 5 on `database_url`, pinned to the server CPU.
struct PostGraphile {
    child: std::process::Child,
    url: String,
}

impl Drop for PostGraphile {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn postgraphile_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("benches/postgraphile")
}

/// `npm ci` in `benches/postgraphile` unless it was done.
fn install_postgraphile() {
    let dir = postgraphile_dir();
    if dir.join("node_modules/.bin/postgraphile").exists() {
        return;
    }
    println!(
        "installing PostGraphile 5 and Node.js 22 (npm ci in {})",
        dir.display()
    );
    let status = std::process::Command::new("npm")
        .args(["ci", "--no-audit", "--no-fund"])
        .current_dir(&dir)
        .status()
        .expect("npm");
    assert!(status.success(), "npm ci failed");
}

impl PostGraphile {
    async fn start(database_url: &str) -> Self {
        install_postgraphile();
        let dir = postgraphile_dir();
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let bin = dir.join("node_modules/.bin");
        let path = format!(
            "{}:{}",
            bin.display(),
            std::env::var("PATH").unwrap_or_default()
        );
        let child = std::process::Command::new("taskset")
            .args(["-c", SERVER_CPU])
            .arg(bin.join("node"))
            .arg(dir.join("node_modules/postgraphile/dist/cli-run.js"))
            .args(["-P", "postgraphile/presets/amber", "-s", "public"])
            .args(["-c", database_url, "-p", &port.to_string()])
            .current_dir(&dir)
            .env("PATH", path)
            .env("NODE_ENV", "production")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .spawn()
            .expect("start PostGraphile");
        let url = format!("http://127.0.0.1:{port}/graphql");
        let client = reqwest::Client::new();
        let started = Instant::now();
        loop {
            let ready = client
                .post(&url)
                .header("content-type", "application/json")
                .body(body(TYPENAME, json!({})))
                .send()
                .await
                .is_ok_and(|r| r.status().is_success());
            if ready {
                break;
            }
            assert!(
                started.elapsed() < Duration::from_secs(60),
                "PostGraphile did not start"
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        Self { child, url }
    }
}

/// One POST: the parsed answer (checked to have no `errors`) and the statement count of
/// introgate's `Server-Timing` header, if any.
async fn post(target: &Target, body: &str, signed_in: bool) -> (Value, Option<u64>) {
    let mut request = reqwest::Client::new()
        .post(&target.url)
        .header("content-type", "application/json")
        .body(body.to_owned());
    if let Some(token) = target.token.as_ref().filter(|_| signed_in) {
        request = request.bearer_auth(token);
    }
    let response = request.send().await.unwrap();
    let statements = response
        .headers()
        .get("server-timing")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split("desc=\"").nth(1))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|n| n.parse().ok());
    let answer: Value = response.json().await.unwrap();
    assert!(answer.get("errors").is_none(), "{}: {answer}", target.label);
    (answer["data"].clone(), statements)
}

// ---------------------------------------------------------------------------------------
// Measuring.

/// CPU time (user + system, in clock ticks) of `pid` and its descendants.
fn tree_ticks(pid: u32) -> u64 {
    let stats = all_stats();
    let mut total = 0;
    let mut family = vec![pid];
    while let Some(p) = family.pop() {
        for stat in &stats {
            if stat.pid == p {
                total += stat.ticks;
            }
            if stat.ppid == p {
                family.push(stat.pid);
            }
        }
    }
    total
}

/// CPU time of each PostgreSQL process on the machine, by pid: backends come and go, so
/// a delta is taken per process.
fn postgres_ticks() -> HashMap<u32, u64> {
    all_stats()
        .into_iter()
        .filter(|s| s.comm == "postgres")
        .map(|s| (s.pid, s.ticks))
        .collect()
}

/// CPU ticks spent between two [`postgres_ticks`] (what exited meanwhile is not counted).
fn postgres_spent(before: &HashMap<u32, u64>, after: &HashMap<u32, u64>) -> u64 {
    after
        .iter()
        .map(|(pid, ticks)| ticks.saturating_sub(before.get(pid).copied().unwrap_or(0)))
        .sum()
}

struct Stat {
    pid: u32,
    ppid: u32,
    comm: String,
    ticks: u64,
}

fn all_stats() -> Vec<Stat> {
    let mut stats = Vec::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        let Ok(text) = std::fs::read_to_string(entry.path().join("stat")) else {
            continue;
        };
        // `pid (comm) state ppid …`: comm may hold spaces, so split at the last ')'.
        let (Some(open), Some(close)) = (text.find('('), text.rfind(')')) else {
            continue;
        };
        let comm = text[open + 1..close].to_owned();
        let fields: Vec<&str> = text[close + 2..].split_whitespace().collect();
        let field = |n: usize| fields[n - 3].parse::<u64>().unwrap_or(0);
        stats.push(Stat {
            pid,
            ppid: field(4) as u32,
            comm,
            ticks: field(14) + field(15),
        });
    }
    stats
}

/// Milliseconds per clock tick (`sysconf(_SC_CLK_TCK)` is 100 on Linux).
const TICK_MS: f64 = 10.0;

#[derive(Debug, Clone, Copy, Default)]
struct Round {
    requests: u64,
    rps: f64,
    p50_ms: f64,
    p99_ms: f64,
    server_cpu_ms: f64,
    postgres_cpu_ms: f64,
}

fn wrk_duration_ms(text: &str) -> f64 {
    let split = text
        .find(|c: char| c.is_ascii_alphabetic())
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let number: f64 = number.parse().unwrap();
    number
        * match unit {
            "us" => 0.001,
            "ms" => 1.0,
            "s" => 1000.0,
            "m" => 60_000.0,
            other => panic!("wrk unit {other}"),
        }
}

/// `wrk` on `target` for `secs` seconds with `script` (the request): what it measured, and
/// the CPU the server and PostgreSQL spent meanwhile.
fn wrk(target: &Target, path: &str, script: &Path, secs: u64) -> Round {
    let (server_before, postgres_before) = (tree_ticks(target.pid), postgres_ticks());
    let url = format!("{}{path}", target.url.trim_end_matches("/graphql"));
    let output = std::process::Command::new("taskset")
        .args(["-c", LOAD_CPU, "wrk", "--latency", "-t1"])
        .arg(format!("-c{CONNECTIONS}"))
        .arg(format!("-d{secs}s"))
        .arg("-s")
        .arg(script)
        .arg(&url)
        .output()
        .expect("wrk (apt-get install wrk)");
    let (server_after, postgres_after) = (tree_ticks(target.pid), postgres_ticks());
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "wrk: {text}");
    assert!(
        !text.contains("Non-2xx") && !text.contains("Socket errors"),
        "{}: {text}",
        target.label
    );
    let value_after = |prefix: &str| {
        text.lines()
            .find_map(|l| l.trim().strip_prefix(prefix).map(|r| r.trim().to_owned()))
            .unwrap_or_else(|| panic!("wrk printed no {prefix}: {text}"))
    };
    let requests: u64 = text
        .lines()
        .find(|l| l.contains(" requests in "))
        .and_then(|l| l.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .unwrap();
    let requests = requests.max(1);
    Round {
        requests,
        rps: value_after("Requests/sec:").parse().unwrap(),
        p50_ms: wrk_duration_ms(&value_after("50%")),
        p99_ms: wrk_duration_ms(&value_after("99%")),
        server_cpu_ms: server_after.saturating_sub(server_before) as f64 * TICK_MS
            / requests as f64,
        postgres_cpu_ms: postgres_spent(&postgres_before, &postgres_after) as f64 * TICK_MS
            / requests as f64,
    }
}

/// Sends `SIGSTOP` or `SIGCONT` to `pid`.
fn signal(pid: u32, name: &str) {
    let status = std::process::Command::new("kill")
        .arg(format!("-{name}"))
        .arg(pid.to_string())
        .status()
        .expect("kill");
    assert!(status.success(), "kill -{name} {pid}");
}

/// A wrk script sending `body` with `method` (and the bearer token, if any).
fn script(dir: &Path, name: &str, method: &str, body: &str, token: Option<&str>) -> PathBuf {
    let mut lua = format!("wrk.method = \"{method}\"\n");
    if method == "POST" {
        writeln!(lua, "wrk.body = [==[{body}]==]").unwrap();
        lua.push_str("wrk.headers[\"Content-Type\"] = \"application/json\"\n");
    }
    if let Some(token) = token {
        writeln!(lua, "wrk.headers[\"Authorization\"] = \"Bearer {token}\"").unwrap();
    }
    let path = dir.join(format!("{name}.lua"));
    std::fs::write(&path, lua).unwrap();
    path
}

/// The median of each figure over the rounds.
fn median(rounds: &[Round]) -> Round {
    let mid = |f: fn(&Round) -> f64| {
        let mut v: Vec<f64> = rounds.iter().map(f).collect();
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    Round {
        requests: rounds.iter().map(|r| r.requests).sum(),
        rps: mid(|r| r.rps),
        p50_ms: mid(|r| r.p50_ms),
        p99_ms: mid(|r| r.p99_ms),
        server_cpu_ms: mid(|r| r.server_cpu_ms),
        postgres_cpu_ms: mid(|r| r.postgres_cpu_ms),
    }
}

// ---------------------------------------------------------------------------------------
// PostgreSQL's statement log.

/// Reads what PostgreSQL logged since `offset` (the log's size before), if the server
/// lets this connection read its log.
struct StatementLog {
    admin: DatabaseConnection,
    file: String,
    database: String,
}

impl StatementLog {
    async fn open(admin_url: &str, database: &str) -> Option<Self> {
        let admin = sea_orm::Database::connect(admin_url).await.ok()?;
        let current = admin
            .query_one_raw(sea_orm::Statement::from_string(
                admin.get_database_backend(),
                "SELECT coalesce(pg_current_logfile(), '') AS f",
            ))
            .await
            .ok()??
            .try_get::<String>("", "f")
            .ok()?;
        // Debian's clusters log to a file outside the data directory, by `pg_ctlcluster`.
        let candidates = [
            current,
            "/var/log/postgresql/postgresql-15-main.log".into(),
            "/var/log/postgresql/postgresql-16-main.log".into(),
            "/var/log/postgresql/postgresql-17-main.log".into(),
        ];
        for file in candidates.into_iter().filter(|f| !f.is_empty()) {
            let log = Self {
                admin: admin.clone(),
                file,
                database: database.to_owned(),
            };
            if log.size().await.is_some() {
                return Some(log);
            }
        }
        None
    }

    async fn size(&self) -> Option<i64> {
        self.admin
            .query_one_raw(sea_orm::Statement::from_sql_and_values(
                self.admin.get_database_backend(),
                "SELECT (pg_stat_file($1)).size AS s",
                [self.file.clone().into()],
            ))
            .await
            .ok()??
            .try_get::<i64>("", "s")
            .ok()
    }

    /// Statements the bench database logged after `offset`.
    async fn statements_since(&self, offset: i64) -> usize {
        // The log is written by another process: give it a moment.
        tokio::time::sleep(Duration::from_millis(300)).await;
        let end = self.size().await.unwrap_or(offset);
        let text: String = self
            .admin
            .query_one_raw(sea_orm::Statement::from_sql_and_values(
                self.admin.get_database_backend(),
                "SELECT pg_read_file($1, $2, $3) AS t",
                [
                    self.file.clone().into(),
                    offset.into(),
                    (end - offset).into(),
                ],
            ))
            .await
            .unwrap()
            .unwrap()
            .try_get("", "t")
            .unwrap_or_default();
        let marker = format!("@{} LOG:  ", self.database);
        text.lines()
            .filter_map(|l| l.split_once(&marker).map(|(_, rest)| rest))
            .filter(|rest| rest.starts_with("statement: ") || rest.starts_with("execute "))
            .count()
    }

    async fn set_logging(&self, on: bool) {
        let sql = if on {
            format!("ALTER DATABASE {} SET log_statement = 'all'", self.database)
        } else {
            format!("ALTER DATABASE {} RESET log_statement", self.database)
        };
        self.admin.execute_unprepared(&sql).await.unwrap();
    }
}

// ---------------------------------------------------------------------------------------
// One scale on one backend.

struct Figures {
    backend: &'static str,
    scale: usize,
    /// Per query: introgate's and (on PostgreSQL) PostGraphile's medians.
    queries: Vec<(&'static str, Round, Option<Round>)>,
    /// Per query: statements of one request, introgate's by `Server-Timing`, PostGraphile's
    /// by PostgreSQL's log.
    statements: Vec<(String, Option<u64>, Option<usize>)>,
    healthz: Round,
    /// `{ __typename }` sent with GET.
    typename_get: Round,
    /// `{ __typename }`'s req/s over `/healthz`'s, round by round: POST, then GET.
    pair_ratios: [Vec<f64>; 2],
}

struct Setup {
    backend: &'static str,
    /// The URL introgate and the seeding use.
    database_url: String,
    /// PostgreSQL only: the server's admin URL and the bench database's name.
    postgres: Option<(String, String)>,
}

async fn run(setup: &Setup, scale: usize) -> Figures {
    let secs: u64 = env_number("INTROGATE_BENCH_SECS", 10);
    let rounds: usize = env_number("INTROGATE_BENCH_ROUNDS", 3);
    let pair_rounds: usize = env_number("INTROGATE_BENCH_PAIR_ROUNDS", 7);
    let dir = tempfile::tempdir().unwrap();
    create_network(dir.path(), &setup.database_url);
    let started = Instant::now();
    let written = seed(&setup.database_url, scale).await;
    println!(
        "{} {scale}×: wrote {written:?} in {:.1} s",
        setup.backend,
        started.elapsed().as_secs_f64()
    );

    let env = [("SERVER_TIMING", "true"), ("RUST_LOG", "warn")];
    let server = Server::start_on(Some(SERVER_CPU), dir.path(), &setup.database_url, &env).await;
    let (token, network) = sign_in_admin(&server).await;
    let network_gid = network["id"].as_str().unwrap().to_owned();
    let network_uuid = uuid_of(&network_gid);
    let ours = Target {
        label: "introgate",
        url: format!("{}/graphql", server.address),
        pid: server.pid(),
        token: Some(token.clone()),
    };

    // The newest request, for `node`.
    let newest = post(
        &ours,
        &body(NESTED, json!({ "n": network_gid, "first": 1 })),
        true,
    )
    .await
    .0["node"]["introRequests"]["nodes"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let queries = [
        Query {
            name: "nested list (50)",
            signed_in: true,
            introgate: body(NESTED, json!({ "n": network_gid, "first": 50 })),
            postgraphile: Some(body(NESTED_PG, json!({ "n": network_uuid, "first": 50 }))),
        },
        Query {
            name: "companies (50)",
            signed_in: true,
            introgate: body(COMPANIES_Q, json!({ "n": network_gid })),
            postgraphile: Some(body(COMPANIES_PG, json!({ "n": network_uuid }))),
        },
        Query {
            name: "node",
            signed_in: true,
            introgate: body(NODE, json!({ "r": newest })),
            postgraphile: Some(body(NODE_PG, json!({ "r": uuid_of(&newest) }))),
        },
        Query {
            name: TYPENAME_ANONYMOUS,
            signed_in: false,
            introgate: body(TYPENAME, json!({})),
            postgraphile: Some(body(TYPENAME, json!({}))),
        },
        Query {
            name: TYPENAME_SIGNED_IN,
            signed_in: true,
            introgate: body(TYPENAME, json!({})),
            postgraphile: None,
        },
    ];

    // introgate's answers, and its statements per request from `Server-Timing`.
    let nested_5 = Query {
        name: "nested list (5)",
        signed_in: true,
        introgate: body(NESTED, json!({ "n": network_gid, "first": 5 })),
        postgraphile: Some(body(NESTED_PG, json!({ "n": network_uuid, "first": 5 }))),
    };
    let probed: Vec<&Query> = std::iter::once(&nested_5).chain(&queries).collect();
    let mut answers = Vec::new();
    let mut statements = Vec::new();
    for query in &probed {
        let (answer, timing) = post(&ours, &query.introgate, query.signed_in).await;
        answers.push(answer);
        statements.push((query.name.to_owned(), timing, None));
    }
    // introgate stops before PostGraphile's statements are counted: PostgreSQL's log
    // tells statements apart by database only, and introgate has background work.
    drop(server);

    // PostGraphile: the same rows, and its statements per request from PostgreSQL's log
    // (`log_statement = all` on the bench database while it is probed).
    if let Some((admin_url, database)) = &setup.postgres {
        let log = StatementLog::open(admin_url, database).await;
        if log.is_none() {
            println!("  (PostgreSQL's log is not readable here: no statement counts from it)");
        }
        if let Some(log) = &log {
            log.set_logging(true).await;
        }
        let postgraphile = PostGraphile::start(&setup.database_url).await;
        let theirs = Target {
            label: "PostGraphile",
            url: postgraphile.url.clone(),
            pid: postgraphile.child.id(),
            token: None,
        };
        // A first pass plans each document, and lets the log of the start-up settle.
        for query in &probed {
            if let Some(pg_query) = &query.postgraphile {
                post(&theirs, pg_query, false).await;
            }
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
        for ((query, answer), counted) in probed.iter().zip(&answers).zip(&mut statements) {
            let Some(pg_query) = &query.postgraphile else {
                continue;
            };
            let offset = match &log {
                Some(log) => log.size().await,
                None => None,
            };
            let (their_answer, _) = post(&theirs, pg_query, false).await;
            if let (Some(log), Some(offset)) = (&log, offset) {
                counted.2 = Some(log.statements_since(offset).await);
            }
            let (mut a, mut b) = (Vec::new(), Vec::new());
            rows(answer, true, &mut a);
            rows(&their_answer, false, &mut b);
            assert_eq!(
                a, b,
                "{}: introgate and PostGraphile disagree\n{answer}\n{their_answer}",
                query.name
            );
            assert!(a.len() > 1 || query.name.contains("typename"));
        }
        if let Some(log) = &log {
            log.set_logging(false).await;
        }
        println!("  PostGraphile answers every query with introgate's rows");
    }

    // Fresh servers for the load; PostGraphile's connections now log nothing.
    let server = Server::start_on(Some(SERVER_CPU), dir.path(), &setup.database_url, &env).await;
    let postgraphile = match &setup.postgres {
        Some(_) => Some(PostGraphile::start(&setup.database_url).await),
        None => None,
    };
    let ours = Target {
        pid: server.pid(),
        url: format!("{}/graphql", server.address),
        ..ours
    };
    let theirs = postgraphile.as_ref().map(|p| Target {
        label: "PostGraphile",
        url: p.url.clone(),
        pid: p.child.id(),
        token: None,
    });

    let scripts = dir.path();
    let mut figures = Vec::new();
    let mut healthz = Vec::new();
    let mut typename_get = Vec::new();
    let mut pair_ratios = [Vec::new(), Vec::new()];
    for (q, query) in queries.iter().enumerate() {
        // Who takes turns on this query: introgate, PostGraphile, and for the anonymous
        // `{ __typename }` the same sent with GET and introgate's `/healthz` (what the HTTP
        // stack alone costs).
        let token = query.signed_in.then_some(token.as_str());
        let mut turns = vec![(
            &ours,
            "/graphql",
            script(
                scripts,
                &format!("ours{q}"),
                "POST",
                &query.introgate,
                token,
            ),
        )];
        if let (Some(theirs), Some(b)) = (&theirs, &query.postgraphile) {
            turns.push((
                theirs,
                "/graphql",
                script(scripts, &format!("theirs{q}"), "POST", b, None),
            ));
        }
        let against_healthz = query.name == TYPENAME_ANONYMOUS;
        if against_healthz {
            turns.push((
                &ours,
                TYPENAME_GET_PATH,
                script(scripts, "typename_get", "GET", "", None),
            ));
            turns.push((
                &ours,
                "/healthz",
                script(scripts, "healthz", "GET", "", None),
            ));
        }
        // The server not under load is paused for the round: the other's background work
        // (V8's collector after a round, our pollers) must not land in it.
        let servers: Vec<u32> = [Some(ours.pid), theirs.as_ref().map(|t| t.pid)]
            .into_iter()
            .flatten()
            .collect();
        let load = |target: &Target, path: &str, script: &Path, secs: u64| {
            for &pid in &servers {
                signal(pid, if pid == target.pid { "CONT" } else { "STOP" });
            }
            wrk(target, path, script, secs)
        };
        for (target, path, script) in &turns {
            load(target, path, script, WARMUP_SECS);
        }
        let mut rounds_of: Vec<Vec<Round>> = vec![Vec::new(); turns.len()];
        let rounds = if against_healthz { pair_rounds } else { rounds };
        for round in 0..rounds {
            // Rotate who goes first, so nobody always meets a warmer (or busier) machine.
            for k in 0..turns.len() {
                let turn = (round + k) % turns.len();
                let (target, path, script) = &turns[turn];
                rounds_of[turn].push(load(target, path, script, secs));
            }
        }
        for &pid in &servers {
            signal(pid, "CONT");
        }
        let medians: Vec<Round> = rounds_of.iter().map(|r| median(r)).collect();
        let theirs_median = (theirs.is_some() && query.postgraphile.is_some()).then(|| medians[1]);
        if against_healthz {
            let [.., get, health] = &rounds_of[..] else {
                unreachable!("the GET and /healthz turns")
            };
            healthz.push(*medians.last().unwrap());
            typename_get.push(median(get));
            pair_ratios = [&rounds_of[0], get].map(|typename| {
                typename
                    .iter()
                    .zip(health)
                    .map(|(ours, healthz)| ours.rps / healthz.rps)
                    .collect()
            });
        }
        figures.push((query.name, medians[0], theirs_median));
    }
    Figures {
        backend: setup.backend,
        scale,
        queries: figures,
        statements,
        healthz: healthz.first().copied().unwrap_or_default(),
        typename_get: typename_get.first().copied().unwrap_or_default(),
        pair_ratios,
    }
}

fn env_number<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn report(all: &[Figures]) {
    for f in all {
        println!();
        println!(
            "== {} {}× — {CONNECTIONS} connections, servers on CPU {SERVER_CPU}, wrk on CPU {LOAD_CPU}; medians of the rounds",
            f.backend, f.scale
        );
        println!(
            "{:<18} {:<13} {:>9} {:>8} {:>8} {:>10} {:>10}",
            "query", "server", "req/s", "p50 ms", "p99 ms", "cpu ms/req", "pg ms/req"
        );
        let line = |query: &str, server: &str, r: &Round| {
            println!(
                "{query:<18} {server:<13} {:>9.0} {:>8.2} {:>8.2} {:>10.2} {:>10.2}",
                r.rps, r.p50_ms, r.p99_ms, r.server_cpu_ms, r.postgres_cpu_ms
            );
        };
        for (query, ours, theirs) in &f.queries {
            line(query, "introgate", ours);
            if let Some(theirs) = theirs {
                line(query, "PostGraphile", theirs);
                println!(
                    "{:<18} {:<13} {:>8.2}× {:>7.2}× {:>7.2}×",
                    "",
                    "ratio",
                    ours.rps / theirs.rps,
                    ours.p50_ms / theirs.p50_ms,
                    ours.p99_ms / theirs.p99_ms
                );
            }
        }
        line("{ __typename } GET", "introgate", &f.typename_get);
        line("GET /healthz", "introgate", &f.healthz);
        let rps_of = |name: &str| {
            f.queries
                .iter()
                .find(|(q, _, _)| *q == name)
                .map_or(0.0, |(_, ours, _)| ours.rps)
        };
        println!(
            "{{ __typename }} reaches {:.0}% of /healthz's req/s over GET, {:.0}% over POST ({:.0}% signed in)",
            100.0 * f.typename_get.rps / f.healthz.rps,
            100.0 * rps_of(TYPENAME_ANONYMOUS) / f.healthz.rps,
            100.0 * rps_of(TYPENAME_SIGNED_IN) / f.healthz.rps
        );
        let [post, get] = f.pair_ratios.each_ref().map(|ratios| {
            ratios
                .iter()
                .map(|r| format!("{:.0}%", 100.0 * r))
                .collect::<Vec<_>>()
                .join(" ")
        });
        println!("  round by round: GET {get}; POST {post}");
        println!(
            "SQL statements per request: introgate (Server-Timing), PostGraphile (PostgreSQL's log)"
        );
        let show = |n: Option<u64>| n.map_or("-".into(), |n| n.to_string());
        for (query, ours, theirs) in &f.statements {
            println!(
                "  {query:<20} {:>3} {:>3}",
                show(*ours),
                show(theirs.map(|n| n as u64))
            );
        }
    }
    // SQLite against the PostgreSQL run, per query, where both ran.
    let postgres: HashMap<usize, &Figures> = all
        .iter()
        .filter(|f| f.backend == "PostgreSQL")
        .map(|f| (f.scale, f))
        .collect();
    for sqlite in all.iter().filter(|f| f.backend == "SQLite") {
        let Some(pg) = postgres.get(&sqlite.scale) else {
            continue;
        };
        println!();
        println!(
            "== introgate on SQLite against introgate on PostgreSQL, {}×",
            sqlite.scale
        );
        for ((query, s, _), (_, p, _)) in sqlite.queries.iter().zip(&pg.queries) {
            println!(
                "{query:<18} req/s {:>7.0} vs {:>7.0} ({:.2}×), p99 {:.2} vs {:.2} ms",
                s.rps,
                p.rps,
                s.rps / p.rps,
                s.p99_ms,
                p.p99_ms
            );
        }
    }
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut scales: Vec<usize> = args.iter().filter_map(|a| a.parse().ok()).collect();
    if scales.is_empty() {
        scales = vec![1, 10];
    }
    let only = |backend: &str| args.iter().any(|a| a == backend);
    let (only_sqlite, only_postgres) = (only("sqlite"), only("postgres"));
    let postgres_url = std::env::var("INTROGATE_TEST_POSTGRES_URL")
        .ok()
        .filter(|_| !only_sqlite);
    if postgres_url.is_none() && !only_sqlite {
        println!("INTROGATE_TEST_POSTGRES_URL is not set: SQLite only, no PostGraphile");
    }

    let mut all = Vec::new();
    for &scale in &scales {
        if let Some(admin_url) = &postgres_url {
            let name = format!("introgate_bench_{}", Uuid::now_v7().simple());
            let admin = sea_orm::Database::connect(admin_url.as_str())
                .await
                .unwrap();
            admin
                .execute_unprepared(&format!("CREATE DATABASE {name}"))
                .await
                .unwrap();
            let mut url = url::Url::parse(admin_url).unwrap();
            url.set_path(&name);
            // Both servers talk to PostgreSQL in plain text over loopback (see the README on
            // `sslmode`); PostGraphile's driver does not negotiate TLS unless asked.
            if !url.query_pairs().any(|(k, _)| k == "sslmode") {
                url.query_pairs_mut().append_pair("sslmode", "disable");
            }
            let setup = Setup {
                backend: "PostgreSQL",
                database_url: url.to_string(),
                postgres: Some((admin_url.clone(), name.clone())),
            };
            all.push(run(&setup, scale).await);
            if std::env::var_os("INTROGATE_BENCH_KEEP_DB").is_some() {
                println!("kept the database {name}");
            } else {
                admin
                    .execute_unprepared(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                    .await
                    .ok();
            }
        }
        if !only_postgres {
            let dir = tempfile::tempdir().unwrap();
            let setup = Setup {
                backend: "SQLite",
                database_url: format!("sqlite://{}/bench.db?mode=rwc", dir.path().display()),
                postgres: None,
            };
            all.push(run(&setup, scale).await);
        }
    }
    report(&all);
}

//! Greenhouse as a company admin uses it (SPEC §6, §6.1), against the fake Harvest v3
//! server: connecting (checked with Greenhouse before anything is saved), the settings, the
//! import of open jobs (on connect, on demand, in the background once across processes),
//! who may see and change it, and requests to a connected company naming a job.

use std::time::Duration;

use serde_json::{Value, json};

use crate::{
    invitations::{accept, add_talent, create_company, invite_company_admin},
    support::{
        Backend, PASSWORD, TestApp, TestNetwork, error_code,
        fake_harvest::{CLIENT_ID, CLIENT_SECRET, FakeHarvest},
        user_error,
    },
    with_backends,
};
use introgate::{greenhouse::JobStatus, services::greenhouse::jobs::sync_due};
use sea_orm::EntityTrait;

with_backends!(
    connecting_is_checked_with_greenhouse_before_anything_is_saved,
    imported_jobs_follow_greenhouse,
    the_background_import_keeps_jobs_in_step,
    a_due_import_is_done_once_across_processes,
    only_the_companys_admins_and_network_admins_reach_it,
    requests_to_a_connected_company_name_a_job
);

const CONNECT: &str = "mutation($input: ConnectGreenhouseInput!) { connectGreenhouse(input: $input) { company { id } userErrors { field code message } } }";
const GREENHOUSE: &str = "query($c: ID!) { node(id: $c) { ... on Company { greenhouse { connected userId source { id name } sources { id name } noteVisibility lastSyncAt lastError jobs(first: 3) { totalCount nodes { id title status greenhouseJobId } } } } } }";

async fn app_with(backend: Backend, fake: &FakeHarvest, sync: Duration) -> TestApp {
    let url = fake.url();
    TestApp::spawn_with(backend, |c| {
        c.greenhouse.greenhouse_api_url = url.clone();
        c.greenhouse.greenhouse_auth_url = url;
        c.greenhouse.greenhouse_sync_interval = sync;
    })
    .await
}

/// A network with a company whose admin signed in: (network, company, its admin's token).
pub async fn company(app: &TestApp, name: &str) -> (TestNetwork, String, String) {
    let network = app.network(name).await;
    let company = create_company(app, &network, "Acme").await;
    let email = format!("casey@{}.test", name.to_lowercase().replace(' ', "-"));
    invite_company_admin(app, &network.admin_token, &company, &email).await;
    let joined = accept(
        app,
        &app.email_to(&email).await.invitation_token(),
        PASSWORD,
    )
    .await;
    let token = joined["token"].as_str().unwrap().to_owned();
    (network, company, token)
}

pub fn connect_input(company: &str, secret: &str, user_id: i64, source: Option<i64>) -> Value {
    json!({ "input": {
        "companyId": company,
        "clientId": CLIENT_ID,
        "clientSecret": secret,
        "userId": user_id.to_string(),
        "sourceId": source.map(|s| s.to_string()),
    } })
}

async fn greenhouse(app: &TestApp, token: &str, company: &str) -> Value {
    let body = app
        .gql(Some(token), GREENHOUSE, json!({ "c": company }))
        .await;
    assert!(body.get("errors").is_none(), "{body}");
    body["data"]["node"]["greenhouse"].clone()
}

async fn connecting_is_checked_with_greenhouse_before_anything_is_saved(backend: Backend) {
    let fake = FakeHarvest::start().await;
    let source = fake.add_source("introgate");
    fake.add_source("LinkedIn");
    fake.add_jobs(1234);
    fake.add_jobs_with_status(7, JobStatus::Closed);
    fake.add_jobs_with_status(3, JobStatus::Draft);
    let app = app_with(backend, &fake, Duration::from_secs(600)).await;
    let (_, company, token) = company(&app, "Connecting").await;
    let mut answers = Vec::new();

    // A bad secret, a user who is not a Site Admin, a source not of the account,
    // Greenhouse down: refused, nothing saved.
    let nobody = fake.add_user("Nora", "Recruiter", false);
    let refusals = [
        (
            connect_input(&company, "wrong", fake.admin_id(), None),
            "GREENHOUSE_AUTH_FAILED",
            "clientSecret",
        ),
        (
            connect_input(&company, CLIENT_SECRET, nobody, None),
            "GREENHOUSE_AUTH_FAILED",
            "userId",
        ),
        (
            connect_input(&company, CLIENT_SECRET, fake.admin_id(), Some(999_999)),
            "INVALID_INPUT",
            "sourceId",
        ),
        (
            json!({ "input": { "companyId": company, "clientId": CLIENT_ID, "clientSecret": CLIENT_SECRET, "userId": "12x" } }),
            "INVALID_INPUT",
            "userId",
        ),
    ];
    for (input, code, field) in refusals {
        let refused = app
            .mutate(Some(&token), "connectGreenhouse", CONNECT, input)
            .await;
        assert_eq!(user_error(&refused).as_deref(), Some(code), "{refused}");
        assert_eq!(
            refused["userErrors"][0]["field"],
            json!([field]),
            "{refused}"
        );
        answers.push(refused.to_string());
    }
    // Every try of one call (three) answers 503.
    fake.fail_next("GET", "/v3/jobs", 3, 503);
    let down = app
        .mutate(
            Some(&token),
            "connectGreenhouse",
            CONNECT,
            connect_input(&company, CLIENT_SECRET, fake.admin_id(), None),
        )
        .await;
    assert_eq!(
        user_error(&down).as_deref(),
        Some("GREENHOUSE_UNAVAILABLE"),
        "{down}"
    );
    let nothing = greenhouse(&app, &token, &company).await;
    assert_eq!(nothing["connected"], false, "{nothing}");
    assert_eq!(nothing["jobs"]["totalCount"], 0);

    // Accepted: the open jobs imported across pages (500 a page), closed and draft ones not.
    let connected = app
        .mutate(
            Some(&token),
            "connectGreenhouse",
            CONNECT,
            connect_input(&company, CLIENT_SECRET, fake.admin_id(), Some(source)),
        )
        .await;
    assert!(
        connected["userErrors"].as_array().unwrap().is_empty(),
        "{connected}"
    );
    answers.push(connected.to_string());
    let seen = greenhouse(&app, &token, &company).await;
    assert_eq!(seen["connected"], true);
    assert_eq!(seen["userId"], fake.admin_id().to_string());
    assert_eq!(
        seen["source"],
        json!({ "id": source.to_string(), "name": "introgate" })
    );
    assert_eq!(seen["sources"].as_array().unwrap().len(), 2);
    assert_eq!(seen["noteVisibility"], "PUBLIC");
    assert!(seen["lastSyncAt"].is_string());
    assert_eq!(seen["jobs"]["totalCount"], 1234);
    assert!(
        fake.queries("GET", "/v3/jobs").len() >= 3,
        "1,234 jobs take three pages of 500"
    );
    answers.push(seen.to_string());

    // A job's interview stages, in order.
    let job = &seen["jobs"]["nodes"][0];
    let greenhouse_id: i64 = job["greenhouseJobId"].as_str().unwrap().parse().unwrap();
    let stages = app
        .gql(
            Some(&token),
            "query($c: ID!, $j: ID!) { node(id: $c) { ... on Company { greenhouse { stages(jobId: $j) { id name } } } } }",
            json!({ "c": company, "j": job["id"] }),
        )
        .await;
    let names: Vec<Value> = fake
        .stages_of(greenhouse_id)
        .into_iter()
        .map(|s| json!({ "id": s.id.to_string(), "name": s.name }))
        .collect();
    assert!(!names.is_empty());
    assert_eq!(stages["data"]["node"]["greenhouse"]["stages"], json!(names));
    answers.push(stages.to_string());

    // Settings: another source, private notes; a source not of the account is refused.
    let settings = "mutation($input: UpdateGreenhouseSettingsInput!) { updateGreenhouseSettings(input: $input) { company { greenhouse { source { name } noteVisibility } } userErrors { field code } } }";
    let changed = app.mutate(Some(&token), "updateGreenhouseSettings", settings, json!({ "input": { "companyId": company, "sourceId": "", "noteVisibility": "PRIVATE" } })).await;
    assert_eq!(
        changed["company"]["greenhouse"],
        json!({ "source": null, "noteVisibility": "PRIVATE" }),
        "{changed}"
    );
    let refused = app
        .mutate(
            Some(&token),
            "updateGreenhouseSettings",
            settings,
            json!({ "input": { "companyId": company, "sourceId": "42" } }),
        )
        .await;
    assert_eq!(
        refused["userErrors"][0]["field"],
        json!(["sourceId"]),
        "{refused}"
    );
    answers.push(changed.to_string());

    // The secret is never in an answer, nor stored in clear.
    for answer in &answers {
        assert!(
            !answer.contains(CLIENT_SECRET),
            "the secret in an answer: {answer}"
        );
    }
    let stored = entities::greenhouse_connection::Entity::find()
        .all(app.state.db.read())
        .await
        .unwrap();
    assert_eq!(stored.len(), 1);
    assert!(!stored[0].client_secret_sealed.contains(CLIENT_SECRET));

    // Disconnected: the credentials go, the imported jobs stay.
    let disconnected = app.mutate(Some(&token), "disconnectGreenhouse", "mutation($c: ID!) { disconnectGreenhouse(input: {companyId: $c}) { company { greenhouse { connected jobs { totalCount } } } userErrors { code } } }", json!({ "c": company })).await;
    assert_eq!(
        disconnected["company"]["greenhouse"],
        json!({ "connected": false, "jobs": { "totalCount": 1234 } }),
        "{disconnected}"
    );
}

const SYNC: &str = "mutation($c: ID!) { syncGreenhouseJobs(input: {companyId: $c}) { company { greenhouse { lastSyncAt lastError } } userErrors { field code message } } }";

/// The company's imported jobs: Greenhouse id → status.
async fn imported(app: &TestApp, token: &str, company: &str) -> Vec<(i64, String)> {
    let body = app.gql(Some(token), "query($c: ID!) { node(id: $c) { ... on Company { greenhouse { jobs(first: 100) { nodes { status greenhouseJobId } } } } } }", json!({ "c": company })).await;
    let mut jobs: Vec<(i64, String)> = body["data"]["node"]["greenhouse"]["jobs"]["nodes"]
        .as_array()
        .unwrap_or_else(|| panic!("{body}"))
        .iter()
        .map(|j| {
            (
                j["greenhouseJobId"].as_str().unwrap().parse().unwrap(),
                j["status"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    jobs.sort();
    jobs
}

async fn connect(app: &TestApp, fake: &FakeHarvest, token: &str, company: &str) {
    let connected = app
        .mutate(
            Some(token),
            "connectGreenhouse",
            CONNECT,
            connect_input(company, CLIENT_SECRET, fake.admin_id(), None),
        )
        .await;
    assert!(
        connected["userErrors"].as_array().unwrap().is_empty(),
        "{connected}"
    );
}

async fn imported_jobs_follow_greenhouse(backend: Backend) {
    let fake = FakeHarvest::start().await;
    let ids = fake.add_jobs(3);
    let (kept, closing, removed) = (ids[0], ids[1], ids[2]);
    let app = app_with(backend, &fake, Duration::from_secs(600)).await;
    let (_, company, token) = company(&app, "Following").await;
    connect(&app, &fake, &token, &company).await;
    let open = |id: i64| (id, "OPEN".to_owned());
    let closed = |id: i64| (id, "CLOSED".to_owned());
    assert_eq!(
        imported(&app, &token, &company).await,
        [open(kept), open(closing), open(removed)]
    );

    // Closed in Greenhouse, gone from it, new in it: in step on the next import.
    fake.set_job_status(closing, JobStatus::Closed);
    fake.remove_job(removed);
    let new = fake.add_job("Staff Engineer", JobStatus::Open);
    let synced = app
        .mutate(
            Some(&token),
            "syncGreenhouseJobs",
            SYNC,
            json!({ "c": company }),
        )
        .await;
    assert!(
        synced["userErrors"].as_array().unwrap().is_empty(),
        "{synced}"
    );
    assert!(synced["company"]["greenhouse"]["lastError"].is_null());
    assert_eq!(
        imported(&app, &token, &company).await,
        [open(kept), closed(closing), closed(removed), open(new)]
    );
    // Open again in Greenhouse: open again here, the same job.
    fake.set_job_status(closing, JobStatus::Open);
    app.mutate(
        Some(&token),
        "syncGreenhouseJobs",
        SYNC,
        json!({ "c": company }),
    )
    .await;
    assert_eq!(
        imported(&app, &token, &company).await,
        [open(kept), open(closing), closed(removed), open(new)]
    );

    // Greenhouse refuses now: said, kept as the last error, the jobs untouched.
    fake.forbid(CLIENT_ID);
    let refused = app
        .mutate(
            Some(&token),
            "syncGreenhouseJobs",
            SYNC,
            json!({ "c": company }),
        )
        .await;
    assert_eq!(
        user_error(&refused).as_deref(),
        Some("GREENHOUSE_AUTH_FAILED"),
        "{refused}"
    );
    let seen = greenhouse(&app, &token, &company).await;
    assert!(
        seen["lastError"].as_str().is_some_and(|e| !e.is_empty()),
        "{seen}"
    );
    assert_eq!(imported(&app, &token, &company).await.len(), 4);
}

async fn the_background_import_keeps_jobs_in_step(backend: Backend) {
    let fake = FakeHarvest::start().await;
    fake.add_jobs(2);
    let app = app_with(backend, &fake, Duration::from_millis(500)).await;
    let (_, company, token) = company(&app, "Background").await;
    connect(&app, &fake, &token, &company).await;

    // A new job in Greenhouse arrives without anyone asking.
    let new = fake.add_job("Designer", JobStatus::Open);
    let started = std::time::Instant::now();
    while !imported(&app, &token, &company)
        .await
        .iter()
        .any(|(id, _)| *id == new)
    {
        assert!(
            started.elapsed() < Duration::from_secs(15),
            "not imported in the background"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn a_due_import_is_done_once_across_processes(backend: Backend) {
    let fake = FakeHarvest::start().await;
    fake.add_jobs(2);
    let interval = Duration::from_secs(600);
    let app = app_with(backend, &fake, interval).await;
    let sibling = app.spawn_sibling(|_| {}).await;
    let (_, company, token) = company(&app, "Once").await;
    connect(&app, &fake, &token, &company).await;

    // Due now, and Greenhouse slow: both processes find it due while the other imports.
    entities::greenhouse_connection::Entity::update_many()
        .col_expr(
            entities::greenhouse_connection::Column::NextSyncAt,
            sea_orm::sea_query::Expr::value(chrono::Utc::now() - chrono::Duration::seconds(1)),
        )
        .exec(app.state.db.write())
        .await
        .unwrap();
    fake.slow("GET", "/v3/jobs", Duration::from_millis(500));
    let before = fake.request_count("GET", "/v3/jobs");
    let (here, there) = tokio::join!(
        sync_due(&app.state, interval, "here"),
        sync_due(&sibling.state, interval, "there"),
    );
    assert_eq!(here.unwrap() + there.unwrap(), 1, "one of them imports");
    assert_eq!(fake.request_count("GET", "/v3/jobs") - before, 1);
    // Done: due again only after the interval.
    let again = sync_due(&sibling.state, interval, "there").await.unwrap();
    assert_eq!(again, 0);
}

async fn only_the_companys_admins_and_network_admins_reach_it(backend: Backend) {
    let fake = FakeHarvest::start().await;
    fake.add_jobs(1);
    let app = app_with(backend, &fake, Duration::from_secs(600)).await;
    let (network, company, casey) = company(&app, "Guarded").await;
    // A network admin may connect it; the company's admin sees it.
    connect(&app, &fake, &network.admin_token, &company).await;
    assert_eq!(greenhouse(&app, &casey, &company).await["connected"], true);

    let other = create_company(&app, &network, "Other").await;
    invite_company_admin(&app, &network.admin_token, &other, "olga@other.test").await;
    let olga = accept(
        &app,
        &app.email_to("olga@other.test").await.invitation_token(),
        PASSWORD,
    )
    .await["token"]
        .as_str()
        .unwrap()
        .to_owned();
    let (_, talent) = add_talent(&app, &network, "Tia", "tia@guarded.test", true).await;
    let elsewhere = app.network("Elsewhere").await;

    for (who, token) in [("talent", &talent), ("another company's admin", &olga)] {
        let seen = app
            .gql(Some(token), GREENHOUSE, json!({ "c": company }))
            .await;
        assert_eq!(
            seen["data"]["node"]["greenhouse"],
            Value::Null,
            "{who}: {seen}"
        );
        for mutation in [
            "mutation($c: ID!) { syncGreenhouseJobs(input: {companyId: $c}) { userErrors { code } } }",
            "mutation($c: ID!) { disconnectGreenhouse(input: {companyId: $c}) { userErrors { code } } }",
            "mutation($c: ID!) { updateGreenhouseSettings(input: {companyId: $c, noteVisibility: PRIVATE}) { userErrors { code } } }",
        ] {
            let refused = app
                .gql(Some(token), mutation, json!({ "c": company }))
                .await;
            assert_eq!(
                error_code(&refused).as_deref(),
                Some("FORBIDDEN"),
                "{who}: {refused}"
            );
        }
        let body = app
            .gql(
                Some(token),
                CONNECT,
                connect_input(&company, CLIENT_SECRET, fake.admin_id(), None),
            )
            .await;
        assert_eq!(
            error_code(&body).as_deref(),
            Some("FORBIDDEN"),
            "{who}: {body}"
        );
    }
    // Another network sees nothing of it.
    let outsider = app
        .gql(
            Some(&elsewhere.admin_token),
            GREENHOUSE,
            json!({ "c": company }),
        )
        .await;
    assert_eq!(outsider["data"]["node"], Value::Null);
    let refused = app
        .mutate(
            Some(&elsewhere.admin_token),
            "connectGreenhouse",
            CONNECT,
            connect_input(&company, CLIENT_SECRET, fake.admin_id(), None),
        )
        .await;
    assert_eq!(
        user_error(&refused).as_deref(),
        Some("NOT_FOUND"),
        "{refused}"
    );
    // Nothing changed.
    let seen = greenhouse(&app, &casey, &company).await;
    assert_eq!(
        (seen["connected"].clone(), seen["noteVisibility"].clone()),
        (json!(true), json!("PUBLIC"))
    );
}

async fn requests_to_a_connected_company_name_a_job(backend: Backend) {
    let fake = FakeHarvest::start().await;
    fake.add_jobs(2);
    let app = app_with(backend, &fake, Duration::from_secs(600)).await;
    let (network, company, casey) = company(&app, "Naming").await;
    connect(&app, &fake, &casey, &company).await;
    let (talent_id, talent) = add_talent(&app, &network, "Vera", "vera@naming.test", true).await;
    let jobs = app
        .gql(
            Some(&talent),
            "query($c: ID!) { node(id: $c) { ... on Company { jobs { nodes { id } } } } }",
            json!({ "c": company }),
        )
        .await;
    let job = jobs["data"]["node"]["jobs"]["nodes"][0]["id"].clone();

    let to_company = "mutation($c: ID!, $jobs: [ID!]!) { requestIntroToCompany(input: {companyId: $c, jobIds: $jobs, message: \"hi\"}) { introRequest { status jobs { id } } userErrors { field code } } }";
    let none = app
        .mutate(
            Some(&talent),
            "requestIntroToCompany",
            to_company,
            json!({ "c": company, "jobs": [] }),
        )
        .await;
    assert_eq!(none["userErrors"][0]["field"], json!(["jobIds"]), "{none}");
    assert_eq!(user_error(&none).as_deref(), Some("INVALID_INPUT"));
    let to_talent = "mutation($c: ID!, $t: ID!, $jobs: [ID!]!) { requestIntroToTalent(input: {companyId: $c, talentId: $t, jobIds: $jobs, message: \"hi\"}) { introRequest { status } userErrors { field code } } }";
    let none = app
        .mutate(
            Some(&casey),
            "requestIntroToTalent",
            to_talent,
            json!({ "c": company, "t": talent_id, "jobs": [] }),
        )
        .await;
    assert_eq!(none["userErrors"][0]["field"], json!(["jobIds"]), "{none}");

    let named = app
        .mutate(
            Some(&talent),
            "requestIntroToCompany",
            to_company,
            json!({ "c": company, "jobs": [job] }),
        )
        .await;
    assert_eq!(named["introRequest"]["status"], "SENT", "{named}");
    assert_eq!(named["introRequest"]["jobs"], json!([{ "id": job }]));

    // Disconnected: its jobs are the company's own again, none required.
    app.mutate(Some(&casey), "disconnectGreenhouse", "mutation($c: ID!) { disconnectGreenhouse(input: {companyId: $c}) { userErrors { code } } }", json!({ "c": company })).await;
    let free = app
        .mutate(
            Some(&casey),
            "requestIntroToTalent",
            to_talent,
            json!({ "c": company, "t": talent_id, "jobs": [] }),
        )
        .await;
    assert_eq!(free["introRequest"]["status"], "SENT", "{free}");
}

/// The binary as an operator runs it, logging everything it can: connecting a company and
/// importing its jobs leaves the client secret in no log line, no answer, no file.
#[tokio::test]
async fn the_secret_is_in_no_log_line_nor_file() {
    use base64::Engine;
    use tokio::io::{AsyncBufReadExt, AsyncReadExt, BufReader};

    let fake = FakeHarvest::start().await;
    fake.add_jobs(3);
    let dir = tempfile::tempdir().unwrap();
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_introgate"))
        .current_dir(dir.path())
        .args(["serve", "--demo", "--bind", "127.0.0.1:0"])
        .env_remove("DATABASE_URL")
        .env_remove("INTROGATE_SECRET_KEY")
        .env("GREENHOUSE_API_URL", fake.url().as_str())
        .env("GREENHOUSE_AUTH_URL", fake.url().as_str())
        .env("RUST_LOG", "trace")
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut stderr = child.stderr.take().unwrap();
    let logs = tokio::spawn(async move {
        let mut logs = Vec::new();
        stderr.read_to_end(&mut logs).await.unwrap();
        String::from_utf8_lossy(&logs).into_owned()
    });
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let (mut printed, mut address, mut password) = (String::new(), None, None);
    while let Ok(Ok(Some(line))) =
        tokio::time::timeout(Duration::from_secs(60), lines.next_line()).await
    {
        printed.push_str(&line);
        if line.contains("nora@northwind.example") {
            password = line.split_whitespace().last().map(str::to_owned);
        }
        if let Some(rest) = line.strip_prefix("introgate listening on ") {
            address = rest.split_whitespace().next().map(str::to_owned);
            break;
        }
    }
    let (address, password) = (
        address.expect("listening"),
        password.expect("Nora's password"),
    );
    let client = reqwest::Client::new();
    let gql = |token: Option<&str>, query: &str, variables: Value| {
        let mut request = client
            .post(format!("{address}/graphql"))
            .json(&json!({ "query": query, "variables": variables }));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        async move { request.send().await.unwrap().text().await.unwrap() }
    };
    let signed_in: Value = serde_json::from_str(&gql(None, "mutation($p: String!) { signIn(input: {email: \"nora@northwind.example\", password: $p}) { token viewer { networkAdminOf { companies(first: 1) { nodes { id } } } } } }", json!({ "p": password })).await).unwrap();
    let token = signed_in["data"]["signIn"]["token"]
        .as_str()
        .unwrap()
        .to_owned();
    let company = signed_in["data"]["signIn"]["viewer"]["networkAdminOf"][0]["companies"]["nodes"]
        [0]["id"]
        .clone();
    const WEBHOOK_SECRET: &str = "whsec-never-printed-7d2e";
    let mut input = connect_input(
        company.as_str().unwrap(),
        CLIENT_SECRET,
        fake.admin_id(),
        None,
    );
    input["input"]["webhookSecret"] = json!(WEBHOOK_SECRET);
    let mut answers = vec![
        gql(Some(&token), CONNECT, input).await,
        gql(Some(&token), SYNC, json!({ "c": company })).await,
        gql(Some(&token), GREENHOUSE, json!({ "c": company })).await,
    ];
    assert!(answers[2].contains("\"connected\":true"), "{answers:?}");
    // A webhook, badly signed: refused, and the secret not printed either.
    let webhook = client
        .post(format!(
            "{address}/webhooks/greenhouse/{}",
            company.as_str().unwrap()
        ))
        .header("Signature", "sha256 00")
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(webhook.status().as_u16(), 401);
    answers.push(printed);

    std::process::Command::new("kill")
        .args(["-TERM", &child.id().unwrap().to_string()])
        .status()
        .unwrap();
    child.wait().await.unwrap();
    let logs = logs.await.unwrap();
    assert!(
        logs.contains("/v3/jobs"),
        "the calls are logged: {logs:.2000}"
    );
    let basic =
        base64::engine::general_purpose::STANDARD.encode(format!("{CLIENT_ID}:{CLIENT_SECRET}"));
    let mut files = String::new();
    for entry in walk(dir.path()) {
        files.push_str(&String::from_utf8_lossy(&std::fs::read(entry).unwrap()));
    }
    for (what, text) in [("logs", &logs), ("files", &files)]
        .into_iter()
        .chain(answers.iter().map(|a| ("an answer", a)))
    {
        assert!(!text.contains(CLIENT_SECRET), "the secret in {what}");
        assert!(
            !text.contains(WEBHOOK_SECRET),
            "the webhook secret in {what}"
        );
        assert!(
            !text.contains(&basic),
            "the secret, as Basic credentials, in {what}"
        );
    }
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files.extend(walk(&path));
        } else {
            files.push(path);
        }
    }
    files
}

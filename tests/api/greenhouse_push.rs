//! An accepted introduction lands in the company's Greenhouse exactly once (SPEC §6): one
//! candidate (found or created), one application per job with the chosen source (or a
//! prospect), one note, the tag `introgate` applied once; also when Greenhouse times out
//! after creating, answers 500, or two processes work the same queue; and the give-up path.

use std::time::Duration;

use entities::greenhouse_push;
use introgate::services::greenhouse::push::push_due;
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, sea_query::Expr};
use serde_json::{Value, json};

use crate::{
    greenhouse::{company, connect_input},
    invitations::add_talent,
    support::{
        Backend, TestApp, error_code,
        fake_harvest::{CLIENT_ID, CLIENT_SECRET, FakeHarvest},
        user_error,
    },
    with_backends,
};

with_backends!(
    an_accepted_introduction_lands_in_greenhouse_once,
    without_a_greenhouse_job_the_candidate_is_a_prospect,
    a_create_that_timed_out_is_looked_up_not_repeated,
    failing_applications_are_retried_without_duplicates,
    two_processes_push_each_introduction_once,
    a_push_that_keeps_failing_is_given_up_and_told,
    a_list_of_requests_reads_greenhouse_in_batches,
    talent_changes_reach_the_candidate
);

/// A connected company (with a source), its admin, and a verified talent.
pub(crate) struct Setup {
    pub(crate) app: TestApp,
    pub(crate) fake: FakeHarvest,
    pub(crate) network: crate::support::TestNetwork,
    pub(crate) company: String,
    pub(crate) casey: String,
    pub(crate) source: i64,
}

pub(crate) async fn setup_with(
    backend: Backend,
    configure: impl FnOnce(&mut introgate::config::ServerConfig),
) -> Setup {
    let fake = FakeHarvest::start().await;
    let source = fake.add_source("introgate");
    fake.add_jobs(3);
    let url = fake.url();
    let app = TestApp::spawn_with(backend, |c| {
        c.greenhouse.greenhouse_api_url = url.clone();
        c.greenhouse.greenhouse_auth_url = url;
        configure(c);
    })
    .await;
    let (network, company, casey) = company(&app, "Pushing").await;
    let connected = app
        .mutate(
            Some(&casey),
            "connectGreenhouse",
            "mutation($input: ConnectGreenhouseInput!) { connectGreenhouse(input: $input) { userErrors { code message } } }",
            connect_input(&company, CLIENT_SECRET, fake.admin_id(), Some(source)),
        )
        .await;
    assert!(
        connected["userErrors"].as_array().unwrap().is_empty(),
        "{connected}"
    );
    Setup {
        app,
        fake,
        network,
        company,
        casey,
        source,
    }
}

pub(crate) async fn setup(backend: Backend) -> Setup {
    setup_with(backend, |_| {}).await
}

/// The company's imported open jobs (ids).
pub(crate) async fn jobs(setup: &Setup) -> Vec<String> {
    let body = setup.app.gql(Some(&setup.casey), "query($c: ID!) { node(id: $c) { ... on Company { jobs(status: OPEN) { nodes { id } } } } }", json!({ "c": setup.company })).await;
    body["data"]["node"]["jobs"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|j| j["id"].as_str().unwrap().to_owned())
        .collect()
}

/// A talent (new) asks for `jobs`; the company's admin accepts. Returns the request's id.
pub(crate) async fn accepted(setup: &Setup, name: &str, email: &str, jobs: &[String]) -> String {
    accepted_talent(setup, name, email, jobs).await.2
}

/// Like [`accepted`]; also the talent's id and token.
pub(crate) async fn accepted_talent(
    setup: &Setup,
    name: &str,
    email: &str,
    jobs: &[String],
) -> (String, String, String) {
    let (talent_id, talent) = add_talent(&setup.app, &setup.network, name, email, true).await;
    let asked = setup.app.mutate(Some(&talent), "requestIntroToCompany", "mutation($c: ID!, $j: [ID!]!) { requestIntroToCompany(input: {companyId: $c, jobIds: $j, message: \"I build payment systems.\"}) { introRequest { id status } userErrors { field code } } }", json!({ "c": setup.company, "j": jobs })).await;
    let id = asked["introRequest"]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("{asked}"))
        .to_owned();
    accept(setup, &id).await;
    (talent_id, talent, id)
}

async fn accept(setup: &Setup, id: &str) {
    let accepted = setup.app.mutate(Some(&setup.casey), "acceptIntro", "mutation($r: ID!) { acceptIntro(input: {introRequestId: $r}) { introRequest { status } userErrors { code } } }", json!({ "r": id })).await;
    assert_eq!(accepted["introRequest"]["status"], "ACCEPTED", "{accepted}");
}

pub(crate) const GREENHOUSE: &str = "query($r: ID!) { node(id: $r) { ... on IntroRequest { greenhouse { pushStatus candidateId prospect lastError attempts applications { id jobName status stageName job { id } } } } } }";

/// The request's Greenhouse, once its push is no longer pending.
pub(crate) async fn settled(setup: &Setup, id: &str) -> Value {
    let started = std::time::Instant::now();
    loop {
        let body = setup
            .app
            .gql(Some(&setup.casey), GREENHOUSE, json!({ "r": id }))
            .await;
        let greenhouse = body["data"]["node"]["greenhouse"].clone();
        if greenhouse["pushStatus"] != "PENDING" {
            return greenhouse;
        }
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "still pending: {greenhouse}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Exactly one candidate with this email, and the ids of its applications, notes, tags.
fn in_greenhouse(fake: &FakeHarvest, email: &str) -> (i64, usize, usize, usize) {
    let candidates: Vec<_> = fake
        .candidates()
        .into_iter()
        .filter(|c| c.email_addresses.iter().any(|a| a.value == email))
        .collect();
    assert_eq!(candidates.len(), 1, "one candidate for {email}");
    let id = candidates[0].id;
    let applications = fake
        .applications()
        .iter()
        .filter(|a| a.candidate_id == id)
        .count();
    let notes = fake.notes().iter().filter(|n| n.candidate_id == id).count();
    let tags = fake
        .applied_tags()
        .iter()
        .filter(|t| t.candidate_id == id)
        .count();
    (id, applications, notes, tags)
}

async fn an_accepted_introduction_lands_in_greenhouse_once(backend: Backend) {
    let setup = setup(backend).await;
    let jobs = jobs(&setup).await;
    let id = accepted(&setup, "Vera Quinn", "vera@pushing.test", &jobs[..2]).await;
    let greenhouse = settled(&setup, &id).await;
    assert_eq!(greenhouse["pushStatus"], "PUSHED", "{greenhouse}");
    assert_eq!(greenhouse["prospect"], false);
    assert_eq!(greenhouse["attempts"], 1);

    let (candidate, applications, notes, tags) = in_greenhouse(&setup.fake, "vera@pushing.test");
    assert_eq!((applications, notes, tags), (2, 1, 1));
    assert_eq!(greenhouse["candidateId"], candidate.to_string());
    let person = setup.fake.candidate(candidate).unwrap();
    assert_eq!(
        (person.first_name.as_str(), person.last_name.as_str()),
        ("Vera", "Quinn")
    );
    // Each application on one of the request's jobs, crediting the chosen source.
    let made: Vec<_> = setup
        .fake
        .applications()
        .into_iter()
        .filter(|a| a.candidate_id == candidate)
        .collect();
    assert!(
        made.iter().all(|a| a.source_id == Some(setup.source)),
        "{made:?}"
    );
    assert_eq!(greenhouse["applications"].as_array().unwrap().len(), 2);
    assert_eq!(greenhouse["applications"][0]["status"], "IN_PROCESS");
    assert_eq!(greenhouse["applications"][0]["job"]["id"], jobs[0]);
    // The note says who asked, who introduced, and the message.
    let note = setup
        .fake
        .notes()
        .into_iter()
        .find(|n| n.candidate_id == candidate)
        .unwrap();
    for part in [
        "Vera Quinn",
        "vera@pushing.test",
        "Pushing",
        "I build payment systems.",
    ] {
        assert!(note.body.contains(part), "{part} in {}", note.body);
    }
    assert_eq!(
        setup
            .fake
            .tags()
            .iter()
            .filter(|t| t.name == "introgate")
            .count(),
        1
    );

    // A second talent whose candidate already exists in Greenhouse: found, not created; the
    // tag not created again.
    setup.fake.add_candidate("Wes", "Known", "wes@pushing.test");
    let id = accepted(&setup, "Wes Known", "wes@pushing.test", &jobs[..1]).await;
    assert_eq!(settled(&setup, &id).await["pushStatus"], "PUSHED");
    let (_, applications, notes, tags) = in_greenhouse(&setup.fake, "wes@pushing.test");
    assert_eq!((applications, notes, tags), (1, 1, 1));
    assert_eq!(
        setup
            .fake
            .tags()
            .iter()
            .filter(|t| t.name == "introgate")
            .count(),
        1
    );
}

async fn without_a_greenhouse_job_the_candidate_is_a_prospect(backend: Backend) {
    let setup = setup(backend).await;
    // Asked before the company was connected (no job needed then), accepted after.
    setup
        .app
        .mutate(Some(&setup.casey), "disconnectGreenhouse", "mutation($c: ID!) { disconnectGreenhouse(input: {companyId: $c}) { userErrors { code } } }", json!({ "c": setup.company }))
        .await;
    let (_, talent) = add_talent(
        &setup.app,
        &setup.network,
        "Pia Prospect",
        "pia@pushing.test",
        true,
    )
    .await;
    let asked = setup.app.mutate(Some(&talent), "requestIntroToCompany", "mutation($c: ID!) { requestIntroToCompany(input: {companyId: $c, message: \"hi\"}) { introRequest { id } } }", json!({ "c": setup.company })).await;
    let id = asked["introRequest"]["id"].as_str().unwrap().to_owned();
    setup
        .app
        .mutate(
            Some(&setup.casey),
            "connectGreenhouse",
            "mutation($input: ConnectGreenhouseInput!) { connectGreenhouse(input: $input) { userErrors { code } } }",
            connect_input(&setup.company, CLIENT_SECRET, setup.fake.admin_id(), Some(setup.source)),
        )
        .await;
    accept(&setup, &id).await;
    let greenhouse = settled(&setup, &id).await;
    assert_eq!(greenhouse["pushStatus"], "PUSHED", "{greenhouse}");
    assert_eq!(greenhouse["prospect"], true);
    assert_eq!(greenhouse["applications"][0]["jobName"], "Prospect");
    let (candidate, applications, notes, tags) = in_greenhouse(&setup.fake, "pia@pushing.test");
    assert_eq!((applications, notes, tags), (1, 1, 1));
    let prospect = setup
        .fake
        .applications()
        .into_iter()
        .find(|a| a.candidate_id == candidate)
        .unwrap();
    assert!(
        prospect.prospect && prospect.job_id.is_none(),
        "{prospect:?}"
    );
}

async fn a_create_that_timed_out_is_looked_up_not_repeated(backend: Backend) {
    let setup = setup_with(backend, |c| {
        c.greenhouse.greenhouse_timeout = Duration::from_millis(500);
    })
    .await;
    let jobs = jobs(&setup).await;
    // Greenhouse creates the candidate, the note and the tag, but answers too late.
    for path in ["/v3/candidates", "/v3/notes", "/v3/candidate_tags"] {
        setup
            .fake
            .slow_next("POST", path, 1, Duration::from_millis(1200));
    }
    let id = accepted(&setup, "Tim Eout", "tim@pushing.test", &jobs[..1]).await;
    let greenhouse = settled(&setup, &id).await;
    assert_eq!(greenhouse["pushStatus"], "PUSHED", "{greenhouse}");
    assert!(greenhouse["attempts"].as_i64().unwrap() > 1, "{greenhouse}");
    let (_, applications, notes, tags) = in_greenhouse(&setup.fake, "tim@pushing.test");
    assert_eq!((applications, notes, tags), (1, 1, 1));
    assert_eq!(
        setup
            .fake
            .tags()
            .iter()
            .filter(|t| t.name == "introgate")
            .count(),
        1
    );
}

async fn failing_applications_are_retried_without_duplicates(backend: Backend) {
    let setup = setup(backend).await;
    let jobs = jobs(&setup).await;
    setup.fake.fail_next("POST", "/v3/applications", 3, 500);
    let id = accepted(&setup, "Ana Retry", "ana@pushing.test", &jobs[..2]).await;
    let greenhouse = settled(&setup, &id).await;
    assert_eq!(greenhouse["pushStatus"], "PUSHED", "{greenhouse}");
    assert_eq!(
        greenhouse["attempts"], 4,
        "three failed attempts, then done"
    );
    assert!(greenhouse["lastError"].is_null());
    let (_, applications, notes, tags) = in_greenhouse(&setup.fake, "ana@pushing.test");
    assert_eq!((applications, notes, tags), (2, 1, 1));
}

async fn two_processes_push_each_introduction_once(backend: Backend) {
    // A failed attempt waits an hour: only this test makes the pushes due again.
    let setup = setup_with(backend, |c| {
        c.greenhouse.greenhouse_retry_base = Duration::from_secs(3600)
    })
    .await;
    let sibling = setup.app.spawn_sibling(|_| {}).await;
    let jobs = jobs(&setup).await;
    // Every first attempt is refused (403 is not retried within an attempt).
    setup.fake.fail_next("GET", "/v3/candidates", 4, 403);
    let mut ids = Vec::new();
    for n in 0..4 {
        let email = format!("twin{n}@pushing.test");
        ids.push((
            email.clone(),
            accepted(&setup, &format!("Twin {n}"), &email, &jobs[..1]).await,
        ));
    }
    for (_, id) in &ids {
        wait_for_attempts(&setup, id, 1).await;
    }
    // All due at once in both processes, and Greenhouse slow enough that both are at work on
    // the queue together. (Again, should an attempt fail under load: it waits an hour.)
    setup
        .fake
        .slow("GET", "/v3/candidates", Duration::from_millis(200));
    let retry = setup.app.config.greenhouse.push_retry();
    for _ in 0..5 {
        greenhouse_push::Entity::update_many()
            .col_expr(
                greenhouse_push::Column::NextAttemptAt,
                Expr::value(chrono::Utc::now() - chrono::Duration::seconds(1)),
            )
            .exec(setup.app.state.db.write())
            .await
            .unwrap();
        let (here, there) = tokio::join!(
            push_due(&setup.app.state, retry, "here"),
            push_due(&sibling.state, retry, "there"),
        );
        assert!(here.unwrap() + there.unwrap() <= ids.len());
        let pending = greenhouse_push::Entity::find()
            .filter(greenhouse_push::Column::PushedAt.is_null())
            .count(setup.app.state.db.write())
            .await
            .unwrap();
        if pending == 0 {
            break;
        }
    }
    for (email, id) in &ids {
        assert_eq!(settled(&setup, id).await["pushStatus"], "PUSHED");
        let (_, applications, notes, tags) = in_greenhouse(&setup.fake, email);
        assert_eq!((applications, notes, tags), (1, 1, 1), "{email}");
    }
    drop(sibling);
}

/// Waits until the request's push has been attempted `attempts` times.
async fn wait_for_attempts(setup: &Setup, id: &str, attempts: u64) {
    let started = std::time::Instant::now();
    loop {
        let body = setup
            .app
            .gql(Some(&setup.casey), GREENHOUSE, json!({ "r": id }))
            .await;
        if body["data"]["node"]["greenhouse"]["attempts"].as_u64() >= Some(attempts) {
            return;
        }
        assert!(started.elapsed() < Duration::from_secs(30), "{body}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn a_push_that_keeps_failing_is_given_up_and_told(backend: Backend) {
    let setup = setup(backend).await;
    let jobs = jobs(&setup).await;
    // A scope removed in Greenhouse: every call of the credentials is refused.
    setup.fake.forbid(CLIENT_ID);
    let id = accepted(&setup, "Gil Upp", "gil@pushing.test", &jobs[..1]).await;
    let greenhouse = settled(&setup, &id).await;
    assert_eq!(greenhouse["pushStatus"], "FAILED", "{greenhouse}");
    assert_eq!(
        greenhouse["attempts"], 5,
        "GREENHOUSE_MAX_ATTEMPTS in the tests"
    );
    assert!(
        greenhouse["lastError"]
            .as_str()
            .is_some_and(|e| e.contains("forbid")),
        "{greenhouse}"
    );
    // One email, to the company's admins and the network's admins.
    let given_up = |app: &TestApp| {
        app.delivered_files()
            .into_iter()
            .filter(|e| e.subject.starts_with("Not added to Greenhouse"))
            .collect::<Vec<_>>()
    };
    let started = std::time::Instant::now();
    while given_up(&setup.app).is_empty() {
        assert!(started.elapsed() < Duration::from_secs(10), "no email");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    let sent = given_up(&setup.app);
    assert_eq!(sent.len(), 1, "{sent:?}");
    let mut to = sent[0].to.clone();
    to.sort();
    let mut expected = vec![
        "casey@pushing.test".to_owned(),
        setup.network.admin_email.clone(),
    ];
    expected.sort();
    assert_eq!(to, expected);
    assert!(sent[0].text.contains("Gil Upp"), "{}", sent[0].text);
}

async fn a_list_of_requests_reads_greenhouse_in_batches(backend: Backend) {
    let setup = setup(backend).await;
    let jobs = jobs(&setup).await;
    for n in 0..6 {
        let id = accepted(
            &setup,
            &format!("Lis {n}"),
            &format!("lis{n}@pushing.test"),
            &jobs[..1],
        )
        .await;
        settled(&setup, &id).await;
    }
    let query = "query($c: ID!, $first: Int!) { node(id: $c) { ... on Company { introRequests(first: $first) { nodes { id greenhouse { pushStatus candidateId applications { jobName status job { title } } } } } } } }";
    let mut costs = Vec::new();
    for first in [2, 6] {
        let (body, statements) = setup
            .app
            .gql_counting(
                &setup.casey,
                query,
                json!({ "c": setup.company, "first": first }),
            )
            .await;
        let nodes = body["data"]["node"]["introRequests"]["nodes"]
            .as_array()
            .unwrap();
        assert_eq!(nodes.len(), first, "{body}");
        assert!(
            nodes
                .iter()
                .all(|n| n["greenhouse"]["pushStatus"] == "PUSHED"),
            "{body}"
        );
        costs.push(statements);
    }
    assert_eq!(
        costs[0], costs[1],
        "statements at 2 and 6 requests: {costs:?}"
    );
}

const UPDATE_TALENT: &str = "mutation($input: UpdateTalentInput!) { updateTalent(input: $input) { talent { name email linkedinUrl headline } userErrors { field code } } }";

async fn talent_changes_reach_the_candidate(backend: Backend) {
    let setup = setup(backend).await;
    let jobs = jobs(&setup).await;
    let (talent, token, id) =
        accepted_talent(&setup, "Lena Ortiz", "lena@pushing.test", &jobs[..1]).await;
    assert_eq!(settled(&setup, &id).await["pushStatus"], "PUSHED");
    let (candidate, ..) = in_greenhouse(&setup.fake, "lena@pushing.test");
    let patches = || setup.fake.request_count("PATCH", "/v3/candidates/*");

    // Bad input, and someone who may not: refused, nothing changes.
    let bad = setup
        .app
        .mutate(
            Some(&token),
            "updateTalent",
            UPDATE_TALENT,
            json!({ "input": { "talentId": talent, "name": "Lena New", "email": "not an email" } }),
        )
        .await;
    assert_eq!(user_error(&bad).as_deref(), Some("INVALID_INPUT"), "{bad}");
    assert_eq!(bad["userErrors"][0]["field"], json!(["email"]));
    let company_admin = setup
        .app
        .gql(
            Some(&setup.casey),
            UPDATE_TALENT,
            json!({ "input": { "talentId": talent, "name": "Lena Company" } }),
        )
        .await;
    assert_eq!(error_code(&company_admin).as_deref(), Some("FORBIDDEN"));
    let other = setup.app.network("Elsewhere").await;
    let outsider = setup
        .app
        .gql(
            Some(&other.admin_token),
            UPDATE_TALENT,
            json!({ "input": { "talentId": talent, "name": "Lena Outside" } }),
        )
        .await;
    assert_eq!(
        user_error(&outsider["data"]["updateTalent"]).as_deref(),
        Some("NOT_FOUND"),
        "{outsider}"
    );
    let person = setup.fake.candidate(candidate).unwrap();
    assert_eq!(person.first_name, "Lena");
    assert_eq!(patches(), 0);

    // The talent's own change reaches the candidate, although Greenhouse answers 500 four
    // times (three tries of one attempt, one of the next).
    setup.fake.fail_next("PATCH", "/v3/candidates/*", 4, 500);
    let changed = setup
        .app
        .mutate(
            Some(&token),
            "updateTalent",
            UPDATE_TALENT,
            json!({ "input": {
                "talentId": talent,
                "name": "Lena María Ortiz-Vidal",
                "email": "lena.ortiz@newmail.test",
                "linkedinUrl": "https://www.linkedin.com/in/lena-ortiz",
            } }),
        )
        .await;
    assert_eq!(
        changed["talent"]["name"], "Lena María Ortiz-Vidal",
        "{changed}"
    );
    let started = std::time::Instant::now();
    let person = loop {
        let person = setup.fake.candidate(candidate).unwrap();
        if person.last_name == "María Ortiz-Vidal" {
            break person;
        }
        assert!(started.elapsed() < Duration::from_secs(30), "{person:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(person.first_name, "Lena");
    let emails: Vec<_> = person
        .email_addresses
        .iter()
        .map(|a| a.value.as_str())
        .collect();
    // The new address first; the old one kept (Greenhouse replaces a list whole).
    assert_eq!(emails, ["lena.ortiz@newmail.test", "lena@pushing.test"]);
    assert!(
        person
            .social_media_addresses
            .iter()
            .any(|a| a.value == "https://www.linkedin.com/in/lena-ortiz"),
        "{person:?}"
    );
    let greenhouse = settled(&setup, &id).await;
    assert_eq!(greenhouse["pushStatus"], "PUSHED", "{greenhouse}");
    assert_eq!(
        greenhouse["attempts"], 2,
        "a new round: one failed attempt, then done"
    );
    assert!(greenhouse["lastError"].is_null());
    let candidates = setup.fake.candidates().len();
    let patched = patches();

    // A network admin's change of the headline alone: nothing for Greenhouse.
    let headline = setup
        .app
        .mutate(
            Some(&setup.network.admin_token),
            "updateTalent",
            UPDATE_TALENT,
            json!({ "input": { "talentId": talent, "headline": "Staff engineer" } }),
        )
        .await;
    assert_eq!(
        headline["talent"]["headline"], "Staff engineer",
        "{headline}"
    );
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(patches(), patched);
    assert_eq!(
        setup.fake.candidates().len(),
        candidates,
        "no candidate created"
    );
}

//! The hiring status of pushed introductions (SPEC §6): stage and status changes in
//! Greenhouse appear on `IntroRequest.greenhouse` through the background poll, through
//! `syncGreenhouseStatuses`, and through a signed webhook well before the poll interval; a
//! badly signed webhook changes nothing.

use std::time::Duration;

use hmac::{Hmac, Mac};
use serde_json::{Value, json};
use sha2::Sha256;

use crate::{
    greenhouse_push::{GREENHOUSE, Setup, accepted, jobs, settled, setup_with},
    invitations::add_talent,
    support::{Backend, error_code, user_error},
    with_backends,
};
use introgate::{greenhouse::ApplicationStatus, services::greenhouse::statuses::poll_due};
use sea_orm::EntityTrait;

with_backends!(
    statuses_arrive_with_the_background_poll,
    sync_greenhouse_statuses_reads_them_now,
    a_signed_webhook_triggers_a_poll_and_a_bad_one_changes_nothing,
    a_due_poll_is_done_once_across_processes
);

/// A pushed introduction: the request's id and its application's Greenhouse id.
async fn pushed(setup: &Setup, name: &str, email: &str) -> (String, i64) {
    let jobs = jobs(setup).await;
    let id = accepted(setup, name, email, &jobs[..1]).await;
    assert_eq!(settled(setup, &id).await["pushStatus"], "PUSHED");
    let candidate = setup
        .fake
        .candidates()
        .into_iter()
        .find(|c| c.email_addresses.iter().any(|a| a.value == email))
        .unwrap()
        .id;
    let application = setup
        .fake
        .applications()
        .into_iter()
        .find(|a| a.candidate_id == candidate)
        .unwrap()
        .id;
    (id, application)
}

/// The request's first application as introgate shows it.
async fn shown(setup: &Setup, id: &str) -> Value {
    let body = setup
        .app
        .gql(Some(&setup.casey), GREENHOUSE, json!({ "r": id }))
        .await;
    body["data"]["node"]["greenhouse"]["applications"][0].clone()
}

/// Waits until the request's first application satisfies `until`.
async fn wait_for(
    setup: &Setup,
    id: &str,
    within: Duration,
    until: impl Fn(&Value) -> bool,
) -> Value {
    let started = std::time::Instant::now();
    loop {
        let shown = shown(setup, id).await;
        if until(&shown) {
            return shown;
        }
        assert!(started.elapsed() < within, "{shown}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The Greenhouse job id of the application.
fn greenhouse_job(setup: &Setup, application: i64) -> i64 {
    setup.fake.application(application).unwrap().job_id.unwrap()
}

async fn statuses_arrive_with_the_background_poll(backend: Backend) {
    let setup = setup_with(backend, |c| {
        c.greenhouse.greenhouse_poll_interval = Duration::from_millis(300)
    })
    .await;
    let (id, application) = pushed(&setup, "Pia Poll", "pia@pushing.test").await;
    // The first stage, read by the poll that follows the push.
    let first = wait_for(&setup, &id, Duration::from_secs(10), |a| {
        !a["stageName"].is_null()
    })
    .await;
    assert_eq!(first["stageName"], "Application Review");
    assert_eq!(first["status"], "IN_PROCESS");

    // A stage added in Greenhouse after the jobs were imported: its name is read too.
    let panel = setup
        .fake
        .add_stage(greenhouse_job(&setup, application), "Panel interview");
    setup.fake.move_application(application, panel);
    wait_for(&setup, &id, Duration::from_secs(10), |a| {
        a["stageName"] == "Panel interview"
    })
    .await;
    setup
        .fake
        .set_application_status(application, ApplicationStatus::Hired);
    wait_for(&setup, &id, Duration::from_secs(10), |a| {
        a["status"] == "HIRED"
    })
    .await;
    // Only what changed since the last poll is asked for.
    let queries = setup.fake.queries("GET", "/v3/applications");
    assert!(
        queries
            .iter()
            .flatten()
            .any(|q| q.contains("updated_at=gte%7C") || q.contains("updated_at=gte|")),
        "{queries:?}"
    );
}

const SYNC: &str = "mutation($c: ID!) { syncGreenhouseStatuses(input: {companyId: $c}) { company { greenhouse { lastPollAt lastError } } userErrors { field code } } }";

async fn sync_greenhouse_statuses_reads_them_now(backend: Backend) {
    // No background poll during the test.
    let setup = setup_with(backend, |c| {
        c.greenhouse.greenhouse_poll_interval = Duration::from_secs(3600)
    })
    .await;
    let (id, application) = pushed(&setup, "Sam Sync", "sam@pushing.test").await;
    wait_for(&setup, &id, Duration::from_secs(10), |a| {
        !a["stageName"].is_null()
    })
    .await;

    let stages = setup.fake.stages_of(greenhouse_job(&setup, application));
    setup.fake.move_application(application, stages[1].id);
    let synced = setup
        .app
        .mutate(
            Some(&setup.casey),
            "syncGreenhouseStatuses",
            SYNC,
            json!({ "c": setup.company }),
        )
        .await;
    assert!(
        !synced["company"]["greenhouse"]["lastPollAt"].is_null(),
        "{synced}"
    );
    // Done when the mutation returns.
    let now = shown(&setup, &id).await;
    assert_eq!(now["stageName"], stages[1].name);

    setup
        .fake
        .set_application_status(application, ApplicationStatus::Rejected);
    setup
        .app
        .mutate(
            Some(&setup.casey),
            "syncGreenhouseStatuses",
            SYNC,
            json!({ "c": setup.company }),
        )
        .await;
    assert_eq!(shown(&setup, &id).await["status"], "REJECTED");

    // Nobody else may: a talent of the network, another network's admin.
    let (_, talent) = add_talent(
        &setup.app,
        &setup.network,
        "Tom Talent",
        "tom@pushing.test",
        true,
    )
    .await;
    let refused = setup
        .app
        .gql(Some(&talent), SYNC, json!({ "c": setup.company }))
        .await;
    assert_eq!(
        error_code(&refused).as_deref(),
        Some("FORBIDDEN"),
        "{refused}"
    );
    let other = setup.app.network("Elsewhere").await;
    let outside = setup
        .app
        .gql(
            Some(&other.admin_token),
            SYNC,
            json!({ "c": setup.company }),
        )
        .await;
    assert_eq!(
        user_error(&outside["data"]["syncGreenhouseStatuses"]).as_deref(),
        Some("NOT_FOUND"),
        "{outside}"
    );

    // Greenhouse refusing: the reason, on the mutation and on the connection.
    setup.fake.fail_next("GET", "/v3/applications", 1, 403);
    let failed = setup
        .app
        .mutate(
            Some(&setup.casey),
            "syncGreenhouseStatuses",
            SYNC,
            json!({ "c": setup.company }),
        )
        .await;
    assert_eq!(
        user_error(&failed).as_deref(),
        Some("GREENHOUSE_AUTH_FAILED"),
        "{failed}"
    );
}

fn signature(secret: &str, body: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(body.as_bytes());
    format!("sha256 {}", hex::encode(mac.finalize().into_bytes()))
}

async fn deliver(
    setup: &Setup,
    company: &str,
    signature: Option<&str>,
    event: &str,
    body: &str,
) -> u16 {
    let mut request = setup
        .app
        .client
        .post(setup.app.url(&format!("/webhooks/greenhouse/{company}")))
        .header("content-type", "application/json")
        .header("Greenhouse-Event-ID", event)
        .body(body.to_owned());
    if let Some(signature) = signature {
        request = request.header("Signature", signature);
    }
    request.send().await.unwrap().status().as_u16()
}

async fn a_signed_webhook_triggers_a_poll_and_a_bad_one_changes_nothing(backend: Backend) {
    const SECRET: &str = "whsec-4f1c9a";
    let setup = setup_with(backend, |c| {
        c.greenhouse.greenhouse_poll_interval = Duration::from_secs(3600)
    })
    .await;
    let settings = setup.app.mutate(Some(&setup.casey), "updateGreenhouseSettings", "mutation($c: ID!, $s: String!) { updateGreenhouseSettings(input: {companyId: $c, webhookSecret: $s}) { company { greenhouse { webhookUrl webhookSecretSet } } userErrors { code } } }", json!({ "c": setup.company, "s": SECRET })).await;
    let greenhouse = &settings["company"]["greenhouse"];
    assert_eq!(greenhouse["webhookSecretSet"], true, "{settings}");
    assert!(
        greenhouse["webhookUrl"]
            .as_str()
            .unwrap()
            .ends_with(&format!("/webhooks/greenhouse/{}", setup.company)),
        "{settings}"
    );
    let (id, application) = pushed(&setup, "Wanda Hook", "wanda@pushing.test").await;
    wait_for(&setup, &id, Duration::from_secs(10), |a| {
        !a["stageName"].is_null()
    })
    .await;

    setup
        .fake
        .set_application_status(application, ApplicationStatus::Hired);
    let body =
        json!({ "action": "hire_candidate", "payload": { "application": { "id": application } } })
            .to_string();
    let polls = || setup.fake.request_count("GET", "/v3/applications");
    let before = polls();
    // Badly signed, unsigned, signed for another body, or for no such company: 401, nothing.
    let wrong = signature("not-the-secret", &body);
    let other_body = signature(SECRET, "{}");
    assert_eq!(
        deliver(&setup, &setup.company, Some(&wrong), "evt-1", &body).await,
        401
    );
    assert_eq!(
        deliver(&setup, &setup.company, None, "evt-1", &body).await,
        401
    );
    assert_eq!(
        deliver(&setup, &setup.company, Some(&other_body), "evt-1", &body).await,
        401
    );
    let good = signature(SECRET, &body);
    assert_eq!(
        deliver(&setup, &setup.network.id, Some(&good), "evt-1", &body).await,
        401
    );
    tokio::time::sleep(Duration::from_millis(700)).await;
    assert_eq!(polls(), before, "a refused webhook polls nothing");
    assert_eq!(shown(&setup, &id).await["status"], "IN_PROCESS");

    // Signed: the status arrives at once, an hour before the next poll.
    assert_eq!(
        deliver(&setup, &setup.company, Some(&good), "evt-1", &body).await,
        200
    );
    wait_for(&setup, &id, Duration::from_secs(5), |a| {
        a["status"] == "HIRED"
    })
    .await;
    // The same delivery again (Greenhouse retries): nothing done twice.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let after = polls();
    assert_eq!(
        deliver(&setup, &setup.company, Some(&good), "evt-1", &body).await,
        200
    );
    tokio::time::sleep(Duration::from_millis(700)).await;
    assert_eq!(polls(), after, "a redelivered event polls nothing");
}

async fn a_due_poll_is_done_once_across_processes(backend: Backend) {
    let interval = Duration::from_secs(3600);
    let setup = setup_with(backend, |c| {
        c.greenhouse.greenhouse_poll_interval = interval
    })
    .await;
    let sibling = setup.app.spawn_sibling(|_| {}).await;
    // The first poll after connecting, by either process's worker, done.
    let started = std::time::Instant::now();
    loop {
        let connection = entities::greenhouse_connection::Entity::find()
            .one(setup.app.state.db.write())
            .await
            .unwrap()
            .unwrap();
        if connection.last_poll_at.is_some() && connection.poll_locked_by.is_none() {
            break;
        }
        assert!(started.elapsed() < Duration::from_secs(10));
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // Due now, and Greenhouse slow: both processes find it due while the other polls.
    entities::greenhouse_connection::Entity::update_many()
        .col_expr(
            entities::greenhouse_connection::Column::NextPollAt,
            sea_orm::sea_query::Expr::value(chrono::Utc::now() - chrono::Duration::seconds(1)),
        )
        .exec(setup.app.state.db.write())
        .await
        .unwrap();
    setup
        .fake
        .slow("GET", "/v3/applications", Duration::from_millis(300));
    let before = setup.fake.request_count("GET", "/v3/applications");
    let (here, there) = tokio::join!(
        poll_due(&setup.app.state, interval, "here"),
        poll_due(&sibling.state, interval, "there"),
    );
    assert_eq!(here.unwrap() + there.unwrap(), 1, "one of them polls");
    assert_eq!(
        setup.fake.request_count("GET", "/v3/applications") - before,
        1
    );
    // Done: due again only after the interval.
    assert_eq!(
        poll_due(&sibling.state, interval, "there").await.unwrap(),
        0
    );
}

//! The Harvest v3 client against the fake Harvest server, over real HTTP: tokens, pages,
//! id chunks, pacing, retries, errors. No database.

use std::time::{Duration, Instant};

use chrono::Utc;
use futures::future::join_all;
use introgate::greenhouse::{
    Address, ApplicationStatus, CandidatePatch, ClientConfig, ClientSecret, Credentials, Harvest,
    HarvestClient, HarvestError, JobStatus, NewApplication, NewCandidate, NewNote, NoteVisibility,
};
use serde_json::json;

use crate::support::fake_harvest::{CLIENT_ID, CLIENT_SECRET, ErrorBody, FakeHarvest};

fn config(fake: &FakeHarvest) -> ClientConfig {
    ClientConfig {
        api_url: fake.url(),
        auth_url: fake.url(),
        timeout: Duration::from_secs(2),
        max_tries: 3,
        retry_base: Duration::from_millis(20),
    }
}

fn client(fake: &FakeHarvest) -> HarvestClient {
    HarvestClient::new(config(fake))
}

fn new_candidate(email: &str) -> NewCandidate {
    NewCandidate {
        first_name: "Grace".into(),
        last_name: "Hopper".into(),
        email_addresses: vec![Address {
            value: email.into(),
            kind: Some("personal".into()),
        }],
        social_media_addresses: vec![Address {
            value: "https://www.linkedin.com/in/grace".into(),
            kind: None,
        }],
    }
}

fn rejected_messages(error: HarvestError) -> (u16, Vec<String>) {
    match error {
        HarvestError::Rejected { status, messages } => (status, messages),
        other => panic!("expected Rejected, got {other:?}"),
    }
}

#[tokio::test]
async fn one_token_serves_many_calls_even_concurrent_ones() {
    let fake = FakeHarvest::start().await;
    // A slow token endpoint: concurrent callers overlap the first mint.
    fake.slow("POST", "/token", Duration::from_millis(200));
    let client = client(&fake);
    let credentials = fake.credentials();

    let results = join_all((0..20).map(|_| client.sources(&credentials))).await;
    assert!(results.iter().all(Result::is_ok), "{results:?}");
    for _ in 0..10 {
        client.clone().sources(&credentials).await.unwrap();
    }
    assert_eq!(fake.tokens_minted(CLIENT_ID), 1);
    assert_eq!(fake.request_count("GET", "/v3/sources"), 30);
}

#[tokio::test]
async fn each_credential_has_its_own_token_and_a_changed_secret_is_another_credential() {
    let fake = FakeHarvest::start().await;
    fake.add_client("second", "first-secret");
    let client = client(&fake);
    let second = Credentials {
        client_id: "second".into(),
        client_secret: ClientSecret::new("first-secret"),
        user_id: fake.admin_id(),
    };
    client.sources(&fake.credentials()).await.unwrap();
    client.sources(&second).await.unwrap();
    client.sources(&second).await.unwrap();
    assert_eq!(fake.tokens_minted(CLIENT_ID), 1);
    assert_eq!(fake.tokens_minted("second"), 1);

    fake.add_client("second", "rotated-secret");
    let rotated = Credentials {
        client_secret: ClientSecret::new("rotated-secret"),
        ..second.clone()
    };
    client.sources(&rotated).await.unwrap();
    assert_eq!(
        fake.tokens_minted("second"),
        2,
        "the new secret mints its own token"
    );
}

#[tokio::test]
async fn a_401_mid_run_mints_once_and_the_run_goes_on() {
    let fake = FakeHarvest::start().await;
    let client = client(&fake);
    let credentials = fake.credentials();
    client.sources(&credentials).await.unwrap();

    fake.revoke_tokens();
    let results = join_all((0..10).map(|_| client.sources(&credentials))).await;
    assert!(results.iter().all(Result::is_ok), "{results:?}");
    client.sources(&credentials).await.unwrap();
    assert_eq!(
        fake.tokens_minted(CLIENT_ID),
        2,
        "one new token for all of them"
    );
}

#[tokio::test]
async fn a_second_401_is_unauthorized() {
    let fake = FakeHarvest::start().await;
    let client = client(&fake);
    fake.fail_next("GET", "/v3/sources", 2, 401);
    let error = client.sources(&fake.credentials()).await.unwrap_err();
    assert!(matches!(error, HarvestError::Unauthorized(_)), "{error:?}");
    assert_eq!(fake.tokens_minted(CLIENT_ID), 2);
    assert_eq!(fake.request_count("GET", "/v3/sources"), 2);
}

#[tokio::test]
async fn a_token_is_renewed_before_it_expires_in_either_notation() {
    for expires_in in [false, true] {
        let fake = FakeHarvest::start().await;
        fake.use_expires_in(expires_in);
        // Renewed halfway through so short a life (whole seconds: 1.5 to 2 s).
        fake.set_token_lifetime(Duration::from_secs(4));
        let client = client(&fake);
        let credentials = fake.credentials();
        client.sources(&credentials).await.unwrap();
        client.sources(&credentials).await.unwrap();
        assert_eq!(fake.tokens_minted(CLIENT_ID), 1);

        tokio::time::sleep(Duration::from_millis(2100)).await;
        client.sources(&credentials).await.unwrap();
        assert_eq!(fake.tokens_minted(CLIENT_ID), 2, "expires_in: {expires_in}");
        assert_eq!(
            fake.request_count("GET", "/v3/sources"),
            3,
            "renewed before use, never refused"
        );
    }
}

#[tokio::test]
async fn every_open_job_is_read_across_pages_following_cursors_verbatim() {
    let fake = FakeHarvest::start().await;
    let open = fake.add_jobs(1234);
    fake.add_jobs_with_status(7, JobStatus::Closed);
    fake.add_jobs_with_status(3, JobStatus::Draft);

    let jobs = client(&fake).open_jobs(&fake.credentials()).await.unwrap();
    assert_eq!(jobs.len(), 1234);
    assert!(jobs.iter().all(|job| job.status == JobStatus::Open));
    let mut ids: Vec<i64> = jobs.iter().map(|job| job.id).collect();
    assert!(
        ids.windows(2).all(|w| w[0] > w[1]),
        "id descending, no repeats"
    );
    ids.sort_unstable();
    assert_eq!(ids, open);

    let queries = fake.queries("GET", "/v3/jobs");
    assert_eq!(queries.len(), 3, "{queries:?}");
    let first = queries[0].as_deref().unwrap();
    assert!(
        first.contains("per_page=500") && first.contains("status=open"),
        "{first}"
    );
    for cursor in &queries[1..] {
        let cursor = cursor.as_deref().unwrap();
        assert!(
            cursor.starts_with("cursor=") && !cursor.contains('&'),
            "{cursor}"
        );
    }
}

#[tokio::test]
async fn a_cursor_with_another_parameter_is_refused_by_the_fake() {
    let fake = FakeHarvest::start().await;
    fake.add_jobs(3);
    let http = reqwest::Client::new();
    let token: serde_json::Value = http
        .post(fake.url().join("token").unwrap())
        .basic_auth(CLIENT_ID, Some(CLIENT_SECRET))
        .form(&[
            ("grant_type", "client_credentials"),
            ("sub", &fake.admin_id().to_string()),
        ])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let token = token["access_token"].as_str().unwrap();
    let first = http
        .get(fake.url().join("v3/jobs?per_page=2").unwrap())
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    assert!(first.headers().contains_key("x-ratelimit-remaining"));
    let link = first.headers()["link"].to_str().unwrap().to_owned();
    let next = link
        .trim_start_matches('<')
        .split_once('>')
        .unwrap()
        .0
        .to_owned();
    let mixed = http
        .get(format!("{next}&per_page=2"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    assert_eq!(mixed.status(), 422);
    assert_eq!(
        mixed.json::<serde_json::Value>().await.unwrap(),
        json!({"errors": ["When passing a cursor, do not include other query params."]})
    );
    let verbatim = http.get(&next).bearer_auth(token).send().await.unwrap();
    assert_eq!(verbatim.status(), 200);
    assert_eq!(
        verbatim
            .json::<Vec<serde_json::Value>>()
            .await
            .unwrap()
            .len(),
        1
    );
}

#[tokio::test]
async fn id_filters_go_in_chunks_of_fifty() {
    let fake = FakeHarvest::start().await;
    let jobs = fake.add_jobs(120);
    let client = client(&fake);
    let credentials = fake.credentials();

    let stages = client.job_stages(&credentials, &jobs).await.unwrap();
    assert_eq!(stages.len(), 120 * 3);
    let queries = fake.queries("GET", "/v3/job_interview_stages");
    assert_eq!(queries.len(), 3);
    for query in queries {
        let query = query.unwrap();
        let ids = url::form_urlencoded::parse(query.as_bytes())
            .find(|(name, _)| name == "job_ids")
            .unwrap()
            .1
            .split(',')
            .count();
        assert!(ids <= 50, "{ids} ids in {query}");
    }

    assert!(
        client
            .job_stages(&credentials, &[])
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        fake.request_count("GET", "/v3/job_interview_stages"),
        3,
        "no ids, no request (it would list everything)"
    );
}

#[tokio::test]
async fn a_429_waits_its_retry_after_then_repeats() {
    let fake = FakeHarvest::start().await;
    let client = client(&fake);
    let credentials = fake.credentials();
    client.sources(&credentials).await.unwrap();
    fake.throttle_next("GET", "/v3/sources", 1, 2);

    let started = Instant::now();
    client.sources(&credentials).await.unwrap();
    assert!(
        started.elapsed() >= Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(fake.request_count("GET", "/v3/sources"), 3);
}

#[tokio::test]
async fn a_429_holds_the_credentials_other_calls_too() {
    let fake = FakeHarvest::start().await;
    let client = client(&fake);
    let credentials = fake.credentials();
    client.sources(&credentials).await.unwrap();
    fake.throttle_next("GET", "/v3/sources", 1, 2);

    let started = Instant::now();
    let throttled = client.sources(&credentials);
    let other = async {
        tokio::time::sleep(Duration::from_millis(500)).await;
        client.candidate_tags(&credentials).await.unwrap();
        started.elapsed()
    };
    let (throttled, other_waited) = tokio::join!(throttled, other);
    throttled.unwrap();
    assert!(other_waited >= Duration::from_secs(2), "{other_waited:?}");
}

#[tokio::test]
async fn endless_429s_end_as_unavailable() {
    let fake = FakeHarvest::start().await;
    let client = client(&fake);
    fake.throttle_next("GET", "/v3/sources", 100, 0);
    let error = client.sources(&fake.credentials()).await.unwrap_err();
    assert!(matches!(error, HarvestError::Unavailable(_)), "{error:?}");
    assert_eq!(
        fake.request_count("GET", "/v3/sources"),
        6,
        "one call, five repeats"
    );
}

#[tokio::test]
async fn with_nothing_remaining_the_client_waits_for_the_reset_instead_of_a_429() {
    let fake = FakeHarvest::start().await;
    fake.set_rate_limit(2, Duration::from_secs(1));
    let client = client(&fake);
    let credentials = fake.credentials();

    let started = Instant::now();
    for _ in 0..5 {
        client.sources(&credentials).await.unwrap();
    }
    assert_eq!(fake.throttled(), 0);
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn concurrent_calls_share_the_remaining_budget() {
    let fake = FakeHarvest::start().await;
    fake.set_rate_limit(3, Duration::from_secs(1));
    let client = client(&fake);
    let credentials = fake.credentials();
    client.sources(&credentials).await.unwrap();

    // Two left in this window: the third call waits for the next one.
    let results = join_all((0..3).map(|_| client.sources(&credentials))).await;
    assert!(results.iter().all(Result::is_ok), "{results:?}");
    assert_eq!(fake.throttled(), 0);
}

#[tokio::test]
async fn a_5xx_on_a_read_is_retried_until_it_succeeds_or_the_tries_run_out() {
    let fake = FakeHarvest::start().await;
    fake.add_jobs(2);
    let client = client(&fake);
    let credentials = fake.credentials();

    fake.fail_next("GET", "/v3/jobs", 2, 503);
    assert_eq!(client.open_jobs(&credentials).await.unwrap().len(), 2);
    assert_eq!(fake.request_count("GET", "/v3/jobs"), 3);

    fake.fail_next("GET", "/v3/sources", 10, 500);
    let error = client.sources(&credentials).await.unwrap_err();
    assert!(matches!(error, HarvestError::Unavailable(_)), "{error:?}");
    assert!(error.is_transient());
    assert_eq!(fake.request_count("GET", "/v3/sources"), 3, "max_tries");
}

#[tokio::test]
async fn a_read_that_times_out_is_repeated() {
    let fake = FakeHarvest::start().await;
    let client = HarvestClient::new(ClientConfig {
        timeout: Duration::from_millis(300),
        ..config(&fake)
    });
    fake.slow_next("GET", "/v3/sources", 1, Duration::from_secs(1));
    client.sources(&fake.credentials()).await.unwrap();
    assert_eq!(fake.request_count("GET", "/v3/sources"), 2);
}

#[tokio::test]
async fn a_create_that_times_out_after_creating_is_not_repeated() {
    let fake = FakeHarvest::start().await;
    let client = HarvestClient::new(ClientConfig {
        timeout: Duration::from_millis(300),
        ..config(&fake)
    });
    let credentials = fake.credentials();
    client.sources(&credentials).await.unwrap(); // the token, before the slowness
    fake.slow("POST", "/v3/candidates", Duration::from_secs(2));

    let started = Instant::now();
    let error = client
        .create_candidate(&credentials, &new_candidate("grace@example.com"))
        .await
        .unwrap_err();
    assert!(matches!(error, HarvestError::Unavailable(_)), "{error:?}");
    assert!(started.elapsed() < Duration::from_secs(2));
    assert_eq!(fake.request_count("POST", "/v3/candidates"), 1);
    assert_eq!(
        fake.candidates().len(),
        1,
        "created once, by the call that timed out"
    );
}

#[tokio::test]
async fn a_create_answered_5xx_is_not_repeated_but_a_429_or_a_patch_is() {
    let fake = FakeHarvest::start().await;
    let client = client(&fake);
    let credentials = fake.credentials();
    let candidate = fake.add_candidate("Ada", "Lovelace", "ada@example.com");
    let note = NewNote {
        candidate_id: candidate,
        body: "Introduced by introgate".into(),
        visibility: NoteVisibility::Public,
    };

    fake.fail_next("POST", "/v3/notes", 1, 500);
    let error = client.create_note(&credentials, &note).await.unwrap_err();
    assert!(matches!(error, HarvestError::Unavailable(_)), "{error:?}");
    assert_eq!(fake.request_count("POST", "/v3/notes"), 1);

    fake.throttle_next("POST", "/v3/notes", 1, 0);
    client.create_note(&credentials, &note).await.unwrap();
    assert_eq!(fake.request_count("POST", "/v3/notes"), 3);
    assert_eq!(fake.notes().len(), 1);

    fake.fail_next("PATCH", "/v3/candidates/*", 1, 502);
    let patch = CandidatePatch {
        last_name: Some("King".into()),
        ..CandidatePatch::default()
    };
    client
        .update_candidate(&credentials, candidate, &patch)
        .await
        .unwrap();
    assert_eq!(fake.request_count("PATCH", "/v3/candidates/*"), 2);
    assert_eq!(fake.candidate(candidate).unwrap().last_name, "King");
}

#[tokio::test]
async fn a_create_that_could_not_connect_is_unavailable_and_created_nothing() {
    let fake = FakeHarvest::start().await;
    let closed = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let nowhere: url::Url = format!("http://{}", closed.local_addr().unwrap())
        .parse()
        .unwrap();
    drop(closed);
    let client = HarvestClient::new(ClientConfig {
        api_url: nowhere,
        ..config(&fake)
    });
    let error = client
        .create_candidate(&fake.credentials(), &new_candidate("x@example.com"))
        .await
        .unwrap_err();
    assert!(matches!(error, HarvestError::Unavailable(_)), "{error:?}");
    assert!(fake.candidates().is_empty());
}

#[tokio::test]
async fn a_403_is_forbidden_and_not_retried() {
    let fake = FakeHarvest::start().await;
    fake.forbid(CLIENT_ID);
    let error = client(&fake)
        .sources(&fake.credentials())
        .await
        .unwrap_err();
    assert!(matches!(error, HarvestError::Forbidden(_)), "{error:?}");
    assert!(!error.is_transient());
    assert_eq!(fake.request_count("GET", "/v3/sources"), 1);
}

#[tokio::test]
async fn a_bad_secret_is_unauthorized_and_a_malformed_token_request_rejected() {
    let fake = FakeHarvest::start().await;
    let client = client(&fake);
    let wrong = Credentials {
        client_secret: ClientSecret::new("not-the-secret"),
        ..fake.credentials()
    };
    let error = client.verify(&wrong).await.unwrap_err();
    assert_eq!(error, HarvestError::Unauthorized("invalid_client".into()));
    assert_eq!(fake.request_count("POST", "/token"), 1, "not retried");
    assert_eq!(fake.request_count("GET", "/v3/users"), 0);

    fake.fail_next_with(
        "POST",
        "/token",
        1,
        400,
        ErrorBody::Json(json!({"message": "sub is required"})),
    );
    let error = client.verify(&fake.credentials()).await.unwrap_err();
    assert_eq!(
        rejected_messages(error),
        (400, vec!["sub is required".to_owned()])
    );
}

#[tokio::test]
async fn verify_accepts_a_site_admin_only() {
    let fake = FakeHarvest::start().await;
    let client = client(&fake);
    let admin = client.verify(&fake.credentials()).await.unwrap();
    assert_eq!(admin.id, fake.admin_id());
    assert!(admin.site_admin);
    assert_eq!(
        fake.queries("GET", "/v3/users"),
        [Some(format!("per_page=500&ids={}", fake.admin_id()))]
    );

    let recruiter = fake.add_user("Rita", "Recruiter", false);
    let error = client
        .verify(&fake.credentials_for(recruiter))
        .await
        .unwrap_err();
    assert!(matches!(error, HarvestError::Forbidden(_)), "{error:?}");

    // Where Greenhouse lets the user read itself, the client still checks.
    fake.enforce_site_admin(false);
    let error = client
        .verify(&fake.credentials_for(recruiter))
        .await
        .unwrap_err();
    assert_eq!(
        error,
        HarvestError::Forbidden(format!("Greenhouse user {recruiter} is not a Site Admin"))
    );
    let error = client.verify(&fake.credentials_for(42)).await.unwrap_err();
    assert_eq!(
        error,
        HarvestError::Forbidden("Greenhouse user 42 does not exist".into())
    );
}

#[tokio::test]
async fn every_documented_error_body_becomes_messages() {
    let fake = FakeHarvest::start().await;
    let client = client(&fake);
    let credentials = fake.credentials();
    let read = || client.candidates_by_email(&credentials, "a@example.com");

    let shapes = [
        (
            422,
            ErrorBody::Json(
                json!({"errors": [{"field": "email", "message": "is invalid"}, "bad"]}),
            ),
            vec!["email: is invalid", "bad"],
        ),
        (
            400,
            ErrorBody::Json(json!({"message": "Bad request", "errors": ["per_page"]})),
            vec!["Bad request", "per_page"],
        ),
        (
            422,
            ErrorBody::Json(json!({"message": "Only a message"})),
            vec!["Only a message"],
        ),
        (
            422,
            ErrorBody::Json(json!({})),
            vec!["HTTP 422 Unprocessable Entity"],
        ),
        (
            422,
            ErrorBody::Text("<html>oops</html>".into()),
            vec!["<html>oops</html>"],
        ),
        (400, ErrorBody::Empty, vec!["HTTP 400 Bad Request"]),
    ];
    for (status, body, expected) in shapes {
        fake.fail_next_with("GET", "/v3/candidates", 1, status, body);
        let (got_status, messages) = rejected_messages(read().await.unwrap_err());
        assert_eq!(
            (got_status, messages),
            (status, expected.iter().map(|m| m.to_string()).collect())
        );
    }

    fake.fail_next_with(
        "GET",
        "/v3/candidates",
        1,
        404,
        ErrorBody::Json(json!({"message": "Resource not found"})),
    );
    assert_eq!(
        read().await.unwrap_err(),
        HarvestError::NotFound("Resource not found".into())
    );

    // The fake's own validation speaks the same language.
    let nameless = NewCandidate {
        first_name: " ".into(),
        ..new_candidate("b@example.com")
    };
    let (status, messages) = rejected_messages(
        client
            .create_candidate(&credentials, &nameless)
            .await
            .unwrap_err(),
    );
    assert_eq!(status, 422);
    assert_eq!(messages, ["Validation error", "first_name: can't be blank"]);
}

#[tokio::test]
async fn neither_the_secret_nor_a_token_is_ever_printed() {
    let fake = FakeHarvest::start().await;
    let client = client(&fake);
    let credentials = fake.credentials();
    client.sources(&credentials).await.unwrap();
    let wrong = Credentials {
        client_secret: ClientSecret::new("wrong-secret-value"),
        ..fake.credentials()
    };
    let error = client.verify(&wrong).await.unwrap_err();

    let printed = format!(
        "{credentials:?} {wrong:?} {client:?} {error:?} {error} {:?}",
        credentials.client_secret
    );
    for secret in [CLIENT_SECRET, "wrong-secret-value", "fake-token-"] {
        assert!(!printed.contains(secret), "{secret} in {printed}");
    }
    assert!(printed.contains(CLIENT_ID), "{printed}");
}

#[tokio::test]
async fn each_method_reads_and_writes_greenhouse_records() {
    let fake = FakeHarvest::start().await;
    let client = client(&fake);
    let c = fake.credentials();
    let source = fake.add_source("introgate");
    let job = fake.add_job("Engineer", JobStatus::Open);
    let other_job = fake.add_job("Designer", JobStatus::Open);

    let sources = client.sources(&c).await.unwrap();
    assert_eq!(sources.len(), 1);
    assert_eq!(
        (sources[0].id, sources[0].name.as_str()),
        (source, "introgate")
    );

    let created = client
        .create_candidate(&c, &new_candidate("Grace@Example.com"))
        .await
        .unwrap();
    assert_eq!(created.first_name.as_deref(), Some("Grace"));
    let found = client
        .candidates_by_email(&c, "grace@example.com")
        .await
        .unwrap();
    assert_eq!(found.iter().map(|x| x.id).collect::<Vec<_>>(), [created.id]);
    assert!(
        client
            .candidates_by_email(&c, "nobody@example.com")
            .await
            .unwrap()
            .is_empty()
    );

    let mut emails = found[0].email_addresses.clone();
    emails.push(Address {
        value: "grace@work.example".into(),
        kind: Some("work".into()),
    });
    let updated = client
        .update_candidate(
            &c,
            created.id,
            &CandidatePatch {
                email_addresses: Some(emails.clone()),
                ..CandidatePatch::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(updated.email_addresses, emails);
    assert_eq!(updated.last_name.as_deref(), Some("Hopper"), "untouched");

    let since = Utc::now() - chrono::Duration::seconds(1);
    let application = client
        .create_application(
            &c,
            &NewApplication {
                candidate_id: created.id,
                job_id: Some(job),
                source_id: Some(source),
                prospect: false,
                job_ids: vec![],
            },
        )
        .await
        .unwrap();
    assert_eq!(application.job_id, Some(job));
    assert_eq!(application.status, ApplicationStatus::InProcess);
    let prospect = client
        .create_application(
            &c,
            &NewApplication {
                candidate_id: created.id,
                job_id: None,
                source_id: Some(source),
                prospect: true,
                job_ids: vec![other_job],
            },
        )
        .await
        .unwrap();
    assert!(prospect.prospect);
    assert_eq!(
        (prospect.job_id, prospect.prospective_job_ids.clone()),
        (None, vec![other_job])
    );

    let applications = client.applications_of(&c, &[created.id]).await.unwrap();
    assert_eq!(applications.len(), 2);
    let changed = client.applications_updated_since(&c, since).await.unwrap();
    assert_eq!(changed.len(), 2);
    let later = Utc::now() + chrono::Duration::seconds(5);
    assert!(
        client
            .applications_updated_since(&c, later)
            .await
            .unwrap()
            .is_empty()
    );
    let query = fake
        .queries("GET", "/v3/applications")
        .pop()
        .unwrap()
        .unwrap();
    assert!(query.contains("updated_at=gte%7C"), "{query}");

    let stages = fake.stages_of(job);
    fake.move_application(application.id, stages[1].id);
    fake.set_application_status(application.id, ApplicationStatus::Hired);
    let current = client.current_stages(&c, &[application.id]).await.unwrap();
    assert_eq!(current.len(), 1);
    assert_eq!(current[0].job_interview_stage_id, stages[1].id);
    assert!(current[0].current);
    let hired = client.applications_of(&c, &[created.id]).await.unwrap();
    assert!(
        hired
            .iter()
            .any(|a| a.id == application.id && a.status == ApplicationStatus::Hired)
    );

    let note = client
        .create_note(
            &c,
            &NewNote {
                candidate_id: created.id,
                body: "Asked by Alan, introduced by Ada".into(),
                visibility: NoteVisibility::AdminOnly,
            },
        )
        .await
        .unwrap();
    assert_eq!(fake.notes()[0].visibility, "admin_only_visible");
    let notes = client.notes_of(&c, &[created.id]).await.unwrap();
    assert_eq!(notes.len(), 1);
    assert_eq!(
        (notes[0].id, notes[0].body.as_str()),
        (note.id, note.body.as_str())
    );

    let tag = client.create_candidate_tag(&c, "introgate").await.unwrap();
    assert_eq!(tag.name, "introgate");
    assert_eq!(
        client.candidate_tags(&c).await.unwrap(),
        std::slice::from_ref(&tag)
    );
    client.apply_tag(&c, created.id, tag.id).await.unwrap();
    let applied = client.applied_tags(&c, &[created.id]).await.unwrap();
    assert_eq!(applied.len(), 1);
    assert_eq!(
        (applied[0].candidate_id, applied[0].candidate_tag_id),
        (created.id, tag.id)
    );
    assert_eq!(fake.candidate(created.id).unwrap().tags, ["introgate"]);
}

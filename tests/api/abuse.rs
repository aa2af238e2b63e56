//! Every field counts (issue 11, part 2): the reproductions of the issue, over real HTTP.
//! Duplicated fields and fragments spread many times are counted against the field limit,
//! mutations are charged in the complexity, invitations to one address are rate-limited,
//! a response carries at most 100 errors, and a batch has one timeout as a whole.

use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::{
    greenhouse::{company, connect_input},
    invitations::create_company,
    support::{Backend, TestApp, error_code, fake_harvest::FakeHarvest},
    with_backends,
};

with_backends!(
    introspection_runs_and_duplicated_fields_are_counted,
    a_batch_of_spread_fragments_is_refused_before_any_sql,
    invitations_to_one_address_are_bounded,
    a_response_carries_at_most_100_errors,
    a_batch_has_one_timeout
);

/// What GraphiQL sends (graphql-js `getIntrospectionQuery` with every option on).
const INTROSPECTION: &str = include_str!("introspection.graphql");

/// POSTs any JSON body (a batch too): the body, the SQL statements it cost, and how long
/// it took.
async fn post(app: &TestApp, token: Option<&str>, body: &Value) -> (Value, u64, Duration) {
    let started = Instant::now();
    let mut request = app.client.post(app.url("/graphql")).json(body);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = request.send().await.expect("request");
    let timing = response.headers()["server-timing"]
        .to_str()
        .unwrap()
        .to_owned();
    let statements = regex::Regex::new(r#"desc="(\d+) statements""#)
        .unwrap()
        .captures(&timing)
        .expect("statement count")[1]
        .parse()
        .unwrap();
    let body = response.json().await.expect("JSON");
    (body, statements, started.elapsed())
}

async fn introspection_runs_and_duplicated_fields_are_counted(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let network = app.network("Counted").await;

    let schema = app.gql(None, INTROSPECTION, json!({})).await;
    assert!(schema.get("errors").is_none(), "{schema:#}");
    assert!(
        schema["data"]["__schema"]["types"]
            .as_array()
            .unwrap()
            .len()
            > 50
    );

    // 600 selections, no alias: GraphQL merges them, the limit counts them.
    let merged = format!("{{ {} }}", "viewer { account { email } } ".repeat(200));
    let body = app
        .gql(Some(&network.admin_token), &merged, json!({}))
        .await;
    assert_eq!(
        error_code(&body).as_deref(),
        Some("FIELD_LIMIT_EXCEEDED"),
        "{body}"
    );
    assert!(body.get("data").is_none_or(Value::is_null), "{body}");
}

async fn a_batch_of_spread_fragments_is_refused_before_any_sql(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (_, company, token) = company(&app, "Spread").await;
    // ~2 KB per operation, 10 operations: the issue's 20 KB batch.
    let operation = format!(
        "query($c: ID!) {{ node(id: $c) {{ {} }} }} \
         fragment F on Company {{ admins {{ email }} jobs(first: 5) {{ totalCount }} }}",
        "...F ".repeat(380)
    );
    let batch: Vec<Value> = (0..10)
        .map(|_| json!({ "query": operation, "variables": { "c": company } }))
        .collect();
    let body = Value::Array(batch);
    assert!(body.to_string().len() > 20_000);
    let (answers, statements, _) = post(&app, Some(&token), &body).await;
    for answer in answers.as_array().unwrap() {
        assert_eq!(
            error_code(answer).as_deref(),
            Some("FIELD_LIMIT_EXCEEDED"),
            "{answer}"
        );
    }
    // Authenticating the caller, nothing more (the issue's batch ran 66,301).
    assert!(statements < 20, "{statements} SQL statements");
}

async fn invitations_to_one_address_are_bounded(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let network = app.network("Invites").await;
    let company = create_company(&app, &network, "Acme").await;
    let invite = |n: usize| {
        let fields: String = (0..n)
            .map(|i| {
                format!(
                    "i{i}: inviteCompanyAdmin(input: {{companyId: $c, name: \"Casey\", \
                     email: \"casey@acme.com\"}}) {{ companyAdmin {{ id }} userErrors {{ code }} }} "
                )
            })
            .collect();
        format!("mutation($c: ID!) {{ {fields} }}")
    };
    let admin = Some(network.admin_token.as_str());

    // 20 duplicated invitations: refused as a whole, before any is sent.
    let body = app.gql(admin, &invite(20), json!({ "c": company })).await;
    assert_eq!(
        error_code(&body).as_deref(),
        Some("COMPLEXITY_LIMIT_EXCEEDED"),
        "{body}"
    );

    // 5 fit the complexity: 3 are sent, the other two are rate-limited.
    let body = app.gql(admin, &invite(5), json!({ "c": company })).await;
    for i in 0..3 {
        assert!(
            body["data"][format!("i{i}")]["companyAdmin"]["id"].is_string(),
            "{body}"
        );
    }
    let errors = body["errors"].as_array().expect("errors");
    assert_eq!(errors.len(), 2, "{body}");
    for error in errors {
        assert_eq!(error["extensions"]["code"], "RATE_LIMITED", "{error}");
        let retry = error["extensions"]["retryAfter"].as_u64().unwrap();
        assert!((3000..=3600).contains(&retry), "{error}");
    }
    // And a later request too.
    let body = app.gql(admin, &invite(1), json!({ "c": company })).await;
    assert_eq!(error_code(&body).as_deref(), Some("RATE_LIMITED"), "{body}");

    for _ in 0..3 {
        app.email_to("casey@acme.com").await;
    }
    tokio::time::sleep(Duration::from_millis(600)).await;
    let sent = app
        .delivered_files()
        .into_iter()
        .filter(|e| e.to.iter().any(|t| t == "casey@acme.com"))
        .count();
    assert_eq!(sent, 3);

    // Another address is not affected.
    let other = crate::invitations::invite_company_admin(
        &app,
        &network.admin_token,
        &company,
        "dana@acme.com",
    )
    .await;
    assert!(other["companyAdmin"]["id"].is_string(), "{other}");
}

async fn a_response_carries_at_most_100_errors(backend: Backend) {
    let unknown = format!(
        "{{ {} }}",
        (0..10_000).map(|i| format!("f{i} ")).collect::<String>()
    );
    // By default the document is refused before validation lists its errors.
    let app = TestApp::spawn(backend.clone()).await;
    let response = app
        .client
        .post(app.url("/graphql"))
        .json(&json!({ "query": unknown }))
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    assert!(response.len() < 64 * 1024, "{} bytes", response.len());
    let body: Value = serde_json::from_slice(&response).unwrap();
    assert!(body["errors"].as_array().unwrap().len() <= 100, "{body}");

    // With the document limits lifted, validation's 10,000 errors are cut to 100.
    let app = TestApp::spawn_with(backend, |c| {
        c.limits.max_tokens = 1_000_000;
        c.limits.max_fields = 1_000_000;
    })
    .await;
    let response = app
        .client
        .post(app.url("/graphql"))
        .json(&json!({ "query": unknown }))
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    assert!(response.len() < 64 * 1024, "{} bytes", response.len());
    let body: Value = serde_json::from_slice(&response).unwrap();
    let errors = body["errors"].as_array().unwrap();
    assert_eq!(errors.len(), 100);
    assert_eq!(
        errors[98]["extensions"]["code"],
        "GRAPHQL_VALIDATION_FAILED"
    );
    assert_eq!(errors[99]["extensions"]["code"], "TOO_MANY_ERRORS");
    let last = errors[99]["message"].as_str().unwrap();
    assert!(last.starts_with("9901 more errors were dropped"), "{last}");
}

async fn a_batch_has_one_timeout(backend: Backend) {
    let fake = FakeHarvest::start().await;
    let url = fake.url();
    let app = TestApp::spawn_with(backend, |c| {
        c.greenhouse.greenhouse_api_url = url.clone();
        c.greenhouse.greenhouse_auth_url = url;
        c.limits.request_timeout = Duration::from_secs(1);
    })
    .await;
    let (_, company, token) = company(&app, "Slow").await;
    // Checking credentials with Greenhouse takes 600 ms: four checks take 2.4 s.
    fake.slow("POST", "/token", Duration::from_millis(600));
    const CONNECT: &str = "mutation($input: ConnectGreenhouseInput!) { connectGreenhouse(input: $input) { userErrors { code } } }";
    let operation = json!({
        "query": CONNECT,
        "variables": connect_input(&company, "wrong", fake.admin_id(), None),
    });
    let batch = Value::Array(vec![operation; 4]);
    let (answers, _, elapsed) = post(&app, Some(&token), &batch).await;
    assert!(elapsed < Duration::from_millis(1_600), "{elapsed:?}");
    let answers = answers.as_array().unwrap();
    assert_eq!(answers.len(), 4);
    // The first finished in time; the one running at the deadline and the rest did not.
    assert_eq!(
        answers[0]["data"]["connectGreenhouse"]["userErrors"][0]["code"], "GREENHOUSE_AUTH_FAILED",
        "{answers:?}"
    );
    for answer in &answers[1..] {
        assert_eq!(error_code(answer).as_deref(), Some("TIMEOUT"), "{answer}");
    }
}

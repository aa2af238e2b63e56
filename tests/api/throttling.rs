//! Password guessing is bounded (issue 11): failed sign-ins are counted per account (from
//! any address) and per client address, and past the limit every attempt is refused —
//! the right password too — with `RATE_LIMITED` and `retryAfter`, until the window
//! passes; and one request (a document or a batch) checks one password at most.

use std::time::Duration;

use serde_json::{Value, json};

use crate::{
    support::{Backend, PASSWORD, TestApp, error_code, user_error},
    with_backends,
};

with_backends!(
    the_51st_failed_sign_in_is_refused_even_with_the_right_password,
    a_client_address_is_limited_across_accounts,
    one_request_checks_one_password
);

const SIGN_IN: &str = "mutation($e: String!, $p: String!) { signIn(input: {email: $e, password: $p}) { token userErrors { code } } }";

async fn sign_in(app: &TestApp, email: &str, password: &str) -> Value {
    app.gql(None, SIGN_IN, json!({ "e": email, "p": password }))
        .await
}

fn retry_after(body: &Value) -> u64 {
    body["errors"][0]["extensions"]["retryAfter"]
        .as_u64()
        .unwrap_or_else(|| panic!("no retryAfter: {body}"))
}

async fn the_51st_failed_sign_in_is_refused_even_with_the_right_password(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let network = app.network("Guarded").await;
    for n in 0..50 {
        let wrong = sign_in(&app, &network.admin_email, &format!("guess number {n}")).await;
        assert_eq!(
            user_error(&wrong["data"]["signIn"]).as_deref(),
            Some("INVALID_CREDENTIALS"),
            "attempt {n}: {wrong}"
        );
    }
    // The 51st, with the right password, from the same or any address: refused.
    let refused = sign_in(&app, &network.admin_email, PASSWORD).await;
    assert_eq!(
        error_code(&refused).as_deref(),
        Some("RATE_LIMITED"),
        "{refused}"
    );
    let wait = retry_after(&refused);
    assert!((1..=15 * 60).contains(&wait), "{wait}");
    assert!(refused["data"]["signIn"].is_null(), "no token: {refused}");
    // The email in another case is the same account.
    let shouted = sign_in(&app, &network.admin_email.to_uppercase(), PASSWORD).await;
    assert_eq!(error_code(&shouted).as_deref(), Some("RATE_LIMITED"));

    // Once the window has passed, the right password works again.
    app.clock
        .advance(chrono::Duration::seconds(wait as i64 + 1));
    let again = sign_in(&app, &network.admin_email, PASSWORD).await;
    assert!(again["data"]["signIn"]["token"].is_string(), "{again}");
}

async fn a_client_address_is_limited_across_accounts(backend: Backend) {
    let app = TestApp::spawn_with(backend, |c| c.limits.sign_in_max_failures_per_client = 5).await;
    let network = app.network("Sprayed").await;
    // Unknown addresses count too.
    for n in 0..5 {
        let wrong = sign_in(&app, &format!("nobody{n}@sprayed.test"), "whatever it is").await;
        assert_eq!(
            user_error(&wrong["data"]["signIn"]).as_deref(),
            Some("INVALID_CREDENTIALS"),
            "{wrong}"
        );
    }
    let refused = sign_in(&app, &network.admin_email, PASSWORD).await;
    assert_eq!(
        error_code(&refused).as_deref(),
        Some("RATE_LIMITED"),
        "{refused}"
    );
    assert!(retry_after(&refused) >= 1);
}

async fn one_request_checks_one_password(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let network = app.network("Batched").await;
    let fields: String = (0..10)
        .map(|n| {
            format!(
                "a{n}: signIn(input: {{email: \"{}\", password: \"guess {n}\"}}) {{ token userErrors {{ code }} }} ",
                network.admin_email
            )
        })
        .collect();
    let started = std::time::Instant::now();
    let body = app
        .gql(None, &format!("mutation {{ {fields} }}"), json!({}))
        .await;
    let elapsed = started.elapsed();
    // The first is checked; the nine others are refused before any hashing.
    assert_eq!(
        user_error(&body["data"]["a0"]).as_deref(),
        Some("INVALID_CREDENTIALS"),
        "{body}"
    );
    let refused = body["errors"].as_array().unwrap();
    assert_eq!(refused.len(), 9, "{body}");
    assert!(
        refused
            .iter()
            .all(|e| e["extensions"]["code"] == "RATE_LIMITED"),
        "{body}"
    );
    assert!(elapsed < Duration::from_secs(10));

    // A batch is one request too.
    let operation = |password: &str| json!({ "query": SIGN_IN, "variables": { "e": network.admin_email, "p": password } });
    let batch: Value = app
        .client
        .post(app.url("/graphql"))
        .json(&json!([operation(PASSWORD), operation(PASSWORD)]))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(batch[0]["data"]["signIn"]["token"].is_string(), "{batch}");
    assert_eq!(
        error_code(&batch[1]).as_deref(),
        Some("RATE_LIMITED"),
        "{batch}"
    );

    // Only the checked password counted as a failure: 48 more are allowed, then refused.
    for n in 0..48 {
        let wrong = sign_in(&app, &network.admin_email, &format!("more {n}")).await;
        assert_eq!(
            user_error(&wrong["data"]["signIn"]).as_deref(),
            Some("INVALID_CREDENTIALS"),
            "{n}: {wrong}"
        );
    }
    let wrong = sign_in(&app, &network.admin_email, "one too many").await;
    assert_eq!(
        user_error(&wrong["data"]["signIn"]).as_deref(),
        Some("INVALID_CREDENTIALS")
    );
    let refused = sign_in(&app, &network.admin_email, PASSWORD).await;
    assert_eq!(
        error_code(&refused).as_deref(),
        Some("RATE_LIMITED"),
        "{refused}"
    );
}

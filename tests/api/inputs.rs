//! Inputs an attacker or a careless client sends (issue 11, item 6) get a clear, typed
//! answer and change nothing; none is ever a 5xx.

use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::{
    support::{Backend, TestApp, error_code, user_error},
    with_backends,
};

with_backends!(
    a_linkedin_url_must_be_https_on_linkedin,
    an_email_the_mail_transport_refuses_is_refused_at_input,
    a_nul_byte_in_search_is_invalid_input,
    an_oversized_body_is_a_json_graphql_error,
    the_bearer_scheme_is_case_insensitive
);

const ADD_TALENT: &str = "mutation($n: ID!, $e: String!, $l: String) { addTalent(input: {networkId: $n, name: \"Ann Input\", email: $e, linkedinUrl: $l}) { talent { id linkedinUrl } userErrors { field code } } }";

async fn add_talent(
    app: &TestApp,
    token: &str,
    network: &str,
    email: &str,
    linkedin: Option<&str>,
) -> Value {
    app.mutate(
        Some(token),
        "addTalent",
        ADD_TALENT,
        json!({ "n": network, "e": email, "l": linkedin }),
    )
    .await
}

async fn talent_count(app: &TestApp, token: &str, network: &str) -> i64 {
    let body = app
        .gql(
            Some(token),
            "query($n: ID!) { network(id: $n) { talent { totalCount } } }",
            json!({ "n": network }),
        )
        .await;
    body["data"]["network"]["talent"]["totalCount"]
        .as_i64()
        .unwrap_or_else(|| panic!("{body}"))
}

async fn a_linkedin_url_must_be_https_on_linkedin(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let network = app.network("Linked").await;
    let token = &network.admin_token;
    for bad in [
        "https://www.linkedin.com@evil.example/",
        "http://www.linkedin.com/in/ann",
        "https://www.linkedin.com.evil.example/in/ann",
        "javascript:alert(1)",
    ] {
        let refused = add_talent(&app, token, &network.id, "ann@input.test", Some(bad)).await;
        assert_eq!(
            user_error(&refused).as_deref(),
            Some("INVALID_INPUT"),
            "{bad}: {refused}"
        );
        assert_eq!(refused["userErrors"][0]["field"], json!(["linkedinUrl"]));
    }
    assert_eq!(
        talent_count(&app, token, &network.id).await,
        0,
        "nothing added"
    );
    let added = add_talent(
        &app,
        token,
        &network.id,
        "ann@input.test",
        Some("https://www.linkedin.com/in/ann-input"),
    )
    .await;
    assert_eq!(
        added["talent"]["linkedinUrl"], "https://www.linkedin.com/in/ann-input",
        "{added}"
    );
}

async fn an_email_the_mail_transport_refuses_is_refused_at_input(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let network = app.network("Quoted").await;
    let token = &network.admin_token;
    for bad in [
        "\"ann smith\"@input.test",
        "ann..smith@input.test",
        "anné@input.test",
    ] {
        let refused = add_talent(&app, token, &network.id, bad, None).await;
        assert_eq!(
            user_error(&refused).as_deref(),
            Some("INVALID_INPUT"),
            "{bad}: {refused}"
        );
        assert_eq!(refused["userErrors"][0]["field"], json!(["email"]));
    }
    assert_eq!(talent_count(&app, token, &network.id).await, 0);
}

async fn a_nul_byte_in_search_is_invalid_input(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let network = app.network("Searched").await;
    for query in [
        "query($n: ID!, $s: String) { network(id: $n) { talent(search: $s) { totalCount } } }",
        "query($n: ID!, $s: String) { network(id: $n) { companies(search: $s) { nodes { id } } } }",
    ] {
        let body = app
            .gql(
                Some(&network.admin_token),
                query,
                json!({ "n": network.id, "s": "ann\u{0}" }),
            )
            .await;
        assert_eq!(
            error_code(&body).as_deref(),
            Some("INVALID_INPUT"),
            "{body}"
        );
    }
}

async fn an_oversized_body_is_a_json_graphql_error(backend: Backend) {
    let app = TestApp::spawn_with(backend, |c| c.limits.max_body_bytes = 10_000).await;
    let response = app
        .client
        .post(app.url("/graphql"))
        .json(&json!({ "query": format!("{{ __typename }} # {}", "x".repeat(20_000)) }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 413);
    assert_eq!(
        response.headers()["content-type"].to_str().unwrap(),
        "application/json"
    );
    let body: Value = response.json().await.unwrap();
    assert_eq!(
        error_code(&body).as_deref(),
        Some("PAYLOAD_TOO_LARGE"),
        "{body}"
    );

    // A body that does not declare its length is refused where it passes the limit.
    let host = app.address.trim_start_matches("http://");
    let mut stream = tokio::net::TcpStream::connect(host).await.unwrap();
    let body = json!({ "query": format!("{{ __typename }} # {}", "x".repeat(20_000)) }).to_string();
    let request = format!(
        "POST /graphql HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n\
         Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n{:x}\r\n{body}\r\n0\r\n\r\n",
        body.len()
    );
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut response = Vec::new();
    // The server may close before reading all we sent: what it answered is what counts.
    let _ = stream.read_to_end(&mut response).await;
    let response = String::from_utf8_lossy(&response);
    assert!(response.starts_with("HTTP/1.1 413"), "{response}");
    assert!(response.contains("PAYLOAD_TOO_LARGE"), "{response}");
}

async fn the_bearer_scheme_is_case_insensitive(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let network = app.network("Cased").await;
    for scheme in ["Bearer", "bearer", "BEARER", "BeArEr"] {
        let body: Value = app
            .client
            .post(app.url("/graphql"))
            .header("authorization", format!("{scheme} {}", network.admin_token))
            .json(&json!({ "query": "{ viewer { account { email } } }" }))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(
            body["data"]["viewer"]["account"]["email"], network.admin_email,
            "{scheme}: {body}"
        );
    }
}

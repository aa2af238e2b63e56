//! The HTTP surface: health, readiness, metrics, GraphiQL, GraphQL-over-HTTP rules and the
//! request limits.

use serde_json::{Value, json};

use crate::{
    both_databases,
    support::{TestApp, error_code},
};

both_databases!(
    response_fields_follow_the_query,
    health_readiness_and_metrics,
    graphiql_is_served_offline,
    non_json_post_runs_nothing,
    limits_refuse_abusive_requests,
    database_fault_reveals_no_sql
);

async fn health_readiness_and_metrics(app: TestApp) {
    let health = app.client.get(app.url("/healthz")).send().await.unwrap();
    assert_eq!(health.status(), 200);
    let ready = app.client.get(app.url("/readyz")).send().await.unwrap();
    assert_eq!(ready.status(), 200);
    app.gql(None, "{ __typename }", json!({})).await;
    let metrics = app
        .client
        .get(app.url("/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        metrics.contains(
            "introgate_http_requests_total{method=\"POST\",path=\"/graphql\",status=\"200\"}"
        ),
        "{metrics}"
    );
    assert!(
        metrics.contains("introgate_db_statements_total"),
        "{metrics}"
    );
}

async fn graphiql_is_served_offline(app: TestApp) {
    let page = app
        .client
        .get(app.url("/graphiql"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("graphiql"), "not the GraphiQL page");
    for cdn in [
        "unpkg.com",
        "cdn.jsdelivr.net",
        "esm.sh",
        "<script src=\"http",
    ] {
        assert!(!page.contains(cdn), "GraphiQL loads from {cdn}");
    }
}

async fn non_json_post_runs_nothing(app: TestApp) {
    let network = app.network("Form Target").await;
    let mutation = format!(
        r#"mutation {{ createCompany(input: {{networkId: "{}", name: "Forged"}}) {{ company {{ id }} }} }}"#,
        network.id
    );
    for content_type in [
        "application/x-www-form-urlencoded",
        "text/plain",
        "multipart/form-data; boundary=x",
    ] {
        let response = app
            .client
            .post(app.url("/graphql"))
            .bearer_auth(&network.admin_token)
            .header("content-type", content_type)
            .body(json!({ "query": mutation }).to_string())
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 415, "{content_type}");
    }
    let response = app
        .client
        .get(app.url("/graphql"))
        .query(&[("query", mutation.as_str())])
        .bearer_auth(&network.admin_token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 405);
    assert_eq!(response.headers()["allow"], "POST");
    let companies = app
        .gql(
            Some(&network.admin_token),
            "query($id: ID!) { network(id: $id) { companies { totalCount } } }",
            json!({ "id": network.id }),
        )
        .await;
    assert_eq!(
        companies["data"]["network"]["companies"]["totalCount"], 0,
        "a refused request created a company"
    );
}

async fn limits_refuse_abusive_requests(app: TestApp) {
    let network = app.network("Limits").await;
    let token = Some(network.admin_token.as_str());
    let post = |body: Value| {
        let request = app
            .client
            .post(app.url("/graphql"))
            .bearer_auth(&network.admin_token)
            .header("accept", "application/graphql-response+json")
            .json(&body);
        async move {
            let response = request.send().await.unwrap();
            (
                response.status().as_u16(),
                response.json::<Value>().await.unwrap(),
            )
        }
    };

    // Too deep: network → companies → network → … twenty levels.
    let mut deep = "id".to_owned();
    for _ in 0..10 {
        deep = format!("companies(first: 1) {{ nodes {{ network {{ {deep} }} }} }}");
    }
    let (status, body) = post(json!({ "query": format!("query($id: ID!) {{ network(id: $id) {{ {deep} }} }}"), "variables": { "id": network.id } })).await;
    assert_eq!(status, 400, "{body}");
    assert!(
        body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("nested too deep"),
        "{body}"
    );
    assert!(body.get("data").is_none());

    // Too complex: 100 × 100 × 100 jobs.
    let complex = "query($id: ID!) { network(id: $id) { companies(first: 100) { nodes { jobs(first: 100) { nodes { company { jobs(first: 100) { nodes { id } } } } } } } } }";
    let (status, body) = post(json!({ "query": complex, "variables": { "id": network.id } })).await;
    assert_eq!(status, 400, "{body}");
    assert!(
        body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("complex"),
        "{body}"
    );

    // Alias flood.
    let aliases: String = (0..200)
        .map(|i| format!("a{i}: viewer {{ account {{ id }} }} "))
        .collect();
    let (status, body) = post(json!({ "query": format!("{{ {aliases} }}") })).await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(error_code(&body).as_deref(), Some("ALIAS_LIMIT_EXCEEDED"));

    // Batched flood: more operations than a batch may hold, none of which runs.
    let create = format!(
        r#"mutation {{ createCompany(input: {{networkId: "{}", name: "Flood"}}) {{ company {{ id }} }} }}"#,
        network.id
    );
    let batch: Vec<Value> = (0..50).map(|_| json!({ "query": create })).collect();
    let (status, body) = post(Value::Array(batch)).await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(error_code(&body).as_deref(), Some("BATCH_LIMIT_EXCEEDED"));

    // A body declared over the limit is refused before the server reads any of it: the
    // client learns it without sending the body (an HTTP client over a plain socket, since
    // one that keeps writing a body the server will not read races the server's close).
    let status_line = {
        use tokio::io::{AsyncBufReadExt, AsyncWriteExt};
        let address = app.address.trim_start_matches("http://");
        let mut socket = tokio::net::TcpStream::connect(address).await.unwrap();
        let head = format!(
            "POST /graphql HTTP/1.1\r\nHost: {address}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
            app.config.limits.max_body_bytes + 1
        );
        socket.write_all(head.as_bytes()).await.unwrap();
        let mut line = String::new();
        tokio::io::BufReader::new(socket)
            .read_line(&mut line)
            .await
            .unwrap();
        line
    };
    assert!(status_line.starts_with("HTTP/1.1 413"), "{status_line}");

    // Nothing of the refused requests ran; a reasonable request still works.
    let ok = app.gql(token, "query($id: ID!) { network(id: $id) { companies(first: 5) { totalCount nodes { jobs(first: 5) { nodes { id } } } } } }", json!({ "id": network.id })).await;
    assert_eq!(ok["data"]["network"]["companies"]["totalCount"], 0, "{ok}");
    // A small batch within the limit runs.
    let (status, body) = post(
        json!([{ "query": "{ __typename }" }, { "query": "{ viewer { account { email } } }" }]),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(
        body[1]["data"]["viewer"]["account"]["email"],
        network.admin_email
    );
}

async fn database_fault_reveals_no_sql(app: TestApp) {
    let network = app.network("Faulty").await;
    let created = app
        .mutate(
            Some(&network.admin_token),
            "createCompany",
            "mutation($n: ID!) { createCompany(input: {networkId: $n, name: \"Acme\"}) { company { id } } }",
            json!({ "n": network.id }),
        )
        .await;
    assert!(created["company"]["id"].is_string());
    // The fault: a table the query needs disappears under the running server.
    sea_orm::ConnectionTrait::execute_unprepared(
        app.state.db.write(),
        "ALTER TABLE job RENAME TO job_gone",
    )
    .await
    .unwrap();
    let body = app.gql(Some(&network.admin_token), "query($id: ID!) { network(id: $id) { companies { nodes { name jobs { nodes { title } } } } } }", json!({ "id": network.id })).await;
    let text = body.to_string().to_lowercase();
    assert_eq!(error_code(&body).as_deref(), Some("INTERNAL"), "{body}");
    assert_eq!(body["errors"][0]["message"], "internal error");
    assert!(body["errors"][0]["extensions"]["errorId"].is_string());
    for leak in [
        "select",
        "job_gone",
        "\"job\"",
        "no such table",
        "relation",
        "sqlx",
        "database",
    ] {
        assert!(!text.contains(leak), "response leaks {leak}: {body}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cors_allows_only_configured_origins() {
    let app = TestApp::spawn_with(crate::support::Backend::Sqlite, |c| {
        c.cors_origins = vec!["https://app.example.com".parse().unwrap()]
    })
    .await;
    let preflight = |origin: &'static str| {
        app.client
            .request(reqwest::Method::OPTIONS, app.url("/graphql"))
            .header("origin", origin)
            .header("access-control-request-method", "POST")
            .header(
                "access-control-request-headers",
                "authorization,content-type",
            )
            .send()
    };
    let allowed = preflight("https://app.example.com").await.unwrap();
    assert_eq!(
        allowed.headers()["access-control-allow-origin"],
        "https://app.example.com"
    );
    let refused = preflight("https://evil.example.com").await.unwrap();
    assert!(
        refused
            .headers()
            .get("access-control-allow-origin")
            .is_none()
    );
}

async fn response_fields_follow_the_query(app: TestApp) {
    let network = app.network("Order").await;
    let query = "query($id: ID!) { zz: __typename network(id: $id) { slug ...F name } aa: __typename } fragment F on Network { id gatekeeper }";
    let response = app
        .client
        .post(app.url("/graphql"))
        .bearer_auth(&network.admin_token)
        .json(&json!({ "query": query, "variables": { "id": network.id } }))
        .send()
        .await
        .unwrap();
    let text = response.text().await.unwrap();
    let position = |key: &str| {
        text.find(&format!("\"{key}\""))
            .unwrap_or_else(|| panic!("{key} missing: {text}"))
    };
    let order = ["zz", "network", "slug", "id", "gatekeeper", "name", "aa"].map(position);
    assert!(order.windows(2).all(|w| w[0] < w[1]), "{text}");
}

//! Lists answered in one pass (`graphql::one_pass`) answer exactly what the resolvers do:
//! every field the one pass knows, through aliases and fragments, for every role.

use introgate::graphql::ids::{GlobalId, NodeKind};
use sea_orm::{ActiveModelTrait, ActiveValue::Set, DbBackend, EntityTrait};
use serde_json::json;

use crate::{both_databases, support::TestApp};

both_databases!(one_pass_answers_what_the_resolvers_answer);

/// Every field `one_pass` answers, twice over in places (aliases, fragments, `Node`), and
/// a `Company.introRequests` the one pass leaves to the resolvers, whose own requests it
/// answers again.
const EVERY_FIELD: &str = r#"
fragment Request on IntroRequest {
  __typename id direction status inboxSection message createdAt updatedAt sentAt decidedAt
  declineReason
  talent { __typename id name email headline linkedinUrl verified claimed createdAt }
  company { ...Company }
  jobs { __typename id title location department url status greenhouseJobId createdAt }
  events { __typename at fromStatus toStatus note }
  ... on Node { id }
}
fragment Company on Company {
  __typename id name domain websiteUrl createdAt hasActiveAdmin
  admins { __typename id name email status invitedAt acceptedAt }
  open: jobs(status: OPEN, first: 2) {
    __typename
    nodes { id title }
    edges { __typename cursor node { id status } }
    pageInfo { __typename hasPreviousPage hasNextPage startCursor endCursor }
  }
  jobs(last: 3) { nodes { __typename id title status } pageInfo { hasPreviousPage hasNextPage } }
}
query($network: ID!) {
  node(id: $network) {
    ... on Network {
      introRequests(first: 30) {
        nodes { ...Request }
        edges { cursor node { id status company { name } talent: company { id } } }
        totalCount
      }
      companies(first: 10) {
        nodes {
          ...Company
          introRequests(first: 5) { nodes { ...Request } }
        }
      }
    }
  }
}
"#;

/// What PostgreSQL builds in SQL (`one_pass::sql`): every field of `EVERY_FIELD` but
/// `declineReason` and the jobs after a cursor or from the end, and the benchmark's list.
const SQL_FIELDS: &str = r#"
fragment Request on IntroRequest {
  __typename id direction status inboxSection message createdAt updatedAt sentAt decidedAt
  talent { __typename id name email headline linkedinUrl verified claimed createdAt }
  company { ...Company }
  jobs { __typename id title location department url status greenhouseJobId createdAt }
  events { __typename at fromStatus toStatus note }
  ... on Node { id }
}
fragment Company on Company {
  __typename id name domain websiteUrl createdAt hasActiveAdmin
  admins { __typename id name email status invitedAt acceptedAt }
  open: jobs(status: OPEN, first: 2) {
    __typename
    nodes { id title }
    edges { __typename cursor node { id status } }
    pageInfo { __typename hasPreviousPage hasNextPage startCursor endCursor }
  }
  closed: jobs(status: CLOSED, first: 1) { edges { cursor } pageInfo { hasNextPage endCursor } }
  jobs { nodes { __typename id title status } pageInfo { hasPreviousPage hasNextPage } }
  one: jobs(first: 1) { nodes { id } pageInfo { hasNextPage startCursor } }
}
query($network: ID!) {
  node(id: $network) {
    ... on Network {
      introRequests(first: 30) {
        nodes { ...Request }
        edges { cursor node { id status company { name } talent: company { id } } }
      }
      nested: introRequests(first: 50) { nodes { id status direction message createdAt talent { id name headline } company { id name admins { id name email status } jobs(first: 5) { nodes { id title status } } } jobs { id title } events { at fromStatus toStatus note } } }
      companies(first: 10) { nodes { ...Company } }
    }
  }
}
"#;

/// The network admins' inbox, a list only they see.
const INBOX: &str = r#"
query($network: ID!) {
  node(id: $network) {
    ... on Network {
      inbox(section: IN_NETWORK, first: 50) { nodes { id status talent { name } company { name admins { email } } } }
    }
  }
}
"#;

async fn one_pass_answers_what_the_resolvers_answer(app: TestApp) {
    let credentials = introgate::demo::seed(&app.state)
        .await
        .unwrap()
        .expect("an empty database is seeded");
    let field_by_field = app
        .spawn_sibling(|config| config.limits.one_pass = false)
        .await;
    let network = entities::network::Entity::find()
        .one(app.state.db.read())
        .await
        .unwrap()
        .expect("the demo network");
    let variables = json!({ "network": GlobalId::encode(NodeKind::Network, network.id) });
    // Timestamps of every precision the `DateTime` scalar writes: PostgreSQL formats them
    // for the lists it builds.
    let requests = entities::intro_request::Entity::find()
        .all(app.state.db.read())
        .await
        .unwrap();
    let at = |text: &str| text.parse::<chrono::DateTime<chrono::Utc>>().unwrap();
    for (request, created_at) in requests.into_iter().zip([
        at("2026-01-02T03:04:05Z"),
        at("2026-01-02T03:04:05.120Z"),
        at("2026-01-02T03:04:05.123400Z"),
        at("2026-01-02T03:04:05.000001Z"),
    ]) {
        let mut request: entities::intro_request::ActiveModel = request.into();
        request.created_at = Set(created_at);
        request.update(app.state.db.write()).await.unwrap();
    }

    let mut callers: Vec<(String, Option<String>)> = vec![("anonymous".into(), None)];
    for (role, email, password) in &credentials.logins {
        callers.push((
            format!("{role} {email}"),
            Some(app.sign_in(email, password).await),
        ));
    }
    let admin = callers[1]
        .1
        .clone()
        .expect("the demo's first login is a network admin");
    let token = app
        .mutate(
            Some(&admin),
            "createApiToken",
            "mutation($n: ID!) { createApiToken(input: {networkId: $n, name: \"bridge\"}) { token } }",
            json!({ "n": variables["network"] }),
        )
        .await;
    callers.push((
        "API token".into(),
        token["token"].as_str().map(str::to_owned),
    ));

    let before = one_pass_objects(&app).await;
    let mut requests_seen = 0;
    for (who, token) in &callers {
        for query in [EVERY_FIELD, SQL_FIELDS, INBOX] {
            let one_pass = app.gql(token.as_deref(), query, variables.clone()).await;
            let resolved = field_by_field
                .gql(token.as_deref(), query, variables.clone())
                .await;
            assert_eq!(one_pass, resolved, "{who}: {query}");
            assert!(
                one_pass.get("errors").is_none() || query == INBOX,
                "{who}: {one_pass}"
            );
            if let Some(nodes) = one_pass.pointer("/data/node/introRequests/nodes") {
                requests_seen += nodes.as_array().unwrap().len();
            }
        }
    }
    // The comparison saw real answers, and the one pass gave them.
    assert!(requests_seen >= 10, "{requests_seen} requests seen");
    let answered = one_pass_objects(&app).await - before;
    assert!(
        answered >= requests_seen as f64,
        "{answered} objects in one pass"
    );
    assert_eq!(one_pass_objects(&field_by_field).await, 0.0);
    let in_sql = app
        .metric("introgate_graphql_one_pass_sql_objects_total")
        .await;
    match app.state.db.read().get_database_backend() {
        // SQL_FIELDS's requests at least, for every caller who sees some.
        DbBackend::Postgres => assert!(in_sql >= requests_seen as f64 / 3.0, "{in_sql}"),
        _ => assert_eq!(in_sql, 0.0),
    }

    // Over WebSocket, where the JSON PostgreSQL builds is parsed into the answer.
    let mut ws = app.ws(&admin).await;
    ws.subscribe("q", SQL_FIELDS, variables.clone()).await;
    let over_ws = ws.next_data("q").await;
    let over_http = app.gql(Some(&admin), SQL_FIELDS, variables.clone()).await;
    assert_eq!(over_ws, over_http["data"]);
    ws.close().await;

    // Byte for byte, keys in query order included (JSON objects compare unordered).
    let text = |app: &TestApp| {
        app.client
            .post(app.url("/graphql"))
            .bearer_auth(&admin)
            .json(&json!({ "query": SQL_FIELDS, "variables": variables }))
            .send()
    };
    let one_pass = text(&app).await.unwrap().text().await.unwrap();
    let resolved = text(&field_by_field).await.unwrap().text().await.unwrap();
    assert_eq!(one_pass, resolved);
}

async fn one_pass_objects(app: &TestApp) -> f64 {
    app.metric("introgate_graphql_one_pass_objects_total").await
}

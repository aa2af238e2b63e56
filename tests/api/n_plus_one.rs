//! A nested list query costs the same number of SQL statements for 5 items as for 50.

use sea_orm::DbBackend;
use serde_json::json;

use crate::{
    both_databases,
    invitations::{create_company, invite_company_admin},
    support::TestApp,
};

both_databases!(nested_company_list_costs_the_same_at_5_and_50);

const NESTED: &str = "query($id: ID!, $first: Int!) { network(id: $id) { companies(first: $first) { totalCount nodes { id name hasActiveAdmin admins { name email status company { name jobs(first: 2) { totalCount } } } jobs(first: 5) { totalCount nodes { title company { name network { name } } } } network { name } } } } }";

async fn nested_company_list_costs_the_same_at_5_and_50(app: TestApp) {
    let network = app.network("Wide").await;
    for i in 0..50 {
        let company = create_company(&app, &network, &format!("Company {i:02}")).await;
        invite_company_admin(
            &app,
            &network.admin_token,
            &company,
            &format!("admin{i}@c.test"),
        )
        .await;
        for title in ["Engineer", "Designer", "Analyst"] {
            app.mutate(Some(&network.admin_token), "createJob", "mutation($c: ID!, $t: String!) { createJob(input: {companyId: $c, title: $t}) { job { id } } }", json!({ "c": company, "t": title })).await;
        }
    }
    let mut costs = Vec::new();
    for first in [5, 50] {
        let (body, statements) = app
            .gql_counting(
                &network.admin_token,
                NESTED,
                json!({ "id": network.id, "first": first }),
            )
            .await;
        costs.push(statements);
        assert!(body.get("errors").is_none(), "{body}");
        let companies = body["data"]["network"]["companies"]["nodes"]
            .as_array()
            .unwrap();
        assert_eq!(companies.len(), first);
        assert_eq!(companies[first - 1]["jobs"]["totalCount"], 3);
        assert_eq!(
            companies[first - 1]["admins"][0]["company"]["jobs"]["totalCount"],
            3
        );
    }
    println!("statements at 5 and 50: {costs:?}");
    assert_eq!(
        costs[0], costs[1],
        "statements at 5 and 50 companies: {costs:?}"
    );
    assert!(costs[0] <= 20, "bounded by the query's shape: {costs:?}");
}

both_databases!(nested_inbox_costs_the_same_at_5_and_50);

const INBOX: &str = "query($id: ID!, $first: Int!) { network(id: $id) { inbox(section: OUT_OF_NETWORK, first: $first) { totalCount nodes { id message status talent { name headline } company { name hasActiveAdmin admins { email status } jobs(first: 3) { totalCount nodes { title } } } jobs { title company { name } } requestedBy { email } events { toStatus actor { name } } } } } }";

/// A network of 50 companies, each with an invited admin and a job, and a request from
/// Vera to each that waits for a point of contact.
async fn busy_network(app: &TestApp) -> crate::support::TestNetwork {
    let network = app.network("Busy").await;
    let admin = Some(network.admin_token.as_str());
    let (_, vera) =
        crate::invitations::add_talent(app, &network, "Vera", "vera@talent.test", true).await;
    for i in 0..50 {
        let company = create_company(app, &network, &format!("Company {i:02}")).await;
        // Invited, not active: the requests wait for a point of contact.
        invite_company_admin(
            app,
            &network.admin_token,
            &company,
            &format!("admin{i}@c.test"),
        )
        .await;
        let job = app.mutate(admin, "createJob", "mutation($c: ID!) { createJob(input: {companyId: $c, title: \"Engineer\"}) { job { id } } }", json!({ "c": company })).await["job"]["id"].clone();
        let asked = app
            .mutate(Some(&vera), "requestIntroToCompany", "mutation($c: ID!, $j: ID!) { requestIntroToCompany(input: {companyId: $c, jobIds: [$j], message: \"Hi\"}) { introRequest { status } } }", json!({ "c": company, "j": job }))
            .await;
        assert_eq!(asked["introRequest"]["status"], "AWAITING_POINT_OF_CONTACT");
    }
    network
}

async fn nested_inbox_costs_the_same_at_5_and_50(app: TestApp) {
    let network = busy_network(&app).await;
    let mut costs = Vec::new();
    for first in [5, 50] {
        let (body, statements) = app
            .gql_counting(
                &network.admin_token,
                INBOX,
                json!({ "id": network.id, "first": first }),
            )
            .await;
        assert!(body.get("errors").is_none(), "{body}");
        let nodes = body["data"]["network"]["inbox"]["nodes"]
            .as_array()
            .unwrap();
        assert_eq!(nodes.len(), first);
        let last = &nodes[first - 1];
        assert_eq!(last["jobs"][0]["title"], "Engineer");
        assert_eq!(last["company"]["admins"][0]["status"], "INVITED");
        assert_eq!(last["events"][0]["actor"]["name"], "Vera");
        costs.push(statements);
    }
    println!("statements at 5 and 50: {costs:?}");
    assert_eq!(
        costs[0], costs[1],
        "statements at 5 and 50 requests: {costs:?}"
    );
}

both_databases!(the_admins_nested_list_is_six_statements_at_5_and_50_and_three_on_postgres);

/// The read-path bench's nested list (`cargo bench --bench read_path`).
const REQUESTS: &str = "query($id: ID!, $first: Int!) { node(id: $id) { ... on Network { introRequests(first: $first) { nodes { id status talent { name headline } company { name admins { email status } jobs(first: 5) { nodes { title status } } } jobs { title } events { toStatus note } } } } } }";

/// The session and memberships are one statement, the page is read with its talent and
/// companies, and each nested list is one statement for the whole page: six in all. On
/// PostgreSQL the page's objects are one statement (`one_pass::sql`): three in all.
async fn the_admins_nested_list_is_six_statements_at_5_and_50_and_three_on_postgres(app: TestApp) {
    let network = busy_network(&app).await;
    let mut costs = Vec::new();
    for first in [5, 50] {
        let (body, statements) = app
            .gql_counting(
                &network.admin_token,
                REQUESTS,
                json!({ "id": network.id, "first": first }),
            )
            .await;
        assert!(body.get("errors").is_none(), "{body}");
        let nodes = body["data"]["node"]["introRequests"]["nodes"]
            .as_array()
            .unwrap();
        assert_eq!(nodes.len(), first);
        let oldest = &nodes[first - 1];
        assert_eq!(oldest["talent"]["name"], "Vera");
        assert_eq!(
            oldest["company"]["name"],
            format!("Company {:02}", 50 - first)
        );
        assert_eq!(oldest["company"]["admins"][0]["status"], "INVITED");
        assert_eq!(oldest["company"]["jobs"]["nodes"][0]["title"], "Engineer");
        assert_eq!(oldest["jobs"][0]["title"], "Engineer");
        assert_eq!(
            oldest["events"].as_array().unwrap().last().unwrap()["toStatus"],
            "AWAITING_POINT_OF_CONTACT"
        );
        costs.push(statements);
    }
    let expected = match app.state.db.read().get_database_backend() {
        DbBackend::Postgres => 3,
        _ => 6,
    };
    assert_eq!(
        costs,
        [expected, expected],
        "statements at 5 and 50 requests"
    );
}

both_databases!(a_request_by_node_is_read_with_its_talent_and_company);

const NODE: &str = "query($r: ID!) { node(id: $r) { ... on IntroRequest { id status talent { name } company { name } } } }";

const TWO_NODES: &str = "query($r: ID!, $s: ID!) { a: node(id: $r) { ... on IntroRequest { talent { name } company { name } } } b: node(id: $s) { ... on IntroRequest { talent { name } company { name } } } }";

/// `node` of a request reads the request, its talent and its company in one statement
/// (they were three), after the session's, and so do two `node`s in one document; one who
/// may not see it still gets `null`.
async fn a_request_by_node_is_read_with_its_talent_and_company(app: TestApp) {
    let network = app.network("Node").await;
    let (_, vera) =
        crate::invitations::add_talent(&app, &network, "Vera", "vera@talent.test", true).await;
    let (_, wim) =
        crate::invitations::add_talent(&app, &network, "Wim", "wim@talent.test", true).await;
    // Vera asks Acme, Wim asks Bolt: the id of each request.
    let mut ids = Vec::new();
    for (talent, name) in [(&vera, "Acme"), (&wim, "Bolt")] {
        let company = create_company(&app, &network, name).await;
        let asked = app
            .mutate(
                Some(talent),
                "requestIntroToCompany",
                "mutation($c: ID!) { requestIntroToCompany(input: {companyId: $c, message: \"Hi\"}) { introRequest { id } } }",
                json!({ "c": company }),
            )
            .await;
        ids.push(asked["introRequest"]["id"].clone());
    }
    let (request, second) = (ids[0].clone(), ids[1].clone());

    let (body, statements) = app
        .gql_counting(&network.admin_token, NODE, json!({ "r": request }))
        .await;
    assert!(body.get("errors").is_none(), "{body}");
    let node = &body["data"]["node"];
    assert_eq!(node["id"], request);
    assert_eq!(node["talent"]["name"], "Vera");
    assert_eq!(node["company"]["name"], "Acme");
    assert_eq!(statements, 2, "the session, then the request with both");

    let (body, statements) = app
        .gql_counting(
            &network.admin_token,
            TWO_NODES,
            json!({ "r": request, "s": second }),
        )
        .await;
    assert!(body.get("errors").is_none(), "{body}");
    assert_eq!(body["data"]["a"]["talent"]["name"], "Vera");
    assert_eq!(body["data"]["b"]["talent"]["name"], "Wim");
    assert_eq!(body["data"]["b"]["company"]["name"], "Bolt");
    assert_eq!(
        statements, 2,
        "two nodes: still the session, then one statement"
    );

    let (body, _) = app.gql_counting(&wim, NODE, json!({ "r": request })).await;
    assert!(body.get("errors").is_none(), "{body}");
    assert_eq!(body["data"]["node"], serde_json::Value::Null, "{body}");
}

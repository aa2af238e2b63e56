//! SPEC §4.1: what each role sees and does, and that one network sees nothing of another,
//! through any query, `node` and `nodes` included.

use serde_json::{Value, json};

use crate::{
    both_databases,
    invitations::{accept, add_talent, create_company, invite_company_admin},
    support::{PASSWORD, TestApp, TestNetwork, error_code, user_error},
};

both_databases!(
    another_network_sees_and_changes_nothing,
    talent_sees_their_profile_companies_and_open_jobs,
    company_admin_sees_their_company_and_all_talent,
    ally_sees_no_network_data,
    anonymous_sees_nothing
);

/// Network A with one of everything, and its ids.
struct World {
    a: TestNetwork,
    company: String,
    other_company: String,
    company_admin: String,
    company_admin_token: String,
    verified: String,
    verified_token: String,
    unverified: String,
    open_job: String,
    closed_job: String,
    ally: String,
    ally_token: String,
    api_token_id: String,
}

impl World {
    fn ids(&self) -> Vec<&str> {
        vec![
            &self.a.id,
            &self.company,
            &self.other_company,
            &self.company_admin,
            &self.verified,
            &self.unverified,
            &self.open_job,
            &self.closed_job,
            &self.ally,
            &self.api_token_id,
        ]
    }
}

async fn create_job(app: &TestApp, token: &str, company: &str, title: &str) -> String {
    let payload = app.mutate(Some(token), "createJob", "mutation($c: ID!, $t: String!) { createJob(input: {companyId: $c, title: $t}) { job { id } userErrors { code } } }", json!({ "c": company, "t": title })).await;
    payload["job"]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("{payload}"))
        .to_owned()
}

async fn world(app: &TestApp) -> World {
    let a = app.network("Alpha").await;
    let admin = Some(a.admin_token.as_str());
    let company = create_company(app, &a, "Acme").await;
    let other_company = create_company(app, &a, "Beta").await;
    let invited = invite_company_admin(app, &a.admin_token, &company, "casey@acme.com").await;
    let company_admin_token = accept(
        app,
        &app.email_to("casey@acme.com").await.invitation_token(),
        PASSWORD,
    )
    .await["token"]
        .as_str()
        .unwrap()
        .to_owned();
    let (verified, verified_token) = add_talent(app, &a, "Vera", "vera@talent.test", true).await;
    let (unverified, _) = add_talent(app, &a, "Ugo", "ugo@talent.test", false).await;
    let open_job = create_job(app, &company_admin_token, &company, "Engineer").await;
    let closed_job = create_job(app, &a.admin_token, &company, "Old role").await;
    app.mutate(
        admin,
        "closeJob",
        "mutation($j: ID!) { closeJob(input: {jobId: $j}) { job { status } } }",
        json!({ "j": closed_job }),
    )
    .await;
    let ally = app
        .mutate(admin, "inviteTeamMember", "mutation($n: ID!) { inviteTeamMember(input: {networkId: $n, role: ALLY, name: \"Al\", email: \"al@friends.test\"}) { ally { id } } }", json!({ "n": a.id }))
        .await["ally"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let ally_token = accept(
        app,
        &app.email_to("al@friends.test").await.invitation_token(),
        PASSWORD,
    )
    .await["token"]
        .as_str()
        .unwrap()
        .to_owned();
    let api = app.mutate(admin, "createApiToken", "mutation($n: ID!) { createApiToken(input: {networkId: $n, name: \"bridge\"}) { apiToken { id } } }", json!({ "n": a.id })).await;
    World {
        company_admin: invited["companyAdmin"]["id"].as_str().unwrap().to_owned(),
        api_token_id: api["apiToken"]["id"].as_str().unwrap().to_owned(),
        a,
        company,
        other_company,
        company_admin_token,
        verified,
        verified_token,
        unverified,
        open_job,
        closed_job,
        ally,
        ally_token,
    }
}

const EVERYTHING: &str = "query($id: ID!) { network(id: $id) { name gatekeeper companies { totalCount nodes { name admins { email } jobs { totalCount nodes { title status } } } } talent { totalCount nodes { name verified } } allies { totalCount nodes { status contactCount } } admins { email } apiTokens { name } } }";

async fn nodes_seen(app: &TestApp, token: Option<&str>, world: &World) -> Vec<Value> {
    let body = app
        .gql(
            token,
            "query($ids: [ID!]!) { nodes(ids: $ids) { id } }",
            json!({ "ids": world.ids() }),
        )
        .await;
    let mut seen: Vec<Value> = body["data"]["nodes"]
        .as_array()
        .unwrap_or_else(|| panic!("{body}"))
        .clone();
    for id in world.ids() {
        let one = app
            .gql(
                token,
                "query($id: ID!) { node(id: $id) { id } }",
                json!({ "id": id }),
            )
            .await;
        seen.push(one["data"]["node"].clone());
    }
    seen
}

async fn another_network_sees_and_changes_nothing(app: TestApp) {
    let world = world(&app).await;
    let b = app.network("Bravo").await;
    let outsider = Some(b.admin_token.as_str());

    assert!(
        app.gql(outsider, EVERYTHING, json!({ "id": world.a.id }))
            .await["data"]["network"]
            .is_null()
    );
    assert!(
        nodes_seen(&app, outsider, &world)
            .await
            .iter()
            .all(Value::is_null),
        "network B sees network A's objects"
    );

    let attempts: Vec<(&str, &str, Value)> = vec![
        (
            "updateNetworkSettings",
            "mutation($id: ID!) { updateNetworkSettings(input: {networkId: $id, gatekeeper: true}) { userErrors { code } } }",
            json!({ "id": world.a.id }),
        ),
        (
            "inviteTeamMember",
            "mutation($id: ID!) { inviteTeamMember(input: {networkId: $id, role: NETWORK_ADMIN, name: \"X\", email: \"x@x.test\"}) { userErrors { code } } }",
            json!({ "id": world.a.id }),
        ),
        (
            "createCompany",
            "mutation($id: ID!) { createCompany(input: {networkId: $id, name: \"X\"}) { userErrors { code } } }",
            json!({ "id": world.a.id }),
        ),
        (
            "addTalent",
            "mutation($id: ID!) { addTalent(input: {networkId: $id, name: \"X\", email: \"x@x.test\"}) { userErrors { code } } }",
            json!({ "id": world.a.id }),
        ),
        (
            "createApiToken",
            "mutation($id: ID!) { createApiToken(input: {networkId: $id, name: \"X\"}) { userErrors { code } } }",
            json!({ "id": world.a.id }),
        ),
        (
            "inviteCompanyAdmin",
            "mutation($id: ID!) { inviteCompanyAdmin(input: {companyId: $id, name: \"X\", email: \"x@x.test\"}) { userErrors { code } } }",
            json!({ "id": world.company }),
        ),
        (
            "createJob",
            "mutation($id: ID!) { createJob(input: {companyId: $id, title: \"X\"}) { userErrors { code } } }",
            json!({ "id": world.company }),
        ),
        (
            "closeJob",
            "mutation($id: ID!) { closeJob(input: {jobId: $id}) { userErrors { code } } }",
            json!({ "id": world.open_job }),
        ),
        (
            "setTalentVerified",
            "mutation($id: ID!) { setTalentVerified(input: {talentId: $id, verified: true}) { userErrors { code } } }",
            json!({ "id": world.unverified }),
        ),
    ];
    for (field, mutation, variables) in attempts {
        let payload = app.mutate(outsider, field, mutation, variables).await;
        assert_eq!(
            user_error(&payload).as_deref(),
            Some("NOT_FOUND"),
            "{field}: {payload}"
        );
    }

    let after = app
        .gql(
            Some(&world.a.admin_token),
            EVERYTHING,
            json!({ "id": world.a.id }),
        )
        .await;
    let network = &after["data"]["network"];
    assert_eq!(network["gatekeeper"], false);
    assert_eq!(network["companies"]["totalCount"], 2);
    assert_eq!(network["talent"]["totalCount"], 2);
    assert_eq!(network["talent"]["nodes"][1]["verified"], false);
    assert_eq!(
        network["companies"]["nodes"][0]["jobs"]["nodes"][0]["status"],
        "OPEN"
    );
    assert_eq!(network["apiTokens"].as_array().unwrap().len(), 1);
    assert_eq!(
        network["allies"]["nodes"],
        json!([{ "status": "ACTIVE", "contactCount": 0 }])
    );
    // The network admin of A sees all of it.
    assert!(
        nodes_seen(&app, Some(&world.a.admin_token), &world)
            .await
            .iter()
            .all(Value::is_object)
    );
}

async fn talent_sees_their_profile_companies_and_open_jobs(app: TestApp) {
    let world = world(&app).await;
    let talent = Some(world.verified_token.as_str());
    let body = app
        .gql(talent, EVERYTHING, json!({ "id": world.a.id }))
        .await;
    let network = &body["data"]["network"];
    assert_eq!(
        network["talent"]["nodes"],
        json!([{ "name": "Vera", "verified": true }]),
        "{body}"
    );
    assert_eq!(network["companies"]["totalCount"], 2);
    assert_eq!(
        network["companies"]["nodes"][0]["admins"],
        json!([]),
        "talent sees company admins"
    );
    assert_eq!(
        network["companies"]["nodes"][0]["jobs"]["nodes"],
        json!([{ "title": "Engineer", "status": "OPEN" }])
    );
    assert_eq!(network["allies"]["totalCount"], 0);
    assert_eq!(network["admins"], json!([]));
    let seen = nodes_seen(&app, talent, &world).await;
    let visible: Vec<&Value> = seen.iter().filter(|v| v.is_object()).collect();
    // network, two companies, own profile, the open job — twice (nodes and node).
    assert_eq!(visible.len(), 10, "{seen:#?}");
    for id in [
        &world.unverified,
        &world.closed_job,
        &world.company_admin,
        &world.ally,
        &world.api_token_id,
    ] {
        let one = app
            .gql(
                talent,
                "query($id: ID!) { node(id: $id) { id } }",
                json!({ "id": id }),
            )
            .await;
        assert!(one["data"]["node"].is_null(), "talent sees {id}");
    }
    let act = app.gql(talent, "mutation($n: ID!) { createCompany(input: {networkId: $n, name: \"X\"}) { userErrors { code } } }", json!({ "n": world.a.id })).await;
    assert_eq!(error_code(&act).as_deref(), Some("FORBIDDEN"));
    let verify = app.gql(talent, "mutation($t: ID!) { setTalentVerified(input: {talentId: $t, verified: true}) { userErrors { code } } }", json!({ "t": world.unverified })).await;
    assert_eq!(
        verify["data"]["setTalentVerified"]["userErrors"][0]["code"], "NOT_FOUND",
        "{verify}"
    );
}

async fn company_admin_sees_their_company_and_all_talent(app: TestApp) {
    let world = world(&app).await;
    let company_admin = Some(world.company_admin_token.as_str());
    let body = app
        .gql(company_admin, EVERYTHING, json!({ "id": world.a.id }))
        .await;
    let network = &body["data"]["network"];
    // All of the network's talent, `verified` shown (SPEC §4.1): companies may ask to meet
    // unverified talent, through review.
    assert_eq!(
        network["talent"]["nodes"],
        json!([{ "name": "Vera", "verified": true }, { "name": "Ugo", "verified": false }]),
        "{body}"
    );
    let companies = network["companies"]["nodes"].as_array().unwrap();
    assert_eq!(companies[0]["admins"][0]["email"], "casey@acme.com");
    assert_eq!(
        companies[0]["jobs"]["totalCount"], 2,
        "their own company's jobs, closed too"
    );
    assert_eq!(
        companies[1]["admins"],
        json!([]),
        "another company's admins"
    );
    assert_eq!(network["allies"]["totalCount"], 0);

    // Manage their own company; not another one.
    create_job(&app, &world.company_admin_token, &world.company, "Designer").await;
    let other = app.gql(company_admin, "mutation($c: ID!) { createJob(input: {companyId: $c, title: \"X\"}) { userErrors { code } } }", json!({ "c": world.other_company })).await;
    assert_eq!(error_code(&other).as_deref(), Some("FORBIDDEN"));
    let more = invite_company_admin(
        &app,
        &world.company_admin_token,
        &world.company,
        "second@acme.com",
    )
    .await;
    assert_eq!(more["companyAdmin"]["status"], "INVITED");
    let settings = app.gql(company_admin, "mutation($n: ID!) { updateNetworkSettings(input: {networkId: $n, gatekeeper: true}) { userErrors { code } } }", json!({ "n": world.a.id })).await;
    assert_eq!(error_code(&settings).as_deref(), Some("FORBIDDEN"));
    let unverified = app
        .gql(
            company_admin,
            "query($id: ID!) { node(id: $id) { ... on Talent { name verified } } }",
            json!({ "id": world.unverified }),
        )
        .await;
    assert_eq!(
        unverified["data"]["node"],
        json!({ "name": "Ugo", "verified": false })
    );
}

async fn ally_sees_no_network_data(app: TestApp) {
    let world = world(&app).await;
    let ally = Some(world.ally_token.as_str());
    let body = app.gql(ally, "query($id: ID!) { network(id: $id) { name companies { totalCount } talent { totalCount } allies { totalCount } admins { email } } }", json!({ "id": world.a.id })).await;
    let network = &body["data"]["network"];
    assert_eq!(network["name"], "Alpha");
    assert_eq!(
        (
            network["companies"]["totalCount"].as_i64(),
            network["talent"]["totalCount"].as_i64(),
            network["allies"]["totalCount"].as_i64()
        ),
        (Some(0), Some(0), Some(0))
    );
    assert_eq!(network["admins"], json!([]));
    let settings = app
        .gql(
            ally,
            "query($id: ID!) { network(id: $id) { gatekeeper } }",
            json!({ "id": world.a.id }),
        )
        .await;
    assert_eq!(error_code(&settings).as_deref(), Some("FORBIDDEN"));
    let seen = nodes_seen(&app, ally, &world).await;
    let visible: Vec<&Value> = seen.iter().filter(|v| v.is_object()).collect();
    assert_eq!(visible.len(), 4, "network and own profile only: {seen:#?}");
    let own = app
        .gql(
            ally,
            "{ viewer { allyProfiles { name status network { name } } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        own["data"]["viewer"]["allyProfiles"][0]["network"]["name"],
        "Alpha"
    );
}

async fn anonymous_sees_nothing(app: TestApp) {
    let world = world(&app).await;
    assert!(
        app.gql(None, EVERYTHING, json!({ "id": world.a.id })).await["data"]["network"].is_null()
    );
    assert!(
        nodes_seen(&app, None, &world)
            .await
            .iter()
            .all(Value::is_null)
    );
    let act = app.gql(None, "mutation($n: ID!) { createCompany(input: {networkId: $n, name: \"X\"}) { userErrors { code } } }", json!({ "n": world.a.id })).await;
    assert_eq!(error_code(&act).as_deref(), Some("UNAUTHENTICATED"));
    // Garbage ids are simply not found.
    let garbage = app
        .gql(
            Some(&world.a.admin_token),
            "{ node(id: \"bm9wZQ\") { id } nodes(ids: [\"\", \"x\"]) { id } }",
            json!({}),
        )
        .await;
    assert!(garbage["data"]["node"].is_null());
    assert_eq!(garbage["data"]["nodes"], json!([null, null]));
}

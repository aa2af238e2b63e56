//! Introduction requests, first part: routing of new requests (SPEC §4.2), the refusals,
//! who sees a request, the admins' inbox, and the emails each route sends.

use serde_json::{Value, json};

use crate::{
    both_databases,
    invitations::{accept, add_talent, create_company, invite_company_admin},
    support::{PASSWORD, TestApp, TestNetwork, error_code, user_error},
};

both_databases!(
    talent_requests_route_by_company_and_gatekeeper,
    company_requests_route_by_verification,
    refusals_have_their_codes,
    company_admins_see_requests_only_once_delivered
);

const REQUEST: &str = "mutation($c: ID!, $jobs: [ID!]!, $m: String!) { requestIntroToCompany(input: {companyId: $c, jobIds: $jobs, message: $m}) { introRequest { id status inboxSection direction message jobs { title } talent { name } company { name } requestedBy { email } events { toStatus fromStatus actor { email } } } userErrors { field code message } } }";

struct Setup {
    network: TestNetwork,
    with_admin: String,
    without_admin: String,
    job: String,
    company_admin_token: String,
    talent_token: String,
    talent_id: String,
    unverified_token: String,
    unverified_id: String,
}

async fn setup(app: &TestApp) -> Setup {
    let network = app.network("Intros").await;
    let with_admin = create_company(app, &network, "Acme").await;
    let without_admin = create_company(app, &network, "Lonely").await;
    invite_company_admin(app, &network.admin_token, &with_admin, "casey@acme.com").await;
    let company_admin_token = accept(
        app,
        &app.email_to("casey@acme.com").await.invitation_token(),
        PASSWORD,
    )
    .await["token"]
        .as_str()
        .unwrap()
        .to_owned();
    let job = app.mutate(Some(&company_admin_token), "createJob", "mutation($c: ID!) { createJob(input: {companyId: $c, title: \"Engineer\"}) { job { id } } }", json!({ "c": with_admin })).await["job"]["id"].as_str().unwrap().to_owned();
    let (talent_id, talent_token) =
        add_talent(app, &network, "Vera", "vera@talent.test", true).await;
    let (unverified_id, unverified_token) =
        add_talent(app, &network, "Ugo", "ugo@talent.test", false).await;
    Setup {
        network,
        with_admin,
        without_admin,
        job,
        company_admin_token,
        talent_token,
        talent_id,
        unverified_token,
        unverified_id,
    }
}

async fn request(app: &TestApp, token: &str, company: &str, jobs: Value) -> Value {
    app.mutate(
        Some(token),
        "requestIntroToCompany",
        REQUEST,
        json!({ "c": company, "jobs": jobs, "m": "I'd love to <help>" }),
    )
    .await
}

async fn inbox(app: &TestApp, setup: &Setup) -> Value {
    let body = app.gql(Some(&setup.network.admin_token), "query($id: ID!) { network(id: $id) { inboxCounts { inNetwork outOfNetwork } in: inbox(section: IN_NETWORK) { totalCount nodes { company { name } } } out: inbox(section: OUT_OF_NETWORK) { totalCount nodes { company { name } } } } }", json!({ "id": setup.network.id })).await;
    body["data"]["network"].clone()
}

async fn talent_requests_route_by_company_and_gatekeeper(app: TestApp) {
    let setup = setup(&app).await;

    // No active company admin: out of network, network admins emailed.
    let lonely = request(&app, &setup.talent_token, &setup.without_admin, json!([])).await;
    assert_eq!(
        lonely["introRequest"]["status"], "AWAITING_POINT_OF_CONTACT",
        "{lonely}"
    );
    assert_eq!(lonely["introRequest"]["inboxSection"], "OUT_OF_NETWORK");
    let email = app.email_to(&setup.network.admin_email).await;
    assert!(
        email.subject.contains("Lonely has no company admin"),
        "{}",
        email.subject
    );
    assert!(
        email.html.contains("I&#x27;d love to &lt;help&gt;")
            || email.html.contains("I'd love to &lt;help&gt;"),
        "{}",
        email.html
    );

    // An active admin and no gatekeeper: delivered to the company's admins.
    let sent = request(
        &app,
        &setup.talent_token,
        &setup.with_admin,
        json!([setup.job]),
    )
    .await;
    let sent = &sent["introRequest"];
    assert_eq!(sent["status"], "SENT");
    assert!(sent["inboxSection"].is_null());
    assert_eq!(sent["jobs"], json!([{ "title": "Engineer" }]));
    assert_eq!(
        sent["events"],
        json!([{ "toStatus": "SENT", "fromStatus": null, "actor": { "email": "vera@talent.test" } }])
    );
    let delivered = app.email_to("casey@acme.com").await;
    assert!(
        delivered
            .subject
            .contains("Vera asks for an introduction to Acme"),
        "{}",
        delivered.subject
    );
    // The link carries the id clients pass to `node(id:)`, in both parts.
    let link = format!(
        "http://app.test/intro-requests/{}",
        sent["id"].as_str().unwrap()
    );
    assert!(
        delivered.text.contains("Engineer") && delivered.text.contains(&link),
        "{link} in {}",
        delivered.text
    );
    assert!(
        delivered.html.contains(&link),
        "{link} in {}",
        delivered.html
    );

    // The gatekeeper holds the next one for review.
    app.mutate(Some(&setup.network.admin_token), "updateNetworkSettings", "mutation($n: ID!) { updateNetworkSettings(input: {networkId: $n, gatekeeper: true}) { network { gatekeeper } } }", json!({ "n": setup.network.id })).await;
    let other = create_company(&app, &setup.network, "Beta").await;
    invite_company_admin(&app, &setup.network.admin_token, &other, "bo@beta.com").await;
    accept(
        &app,
        &app.email_to("bo@beta.com").await.invitation_token(),
        PASSWORD,
    )
    .await;
    let held = request(&app, &setup.talent_token, &other, json!([])).await;
    assert_eq!(held["introRequest"]["status"], "PENDING_REVIEW");
    assert_eq!(held["introRequest"]["inboxSection"], "IN_NETWORK");
    assert!(
        app.email_to(&setup.network.admin_email)
            .await
            .subject
            .starts_with("Introduction request needs review")
    );

    let inbox = inbox(&app, &setup).await;
    assert_eq!(
        inbox["inboxCounts"],
        json!({ "inNetwork": 1, "outOfNetwork": 1 })
    );
    assert_eq!(
        inbox["in"]["nodes"],
        json!([{ "company": { "name": "Beta" } }])
    );
    assert_eq!(
        inbox["out"]["nodes"],
        json!([{ "company": { "name": "Lonely" } }])
    );
    // The talent sees their three requests; the inbox is not theirs.
    let mine = app.gql(Some(&setup.talent_token), "query($id: ID!) { network(id: $id) { introRequests { totalCount } inboxCounts { inNetwork } } }", json!({ "id": setup.network.id })).await;
    assert_eq!(mine["data"]["network"]["introRequests"]["totalCount"], 3);
    assert_eq!(mine["data"]["network"]["inboxCounts"]["inNetwork"], 0);
}

async fn company_requests_route_by_verification(app: TestApp) {
    let setup = setup(&app).await;
    let to_talent = "mutation($c: ID!, $t: ID!) { requestIntroToTalent(input: {companyId: $c, talentId: $t, message: \"Join us\"}) { introRequest { status direction } userErrors { code } } }";
    let sent = app
        .mutate(
            Some(&setup.company_admin_token),
            "requestIntroToTalent",
            to_talent,
            json!({ "c": setup.with_admin, "t": setup.talent_id }),
        )
        .await;
    assert_eq!(
        sent["introRequest"],
        json!({ "status": "SENT", "direction": "COMPANY_TO_TALENT" })
    );
    assert!(
        app.email_to("vera@talent.test")
            .await
            .subject
            .contains("Acme would like to be introduced to Vera")
    );
    // Company admins may ask to meet unverified talent (SPEC §4.1): the request waits for a
    // network admin's review, who are emailed.
    let held = app
        .mutate(
            Some(&setup.company_admin_token),
            "requestIntroToTalent",
            to_talent,
            json!({ "c": setup.with_admin, "t": setup.unverified_id }),
        )
        .await;
    assert_eq!(held["introRequest"]["status"], "PENDING_REVIEW", "{held}");
    assert!(
        app.email_to(&setup.network.admin_email)
            .await
            .subject
            .starts_with("Introduction request needs review")
    );
    // Talent cannot request on a company's behalf.
    let forbidden = app
        .gql(
            Some(&setup.talent_token),
            to_talent,
            json!({ "c": setup.with_admin, "t": setup.talent_id }),
        )
        .await;
    assert_eq!(error_code(&forbidden).as_deref(), Some("FORBIDDEN"));
}

async fn refusals_have_their_codes(app: TestApp) {
    let setup = setup(&app).await;
    let unverified = request(&app, &setup.unverified_token, &setup.with_admin, json!([])).await;
    assert_eq!(user_error(&unverified).as_deref(), Some("NOT_VERIFIED"));
    assert!(request(&app, &setup.talent_token, &setup.with_admin, json!([])).await["introRequest"]["id"].is_string());
    let again = request(&app, &setup.talent_token, &setup.with_admin, json!([])).await;
    assert_eq!(user_error(&again).as_deref(), Some("DUPLICATE"));
    let other_network = app.network("Elsewhere").await;
    let foreign = create_company(&app, &other_network, "Foreign").await;
    assert_eq!(
        user_error(&request(&app, &setup.talent_token, &foreign, json!([])).await).as_deref(),
        Some("NOT_FOUND")
    );
    let bad_job = request(
        &app,
        &setup.talent_token,
        &setup.without_admin,
        json!([setup.job]),
    )
    .await;
    assert_eq!(
        bad_job["userErrors"][0]["field"],
        json!(["jobIds"]),
        "a job of another company"
    );
    let garbage = request(&app, &setup.talent_token, "not-an-id", json!([])).await;
    assert_eq!(user_error(&garbage).as_deref(), Some("INVALID_INPUT"));
    let count = app
        .gql(
            Some(&setup.network.admin_token),
            "query($id: ID!) { network(id: $id) { introRequests { totalCount } } }",
            json!({ "id": setup.network.id }),
        )
        .await;
    assert_eq!(
        count["data"]["network"]["introRequests"]["totalCount"], 1,
        "refused requests changed something"
    );
}

async fn company_admins_see_requests_only_once_delivered(app: TestApp) {
    let setup = setup(&app).await;
    app.mutate(Some(&setup.network.admin_token), "updateNetworkSettings", "mutation($n: ID!) { updateNetworkSettings(input: {networkId: $n, gatekeeper: true}) { network { id } } }", json!({ "n": setup.network.id })).await;
    let held = request(&app, &setup.talent_token, &setup.with_admin, json!([])).await;
    let id = held["introRequest"]["id"].as_str().unwrap();
    let company_view = app.gql(Some(&setup.company_admin_token), "query($id: ID!, $c: ID!) { node(id: $id) { id } company: node(id: $c) { ... on Company { introRequests { totalCount } } } }", json!({ "id": id, "c": setup.with_admin })).await;
    assert!(
        company_view["data"]["node"].is_null(),
        "a company admin sees a request before delivery"
    );
    assert_eq!(
        company_view["data"]["company"]["introRequests"]["totalCount"],
        0
    );
    let others = app
        .gql(
            Some(&setup.unverified_token),
            "query($id: ID!) { node(id: $id) { id } }",
            json!({ "id": id }),
        )
        .await;
    assert!(
        others["data"]["node"].is_null(),
        "another talent sees the request"
    );
    let own = app
        .gql(
            Some(&setup.talent_token),
            "query($id: ID!) { node(id: $id) { ... on IntroRequest { status } } }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(own["data"]["node"]["status"], "PENDING_REVIEW");
    let stranger = app.network("Stranger").await;
    assert!(
        app.gql(
            Some(&stranger.admin_token),
            "query($id: ID!) { node(id: $id) { id } }",
            json!({ "id": id })
        )
        .await["data"]["node"]
            .is_null()
    );
}

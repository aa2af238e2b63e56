//! Sign-in, sessions, sign-out and API tokens (sign-up: `account_proofs.rs`).

use serde_json::json;

use crate::{
    both_databases,
    invitations::{add_talent, create_company, invite_company_admin},
    subscriptions::{live_network, request},
    support::{PASSWORD, TestApp, error_code, user_error},
};

both_databases!(
    sign_in_and_out,
    the_signed_in_payload_shows_the_first_screen,
    api_tokens_read_but_never_act,
    bad_tokens_are_refused
);

const VIEWER: &str = "{ viewer { account { email } } }";

async fn sign_in_and_out(app: TestApp) {
    let network = app.network("Sessions").await;
    let wrong = app.mutate(None, "signIn", "mutation($e: String!) { signIn(input: {email: $e, password: \"wrong password\"}) { token userErrors { code message } } }", json!({ "e": network.admin_email })).await;
    let unknown = app.mutate(None, "signIn", "mutation { signIn(input: {email: \"nobody@x.test\", password: \"whatever1\"}) { token userErrors { code message } } }", json!({})).await;
    assert_eq!(user_error(&wrong).as_deref(), Some("INVALID_CREDENTIALS"));
    assert_eq!(user_error(&unknown).as_deref(), Some("INVALID_CREDENTIALS"));
    assert_eq!(
        wrong["userErrors"][0]["message"], unknown["userErrors"][0]["message"],
        "the answers tell which emails exist"
    );

    // Emails are case-insensitive.
    let second = app
        .sign_in(&network.admin_email.to_uppercase(), PASSWORD)
        .await;
    let viewer = app.gql(Some(&network.admin_token), VIEWER, json!({})).await;
    assert_eq!(
        viewer["data"]["viewer"]["account"]["email"],
        network.admin_email
    );

    let out = app
        .mutate(
            Some(&network.admin_token),
            "signOut",
            "mutation { signOut { signedOut } }",
            json!({}),
        )
        .await;
    assert_eq!(out["signedOut"], true);
    let after = app
        .client
        .post(app.url("/graphql"))
        .bearer_auth(&network.admin_token)
        .json(&json!({ "query": VIEWER }))
        .send()
        .await
        .unwrap();
    assert_eq!(after.status(), 401);
    // The other session lives until every session is revoked.
    assert!(app.gql(Some(&second), VIEWER, json!({})).await["data"]["viewer"].is_object());
    app.mutate(
        Some(&second),
        "signOut",
        "mutation { signOut(input: {allSessions: true}) { signedOut } }",
        json!({}),
    )
    .await;
    let after = app
        .client
        .post(app.url("/graphql"))
        .bearer_auth(&second)
        .json(&json!({ "query": VIEWER }))
        .send()
        .await
        .unwrap();
    assert_eq!(after.status(), 401);
    // Anonymous: no viewer, and signing out needs a session.
    assert!(app.gql(None, VIEWER, json!({})).await["data"]["viewer"].is_null());
    let body = app
        .gql(None, "mutation { signOut { signedOut } }", json!({}))
        .await;
    assert_eq!(error_code(&body).as_deref(), Some("UNAUTHENTICATED"));
}

async fn api_tokens_read_but_never_act(app: TestApp) {
    let network = app.network("Partners").await;
    app.mutate(Some(&network.admin_token), "createCompany", "mutation($n: ID!) { createCompany(input: {networkId: $n, name: \"Acme\"}) { company { id } } }", json!({ "n": network.id })).await;
    let created = app
        .mutate(Some(&network.admin_token), "createApiToken", "mutation($n: ID!) { createApiToken(input: {networkId: $n, name: \"ATS bridge\"}) { token apiToken { name } } }", json!({ "n": network.id }))
        .await;
    let token = created["token"].as_str().unwrap();
    assert!(token.starts_with("igt_"));
    let read = app.gql(Some(token), "query($id: ID!) { network(id: $id) { companies { totalCount } talent { totalCount } } viewer { account { id } } }", json!({ "id": network.id })).await;
    assert_eq!(
        read["data"]["network"]["companies"]["totalCount"], 1,
        "{read}"
    );
    assert!(read["data"]["viewer"].is_null());
    let act = app.gql(Some(token), "mutation($n: ID!) { createCompany(input: {networkId: $n, name: \"Nope\"}) { company { id } } }", json!({ "n": network.id })).await;
    assert_eq!(error_code(&act).as_deref(), Some("FORBIDDEN"), "{act}");
    let listed = app
        .gql(
            Some(&network.admin_token),
            "query($id: ID!) { network(id: $id) { apiTokens { name } } }",
            json!({ "id": network.id }),
        )
        .await;
    assert_eq!(
        listed["data"]["network"]["apiTokens"][0]["name"],
        "ATS bridge"
    );
}

async fn bad_tokens_are_refused(app: TestApp) {
    for header in [
        "Bearer igs_nope",
        "Bearer igt_nope",
        "Bearer ",
        "Basic dXNlcjpwYXNz",
    ] {
        let response = app
            .client
            .post(app.url("/graphql"))
            .header("authorization", header)
            .json(&json!({ "query": VIEWER }))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 401, "{header}");
        assert_eq!(response.headers()["www-authenticate"], "Bearer");
        let body: serde_json::Value = response.json().await.unwrap();
        assert_eq!(error_code(&body).as_deref(), Some("UNAUTHENTICATED"));
    }
}

/// What a client reads right after signing in (or joining): the payload's `viewer` is the
/// account that just signed in, with the same lists and counts a `viewer` query shows.
const FIRST_SCREEN: &str = "viewer { account { email } networkAdminOf { name inboxCounts { inNetwork outOfNetwork } companies { totalCount } talent { totalCount } introRequests { totalCount nodes { status } } } companyAdminOf { name introRequests { totalCount } jobs { totalCount } admins { email } } talentProfiles { name introRequests { totalCount } } }";

async fn the_signed_in_payload_shows_the_first_screen(app: TestApp) {
    let live = live_network(&app, "First Screen").await;
    request(&app, &live).await;
    let viewer_now = |token: String| {
        let app = &app;
        async move {
            let body = app
                .gql(Some(&token), &format!("{{ {FIRST_SCREEN} }}"), json!({}))
                .await;
            body["data"]["viewer"].clone()
        }
    };

    let signed_in = app
        .mutate(
            None,
            "signIn",
            &format!("mutation($e: String!, $p: String!) {{ signIn(input: {{email: $e, password: $p}}) {{ token {FIRST_SCREEN} }} }}"),
            json!({ "e": live.network.admin_email, "p": PASSWORD }),
        )
        .await;
    let admin_screen = &signed_in["viewer"]["networkAdminOf"][0];
    assert_eq!(admin_screen["inboxCounts"]["inNetwork"], 1, "{signed_in}");
    assert_eq!(admin_screen["companies"]["totalCount"], 1, "{signed_in}");
    assert_eq!(
        admin_screen["introRequests"]["totalCount"], 1,
        "{signed_in}"
    );
    let token = signed_in["token"].as_str().unwrap().to_owned();
    assert_eq!(signed_in["viewer"], viewer_now(token).await);

    // A company admin joining through an invitation reads their company from the payload.
    invite_company_admin(
        &app,
        &live.network.admin_token,
        &live.company,
        "cleo@first.test",
    )
    .await;
    let invitation = app.email_to("cleo@first.test").await.invitation_token();
    let joined = app
        .mutate(
            None,
            "acceptInvitation",
            &format!("mutation($t: String!, $p: String!) {{ acceptInvitation(input: {{token: $t, password: $p, acceptTerms: true}}) {{ token {FIRST_SCREEN} }} }}"),
            json!({ "t": invitation, "p": PASSWORD }),
        )
        .await;
    let company_screen = &joined["viewer"]["companyAdminOf"][0];
    assert_eq!(
        company_screen["admins"].as_array().map(Vec::len),
        Some(2),
        "{joined}"
    );
    let token = joined["token"].as_str().unwrap().to_owned();
    assert_eq!(joined["viewer"], viewer_now(token).await);

    // A talent's own requests.
    let network = &live.network;
    let other = create_company(&app, network, "Other").await;
    let (_, talent) = add_talent(&app, network, "Theo", "theo@first.test", true).await;
    app.mutate(Some(&talent), "requestIntroToCompany", "mutation($c: ID!) { requestIntroToCompany(input: {companyId: $c, message: \"hi\"}) { introRequest { id } } }", json!({ "c": other })).await;
    let signed_in = app
        .mutate(
            None,
            "signIn",
            &format!("mutation {{ signIn(input: {{email: \"theo@first.test\", password: \"{PASSWORD}\"}}) {{ token {FIRST_SCREEN} }} }}"),
            json!({}),
        )
        .await;
    assert_eq!(
        signed_in["viewer"]["talentProfiles"][0]["introRequests"]["totalCount"], 1,
        "{signed_in}"
    );
    let token = signed_in["token"].as_str().unwrap().to_owned();
    assert_eq!(signed_in["viewer"], viewer_now(token).await);
}

//! Invitations: each role joins through one, a link works once (even under a race),
//! and unknown / used / expired links are refused alike.

use serde_json::{Value, json};

use crate::{
    both_databases,
    support::{PASSWORD, TestApp, TestNetwork, user_error},
};

both_databases!(
    every_role_joins_through_its_invitation,
    redemption_race_has_one_winner,
    refused_links_look_alike,
    reinviting_replaces_the_link
);

pub const ACCEPT: &str = "mutation($token: String!, $password: String!, $terms: Boolean!) { acceptInvitation(input: {token: $token, password: $password, acceptTerms: $terms}) { token viewer { account { email name } networkAdminOf { name } companyAdminOf { name } talentProfiles { name } allyProfiles { name status } } userErrors { field code message } } }";

pub async fn accept(app: &TestApp, token: &str, password: &str) -> Value {
    app.mutate(
        None,
        "acceptInvitation",
        ACCEPT,
        json!({ "token": token, "password": password, "terms": true }),
    )
    .await
}

pub async fn create_company(app: &TestApp, network: &TestNetwork, name: &str) -> String {
    let payload = app
        .mutate(Some(&network.admin_token), "createCompany", "mutation($n: ID!, $name: String!) { createCompany(input: {networkId: $n, name: $name, domain: \"acme.com\"}) { company { id } userErrors { code message } } }", json!({ "n": network.id, "name": name }))
        .await;
    payload["company"]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("{payload}"))
        .to_owned()
}

pub async fn invite_company_admin(
    app: &TestApp,
    token: &str,
    company_id: &str,
    email: &str,
) -> Value {
    app.mutate(Some(token), "inviteCompanyAdmin", "mutation($c: ID!, $e: String!) { inviteCompanyAdmin(input: {companyId: $c, name: \"Casey Admin\", email: $e}) { companyAdmin { id status email } userErrors { field code message } } }", json!({ "c": company_id, "e": email })).await
}

async fn every_role_joins_through_its_invitation(app: TestApp) {
    let network = app.network("Joiners").await;
    let admin = Some(network.admin_token.as_str());
    let company = create_company(&app, &network, "Acme").await;

    let invited =
        invite_company_admin(&app, &network.admin_token, &company, "casey@acme.com").await;
    assert_eq!(invited["companyAdmin"]["status"], "INVITED");
    let joined = accept(
        &app,
        &app.email_to("casey@acme.com").await.invitation_token(),
        PASSWORD,
    )
    .await;
    assert_eq!(
        joined["viewer"]["companyAdminOf"][0]["name"], "Acme",
        "{joined}"
    );

    for (role, email) in [
        ("NETWORK_ADMIN", "nia@team.test"),
        ("ALLY", "al@friends.test"),
    ] {
        let invited = app
            .mutate(admin, "inviteTeamMember", "mutation($n: ID!, $r: TeamRole!, $e: String!) { inviteTeamMember(input: {networkId: $n, role: $r, name: \"Member\", email: $e}) { invitedEmail ally { status } userErrors { code } } }", json!({ "n": network.id, "r": role, "e": email }))
            .await;
        assert_eq!(invited["invitedEmail"], email);
        let email = app.email_to(email).await;
        assert_eq!(email.subject, "You've been invited to Joiners");
        let joined = accept(&app, &email.invitation_token(), PASSWORD).await;
        match role {
            "NETWORK_ADMIN" => assert_eq!(
                joined["viewer"]["networkAdminOf"][0]["name"], "Joiners",
                "{joined}"
            ),
            _ => assert_eq!(
                joined["viewer"]["allyProfiles"][0]["status"], "ACTIVE",
                "{joined}"
            ),
        }
    }

    let added = app
        .mutate(admin, "addTalent", "mutation($n: ID!) { addTalent(input: {networkId: $n, name: \"Tom\", email: \"tom@talent.test\", verified: true}) { talent { id claimed } userErrors { code } } }", json!({ "n": network.id }))
        .await;
    assert_eq!(added["talent"]["claimed"], false);
    let joined = accept(
        &app,
        &app.email_to("tom@talent.test").await.invitation_token(),
        PASSWORD,
    )
    .await;
    assert_eq!(
        joined["viewer"]["talentProfiles"][0]["name"], "Tom",
        "{joined}"
    );

    // An existing account joins a second role with its own password, not a new one.
    let other = app.network("Second Home").await;
    let company = create_company(&app, &other, "Beta").await;
    invite_company_admin(&app, &other.admin_token, &company, "Tom@Talent.test").await;
    let token = app.email_to("Tom@Talent.test").await.invitation_token();
    let wrong = accept(&app, &token, "another password").await;
    assert_eq!(user_error(&wrong).as_deref(), Some("INVALID_CREDENTIALS"));
    let joined = accept(&app, &token, PASSWORD).await;
    assert_eq!(joined["viewer"]["account"]["email"], "tom@talent.test");
    assert_eq!(joined["viewer"]["companyAdminOf"][0]["name"], "Beta");
    assert_eq!(joined["viewer"]["talentProfiles"][0]["name"], "Tom");
}

async fn redemption_race_has_one_winner(app: TestApp) {
    let network = app.network("Race").await;
    let company = create_company(&app, &network, "Acme").await;
    invite_company_admin(&app, &network.admin_token, &company, "racer@acme.com").await;
    let token = app.email_to("racer@acme.com").await.invitation_token();

    let attempts = (0..20).map(|_| accept(&app, &token, PASSWORD));
    let results = futures::future::join_all(attempts).await;
    let winners = results.iter().filter(|r| r["token"].is_string()).count();
    let refused = results
        .iter()
        .filter(|r| user_error(r).as_deref() == Some("INVALID_TOKEN"))
        .count();
    assert_eq!((winners, refused), (1, 19), "{results:#?}");

    let admins = app
        .gql(
            Some(&network.admin_token),
            "query($id: ID!) { node(id: $id) { ... on Company { admins { status } } } }",
            json!({ "id": company }),
        )
        .await;
    assert_eq!(
        admins["data"]["node"]["admins"],
        json!([{ "status": "ACTIVE" }])
    );
}

async fn refused_links_look_alike(app: TestApp) {
    let network = app.network("Links").await;
    let company = create_company(&app, &network, "Acme").await;
    invite_company_admin(&app, &network.admin_token, &company, "used@acme.com").await;
    let used = app.email_to("used@acme.com").await.invitation_token();
    invite_company_admin(&app, &network.admin_token, &company, "late@acme.com").await;
    let expired = app.email_to("late@acme.com").await.invitation_token();

    // Without the terms nothing happens, and the link still works afterwards.
    let no_terms = app
        .mutate(
            None,
            "acceptInvitation",
            ACCEPT,
            json!({ "token": used, "password": PASSWORD, "terms": false }),
        )
        .await;
    assert_eq!(user_error(&no_terms).as_deref(), Some("TERMS_NOT_ACCEPTED"));
    assert!(accept(&app, &used, PASSWORD).await["token"].is_string());

    app.clock.advance(chrono::Duration::days(8));
    let answers: Vec<Value> = vec![
        accept(&app, &used, PASSWORD).await,
        accept(&app, &expired, PASSWORD).await,
        accept(&app, "igi_unknown", PASSWORD).await,
    ];
    for answer in &answers {
        assert_eq!(
            user_error(answer).as_deref(),
            Some("INVALID_TOKEN"),
            "{answer}"
        );
        assert_eq!(
            answer["userErrors"], answers[0]["userErrors"],
            "refusals differ"
        );
    }
}

async fn reinviting_replaces_the_link(app: TestApp) {
    let network = app.network("Again").await;
    let company = create_company(&app, &network, "Acme").await;
    let first = invite_company_admin(&app, &network.admin_token, &company, "sam@acme.com").await;
    let old = app.email_to("sam@acme.com").await.invitation_token();
    let second = invite_company_admin(&app, &network.admin_token, &company, "SAM@acme.com").await;
    assert_eq!(
        first["companyAdmin"]["id"], second["companyAdmin"]["id"],
        "the same email invited twice is one admin"
    );
    let new = app.email_to("sam@acme.com").await.invitation_token();
    assert_ne!(new, old);
    assert_eq!(
        user_error(&accept(&app, &old, PASSWORD).await).as_deref(),
        Some("INVALID_TOKEN")
    );
    assert!(accept(&app, &new, PASSWORD).await["token"].is_string());
    let again = invite_company_admin(&app, &network.admin_token, &company, "sam@acme.com").await;
    assert_eq!(user_error(&again).as_deref(), Some("DUPLICATE"));
}

/// A talent added by the network admin who accepted their invitation: (talent id, token).
pub async fn add_talent(
    app: &TestApp,
    network: &TestNetwork,
    name: &str,
    email: &str,
    verified: bool,
) -> (String, String) {
    let added = app
        .mutate(Some(&network.admin_token), "addTalent", "mutation($n: ID!, $name: String!, $e: String!, $v: Boolean!) { addTalent(input: {networkId: $n, name: $name, email: $e, verified: $v, headline: \"Rust <engineer>\"}) { talent { id } } }", json!({ "n": network.id, "name": name, "e": email, "v": verified }))
        .await;
    let joined = accept(app, &app.email_to(email).await.invitation_token(), PASSWORD).await;
    (
        added["talent"]["id"].as_str().unwrap().to_owned(),
        joined["token"].as_str().unwrap().to_owned(),
    )
}

//! Accounts prove their email (issue 11, items 3 and 4): a self sign-up is confirmed by a
//! link before it can sign in, its answer does not tell whether an address has an account,
//! a squatter cannot hold an address; password reset by email, end to end over SMTP.

use chrono::Duration;
use serde_json::{Value, json};

use crate::{
    invitations::{ACCEPT, create_company, invite_company_admin},
    support::{Backend, Email, PASSWORD, TestApp, TestNetwork, smtp::SmtpServer, user_error},
    with_backends,
};

with_backends!(
    sign_up_waits_for_the_email_link,
    sign_up_answers_the_same_for_a_known_address,
    a_squatted_sign_up_neither_signs_in_nor_blocks_the_owner,
    password_reset_end_to_end_over_smtp,
    reset_links_expire_and_answers_reveal_nothing,
    guessable_passwords_are_refused,
    account_emails_to_one_address_are_bounded
);

const SIGN_UP: &str = "mutation($slug: String!, $name: String!, $email: String!, $password: String!) { signUpTalent(input: {networkSlug: $slug, name: $name, email: $email, password: $password, headline: \"Rust engineer\", linkedinUrl: \"https://www.linkedin.com/in/tia\"}) { email userErrors { field code message } } }";
const VERIFY: &str = "mutation($token: String!) { verifyEmail(input: {token: $token}) { token viewer { account { email name } talentProfiles { name verified headline network { name } } } talent { name verified } userErrors { field code message } } }";
const REQUEST_RESET: &str = "mutation($email: String!) { requestPasswordReset(input: {email: $email}) { email userErrors { field code message } } }";
const RESET: &str = "mutation($token: String!, $password: String!) { resetPassword(input: {token: $token, password: $password}) { token viewer { account { email } } userErrors { field code message } } }";
const SIGN_IN: &str = "mutation($e: String!, $p: String!) { signIn(input: {email: $e, password: $p}) { token userErrors { code message } } }";

async fn sign_up(app: &TestApp, slug: &str, name: &str, email: &str, password: &str) -> Value {
    app.mutate(
        None,
        "signUpTalent",
        SIGN_UP,
        json!({ "slug": slug, "name": name, "email": email, "password": password }),
    )
    .await
}

async fn verify(app: &TestApp, token: &str) -> Value {
    app.mutate(None, "verifyEmail", VERIFY, json!({ "token": token }))
        .await
}

async fn sign_in(app: &TestApp, email: &str, password: &str) -> Value {
    app.mutate(
        None,
        "signIn",
        SIGN_IN,
        json!({ "e": email, "p": password }),
    )
    .await
}

async fn talent_count(app: &TestApp, network: &TestNetwork) -> Value {
    app.gql(
        Some(&network.admin_token),
        "query($id: ID!) { network(id: $id) { talent { totalCount } } }",
        json!({ "id": network.id }),
    )
    .await["data"]["network"]["talent"]["totalCount"]
        .clone()
}

/// The token of an email's link to `{APP_URL}/{path}/…`.
fn link_token(email: &Email, path: &str) -> String {
    let pattern = regex::Regex::new(&format!(
        r"http://app\.test/{path}/(ig[a-z]_[A-Za-z0-9_-]+)"
    ))
    .unwrap();
    let in_text = pattern
        .captures(&email.text)
        .unwrap_or_else(|| panic!("no {path} link in {}", email.text))[1]
        .to_owned();
    assert!(email.html.contains(&in_text), "the HTML part has the link");
    in_text
}

async fn sign_up_waits_for_the_email_link(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let network = app.network("Open Door").await;
    let signed_up = sign_up(&app, &network.slug, "Tia", "Tia@Example.com", PASSWORD).await;
    assert_eq!(signed_up["email"], "Tia@Example.com", "{signed_up}");
    assert_eq!(signed_up["userErrors"], json!([]));

    // No account until the link is used: the password does not sign in, nobody is added.
    let early = sign_in(&app, "tia@example.com", PASSWORD).await;
    assert_eq!(user_error(&early).as_deref(), Some("INVALID_CREDENTIALS"));
    assert_eq!(talent_count(&app, &network).await, 0);

    let email = app.email_to("Tia@example.com").await;
    assert_eq!(email.subject, "Confirm your email to join Open Door");
    let token = link_token(&email, "verify-email");
    let verified = verify(&app, &token).await;
    assert_eq!(verified["userErrors"], json!([]), "{verified}");
    assert_eq!(verified["talent"]["verified"], false);
    let profiles = &verified["viewer"]["talentProfiles"];
    assert_eq!(profiles[0]["network"]["name"], "Open Door", "{verified}");
    assert_eq!(profiles[0]["headline"], "Rust engineer");
    // The payload's token is a working session, and the sign-up's password now works.
    let me = app
        .gql(
            verified["token"].as_str(),
            "{ viewer { account { name } } }",
            json!({}),
        )
        .await;
    assert_eq!(me["data"]["viewer"]["account"]["name"], "Tia");
    assert!(sign_in(&app, "tia@example.com", PASSWORD).await["token"].is_string());
    assert_eq!(talent_count(&app, &network).await, 1);

    // The link works once.
    let again = verify(&app, &token).await;
    assert_eq!(user_error(&again).as_deref(), Some("INVALID_TOKEN"));
    assert!(again["token"].is_null());
    let forged = verify(&app, "igv_not-a-real-token").await;
    assert_eq!(user_error(&forged).as_deref(), Some("INVALID_TOKEN"));

    // Bad input: every field at fault named, nothing recorded or sent.
    let bad = app
        .mutate(
            None,
            "signUpTalent",
            SIGN_UP,
            json!({ "slug": network.slug, "name": "", "email": "not-an-email", "password": "short" }),
        )
        .await;
    let fields: Vec<_> = bad["userErrors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"][0].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(fields, ["name", "email", "password"]);
    assert!(bad["email"].is_null());
    let nowhere = sign_up(&app, "no-such-network", "Tia", "x@example.com", PASSWORD).await;
    assert_eq!(user_error(&nowhere).as_deref(), Some("NOT_FOUND"));
    assert_eq!(talent_count(&app, &network).await, 1);
}

async fn sign_up_answers_the_same_for_a_known_address(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let network = app.network("Open Door").await;
    let other = app.network("Elsewhere").await;
    let new_address = sign_up(&app, &other.slug, "Nia", "nia@example.com", PASSWORD).await;
    // The admin of one network signs up as talent in another, with another password.
    let known_address = sign_up(
        &app,
        &other.slug,
        "Someone Else",
        &network.admin_email,
        "a different but strong passphrase",
    )
    .await;
    let without_address = |payload: &Value| {
        let mut payload = payload.clone();
        payload["email"] = Value::Null;
        payload
    };
    assert_eq!(
        without_address(&new_address),
        without_address(&known_address)
    );

    // The email tells the owner, by the account's own name, with a link to join.
    let email = app.email_to(&network.admin_email).await;
    assert_eq!(
        email.subject,
        "You already have an account: joining Elsewhere"
    );
    assert!(email.text.starts_with("Hi Admin,"), "{}", email.text);
    assert!(email.text.contains("You already have an account"));
    // Nothing about the account changed: its password is the old one.
    let old = sign_in(&app, &network.admin_email, PASSWORD).await;
    assert!(old["token"].is_string(), "{old}");
    let typed = sign_in(
        &app,
        &network.admin_email,
        "a different but strong passphrase",
    )
    .await;
    assert_eq!(user_error(&typed).as_deref(), Some("INVALID_CREDENTIALS"));

    // The link adds the talent profile to the existing account.
    let verified = verify(&app, &link_token(&email, "verify-email")).await;
    assert_eq!(verified["userErrors"], json!([]), "{verified}");
    assert_eq!(
        verified["viewer"]["account"]["email"],
        network.admin_email.as_str()
    );
    assert_eq!(
        verified["viewer"]["talentProfiles"][0]["network"]["name"],
        "Elsewhere"
    );
    assert!(sign_in(&app, &network.admin_email, PASSWORD).await["token"].is_string());
}

async fn a_squatted_sign_up_neither_signs_in_nor_blocks_the_owner(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let network = app.network("Open Door").await;
    let victim = "victim@acme.com";
    let squatter_password = "squatter owns this now";
    let squatted = sign_up(&app, &network.slug, "Not Victim", victim, squatter_password).await;
    assert_eq!(squatted["userErrors"], json!([]));
    let squatter = sign_in(&app, victim, squatter_password).await;
    assert_eq!(
        user_error(&squatter).as_deref(),
        Some("INVALID_CREDENTIALS")
    );
    // The confirmation went to the victim's mailbox, which the squatter cannot read.
    let squatter_link = link_token(&app.email_to(victim).await, "verify-email");

    // The real owner is invited and joins with their own password.
    let company = create_company(&app, &network, "Acme").await;
    invite_company_admin(&app, &network.admin_token, &company, victim).await;
    let invitation = app.email_to(victim).await.invitation_token();
    let owner_password = "the owner's own passphrase";
    let joined = app
        .mutate(
            None,
            "acceptInvitation",
            ACCEPT,
            json!({ "token": invitation, "password": owner_password, "terms": true }),
        )
        .await;
    assert_eq!(joined["userErrors"], json!([]), "{joined}");
    assert_eq!(joined["viewer"]["companyAdminOf"][0]["name"], "Acme");
    assert!(sign_in(&app, victim, owner_password).await["token"].is_string());

    // The squatter's password never works, even once the owner uses the squatter's link:
    // it only adds a talent profile to the owner's account.
    let late = verify(&app, &squatter_link).await;
    assert_eq!(late["userErrors"], json!([]), "{late}");
    let squatter = sign_in(&app, victim, squatter_password).await;
    assert_eq!(
        user_error(&squatter).as_deref(),
        Some("INVALID_CREDENTIALS")
    );
    assert!(sign_in(&app, victim, owner_password).await["token"].is_string());
}

async fn password_reset_end_to_end_over_smtp(backend: Backend) {
    let smtp = SmtpServer::start().await;
    let app = TestApp::spawn_with(backend, |c| {
        c.mail.smtp_url = Some(smtp.url().parse().unwrap())
    })
    .await;
    let network = app.network("Resetters").await;
    let old_session = network.admin_token.clone();
    let other_session = app.sign_in(&network.admin_email, PASSWORD).await;
    let whoami = "{ viewer { account { email } } }";
    assert!(!app.gql(Some(&old_session), whoami, json!({})).await["data"]["viewer"].is_null());

    let known = app
        .mutate(
            None,
            "requestPasswordReset",
            REQUEST_RESET,
            json!({ "email": network.admin_email }),
        )
        .await;
    let unknown = app
        .mutate(
            None,
            "requestPasswordReset",
            REQUEST_RESET,
            json!({ "email": "nobody@resetters.test" }),
        )
        .await;
    assert_eq!(known["userErrors"], json!([]));
    assert_eq!(
        known.as_object().unwrap().keys().collect::<Vec<_>>(),
        unknown.as_object().unwrap().keys().collect::<Vec<_>>()
    );
    assert_eq!(unknown["userErrors"], json!([]));

    // One email, over a real SMTP conversation, to the account's address only.
    let received = smtp.wait_for(1).await;
    assert_eq!(
        received[0].recipients,
        std::slice::from_ref(&network.admin_email)
    );
    let email = Email::parse(&received[0].data);
    assert_eq!(email.subject, "Reset your password");
    assert!(email.text.contains("expires in 1 hour"), "{}", email.text);
    let token = link_token(&email, "reset-password");
    assert!(token.starts_with("igr_"));

    // A guessable password is refused and the link still works.
    let weak = app
        .mutate(
            None,
            "resetPassword",
            RESET,
            json!({ "token": token, "password": "12345678" }),
        )
        .await;
    assert_eq!(user_error(&weak).as_deref(), Some("INVALID_INPUT"));
    let new_password = "a brand new passphrase";
    let reset = app
        .mutate(
            None,
            "resetPassword",
            RESET,
            json!({ "token": token, "password": new_password }),
        )
        .await;
    assert_eq!(reset["userErrors"], json!([]), "{reset}");
    assert_eq!(
        reset["viewer"]["account"]["email"],
        network.admin_email.as_str()
    );

    // Every earlier session is revoked; the new one works.
    for revoked in [&old_session, &other_session] {
        let body = app.gql(Some(revoked), whoami, json!({})).await;
        assert!(body["data"]["viewer"].is_null(), "{body}");
    }
    let fresh = reset["token"].as_str().unwrap();
    assert!(!app.gql(Some(fresh), whoami, json!({})).await["data"]["viewer"].is_null());
    // The old password no longer works, the new one does; the link works once.
    let old = sign_in(&app, &network.admin_email, PASSWORD).await;
    assert_eq!(user_error(&old).as_deref(), Some("INVALID_CREDENTIALS"));
    assert!(sign_in(&app, &network.admin_email, new_password).await["token"].is_string());
    let twice = app
        .mutate(
            None,
            "resetPassword",
            RESET,
            json!({ "token": token, "password": "yet another passphrase" }),
        )
        .await;
    assert_eq!(user_error(&twice).as_deref(), Some("INVALID_TOKEN"));
    assert!(sign_in(&app, &network.admin_email, new_password).await["token"].is_string());
    // Nothing else was sent: no email for the unknown address.
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    assert_eq!(smtp.received().len(), 1);
}

async fn reset_links_expire_and_answers_reveal_nothing(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let network = app.network("Clocks").await;
    let request = |email: String| {
        let app = &app;
        async move {
            app.mutate(
                None,
                "requestPasswordReset",
                REQUEST_RESET,
                json!({ "email": email }),
            )
            .await
        }
    };
    request(network.admin_email.clone()).await;
    let first = link_token(&app.email_to(&network.admin_email).await, "reset-password");
    app.clock.advance(Duration::minutes(61));
    let late = app
        .mutate(
            None,
            "resetPassword",
            RESET,
            json!({ "token": first, "password": "too late a passphrase" }),
        )
        .await;
    assert_eq!(user_error(&late).as_deref(), Some("INVALID_TOKEN"));
    assert!(sign_in(&app, &network.admin_email, PASSWORD).await["token"].is_string());

    // A newer link works, and using it retires the older ones of the account.
    request(network.admin_email.clone()).await;
    let second = link_token(&app.email_to(&network.admin_email).await, "reset-password");
    request(network.admin_email.clone()).await;
    let third = link_token(&app.email_to(&network.admin_email).await, "reset-password");
    let reset = app
        .mutate(
            None,
            "resetPassword",
            RESET,
            json!({ "token": third, "password": "the newest passphrase" }),
        )
        .await;
    assert_eq!(reset["userErrors"], json!([]), "{reset}");
    let older = app
        .mutate(
            None,
            "resetPassword",
            RESET,
            json!({ "token": second, "password": "an older passphrase" }),
        )
        .await;
    assert_eq!(user_error(&older).as_deref(), Some("INVALID_TOKEN"));

    // A malformed address is the one answer that differs, and it is about the input.
    let malformed = request("not an address".into()).await;
    assert_eq!(user_error(&malformed).as_deref(), Some("INVALID_INPUT"));
}

async fn guessable_passwords_are_refused(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let network = app.network("Strong").await;
    for weak in ["password", "12345678", "tia.strong@example.com"] {
        let payload = sign_up(
            &app,
            &network.slug,
            "Tia Strong",
            "tia.strong@example.com",
            weak,
        )
        .await;
        assert_eq!(
            user_error(&payload).as_deref(),
            Some("INVALID_INPUT"),
            "{weak}: {payload}"
        );
        assert_eq!(payload["userErrors"][0]["field"], json!(["password"]));
        assert!(
            payload["userErrors"][0]["message"]
                .as_str()
                .unwrap()
                .starts_with("password is too easy to guess"),
            "{payload}"
        );
    }
    // Invitations too.
    let company = create_company(&app, &network, "Acme").await;
    invite_company_admin(&app, &network.admin_token, &company, "casey@strong.test").await;
    let token = app.email_to("casey@strong.test").await.invitation_token();
    let weak = app
        .mutate(
            None,
            "acceptInvitation",
            ACCEPT,
            json!({ "token": token, "password": "password", "terms": true }),
        )
        .await;
    assert_eq!(
        user_error(&weak).as_deref(),
        Some("INVALID_INPUT"),
        "{weak}"
    );
    let strong = crate::invitations::accept(&app, &token, PASSWORD).await;
    assert!(strong["token"].is_string(), "{strong}");
}

async fn account_emails_to_one_address_are_bounded(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let network = app.network("Bounded").await;
    // Three per hour and address (INVITATION_MAX_PER_ADDRESS), known or not: the fourth
    // is refused the same way for both, so the bound tells nothing either.
    for address in [network.admin_email.as_str(), "ghost@bounded.test"] {
        for n in 0..4 {
            let body = app
                .gql(None, REQUEST_RESET, json!({ "email": address }))
                .await;
            if n < 3 {
                assert!(body.get("errors").is_none(), "{body}");
            } else {
                assert_eq!(
                    crate::support::error_code(&body).as_deref(),
                    Some("RATE_LIMITED"),
                    "{body}"
                );
            }
        }
    }
    for n in 0..4 {
        let body = app
            .gql(
                None,
                SIGN_UP,
                json!({ "slug": network.slug, "name": "Tia", "email": "tia@bounded.test", "password": PASSWORD }),
            )
            .await;
        assert_eq!(body.get("errors").is_some(), n == 3, "{n}: {body}");
    }
    // Three reset emails and three confirmation emails: the fourth of each was not sent.
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    let sent = app.delivered_files();
    let to = |address: &str| {
        sent.iter()
            .filter(|e| e.to.iter().any(|t| t.eq_ignore_ascii_case(address)))
            .count()
    };
    assert_eq!(to(&network.admin_email), 3);
    assert_eq!(to("ghost@bounded.test"), 0);
    assert_eq!(to("tia@bounded.test"), 3);
}

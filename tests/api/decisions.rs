//! Decisions on introduction requests: the paths users walk, the refusals, and that of
//! many competing decisions exactly one wins and sends one email.

use std::time::Duration;

use serde_json::{Value, json};

use crate::{
    invitations::{ACCEPT, accept, add_talent, create_company, invite_company_admin},
    support::{Backend, Email, PASSWORD, TestApp, error_code, smtp::SmtpServer, user_error},
    with_backends,
};

with_backends!(
    out_of_network_path_as_a_user_walks_it,
    gatekeeper_path_and_refusals,
    competing_decisions_have_one_winner,
    undecided_requests_are_reminded_once_then_expire
);

const REQUEST: &str = "mutation($c: ID!) { requestIntroToCompany(input: {companyId: $c, message: \"Hello\"}) { introRequest { id status inboxSection } userErrors { code } } }";
const DECIDE: &str = "{ introRequest { id status sentAt decidedAt declineReason pointOfContact { email status } events { fromStatus toStatus note } } userErrors { code message } }";

async fn decide(app: &TestApp, token: &str, mutation: &str, input: Value) -> Value {
    app.mutate(
        Some(token),
        mutation,
        &format!(
            "mutation($input: {}Input!) {{ {mutation}(input: $input) {DECIDE} }}",
            capitalize(mutation)
        ),
        json!({ "input": input }),
    )
    .await
}

fn capitalize(name: &str) -> String {
    let mut chars = name.chars();
    chars
        .next()
        .map(|c| c.to_ascii_uppercase().to_string() + chars.as_str())
        .unwrap_or_default()
}

/// Waits for SMTP messages matching `pick`.
async fn smtp_messages(
    smtp: &SmtpServer,
    count: usize,
    pick: impl Fn(&Email) -> bool,
) -> Vec<(Vec<String>, Email)> {
    for _ in 0..200 {
        let found: Vec<_> = smtp
            .received()
            .into_iter()
            .map(|r| (r.recipients.clone(), Email::parse(&r.data)))
            .filter(|(_, e)| pick(e))
            .collect();
        if found.len() >= count {
            return found;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("expected {count} matching emails");
}

async fn out_of_network_path_as_a_user_walks_it(backend: Backend) {
    let smtp = SmtpServer::start().await;
    let app = TestApp::spawn_with(backend, |c| {
        c.mail.smtp_url = Some(smtp.url().parse().unwrap())
    })
    .await;
    let network = app.network("Portfolio").await;
    let company = create_company(&app, &network, "Lonely").await;
    let talent_token = {
        app.mutate(Some(&network.admin_token), "addTalent", "mutation($n: ID!) { addTalent(input: {networkId: $n, name: \"Vera\", email: \"vera@talent.test\", verified: true}) { talent { id } } }", json!({ "n": network.id })).await;
        let invitation =
            smtp_messages(&smtp, 1, |e| e.to.contains(&"vera@talent.test".to_owned())).await;
        accept(&app, &invitation[0].1.invitation_token(), PASSWORD).await["token"]
            .as_str()
            .unwrap()
            .to_owned()
    };

    // 1. The talent asks; the request lands in the admins' out-of-network inbox, and they are emailed.
    let asked = app
        .mutate(
            Some(&talent_token),
            "requestIntroToCompany",
            REQUEST,
            json!({ "c": company }),
        )
        .await;
    assert_eq!(asked["introRequest"]["inboxSection"], "OUT_OF_NETWORK");
    let id = asked["introRequest"]["id"].as_str().unwrap().to_owned();
    let to_admins = smtp_messages(&smtp, 1, |e| e.subject.contains("has no company admin")).await;
    assert_eq!(to_admins[0].0, std::slice::from_ref(&network.admin_email));

    // 2. A network admin adds a point of contact: invited, and told about the request.
    let added = decide(
        &app,
        &network.admin_token,
        "addPointOfContact",
        json!({ "introRequestId": id, "name": "Lou Lonely", "email": "lou@lonely.com" }),
    )
    .await;
    assert_eq!(
        added["introRequest"]["status"], "AWAITING_POINT_OF_CONTACT",
        "{added}"
    );
    assert_eq!(
        added["introRequest"]["pointOfContact"],
        json!({ "email": "lou@lonely.com", "status": "INVITED" })
    );
    let invitation = smtp_messages(&smtp, 1, |e| e.to.contains(&"lou@lonely.com".to_owned()))
        .await
        .remove(0)
        .1;
    assert!(
        invitation
            .text
            .contains("Vera asks for an introduction to Lonely"),
        "{}",
        invitation.text
    );

    // 3. The point of contact accepts the invitation: the request is delivered to them.
    let joined = app
        .mutate(
            None,
            "acceptInvitation",
            ACCEPT,
            json!({ "token": invitation.invitation_token(), "password": PASSWORD, "terms": true }),
        )
        .await;
    let lou = joined["token"].as_str().unwrap().to_owned();
    let request = app.gql(Some(&lou), "query($id: ID!) { node(id: $id) { ... on IntroRequest { status sentAt events { toStatus } } } }", json!({ "id": id })).await;
    assert_eq!(request["data"]["node"]["status"], "SENT", "{request}");
    let delivered = smtp_messages(&smtp, 1, |e| {
        e.to.contains(&"lou@lonely.com".to_owned())
            && e.subject.contains("asks for an introduction")
    })
    .await;
    assert_eq!(delivered.len(), 1);
    let counts = app
        .gql(
            Some(&network.admin_token),
            "query($id: ID!) { network(id: $id) { inboxCounts { outOfNetwork } } }",
            json!({ "id": network.id }),
        )
        .await;
    assert_eq!(counts["data"]["network"]["inboxCounts"]["outOfNetwork"], 0);

    // 4. They accept: one introduction email, To them, Cc the talent, Bcc the network admins.
    let accepted = decide(&app, &lou, "acceptIntro", json!({ "introRequestId": id })).await;
    assert_eq!(accepted["introRequest"]["status"], "ACCEPTED", "{accepted}");
    let introductions = smtp_messages(&smtp, 1, |e| e.subject.starts_with("Introduction:")).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(
        smtp.received()
            .iter()
            .filter(|r| Email::parse(&r.data).subject.starts_with("Introduction:"))
            .count(),
        1
    );
    let (envelope, email) = &introductions[0];
    assert_eq!(email.to, ["lou@lonely.com"]);
    assert_eq!(email.cc, ["vera@talent.test"]);
    assert!(
        envelope.contains(&network.admin_email),
        "admins are Bcc: {envelope:?}"
    );
    assert!(
        !String::from_utf8_lossy(&smtp.received().last().unwrap().data)
            .to_lowercase()
            .contains("\nbcc:"),
        "Bcc shows in the headers"
    );
}

async fn gatekeeper_path_and_refusals(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let network = app.network("Gated").await;
    app.mutate(Some(&network.admin_token), "updateNetworkSettings", "mutation($n: ID!) { updateNetworkSettings(input: {networkId: $n, gatekeeper: true}) { network { id } } }", json!({ "n": network.id })).await;
    let company = create_company(&app, &network, "Acme").await;
    invite_company_admin(&app, &network.admin_token, &company, "casey@acme.com").await;
    let casey = accept(
        &app,
        &app.email_to("casey@acme.com").await.invitation_token(),
        PASSWORD,
    )
    .await["token"]
        .as_str()
        .unwrap()
        .to_owned();
    let vera = add_talent(&app, &network, "Vera", "vera@talent.test", true)
        .await
        .1;
    let lonely = create_company(&app, &network, "Lonely").await;

    let held = app
        .mutate(
            Some(&vera),
            "requestIntroToCompany",
            REQUEST,
            json!({ "c": company }),
        )
        .await;
    assert_eq!(held["introRequest"]["inboxSection"], "IN_NETWORK");
    let id = held["introRequest"]["id"].as_str().unwrap().to_owned();
    // Only network admins make intros; company admins do not even see it yet.
    assert_eq!(
        user_error(&decide(&app, &casey, "makeIntro", json!({ "introRequestId": id })).await)
            .as_deref(),
        Some("NOT_FOUND")
    );
    let made = decide(
        &app,
        &network.admin_token,
        "makeIntro",
        json!({ "introRequestId": id, "note": "Great fit" }),
    )
    .await;
    assert_eq!(made["introRequest"]["status"], "SENT");
    assert_eq!(
        made["introRequest"]["events"][1],
        json!({ "fromStatus": "PENDING_REVIEW", "toStatus": "SENT", "note": "Great fit" })
    );
    assert!(
        app.email_to("casey@acme.com")
            .await
            .subject
            .contains("Vera asks for an introduction to Acme")
    );
    assert_eq!(
        user_error(
            &decide(
                &app,
                &network.admin_token,
                "makeIntro",
                json!({ "introRequestId": id })
            )
            .await
        )
        .as_deref(),
        Some("INVALID_STATE")
    );

    // The talent may neither accept their own request nor decline it; the recipient declines.
    let own = app
        .gql(
            Some(&vera),
            &format!(
                "mutation($input: AcceptIntroInput!) {{ acceptIntro(input: $input) {DECIDE} }}"
            ),
            json!({ "input": { "introRequestId": id } }),
        )
        .await;
    assert_eq!(error_code(&own).as_deref(), Some("FORBIDDEN"));
    // A reason too long is refused on `reason`, and nothing changes.
    let too_long = app
        .mutate(
            Some(&casey),
            "declineIntro",
            "mutation($r: ID!, $reason: String!) { declineIntro(input: {introRequestId: $r, reason: $reason}) { introRequest { id } userErrors { field code } } }",
            json!({ "r": id, "reason": "x".repeat(5001) }),
        )
        .await;
    assert_eq!(
        too_long["userErrors"][0]["field"],
        json!(["reason"]),
        "{too_long}"
    );
    assert!(too_long["introRequest"].is_null());
    let declined = decide(
        &app,
        &casey,
        "declineIntro",
        json!({ "introRequestId": id, "reason": "Not hiring" }),
    )
    .await;
    assert_eq!(declined["introRequest"]["status"], "DECLINED");
    assert_eq!(declined["introRequest"]["declineReason"], "Not hiring");
    // The network does not tell requesters (the default): no email, no reason for them.
    let seen = app
        .gql(
            Some(&vera),
            "query($id: ID!) { node(id: $id) { ... on IntroRequest { status declineReason } } }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(
        seen["data"]["node"],
        json!({ "status": "DECLINED", "declineReason": null })
    );
    assert!(
        app.delivered_files()
            .iter()
            .all(|e| !e.subject.contains("declined"))
    );
    assert_eq!(
        user_error(&decide(&app, &casey, "acceptIntro", json!({ "introRequestId": id })).await)
            .as_deref(),
        Some("INVALID_STATE")
    );

    // No company admin: makeIntro refuses; the admin declines it; the requester withdraws another.
    let waiting = app
        .mutate(
            Some(&vera),
            "requestIntroToCompany",
            REQUEST,
            json!({ "c": lonely }),
        )
        .await["introRequest"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(
        user_error(
            &decide(
                &app,
                &network.admin_token,
                "makeIntro",
                json!({ "introRequestId": waiting })
            )
            .await
        )
        .as_deref(),
        Some("NO_COMPANY_ADMIN")
    );
    app.mutate(Some(&network.admin_token), "updateNetworkSettings", "mutation($n: ID!) { updateNetworkSettings(input: {networkId: $n, notifyRequesterOnDecline: true}) { network { id } } }", json!({ "n": network.id })).await;
    let declined = decide(
        &app,
        &network.admin_token,
        "declineIntro",
        json!({ "introRequestId": waiting, "reason": "Not now" }),
    )
    .await;
    assert_eq!(declined["introRequest"]["status"], "DECLINED");
    assert!(
        app.email_to("vera@talent.test")
            .await
            .subject
            .starts_with("Your introduction request was declined")
    );
    let again = app
        .mutate(
            Some(&vera),
            "requestIntroToCompany",
            REQUEST,
            json!({ "c": company }),
        )
        .await["introRequest"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(
        user_error(
            &decide(
                &app,
                &casey,
                "withdrawIntro",
                json!({ "introRequestId": again })
            )
            .await
        )
        .as_deref(),
        Some("NOT_FOUND"),
        "a request casey cannot see yet"
    );
    let withdrawn = decide(
        &app,
        &vera,
        "withdrawIntro",
        json!({ "introRequestId": again }),
    )
    .await;
    assert_eq!(withdrawn["introRequest"]["status"], "WITHDRAWN");
    assert_eq!(
        user_error(
            &decide(
                &app,
                &vera,
                "withdrawIntro",
                json!({ "introRequestId": again })
            )
            .await
        )
        .as_deref(),
        Some("INVALID_STATE")
    );
}

async fn competing_decisions_have_one_winner(backend: Backend) {
    let smtp = SmtpServer::start().await;
    let app = TestApp::spawn_with(backend, |c| {
        c.mail.smtp_url = Some(smtp.url().parse().unwrap())
    })
    .await;
    let network = app.network("Race").await;
    app.mutate(Some(&network.admin_token), "updateNetworkSettings", "mutation($n: ID!) { updateNetworkSettings(input: {networkId: $n, gatekeeper: true}) { network { id } } }", json!({ "n": network.id })).await;
    let company = create_company(&app, &network, "Acme").await;
    invite_company_admin(&app, &network.admin_token, &company, "casey@acme.com").await;
    let invitation = smtp_messages(&smtp, 1, |e| e.to.contains(&"casey@acme.com".to_owned()))
        .await
        .remove(0)
        .1;
    let casey = accept(&app, &invitation.invitation_token(), PASSWORD).await["token"]
        .as_str()
        .unwrap()
        .to_owned();
    app.mutate(Some(&network.admin_token), "addTalent", "mutation($n: ID!) { addTalent(input: {networkId: $n, name: \"Vera\", email: \"vera@talent.test\", verified: true}) { talent { id } } }", json!({ "n": network.id })).await;
    let invitation = smtp_messages(&smtp, 1, |e| e.to.contains(&"vera@talent.test".to_owned()))
        .await
        .remove(0)
        .1;
    let vera = accept(&app, &invitation.invitation_token(), PASSWORD).await["token"]
        .as_str()
        .unwrap()
        .to_owned();
    let id = app
        .mutate(
            Some(&vera),
            "requestIntroToCompany",
            REQUEST,
            json!({ "c": company }),
        )
        .await["introRequest"]["id"]
        .as_str()
        .unwrap()
        .to_owned();

    for (token, mutation, subject) in [
        (
            &network.admin_token,
            "makeIntro",
            "asks for an introduction",
        ),
        (&casey, "acceptIntro", "Introduction:"),
    ] {
        let attempts =
            (0..50).map(|_| decide(&app, token, mutation, json!({ "introRequestId": id })));
        let results = futures::future::join_all(attempts).await;
        let winners = results
            .iter()
            .filter(|r| r["introRequest"]["id"].is_string())
            .count();
        let losers = results
            .iter()
            .filter(|r| user_error(r).as_deref() == Some("INVALID_STATE"))
            .count();
        assert_eq!((winners, losers), (1, 49), "{mutation}");
        // The delivery goes to casey, the introduction To casey: count what casey got.
        let to_casey = |e: &Email| e.subject.contains(subject) && e.to == ["casey@acme.com"];
        smtp_messages(&smtp, 1, to_casey).await;
        tokio::time::sleep(Duration::from_millis(700)).await;
        let sent = smtp
            .received()
            .iter()
            .filter(|r| to_casey(&Email::parse(&r.data)))
            .count();
        assert_eq!(sent, 1, "{mutation} sent {sent} emails");
    }
}

/// Reminder and expiry, driven by moving the server's clock rather than by waiting days.
async fn undecided_requests_are_reminded_once_then_expire(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    // A second server process on the same database, delivering into the same mail folder.
    let second = app
        .spawn_sibling(|c| c.mail.mail_dir = app.mail_dir.clone())
        .await;
    let network = app.network("Slow").await;
    app.mutate(Some(&network.admin_token), "updateNetworkSettings", "mutation($n: ID!) { updateNetworkSettings(input: {networkId: $n, reminderAfterDays: 3, introExpiryDays: 10}) { network { id } } }", json!({ "n": network.id })).await;
    let company = create_company(&app, &network, "Acme").await;
    invite_company_admin(&app, &network.admin_token, &company, "casey@acme.com").await;
    accept(
        &app,
        &app.email_to("casey@acme.com").await.invitation_token(),
        PASSWORD,
    )
    .await;
    let vera = add_talent(&app, &network, "Vera", "vera@talent.test", true)
        .await
        .1;
    let id = app
        .mutate(
            Some(&vera),
            "requestIntroToCompany",
            REQUEST,
            json!({ "c": company }),
        )
        .await["introRequest"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    app.email_to("casey@acme.com").await;
    let status = || async {
        app.gql(Some(&network.admin_token), "query($id: ID!) { node(id: $id) { ... on IntroRequest { status events { toStatus actor { id } } } } }", json!({ "id": id })).await["data"]["node"].clone()
    };
    let reminders = || {
        app.delivered_files()
            .iter()
            .filter(|e| e.subject.starts_with("Reminder:"))
            .count()
    };

    // Two days: nothing yet. Four days: one reminder, though two processes look.
    for clock in [&app.clock, &second.clock] {
        clock.advance(chrono::Duration::days(2));
    }
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert_eq!(reminders(), 0);
    for clock in [&app.clock, &second.clock] {
        clock.advance(chrono::Duration::days(2));
    }
    let reminder = app.email_to("casey@acme.com").await;
    assert!(
        reminder
            .subject
            .starts_with("Reminder: Vera asks for an introduction to Acme"),
        "{}",
        reminder.subject
    );
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert_eq!(reminders(), 1, "reminded more than once");
    assert_eq!(status().await["status"], "SENT");

    // Eleven days: expired, by the system.
    for clock in [&app.clock, &second.clock] {
        clock.advance(chrono::Duration::days(7));
    }
    let mut node = Value::Null;
    for _ in 0..50 {
        node = status().await;
        if node["status"] == "EXPIRED" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(node["status"], "EXPIRED", "{node}");
    assert_eq!(
        node["events"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["toStatus"] == "EXPIRED")
            .count(),
        1
    );
    assert!(
        node["events"][1]["actor"].is_null(),
        "expired by the system"
    );
}

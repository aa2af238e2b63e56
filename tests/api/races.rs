//! Decisions racing each other: every transition decides from the request as it is inside
//! its transaction, after the network's lock, never from a copy read before it.

use std::time::Duration;

use serde_json::{Value, json};

use crate::{
    both_databases,
    invitations::{accept, add_talent, create_company, invite_company_admin},
    subscriptions::{COMPANY_INBOX, live_network, request},
    support::{PASSWORD, TestApp, ws::Received},
};

both_databases!(
    withdraw_racing_make_intro_records_the_real_status,
    an_admin_joining_while_requests_are_made_leaves_none_waiting
);

const ROUNDS: usize = 50;

/// `mutation(input: {introRequestId})`: its status, or its user error code.
async fn decide(
    app: &TestApp,
    token: &str,
    mutation: &str,
    request: &str,
) -> Result<String, String> {
    let query = format!(
        "mutation($r: ID!) {{ {mutation}(input: {{introRequestId: $r}}) {{ introRequest {{ status }} userErrors {{ code }} }} }}"
    );
    let payload = app
        .mutate(Some(token), mutation, &query, json!({ "r": request }))
        .await;
    match payload["userErrors"][0]["code"].as_str() {
        Some(code) => Err(code.to_owned()),
        None => Ok(payload["introRequest"]["status"]
            .as_str()
            .unwrap()
            .to_owned()),
    }
}

/// The network admin approves while the talent withdraws, 50 times. Whoever wins, the
/// timeline and the event log say where the request really came from, and a request that
/// reached the company's inbox leaves it.
async fn withdraw_racing_make_intro_records_the_real_status(app: TestApp) {
    let live = live_network(&app, "Racing").await;
    let mut company = app.ws(&live.company_admin_token).await;
    company
        .subscribe("company", COMPANY_INBOX, json!({ "c": live.company }))
        .await;
    app.wait_for_subscribers(1).await;

    let mut delivered = Vec::new();
    let mut ids = Vec::new();
    for _ in 0..ROUNDS {
        let id = request(&app, &live).await;
        let (made, withdrawn) = tokio::join!(
            decide(&app, &live.network.admin_token, "makeIntro", &id),
            decide(&app, &live.talent_token, "withdrawIntro", &id),
        );
        assert_eq!(
            withdrawn.as_deref(),
            Ok("WITHDRAWN"),
            "the requester may always withdraw"
        );
        match made.as_ref().map(String::as_str).map_err(String::as_str) {
            Ok("SENT") => delivered.push(id.clone()),
            Err("INVALID_STATE") => {}
            other => panic!("makeIntro answered {other:?}"),
        }
        ids.push(id);
    }

    // The timeline is a chain: each step starts where the one before ended.
    let timelines = app
        .gql(
            Some(&live.network.admin_token),
            "query($ids: [ID!]!) { nodes(ids: $ids) { ... on IntroRequest { id status events { fromStatus toStatus } } } }",
            json!({ "ids": ids }),
        )
        .await;
    for node in timelines["data"]["nodes"].as_array().unwrap() {
        let events = node["events"].as_array().unwrap();
        let sent = delivered.iter().any(|d| d.as_str() == node["id"]);
        let expected: &[(Value, &str)] = if sent {
            &[
                (Value::Null, "PENDING_REVIEW"),
                (json!("PENDING_REVIEW"), "SENT"),
                (json!("SENT"), "WITHDRAWN"),
            ]
        } else {
            &[
                (Value::Null, "PENDING_REVIEW"),
                (json!("PENDING_REVIEW"), "WITHDRAWN"),
            ]
        };
        let steps: Vec<(Value, &str)> = events
            .iter()
            .map(|e| (e["fromStatus"].clone(), e["toStatus"].as_str().unwrap()))
            .collect();
        assert_eq!(steps, expected, "timeline of {}", node["id"]);
    }

    // The event log agrees with the timeline, transition by transition.
    let network = introgate::graphql::ids::GlobalId::decode(&live.network.id)
        .unwrap()
        .id;
    let log = introgate::live::log::after(app.state.db.read(), network, 0, 10_000)
        .await
        .unwrap();
    let mut last_status = std::collections::HashMap::new();
    for event in &log {
        let previous = last_status.insert(event.entry.intro_request_id, event.entry.to_status);
        assert_eq!(
            event.entry.from_status, previous,
            "event {} of the log starts from a status the request did not have",
            event.entry.seq
        );
    }

    // Every delivered request entered the company's inbox and left it when withdrawn.
    let expected = delivered.len() * 2;
    let mut kinds: Vec<(String, String)> = Vec::new();
    while kinds.len() < expected {
        match company.receive_within(Duration::from_secs(10)).await {
            Some(Received::Message(message)) if message["type"] == "next" => {
                let event = &message["payload"]["data"]["companyInboxUpdated"];
                kinds.push((
                    event["introRequest"]["id"].as_str().unwrap().to_owned(),
                    event["kind"].as_str().unwrap().to_owned(),
                ));
            }
            other => panic!(
                "{} of {expected} company inbox events arrived, then {other:?}",
                kinds.len()
            ),
        }
    }
    for id in &delivered {
        let of_request: Vec<&str> = kinds
            .iter()
            .filter(|(request, _)| request == id)
            .map(|(_, kind)| kind.as_str())
            .collect();
        assert_eq!(
            of_request,
            ["ADDED", "REMOVED"],
            "company inbox events of {id}"
        );
    }
    assert!(
        company
            .receive_within(Duration::from_millis(300))
            .await
            .is_none(),
        "an extra company inbox event"
    );
}

/// A company admin joins while 50 talents ask to meet the company: a request routed before
/// the admin joined waits for them and is delivered when they join; none is left waiting.
async fn an_admin_joining_while_requests_are_made_leaves_none_waiting(app: TestApp) {
    let network = app.network("Joining").await;
    let company = create_company(&app, &network, "Newco").await;
    invite_company_admin(&app, &network.admin_token, &company, "nina@newco.test").await;
    let invitation = app.email_to("nina@newco.test").await.invitation_token();
    let talent = futures::future::join_all((0..ROUNDS).map(|n| {
        let (app, network) = (&app, &network);
        async move {
            add_talent(
                app,
                network,
                &format!("Talent {n}"),
                &format!("t{n}@talent.test"),
                true,
            )
            .await
            .1
        }
    }))
    .await;

    let requests = futures::future::join_all(talent.iter().enumerate().map(|(n, token)| {
        let (app, company) = (&app, &company);
        async move {
            // Spread over the time the admin takes to join.
            tokio::time::sleep(Duration::from_millis(2 * n as u64)).await;
            let payload = app.mutate(Some(token), "requestIntroToCompany", "mutation($c: ID!) { requestIntroToCompany(input: {companyId: $c, message: \"hi\"}) { introRequest { id } userErrors { code } } }", json!({ "c": company })).await;
            payload["introRequest"]["id"].as_str().unwrap().to_owned()
        }
    }));
    let (ids, joined) = tokio::join!(requests, accept(&app, &invitation, PASSWORD));
    assert!(joined["token"].is_string(), "{joined}");

    let statuses = app
        .gql(
            Some(&network.admin_token),
            "query($ids: [ID!]!) { nodes(ids: $ids) { ... on IntroRequest { status } } }",
            json!({ "ids": ids }),
        )
        .await;
    let waiting = statuses["data"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|n| n["status"] != "SENT")
        .count();
    assert_eq!(waiting, 0, "requests left undelivered: {statuses}");
}

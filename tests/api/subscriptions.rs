//! Live subscriptions over WebSocket (`/graphql/ws`): the inbox events of a request's life,
//! the protocol's close codes, tenant isolation, resuming from a cursor, losing access,
//! the legacy protocol, and events crossing server processes.

use std::time::Duration;

use serde_json::{Value, json};

use crate::{
    both_databases,
    invitations::{accept, add_talent, create_company, invite_company_admin},
    support::{
        Backend, PASSWORD, TestApp, TestNetwork,
        ws::{LEGACY, Received, TRANSPORT, WsClient},
    },
    with_backends,
};

both_databases!(
    inboxes_follow_a_request_through_its_life,
    protocol_violations_close_with_their_codes,
    subscribing_is_authorised,
    another_networks_events_never_arrive,
    resuming_replays_exactly_the_missed_events,
    a_pruned_cursor_is_refused_and_a_failed_change_sends_nothing,
    concurrent_changes_arrive_once_each_in_log_order,
    a_subscriber_left_behind_reads_the_log,
    losing_access_ends_the_subscription,
    legacy_protocol_and_request_updates,
    equal_rights_share_one_execution_other_rights_see_their_own,
    a_stalled_subscriber_holds_up_nobody,
    shared_subscribers_keep_their_own_access_checks
);
with_backends!(origin_is_checked, init_timeout_closes_with_4408);

pub const INBOX: &str = "subscription($n: ID!, $after: String) { inboxUpdated(networkId: $n, after: $after) { cursor kind status section counts { inNetwork outOfNetwork } companyCounts { awaitingDecision } introRequest { id status talent { name } company { name } } } }";
pub const COMPANY_INBOX: &str = "subscription($c: ID!) { companyInboxUpdated(companyId: $c) { cursor kind status section counts { inNetwork } companyCounts { awaitingDecision } introRequest { id status } } }";

/// A gatekeeper network with a company that has an active admin, and a verified talent.
pub struct Live {
    pub network: TestNetwork,
    pub company: String,
    pub company_admin_token: String,
    pub talent_token: String,
}

pub async fn live_network(app: &TestApp, name: &str) -> Live {
    let network = app.network(name).await;
    app.mutate(Some(&network.admin_token), "updateNetworkSettings", "mutation($n: ID!) { updateNetworkSettings(input: {networkId: $n, gatekeeper: true}) { network { id } } }", json!({ "n": network.id })).await;
    let company = create_company(app, &network, "Acme").await;
    let domain = name.to_lowercase().replace(' ', "-");
    let admin_email = format!("casey@{domain}.test");
    invite_company_admin(app, &network.admin_token, &company, &admin_email).await;
    let company_admin_token = accept(
        app,
        &app.email_to(&admin_email).await.invitation_token(),
        PASSWORD,
    )
    .await["token"]
        .as_str()
        .unwrap()
        .to_owned();
    let (_, talent_token) =
        add_talent(app, &network, "Vera", &format!("vera@{domain}.test"), true).await;
    Live {
        network,
        company,
        company_admin_token,
        talent_token,
    }
}

/// A socket following the network admins' inbox as operation `s`, once the server follows it.
async fn follow_inbox(app: &TestApp, token: &str, network: &str) -> WsClient {
    let mut client = app.ws(token).await;
    client.subscribe("s", INBOX, json!({ "n": network })).await;
    app.wait_for_subscribers(1).await;
    client
}

/// The talent asks for an introduction to the company; returns the request id.
pub async fn request(app: &TestApp, live: &Live) -> String {
    let payload = app.mutate(Some(&live.talent_token), "requestIntroToCompany", "mutation($c: ID!) { requestIntroToCompany(input: {companyId: $c, jobIds: [], message: \"hello\"}) { introRequest { id status } userErrors { code message } } }", json!({ "c": live.company })).await;
    payload["introRequest"]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("{payload}"))
        .to_owned()
}

pub async fn decide(app: &TestApp, token: &str, mutation: &str, request: &str) -> Value {
    let query = format!(
        "mutation($r: ID!) {{ {mutation}(input: {{introRequestId: $r}}) {{ introRequest {{ status }} userErrors {{ code message }} }} }}"
    );
    let payload = app
        .mutate(Some(token), mutation, &query, json!({ "r": request }))
        .await;
    assert!(
        payload["userErrors"].as_array().unwrap().is_empty(),
        "{payload}"
    );
    payload
}

async fn inboxes_follow_a_request_through_its_life(app: TestApp) {
    let live = live_network(&app, "Lively").await;
    let mut admin = app.ws(&live.network.admin_token).await;
    admin
        .subscribe("inbox", INBOX, json!({ "n": live.network.id }))
        .await;
    let mut company = app.ws(&live.company_admin_token).await;
    company
        .subscribe("company", COMPANY_INBOX, json!({ "c": live.company }))
        .await;
    app.wait_for_subscribers(2).await;

    // The gatekeeper holds the request: it enters the network admins' inbox.
    let id = request(&app, &live).await;
    let added = admin.next_data("inbox").await["inboxUpdated"].clone();
    assert_eq!(added["kind"], "ADDED");
    assert_eq!(added["status"], "PENDING_REVIEW");
    assert_eq!(added["section"], "IN_NETWORK");
    assert_eq!(
        added["counts"],
        json!({ "inNetwork": 1, "outOfNetwork": 0 })
    );
    assert_eq!(added["companyCounts"], Value::Null);
    assert_eq!(added["introRequest"]["id"], id.as_str());
    assert_eq!(added["introRequest"]["talent"]["name"], "Vera");

    // The admin makes the intro: it leaves their inbox and enters the company's.
    decide(&app, &live.network.admin_token, "makeIntro", &id).await;
    let removed = admin.next_data("inbox").await["inboxUpdated"].clone();
    assert_eq!(removed["kind"], "REMOVED");
    assert_eq!(removed["status"], "SENT");
    assert_eq!(removed["section"], Value::Null);
    assert_eq!(
        removed["counts"],
        json!({ "inNetwork": 0, "outOfNetwork": 0 })
    );
    assert!(removed["cursor"].as_str().unwrap() != added["cursor"].as_str().unwrap());

    let delivered = company.next_data("company").await["companyInboxUpdated"].clone();
    assert_eq!(delivered["kind"], "ADDED");
    assert_eq!(delivered["status"], "SENT");
    assert_eq!(delivered["section"], Value::Null);
    assert_eq!(delivered["counts"], Value::Null);
    assert_eq!(delivered["companyCounts"], json!({ "awaitingDecision": 1 }));

    // The company accepts: it leaves the company's inbox; the admins' inbox is untouched.
    decide(&app, &live.company_admin_token, "acceptIntro", &id).await;
    let decided = company.next_data("company").await["companyInboxUpdated"].clone();
    assert_eq!(decided["kind"], "REMOVED");
    assert_eq!(decided["status"], "ACCEPTED");
    assert_eq!(decided["introRequest"]["status"], "ACCEPTED");
    assert_eq!(decided["companyCounts"], json!({ "awaitingDecision": 0 }));
    assert!(
        admin
            .receive_within(Duration::from_millis(300))
            .await
            .is_none(),
        "the admins' inbox did not change"
    );

    // Completing a subscription stops it; the id may be used again.
    admin
        .send(json!({ "type": "complete", "id": "inbox" }))
        .await;
    admin
        .subscribe("inbox", INBOX, json!({ "n": live.network.id }))
        .await;
    app.wait_for_subscribers(2).await;
    let second = request(&app, &live).await;
    let again = admin.next_data("inbox").await["inboxUpdated"].clone();
    assert_eq!(again["introRequest"]["id"], second.as_str());
}

async fn protocol_violations_close_with_their_codes(app: TestApp) {
    let network = app.network("Strict").await;
    let token = network.admin_token.as_str();
    let subscription = json!({ "n": network.id });

    // Subscribing before the acknowledgement: 4401.
    let mut early = app.ws_connect(Some(TRANSPORT), None).await.unwrap();
    early.subscribe("1", INBOX, subscription.clone()).await;
    assert_eq!(early.closed().await, Some(4401));

    // A bad token, or none: 4403.
    for payload in [
        json!({ "authorization": "Bearer igs_not-a-token" }),
        json!({}),
    ] {
        let mut refused = app.ws_connect(Some(TRANSPORT), None).await.unwrap();
        refused
            .send(json!({ "type": "connection_init", "payload": payload }))
            .await;
        assert_eq!(refused.closed().await, Some(4403));
    }

    // A second connection_init: 4429.
    let mut twice = app.ws(token).await;
    twice.init(token).await;
    assert_eq!(twice.closed().await, Some(4429));

    // Two operations with one id: 4409.
    let mut duplicate = app.ws(token).await;
    duplicate
        .subscribe("same", INBOX, subscription.clone())
        .await;
    duplicate
        .subscribe("same", INBOX, subscription.clone())
        .await;
    assert_eq!(duplicate.closed().await, Some(4409));

    // Not a protocol message: 4400.
    let mut garbage = app.ws(token).await;
    garbage.send_raw("{\"type\": \"dance\"}").await;
    assert_eq!(garbage.closed().await, Some(4400));

    // No subprotocol we speak: 4406.
    let mut unknown = app.ws_connect(None, None).await.unwrap();
    assert_eq!(unknown.closed().await, Some(4406));

    // Pings are answered.
    let mut pinging = app.ws(token).await;
    pinging.send(json!({ "type": "ping" })).await;
    assert_eq!(pinging.message().await["type"], "pong");

    // Queries run over the socket too, and complete.
    pinging
        .subscribe("q", "query { viewer { account { email } } }", json!({}))
        .await;
    let data = pinging.next_data("q").await;
    assert_eq!(
        data["viewer"]["account"]["email"],
        network.admin_email.as_str()
    );
    assert_eq!(
        pinging.message().await,
        json!({ "type": "complete", "id": "q" })
    );

    // An invalid document is an `error` for that operation, not a close.
    pinging
        .subscribe("bad", "subscription { nope }", json!({}))
        .await;
    let error = pinging.message().await;
    assert_eq!(error["type"], "error", "{error}");
    assert_eq!(error["id"], "bad");
    assert_eq!(
        error["payload"][0]["extensions"]["code"],
        "GRAPHQL_VALIDATION_FAILED"
    );

    // The request policy HTTP has: one for both transports.
    let flood: String = (0..31).map(|i| format!("a{i}: __typename ")).collect();
    for (id, query, code) in [
        ("unparsed", "subscription {", "GRAPHQL_PARSE_FAILED"),
        ("flood", &format!("{{ {flood} }}"), "ALIAS_LIMIT_EXCEEDED"),
    ] {
        pinging.subscribe(id, query, json!({})).await;
        let error = pinging.message().await;
        assert_eq!(error["type"], "error", "{error}");
        assert_eq!(error["id"], id);
        assert_eq!(error["payload"][0]["extensions"]["code"], code, "{error}");
    }
    pinging
        .subscribe(
            "ordered",
            "query($id: ID!) { zz: __typename network(id: $id) { slug name } aa: __typename }",
            json!({ "id": network.id }),
        )
        .await;
    let data = pinging.next_data("ordered").await;
    let keys: Vec<&String> = data.as_object().unwrap().keys().collect();
    assert_eq!(keys, ["zz", "network", "aa"], "{data}");
}

async fn init_timeout_closes_with_4408(backend: Backend) {
    let app = TestApp::spawn_with(backend, |config| {
        config.live.ws_init_timeout = Duration::from_millis(300);
    })
    .await;
    let mut silent = app.ws_connect(Some(TRANSPORT), None).await.unwrap();
    let started = std::time::Instant::now();
    assert_eq!(silent.closed().await, Some(4408));
    assert!(started.elapsed() >= Duration::from_millis(250));
}

async fn origin_is_checked(backend: Backend) {
    let app = TestApp::spawn_with(backend, |config| {
        config.cors_origins = vec!["https://spa.example".parse().unwrap()];
    })
    .await;
    let network = app.network("Origins").await;
    let refused = app
        .ws_connect(Some(TRANSPORT), Some("https://evil.example"))
        .await;
    assert!(
        matches!(&refused, Err(tokio_tungstenite::tungstenite::Error::Http(r)) if r.status() == 403),
        "{:?}",
        refused.err()
    );
    for origin in ["https://spa.example".to_owned(), app.address.clone()] {
        let mut allowed = app
            .ws_connect(Some(TRANSPORT), Some(&origin))
            .await
            .unwrap_or_else(|e| panic!("{origin}: {e}"));
        allowed.init(&network.admin_token).await;
        assert_eq!(allowed.message().await["type"], "connection_ack");
    }
}

async fn subscribing_is_authorised(app: TestApp) {
    let live = live_network(&app, "Guarded").await;
    let other = app.network("Elsewhere").await;
    let mut talent = app.ws(&live.talent_token).await;

    let refused = |message: &Value| message["payload"][0]["extensions"]["code"].clone();
    // A member who may not follow the admins' inbox: FORBIDDEN.
    talent
        .subscribe("1", INBOX, json!({ "n": live.network.id }))
        .await;
    let message = talent.message().await;
    assert_eq!(message["type"], "error", "{message}");
    assert_eq!(refused(&message), "FORBIDDEN");
    // Another network: as if it did not exist.
    let mut outsider = app.ws(&other.admin_token).await;
    outsider
        .subscribe("1", INBOX, json!({ "n": live.network.id }))
        .await;
    assert_eq!(refused(&outsider.message().await), "NOT_FOUND");
    outsider
        .subscribe("2", COMPANY_INBOX, json!({ "c": live.company }))
        .await;
    assert_eq!(refused(&outsider.message().await), "NOT_FOUND");
    // A network admin does not follow a company's inbox (that is its admins').
    let mut admin = app.ws(&live.network.admin_token).await;
    admin
        .subscribe("1", COMPANY_INBOX, json!({ "c": live.company }))
        .await;
    assert_eq!(refused(&admin.message().await), "FORBIDDEN");
    // A cursor that is not one, or of another network.
    admin
        .subscribe(
            "2",
            INBOX,
            json!({ "n": live.network.id, "after": "garbage" }),
        )
        .await;
    assert_eq!(refused(&admin.message().await), "INVALID_INPUT");

    // API tokens follow the network's inbox.
    let api = app
        .mutate(
            Some(&live.network.admin_token),
            "createApiToken",
            "mutation($n: ID!) { createApiToken(input: {networkId: $n, name: \"CRM\"}) { token } }",
            json!({ "n": live.network.id }),
        )
        .await["token"]
        .as_str()
        .unwrap()
        .to_owned();
    let mut partner = follow_inbox(&app, &api, &live.network.id).await;
    let id = request(&app, &live).await;
    let event = partner.next_data("s").await;
    assert_eq!(event["inboxUpdated"]["introRequest"]["id"], id.as_str());

    // A cursor of this network but given to another network's subscription.
    let cursor = event["inboxUpdated"]["cursor"].as_str().unwrap().to_owned();
    outsider
        .subscribe("3", INBOX, json!({ "n": other.id, "after": cursor }))
        .await;
    assert_eq!(refused(&outsider.message().await), "INVALID_INPUT");
}

async fn another_networks_events_never_arrive(app: TestApp) {
    let a = live_network(&app, "Alpha").await;
    let b = live_network(&app, "Beta").await;
    let mut subscriber = follow_inbox(&app, &a.network.admin_token, &a.network.id).await;

    // 100 events in network B: 50 requests, each declined.
    for _ in 0..50 {
        let id = request(&app, &b).await;
        decide(&app, &b.network.admin_token, "declineIntro", &id).await;
    }
    // Then one in A: it is the first thing the subscriber receives.
    let id = request(&app, &a).await;
    let first = subscriber.next_data("s").await;
    assert_eq!(first["inboxUpdated"]["introRequest"]["id"], id.as_str());
    assert_eq!(first["inboxUpdated"]["counts"]["inNetwork"], 1);
    assert!(
        subscriber
            .receive_within(Duration::from_millis(300))
            .await
            .is_none()
    );
}

/// Cursors and request ids of `n` inbox events.
async fn inbox_events(client: &mut WsClient, id: &str, n: usize) -> Vec<(String, String, String)> {
    let mut events = Vec::new();
    for _ in 0..n {
        let event = client.next_data(id).await["inboxUpdated"].clone();
        events.push((
            event["cursor"].as_str().unwrap().to_owned(),
            event["kind"].as_str().unwrap().to_owned(),
            event["introRequest"]["id"].as_str().unwrap().to_owned(),
        ));
    }
    events
}

async fn resuming_replays_exactly_the_missed_events(app: TestApp) {
    let live = live_network(&app, "Resume").await;
    let mut first = follow_inbox(&app, &live.network.admin_token, &live.network.id).await;
    let seen = request(&app, &live).await;
    let (cursor, _, _) = inbox_events(&mut first, "s", 1).await.remove(0);
    first.close().await;

    // While disconnected: 20 events (the first request declined, then 19 more each way).
    let mut caused = Vec::new();
    decide(&app, &live.network.admin_token, "declineIntro", &seen).await;
    caused.push(("REMOVED".to_owned(), seen.clone()));
    for i in 0..19 {
        if i % 2 == 0 {
            let id = request(&app, &live).await;
            caused.push(("ADDED".to_owned(), id));
        } else {
            let id = caused.last().unwrap().1.clone();
            decide(&app, &live.network.admin_token, "declineIntro", &id).await;
            caused.push(("REMOVED".to_owned(), id));
        }
    }
    assert_eq!(caused.len(), 20);

    let mut resumed = app.ws(&live.network.admin_token).await;
    resumed
        .subscribe("s", INBOX, json!({ "n": live.network.id, "after": cursor }))
        .await;
    let replayed = inbox_events(&mut resumed, "s", 20).await;
    let got: Vec<(String, String)> = replayed
        .iter()
        .map(|(_, kind, id)| (kind.clone(), id.clone()))
        .collect();
    assert_eq!(got, caused, "exactly the missed events, in order");
    assert!(
        resumed
            .receive_within(Duration::from_millis(300))
            .await
            .is_none(),
        "no duplicate after the replay"
    );
    // Then live ones: the last request, still open, is declined now.
    app.wait_for_subscribers(1).await;
    let open = caused.last().unwrap().1.clone();
    decide(&app, &live.network.admin_token, "declineIntro", &open).await;
    let next = inbox_events(&mut resumed, "s", 1).await.remove(0);
    assert_eq!(
        (next.1.as_str(), next.2.as_str()),
        ("REMOVED", open.as_str())
    );
}

async fn a_pruned_cursor_is_refused_and_a_failed_change_sends_nothing(app: TestApp) {
    let live = live_network(&app, "Pruned").await;
    let mut admin = follow_inbox(&app, &live.network.admin_token, &live.network.id).await;
    request(&app, &live).await;
    let (cursor, _, _) = inbox_events(&mut admin, "s", 1).await.remove(0);

    // A refused change (a second open request between them) writes no event.
    let duplicate = app.mutate(Some(&live.talent_token), "requestIntroToCompany", "mutation($c: ID!) { requestIntroToCompany(input: {companyId: $c, jobIds: [], message: \"again\"}) { userErrors { code } } }", json!({ "c": live.company })).await;
    assert_eq!(duplicate["userErrors"][0]["code"], "DUPLICATE");
    assert!(
        admin
            .receive_within(Duration::from_millis(300))
            .await
            .is_none()
    );
    admin.close().await;

    // The cursor resumes while its event is kept…
    let mut resumed = app.ws(&live.network.admin_token).await;
    resumed
        .subscribe("s", INBOX, json!({ "n": live.network.id, "after": cursor }))
        .await;
    app.wait_for_subscribers(1).await;
    resumed.send(json!({ "type": "complete", "id": "s" })).await;

    // …and is refused once the log dropped it (8 days later, with the 7-day retention).
    app.clock.advance(chrono::Duration::days(8));
    let pruned = introgate::live::log::prune(
        app.state.db.write(),
        app.state.now() - chrono::Duration::days(7),
    )
    .await
    .unwrap();
    assert_eq!(pruned, 1);
    resumed
        .subscribe("t", INBOX, json!({ "n": live.network.id, "after": cursor }))
        .await;
    let refused = resumed.message().await;
    assert_eq!(refused["type"], "error", "{refused}");
    assert_eq!(refused["payload"][0]["extensions"]["code"], "INVALID_INPUT");
}

/// Many transactions of one network committing at once (on PostgreSQL their sequence
/// numbers could become visible out of order): the live stream and a replay both hold each
/// event once, in the same order; and a point of contact named is an `UPDATED`.
async fn concurrent_changes_arrive_once_each_in_log_order(app: TestApp) {
    const N: usize = 24;
    let live = live_network(&app, "Busy").await;
    let mut companies = Vec::new();
    for i in 0..N {
        companies.push(create_company(&app, &live.network, &format!("Lonely {i}")).await);
    }
    let mut admin = follow_inbox(&app, &live.network.admin_token, &live.network.id).await;

    // N requests to companies without admins, all at once.
    let requests = companies.iter().map(|company| {
        app.mutate(Some(&live.talent_token), "requestIntroToCompany", "mutation($c: ID!) { requestIntroToCompany(input: {companyId: $c, jobIds: [], message: \"hi\"}) { introRequest { id } userErrors { code } } }", json!({ "c": company }))
    });
    let created: std::collections::HashSet<String> = futures::future::join_all(requests)
        .await
        .iter()
        .map(|p| {
            p["introRequest"]["id"]
                .as_str()
                .unwrap_or_else(|| panic!("{p}"))
                .to_owned()
        })
        .collect();
    assert_eq!(created.len(), N);

    let received = inbox_events(&mut admin, "s", N).await;
    let ids: std::collections::HashSet<String> = received.iter().map(|e| e.2.clone()).collect();
    assert_eq!(ids, created, "each request's event exactly once");
    assert!(received.iter().all(|e| e.1 == "ADDED"));
    assert!(
        admin
            .receive_within(Duration::from_millis(300))
            .await
            .is_none()
    );

    // A replay after the first event holds the same events in the same order.
    let mut replay = app.ws(&live.network.admin_token).await;
    replay
        .subscribe(
            "r",
            INBOX,
            json!({ "n": live.network.id, "after": received[0].0 }),
        )
        .await;
    let replayed = inbox_events(&mut replay, "r", N - 1).await;
    assert_eq!(replayed, received[1..].to_vec());

    // Naming a point of contact changes a request inside the inbox: UPDATED.
    let (_, _, first) = &received[0];
    let named = app.mutate(Some(&live.network.admin_token), "addPointOfContact", "mutation($r: ID!) { addPointOfContact(input: {introRequestId: $r, name: \"Lou\", email: \"lou@lonely.test\"}) { userErrors { code } } }", json!({ "r": first })).await;
    assert!(
        named["userErrors"].as_array().unwrap().is_empty(),
        "{named}"
    );
    let updated = admin.next_data("s").await["inboxUpdated"].clone();
    assert_eq!(
        (updated["kind"].as_str(), updated["section"].as_str()),
        (Some("UPDATED"), Some("OUT_OF_NETWORK"))
    );
    assert_eq!(updated["counts"]["outOfNetwork"], N);
}

/// A subscriber slower than the broadcast (here: room for 2 events, 10 arrive at once)
/// falls back to the log and still gets every event once, in order.
async fn a_subscriber_left_behind_reads_the_log(app: TestApp) {
    use futures::StreamExt;
    use introgate::live::{Hub, Signal, stream};
    let live = live_network(&app, "Laggard").await;
    let network = introgate::graphql::ids::GlobalId::decode(&live.network.id)
        .unwrap()
        .id;
    let hub = Hub::new(app.state.db.clone(), 2);
    let stop = tokio_util::sync::CancellationToken::new();
    tokio::spawn(hub.clone().run(Duration::from_secs(600), stop.clone()));
    let events = stream::events(hub.clone(), app.state.db.clone(), network, None);
    let mut events = std::pin::pin!(events);
    // Polled once, the stream listens; nothing has happened yet.
    assert!(
        tokio::time::timeout(Duration::from_millis(100), events.next())
            .await
            .is_err()
    );

    let mut caused = Vec::new();
    for _ in 0..5 {
        let id = request(&app, &live).await;
        decide(&app, &live.network.admin_token, "declineIntro", &id).await;
        caused.extend([id.clone(), id]);
    }
    hub.receive(Signal::Events(network));

    let mut seen = Vec::new();
    let mut last = 0;
    for _ in 0..10 {
        let event = tokio::time::timeout(Duration::from_secs(10), events.next())
            .await
            .expect("the event arrives")
            .unwrap()
            .unwrap();
        assert!(event.entry.seq > last, "in log order, once each");
        last = event.entry.seq;
        seen.push(
            introgate::graphql::ids::GlobalId::encode(
                introgate::graphql::ids::NodeKind::IntroRequest,
                event.entry.intro_request_id,
            )
            .0,
        );
    }
    assert_eq!(seen, caused);
    assert!(
        tokio::time::timeout(Duration::from_millis(200), events.next())
            .await
            .is_err()
    );
    stop.cancel();
}

async fn losing_access_ends_the_subscription(app: TestApp) {
    let live = live_network(&app, "Revoked").await;

    // A company admin removed from the company: their subscription ends with FORBIDDEN.
    let mut company = app.ws(&live.company_admin_token).await;
    company
        .subscribe("c", COMPANY_INBOX, json!({ "c": live.company }))
        .await;
    app.wait_for_subscribers(1).await;
    let admins = app
        .gql(
            Some(&live.network.admin_token),
            "query($c: ID!) { node(id: $c) { ... on Company { admins { id } } } }",
            json!({ "c": live.company }),
        )
        .await;
    let admin_id = admins["data"]["node"]["admins"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let removed = app.mutate(Some(&live.network.admin_token), "removeCompanyAdmin", "mutation($a: ID!) { removeCompanyAdmin(input: {companyAdminId: $a}) { companyAdmin { status } userErrors { code } } }", json!({ "a": admin_id })).await;
    assert_eq!(removed["companyAdmin"]["status"], "REMOVED", "{removed}");
    let ended = company.message().await;
    assert!(
        matches!(ended["type"].as_str(), Some("error" | "next")),
        "{ended}"
    );
    let errors = if ended["type"] == "error" {
        ended["payload"].clone()
    } else {
        ended["payload"]["errors"].clone()
    };
    assert_eq!(errors[0]["extensions"]["code"], "FORBIDDEN", "{ended}");
    if ended["type"] == "next" {
        assert_eq!(
            company.message().await,
            json!({ "type": "complete", "id": "c" })
        );
    }
    // Subscribing again is refused: they are no longer in the network at all.
    company
        .subscribe("c", COMPANY_INBOX, json!({ "c": live.company }))
        .await;
    let again = company.message().await;
    assert_eq!(
        again["payload"][0]["extensions"]["code"], "NOT_FOUND",
        "{again}"
    );

    // A signed-out session: the socket closes with 4403.
    let mut admin = app.ws(&live.network.admin_token).await;
    admin
        .subscribe("a", INBOX, json!({ "n": live.network.id }))
        .await;
    app.mutate(
        Some(&live.network.admin_token),
        "signOut",
        "mutation { signOut { userErrors { code } } }",
        json!({}),
    )
    .await;
    assert_eq!(admin.closed().await, Some(4403));

    // A revoked API token: the same.
    let admin_token = app.sign_in(&live.network.admin_email, PASSWORD).await;
    let created = app.mutate(Some(&admin_token), "createApiToken", "mutation($n: ID!) { createApiToken(input: {networkId: $n, name: \"CRM\"}) { token apiToken { id } } }", json!({ "n": live.network.id })).await;
    let mut partner = app.ws(created["token"].as_str().unwrap()).await;
    partner
        .subscribe("p", INBOX, json!({ "n": live.network.id }))
        .await;
    let revoked = app.mutate(Some(&admin_token), "revokeApiToken", "mutation($t: ID!) { revokeApiToken(input: {apiTokenId: $t}) { apiToken { id } userErrors { code } } }", json!({ "t": created["apiToken"]["id"] })).await;
    assert!(
        revoked["userErrors"].as_array().unwrap().is_empty(),
        "{revoked}"
    );
    assert_eq!(partner.closed().await, Some(4403));
}

async fn legacy_protocol_and_request_updates(app: TestApp) {
    let live = live_network(&app, "Legacy").await;
    let id = request(&app, &live).await;

    // The legacy `graphql-ws` protocol: connection_init / start / data / stop.
    let mut legacy = app.ws_connect(Some(LEGACY), None).await.unwrap();
    legacy.init(&live.talent_token).await;
    assert_eq!(legacy.message().await["type"], "connection_ack");
    legacy
        .send(json!({ "type": "start", "id": "r", "payload": { "query": "subscription($id: ID!) { introRequestUpdated(id: $id) { id status } }", "variables": { "id": id } } }))
        .await;
    app.wait_for_subscribers(1).await;
    decide(&app, &live.network.admin_token, "makeIntro", &id).await;
    let data = legacy.message().await;
    assert_eq!(data["type"], "data", "{data}");
    assert_eq!(
        data["payload"]["data"]["introRequestUpdated"],
        json!({ "id": id, "status": "SENT" })
    );
    decide(&app, &live.company_admin_token, "acceptIntro", &id).await;
    let data = legacy.message().await;
    assert_eq!(
        data["payload"]["data"]["introRequestUpdated"]["status"],
        "ACCEPTED"
    );
    legacy.send(json!({ "type": "stop", "id": "r" })).await;
    assert_eq!(
        legacy.message().await,
        json!({ "type": "complete", "id": "r" })
    );

    // A refused identity on the legacy protocol closes with 4403 too.
    let mut refused = app.ws_connect(Some(LEGACY), None).await.unwrap();
    refused.init("igs_nope").await;
    match refused.receive().await {
        Received::Closed(code) => assert_eq!(code, Some(4403)),
        Received::Message(m) => panic!("{m}"),
    }
}

/// A running `introgate serve` process; killed when dropped.
struct ServeProcess {
    _child: tokio::process::Child,
    address: String,
}

async fn serve(database_url: &str) -> ServeProcess {
    use base64::Engine as _;
    use tokio::io::{AsyncBufReadExt, BufReader};
    let key = base64::engine::general_purpose::STANDARD.encode(rand::random::<[u8; 32]>());
    let mail = std::env::temp_dir().join(format!("introgate-mail-{}", uuid::Uuid::now_v7()));
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_introgate"))
        .args(["serve", "--bind", "127.0.0.1:0"])
        .env("DATABASE_URL", database_url)
        .env("INTROGATE_SECRET_KEY", key)
        .env("MAIL_DIR", mail)
        .env("RUST_LOG", "warn")
        .env_remove("SMTP_URL")
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("start introgate serve");
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    loop {
        let line = tokio::time::timeout(Duration::from_secs(30), lines.next_line())
            .await
            .expect("introgate serve started within 30 s")
            .unwrap()
            .expect("introgate serve printed its address");
        if let Some(rest) = line.strip_prefix("introgate listening on ") {
            let address = rest.split_whitespace().next().unwrap().to_owned();
            // Keep reading stdout so the process never blocks on a full pipe.
            tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
            return ServeProcess {
                _child: child,
                address,
            };
        }
    }
}

/// SPEC §2: several `introgate serve` on one PostgreSQL; an event caused through one
/// reaches the subscribers of another (LISTEN/NOTIFY), within a second.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_event_crosses_server_processes() {
    let Some(backend) = Backend::postgres() else {
        return;
    };
    let app = TestApp::spawn(backend).await;
    let live = live_network(&app, "Processes").await;
    let introgate::config::DatabaseUrl::Postgres(url) = &app.config.database.database_url else {
        unreachable!("a PostgreSQL test app")
    };
    let (one, two) = tokio::join!(serve(url), serve(url));

    let mut subscriber = WsClient::initialised(&one.address, &live.network.admin_token).await;
    subscriber
        .subscribe("s", INBOX, json!({ "n": live.network.id }))
        .await;
    crate::support::ws::wait_for_subscribers(&one.address, 1).await;

    let mut latencies = Vec::new();
    for _ in 0..5 {
        let response: Value = reqwest::Client::new()
            .post(format!("{}/graphql", two.address))
            .bearer_auth(&live.talent_token)
            .json(&json!({ "query": "mutation($c: ID!) { requestIntroToCompany(input: {companyId: $c, jobIds: [], message: \"hi\"}) { introRequest { id } } }", "variables": { "c": live.company } }))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let sent = std::time::Instant::now();
        let id = response["data"]["requestIntroToCompany"]["introRequest"]["id"]
            .as_str()
            .unwrap_or_else(|| panic!("{response}"))
            .to_owned();
        let event = match subscriber.receive_within(Duration::from_secs(1)).await {
            Some(Received::Message(message)) => message,
            other => panic!("no event on process 1 within 1 s: {other:?}"),
        };
        latencies.push(sent.elapsed());
        assert_eq!(
            event["payload"]["data"]["inboxUpdated"]["introRequest"]["id"],
            id.as_str()
        );
        // Decline it (through process 2 as well) so the talent may ask again.
        let declined = reqwest::Client::new()
            .post(format!("{}/graphql", two.address))
            .bearer_auth(&live.network.admin_token)
            .json(&json!({ "query": "mutation($r: ID!) { declineIntro(input: {introRequestId: $r}) { userErrors { code } } }", "variables": { "r": id } }))
            .send()
            .await
            .unwrap();
        assert!(declined.status().is_success());
        let removed = subscriber.next_data("s").await;
        assert_eq!(removed["inboxUpdated"]["kind"], "REMOVED");
    }
    println!("process 2 mutation → process 1 subscriber: {latencies:?}");
    drop((one, two));
}

const REQUEST_UPDATES: &str =
    "subscription($id: ID!) { introRequestUpdated(id: $id) { id status declineReason } }";

/// Subscribers with the same document and the same rights (two sessions of one account)
/// share one execution per event; a subscriber with other rights (the talent, who may not
/// see why their request was declined) has their own and receives only what they may see.
async fn equal_rights_share_one_execution_other_rights_see_their_own(app: TestApp) {
    let live = live_network(&app, "Shared").await;
    let id = request(&app, &live).await;
    let second_session = app.sign_in(&live.network.admin_email, PASSWORD).await;
    let mut admins = [
        app.ws(&live.network.admin_token).await,
        app.ws(&second_session).await,
    ];
    for admin in &mut admins {
        admin
            .subscribe("r", REQUEST_UPDATES, json!({ "id": id }))
            .await;
    }
    let mut talent = app.ws(&live.talent_token).await;
    talent
        .subscribe("r", REQUEST_UPDATES, json!({ "id": id }))
        .await;
    app.wait_for_subscribers(3).await;
    let executions = app.metric("introgate_live_executions_total").await;

    let declined = app.mutate(Some(&live.network.admin_token), "declineIntro", "mutation($r: ID!) { declineIntro(input: {introRequestId: $r, reason: \"Not hiring\"}) { userErrors { code } } }", json!({ "r": id })).await;
    assert_eq!(declined["userErrors"], json!([]), "{declined}");

    for admin in &mut admins {
        assert_eq!(
            admin.next_data("r").await["introRequestUpdated"],
            json!({ "id": id, "status": "DECLINED", "declineReason": "Not hiring" })
        );
    }
    assert_eq!(
        talent.next_data("r").await["introRequestUpdated"],
        json!({ "id": id, "status": "DECLINED", "declineReason": null })
    );
    // One execution for the two admins, one for the talent.
    assert_eq!(
        app.metric("introgate_live_executions_total").await - executions,
        2.0
    );
    for client in admins.iter_mut().chain([&mut talent]) {
        assert!(
            client
                .receive_within(Duration::from_millis(200))
                .await
                .is_none()
        );
    }
}

/// A socket that never reads shares the execution of one that does (a hundred times over,
/// with long messages, so its writes stall soon): the reader gets every event promptly, and
/// the stalled socket, once it reads again, finds itself closed as too slow (1013) to
/// resume with `after`.
async fn a_stalled_subscriber_holds_up_nobody(app: TestApp) {
    let live = live_network(&app, "Stalled").await;
    let inbox = "subscription($n: ID!) { inboxUpdated(networkId: $n) { cursor kind introRequest { id status message } } }";
    let long_request = "mutation($c: ID!, $m: String!) { requestIntroToCompany(input: {companyId: $c, jobIds: [], message: $m}) { introRequest { id } } }";
    let message = "Could you introduce me? ".repeat(160);
    let variables = json!({ "n": live.network.id });
    let mut stalled = app.ws_small_window(&live.network.admin_token).await;
    for i in 0..100 {
        stalled
            .subscribe(&format!("s{i}"), inbox, variables.clone())
            .await;
    }
    let mut reader = app.ws(&live.network.admin_token).await;
    reader.subscribe("r", inbox, variables.clone()).await;
    app.wait_for_subscribers(101).await;

    for round in 0..10 {
        let started = std::time::Instant::now();
        let requested = app
            .mutate(
                Some(&live.talent_token),
                "requestIntroToCompany",
                long_request,
                json!({ "c": live.company, "m": message }),
            )
            .await;
        let id = requested["introRequest"]["id"].as_str().unwrap().to_owned();
        let added = reader.next_data("r").await;
        assert_eq!(added["inboxUpdated"]["introRequest"]["id"], id.as_str());
        decide(&app, &live.network.admin_token, "declineIntro", &id).await;
        let removed = reader.next_data("r").await;
        assert_eq!(removed["inboxUpdated"]["kind"], "REMOVED");
        assert!(
            started.elapsed() < Duration::from_secs(3),
            "round {round} took {:?}",
            started.elapsed()
        );
    }
    let code = loop {
        match stalled.receive().await {
            Received::Closed(code) => break code,
            Received::Message(message) => assert_eq!(message["type"], "next", "{message}"),
        }
    };
    assert_eq!(code, Some(1013));
}

/// Two sessions of a company admin share an execution; each connection still answers for
/// its own token (one signs out: only that socket closes), and losing the role ends the
/// shared subscription for both.
async fn shared_subscribers_keep_their_own_access_checks(app: TestApp) {
    let live = live_network(&app, "Shared Access").await;
    let second_session = app.sign_in("casey@shared-access.test", PASSWORD).await;
    let mut staying = app.ws(&live.company_admin_token).await;
    let mut leaving = app.ws(&second_session).await;
    for client in [&mut staying, &mut leaving] {
        client
            .subscribe("c", COMPANY_INBOX, json!({ "c": live.company }))
            .await;
    }
    app.wait_for_subscribers(2).await;

    app.mutate(
        Some(&second_session),
        "signOut",
        "mutation { signOut { userErrors { code } } }",
        json!({}),
    )
    .await;
    assert_eq!(leaving.closed().await, Some(4403));
    let id = request(&app, &live).await;
    decide(&app, &live.network.admin_token, "makeIntro", &id).await;
    let added = staying.next_data("c").await["companyInboxUpdated"].clone();
    assert_eq!(
        (added["kind"].as_str(), added["introRequest"]["id"].as_str()),
        (Some("ADDED"), Some(id.as_str()))
    );

    let admins = app
        .gql(
            Some(&live.network.admin_token),
            "query($c: ID!) { node(id: $c) { ... on Company { admins { id } } } }",
            json!({ "c": live.company }),
        )
        .await;
    let admin_id = admins["data"]["node"]["admins"][0]["id"].clone();
    app.mutate(Some(&live.network.admin_token), "removeCompanyAdmin", "mutation($a: ID!) { removeCompanyAdmin(input: {companyAdminId: $a}) { userErrors { code } } }", json!({ "a": admin_id })).await;
    let ended = staying.message().await;
    assert_eq!(ended["type"], "next", "{ended}");
    assert_eq!(
        ended["payload"]["errors"][0]["extensions"]["code"], "FORBIDDEN",
        "{ended}"
    );
    assert_eq!(
        staying.message().await,
        json!({ "type": "complete", "id": "c" })
    );
}

//! Referrals (SPEC §6, §6.1): `Company.referrals`, the "Interviewing" view of a company's
//! requests in Greenhouse by hiring status, and `Network.referralAnalytics` /
//! `Company.referralAnalytics`, the funnel in figures. The figures are checked against a
//! scenario whose times and hiring outcomes are set in the database to known values, and
//! computed by hand below.

use chrono::{DateTime, Duration, TimeZone, Utc};
use entities::{
    enums::{GreenhouseApplicationStatus, GreenhousePushStatus},
    greenhouse_application, greenhouse_push, intro_request,
};
use introgate::{
    graphql::ids::{GlobalId, NodeKind},
    greenhouse::ApplicationStatus,
};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, EntityTrait, IntoActiveModel, QueryFilter, QueryOrder,
    sea_query::Expr,
};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::{
    greenhouse::company,
    greenhouse_push::{Setup, accepted, jobs, settled, setup},
    invitations::{accept, add_talent, create_company, invite_company_admin},
    support::{Backend, PASSWORD, error_code},
    with_backends,
};

with_backends!(
    figures_match_the_ones_computed_by_hand,
    referrals_list_the_company_requests_by_hiring_status,
    only_the_companys_admins_and_network_admins_see_referrals,
    analytics_cost_the_same_statements_for_3_and_30_requests
);

const FIGURES: &str = "requested accepted declined inGreenhouse interviewing hired rejected acceptanceRate medianHoursToDecision medianDaysToHire";

fn network_figures() -> String {
    format!(
        "query($n: ID!, $since: DateTime) {{ network(id: $n) {{ referralAnalytics(since: $since) {{ {FIGURES} }} }} }}"
    )
}

fn company_figures() -> String {
    format!(
        "query($c: ID!, $since: DateTime) {{ node(id: $c) {{ ... on Company {{ referralAnalytics(since: $since) {{ {FIGURES} }} }} }} }}"
    )
}

const REFERRALS: &str = "query($c: ID!, $status: HiringStatus, $first: Int, $after: String) { node(id: $c) { ... on Company { referrals(hiringStatus: $status, first: $first, after: $after) { totalCount pageInfo { hasNextPage endCursor } nodes { id status } } } } }";

/// 2026-03-01 00:00 UTC plus `days`.
fn march(days: f64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 1, 0, 0, 0).unwrap() + minutes(days * 24.0)
}

fn minutes(hours: f64) -> Duration {
    Duration::minutes((hours * 60.0).round() as i64)
}

fn uuid(id: &str) -> Uuid {
    GlobalId::parse(NodeKind::IntroRequest, "id", &id.into()).expect("a request id")
}

/// Sets when the request was made and, for a decided one, decided (`hours` later).
async fn set_times(setup: &Setup, id: &str, created: DateTime<Utc>, hours: Option<f64>) {
    let mut update = intro_request::Entity::update_many()
        .col_expr(intro_request::Column::CreatedAt, Expr::value(created));
    if let Some(hours) = hours {
        update = update.col_expr(
            intro_request::Column::DecidedAt,
            Expr::value(created + minutes(hours)),
        );
    }
    update
        .filter(intro_request::Column::Id.eq(uuid(id)))
        .exec(setup.app.state.db.write())
        .await
        .unwrap();
}

async fn applications(setup: &Setup, id: &str) -> Vec<greenhouse_application::Model> {
    greenhouse_application::Entity::find()
        .filter(greenhouse_application::Column::IntroRequestId.eq(uuid(id)))
        .order_by_asc(greenhouse_application::Column::Id)
        .all(setup.app.state.db.read())
        .await
        .unwrap()
}

/// What a status poll would store: the application's status, and when it was hired (in
/// Greenhouse too, so that a poll would agree).
async fn set_application(
    setup: &Setup,
    application: &greenhouse_application::Model,
    status: GreenhouseApplicationStatus,
    hired_at: Option<DateTime<Utc>>,
) {
    let fake_status = match status {
        GreenhouseApplicationStatus::InProcess => ApplicationStatus::InProcess,
        GreenhouseApplicationStatus::Hired => ApplicationStatus::Hired,
        GreenhouseApplicationStatus::Rejected => ApplicationStatus::Rejected,
        GreenhouseApplicationStatus::Converted => ApplicationStatus::Converted,
    };
    setup
        .fake
        .set_application_status(application.greenhouse_application_id, fake_status);
    let mut row = application.clone().into_active_model();
    row.status = sea_orm::Set(status);
    row.hired_at = sea_orm::Set(hired_at);
    row.update(setup.app.state.db.write()).await.unwrap();
}

/// The request's decision time, as set.
async fn decided_at(setup: &Setup, id: &str) -> DateTime<Utc> {
    intro_request::Entity::find_by_id(uuid(id))
        .one(setup.app.state.db.read())
        .await
        .unwrap()
        .unwrap()
        .decided_at
        .unwrap()
}

/// A new talent of `network` asks `company` (naming `jobs`): (request id, talent token).
async fn asks(
    setup: &Setup,
    network: &crate::support::TestNetwork,
    company: &str,
    name: &str,
    jobs: &[String],
) -> (String, String) {
    let email = format!("{}@referrals.test", name.to_lowercase().replace(' ', "."));
    let (_, talent) = add_talent(&setup.app, network, name, &email, true).await;
    let asked = setup.app.mutate(Some(&talent), "requestIntroToCompany", "mutation($c: ID!, $j: [ID!]!) { requestIntroToCompany(input: {companyId: $c, jobIds: $j, message: \"Hello.\"}) { introRequest { id status } } }", json!({ "c": company, "j": jobs })).await;
    assert_eq!(asked["introRequest"]["status"], "SENT", "{asked}");
    (
        asked["introRequest"]["id"].as_str().unwrap().to_owned(),
        talent,
    )
}

async fn decide(setup: &Setup, token: &str, mutation: &str, id: &str, status: &str) {
    let query = format!(
        "mutation($r: ID!) {{ {mutation}(input: {{introRequestId: $r}}) {{ introRequest {{ status }} userErrors {{ code }} }} }}"
    );
    let decided = setup
        .app
        .mutate(Some(token), mutation, &query, json!({ "r": id }))
        .await;
    assert_eq!(decided["introRequest"]["status"], status, "{decided}");
}

/// A second company of the setup's network with its own admin: (company id, admin token).
async fn second_company(setup: &Setup, name: &str, admin: &str) -> (String, String) {
    let app = &setup.app;
    let company = create_company(app, &setup.network, name).await;
    invite_company_admin(app, &setup.network.admin_token, &company, admin).await;
    let joined = accept(app, &app.email_to(admin).await.invitation_token(), PASSWORD).await;
    (company, joined["token"].as_str().unwrap().to_owned())
}

/// Compares figures: counts exactly, the rate and medians to a millionth (SQLite computes
/// durations from Julian days, in floating point).
fn assert_figures(actual: &Value, expected: Value, what: &str) {
    for (field, want) in expected.as_object().unwrap() {
        let got = &actual[field];
        match (got.as_f64(), want.as_f64()) {
            (Some(got), Some(want)) => assert!(
                (got - want).abs() < 1e-6,
                "{what}: {field} is {got}, expected {want} ({actual})"
            ),
            _ => assert_eq!(got, want, "{what}: {field} ({actual})"),
        }
    }
}

async fn figures(setup: &Setup, token: &str, query: &str, variables: Value) -> Value {
    let body = setup.app.gql(Some(token), query, variables).await;
    assert!(body.get("errors").is_none(), "{body}");
    let data = &body["data"];
    if data["network"].is_object() {
        data["network"]["referralAnalytics"].clone()
    } else {
        data["node"]["referralAnalytics"].clone()
    }
}

/// The scenario of the figures and the referral lists. In the setup's network ("Pushing"):
///
/// | request | company | created    | decision                | Greenhouse applications               |
/// |---------|---------|------------|-------------------------|---------------------------------------|
/// | A1      | Acme    | Mar 1      | accepted 0.5 h later    | HIRED +30 d, HIRED +20 d, IN_PROCESS  |
/// | A2      | Acme    | Mar 2      | accepted 2 h later      | IN_PROCESS                            |
/// | A3      | Acme    | Mar 3 0:00 | accepted 4 h later      | REJECTED, REJECTED                    |
/// | A4      | Acme    | Mar 4      | accepted 6 h later      | REJECTED, CONVERTED                   |
/// | A5      | Acme    | Mar 5      | accepted 1.5 h later    | HIRED +5.5 d                          |
/// | A6      | Acme    | Mar 6      | accepted 3 h later      | HIRED +1 d, but its push FAILED       |
/// | A7      | Acme    | Mar 7      | declined 8 h later      | —                                     |
/// | A8      | Acme    | Mar 8      | pending (SENT)          | —                                     |
/// | B1      | Beta    | Mar 9      | accepted 12 h later (company → talent; Beta has no Greenhouse) |
/// | B2      | Beta    | Mar 2 12:00| declined 20 h later     | —                                     |
///
/// ("+n d": hired n days after the decision.) And in another network, O1 (Mar 5, accepted
/// 100 h later), which no figure may count.
struct Scenario {
    setup: Setup,
    /// A1 … A8.
    acme: Vec<String>,
    beta: String,
    bo: String,
}

async fn scenario(backend: Backend) -> Scenario {
    use GreenhouseApplicationStatus::*;
    let setup = setup(backend).await;
    let jobs = jobs(&setup).await;
    assert_eq!(jobs.len(), 3);

    // Acme's: A1–A6 accepted and pushed, A7 declined, A8 pending.
    let job_counts = [3, 1, 2, 2, 1, 1];
    let mut acme = Vec::new();
    for (n, count) in job_counts.iter().enumerate() {
        let name = format!("Accepted {}", n + 1);
        let email = format!("a{}@referrals.test", n + 1);
        let id = accepted(&setup, &name, &email, &jobs[..*count]).await;
        assert_eq!(settled(&setup, &id).await["pushStatus"], "PUSHED");
        acme.push(id);
    }
    let (a7, _) = asks(
        &setup,
        &setup.network,
        &setup.company,
        "Declined Seven",
        &jobs[..1],
    )
    .await;
    decide(&setup, &setup.casey, "declineIntro", &a7, "DECLINED").await;
    acme.push(a7);
    let (a8, _) = asks(
        &setup,
        &setup.network,
        &setup.company,
        "Pending Eight",
        &jobs[..1],
    )
    .await;
    acme.push(a8);

    // Beta's (not connected to Greenhouse): B1 asked by Beta and accepted by the talent, B2
    // asked by a talent and declined by Beta.
    let (beta, bo) = second_company(&setup, "Beta", "bo@beta.test").await;
    let (talent, talent_token) = add_talent(
        &setup.app,
        &setup.network,
        "Bea One",
        "bea@referrals.test",
        true,
    )
    .await;
    let asked = setup.app.mutate(Some(&bo), "requestIntroToTalent", "mutation($c: ID!, $t: ID!) { requestIntroToTalent(input: {companyId: $c, talentId: $t, message: \"Join us.\"}) { introRequest { id status } } }", json!({ "c": beta, "t": talent })).await;
    let b1 = asked["introRequest"]["id"].as_str().unwrap().to_owned();
    decide(&setup, &talent_token, "acceptIntro", &b1, "ACCEPTED").await;
    let (b2, _) = asks(&setup, &setup.network, &beta, "Declined Bee", &[]).await;
    decide(&setup, &bo, "declineIntro", &b2, "DECLINED").await;

    // Another network's request.
    let (elsewhere, other_company, olga) = company(&setup.app, "Elsewhere").await;
    let (o1, _) = asks(&setup, &elsewhere, &other_company, "Other One", &[]).await;
    decide(&setup, &olga, "acceptIntro", &o1, "ACCEPTED").await;

    // The times.
    let decisions = [
        Some(0.5),
        Some(2.0),
        Some(4.0),
        Some(6.0),
        Some(1.5),
        Some(3.0),
        Some(8.0),
        None,
    ];
    for (n, (id, hours)) in acme.iter().zip(decisions).enumerate() {
        set_times(&setup, id, march(n as f64), hours).await;
    }
    set_times(&setup, &b1, march(8.0), Some(12.0)).await;
    set_times(&setup, &b2, march(1.5), Some(20.0)).await;
    set_times(&setup, &o1, march(4.0), Some(100.0)).await;

    // The hiring outcomes.
    // Per application, oldest first: its status and, if hired, how many days after the
    // decision.
    let outcomes: [&[(GreenhouseApplicationStatus, Option<f64>)]; 6] = [
        &[(Hired, Some(30.0)), (Hired, Some(20.0)), (InProcess, None)],
        &[(InProcess, None)],
        &[(Rejected, None), (Rejected, None)],
        &[(Rejected, None), (Converted, None)],
        &[(Hired, Some(5.5))],
        &[(Hired, Some(1.0))],
    ];
    for (id, outcome) in acme.iter().zip(outcomes) {
        let rows = applications(&setup, id).await;
        assert_eq!(rows.len(), outcome.len(), "{id}");
        let decided = decided_at(&setup, id).await;
        for (row, (status, hired)) in rows.iter().zip(outcome) {
            let hired_at = hired.map(|days| decided + minutes(days * 24.0));
            set_application(&setup, row, *status, hired_at).await;
        }
    }
    // A6's push failed for good: accepted, not in Greenhouse.
    greenhouse_push::Entity::update_many()
        .col_expr(
            greenhouse_push::Column::Status,
            Expr::value(GreenhousePushStatus::Failed),
        )
        .filter(greenhouse_push::Column::IntroRequestId.eq(uuid(&acme[5])))
        .exec(setup.app.state.db.write())
        .await
        .unwrap();

    Scenario {
        setup,
        acme,
        beta,
        bo,
    }
}

async fn figures_match_the_ones_computed_by_hand(backend: Backend) {
    let Scenario {
        setup,
        acme: requests,
        beta,
        bo,
    } = scenario(backend).await;
    let admin = setup.network.admin_token.clone();
    let since = "2026-03-03T00:00:00Z";
    let network = |since: Option<&str>| json!({ "n": setup.network.id, "since": since });
    let acme = |since: Option<&str>| json!({ "c": setup.company, "since": since });

    // The network, all requests: A1–A8, B1, B2 (O1 is another network's).
    //   requested 10; accepted 7 (A1–A6, B1); declined 2 (A7, B2); rate 7 / 9.
    //   in Greenhouse 5 (A1–A5: A6's push failed, Beta is not connected).
    //   interviewing 2 (A2; A4: converted counts as in process, over its rejected one);
    //   hired 2 (A1: hired wins over in process; A5); rejected 1 (A3: all rejected).
    //   hours to decision, sorted: 0.5 1.5 2 3 4 6 8 12 20 → 9 values, the 5th: 4.
    //   days to hire: A1 20 (its earliest hire, not 30), A5 5.5 → (20 + 5.5) / 2 = 12.75
    //   (A6's 1 day does not count: not in Greenhouse).
    let all = figures(&setup, &admin, &network_figures(), network(None)).await;
    assert_figures(
        &all,
        json!({ "requested": 10, "accepted": 7, "declined": 2, "inGreenhouse": 5,
                "interviewing": 2, "hired": 2, "rejected": 1, "acceptanceRate": 7.0 / 9.0,
                "medianHoursToDecision": 4.0, "medianDaysToHire": 12.75 }),
        "network",
    );

    // The network since Mar 3 0:00 (A3 was made at that very instant: counted): A3–A8, B1.
    //   requested 7; accepted 5 (A3–A6, B1); declined 1 (A7); rate 5 / 6.
    //   in Greenhouse 3 (A3–A5): interviewing 1 (A4), hired 1 (A5), rejected 1 (A3).
    //   hours: 1.5 3 4 6 8 12 → 6 values, the mean of the 3rd and 4th: (4 + 6) / 2 = 5.
    //   days to hire: A5 alone → 5.5.
    let recent = figures(&setup, &admin, &network_figures(), network(Some(since))).await;
    assert_figures(
        &recent,
        json!({ "requested": 7, "accepted": 5, "declined": 1, "inGreenhouse": 3,
                "interviewing": 1, "hired": 1, "rejected": 1, "acceptanceRate": 5.0 / 6.0,
                "medianHoursToDecision": 5.0, "medianDaysToHire": 5.5 }),
        "network since",
    );

    // Acme, all: A1–A8. requested 8; accepted 6; declined 1; rate 6 / 7; in Greenhouse 5,
    //   interviewing 2, hired 2, rejected 1; hours 0.5 1.5 2 3 4 6 8 → 3; days 12.75.
    // Acme since Mar 3: A3–A8. requested 6; accepted 4; declined 1; rate 4 / 5; in
    //   Greenhouse 3, interviewing 1, hired 1, rejected 1; hours 1.5 3 4 6 8 → 4; days 5.5.
    let acme_all = json!({ "requested": 8, "accepted": 6, "declined": 1, "inGreenhouse": 5,
        "interviewing": 2, "hired": 2, "rejected": 1, "acceptanceRate": 6.0 / 7.0,
        "medianHoursToDecision": 3.0, "medianDaysToHire": 12.75 });
    let acme_recent = json!({ "requested": 6, "accepted": 4, "declined": 1, "inGreenhouse": 3,
        "interviewing": 1, "hired": 1, "rejected": 1, "acceptanceRate": 0.8,
        "medianHoursToDecision": 4.0, "medianDaysToHire": 5.5 });
    // The same for the company's admin and the network's admin.
    for token in [&setup.casey, &admin] {
        let seen = figures(&setup, token, &company_figures(), acme(None)).await;
        assert_figures(&seen, acme_all.clone(), "Acme");
        let seen = figures(&setup, token, &company_figures(), acme(Some(since))).await;
        assert_figures(&seen, acme_recent.clone(), "Acme since");
    }

    // Beta, by its admin: B1, B2. requested 2; accepted 1; declined 1; rate 0.5; nothing in
    //   Greenhouse; hours 12, 20 → 16; no hire: null.
    let seen = figures(
        &setup,
        &bo,
        &company_figures(),
        json!({ "c": beta, "since": null }),
    )
    .await;
    assert_figures(
        &seen,
        json!({ "requested": 2, "accepted": 1, "declined": 1, "inGreenhouse": 0,
                "interviewing": 0, "hired": 0, "rejected": 0, "acceptanceRate": 0.5,
                "medianHoursToDecision": 16.0, "medianDaysToHire": null }),
        "Beta",
    );

    // Nothing made since: zeros, and null where nothing was decided or hired.
    let none = figures(
        &setup,
        &admin,
        &network_figures(),
        network(Some("2026-04-01T00:00:00Z")),
    )
    .await;
    assert_figures(
        &none,
        json!({ "requested": 0, "accepted": 0, "declined": 0, "inGreenhouse": 0,
                "interviewing": 0, "hired": 0, "rejected": 0, "acceptanceRate": null,
                "medianHoursToDecision": null, "medianDaysToHire": null }),
        "nothing since",
    );

    // A5's hire recorded a day before its acceptance (a candidate found already hired):
    // still hired, but no measure of how long the introduction took to become a hire.
    let decided = decided_at(&setup, &requests[4]).await;
    let hired = applications(&setup, &requests[4]).await;
    set_application(
        &setup,
        &hired[0],
        GreenhouseApplicationStatus::Hired,
        Some(decided - Duration::days(1)),
    )
    .await;
    let all = figures(&setup, &admin, &network_figures(), network(None)).await;
    assert_figures(
        &all,
        json!({ "hired": 2, "medianDaysToHire": 20.0 }),
        "a hire before the introduction",
    );
}

/// The ids of one `Company.referrals` page, and whether there is a next one (its cursor).
async fn referrals(
    setup: &Setup,
    token: &str,
    status: Option<&str>,
    first: Option<i64>,
    after: Option<&str>,
) -> (Vec<String>, i64, Option<String>) {
    let body = setup
        .app
        .gql(
            Some(token),
            REFERRALS,
            json!({ "c": setup.company, "status": status, "first": first, "after": after }),
        )
        .await;
    assert!(body.get("errors").is_none(), "{body}");
    let list = &body["data"]["node"]["referrals"];
    let ids = list["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| {
            assert_eq!(n["status"], "ACCEPTED");
            n["id"].as_str().unwrap().to_owned()
        })
        .collect();
    let next = (list["pageInfo"]["hasNextPage"] == true)
        .then(|| list["pageInfo"]["endCursor"].as_str().unwrap().to_owned());
    (ids, list["totalCount"].as_i64().unwrap(), next)
}

async fn referrals_list_the_company_requests_by_hiring_status(backend: Backend) {
    let Scenario { setup, acme, .. } = scenario(backend).await;
    let a = |n: usize| acme[n - 1].clone();
    for token in [&setup.casey, &setup.network.admin_token] {
        // In Greenhouse: A1–A5 (not A6, whose push failed; not A7, A8), newest first.
        let all = referrals(&setup, token, None, None, None).await;
        assert_eq!(all, (vec![a(5), a(4), a(3), a(2), a(1)], 5, None));
        // A1 has a hired and an in-process application: hired.
        let hired = referrals(&setup, token, Some("HIRED"), None, None).await;
        assert_eq!(hired, (vec![a(5), a(1)], 2, None));
        // A4: rejected and converted → in process.
        let in_process = referrals(&setup, token, Some("IN_PROCESS"), None, None).await;
        assert_eq!(in_process, (vec![a(4), a(2)], 2, None));
        // A3: all rejected.
        let rejected = referrals(&setup, token, Some("REJECTED"), None, None).await;
        assert_eq!(rejected, (vec![a(3)], 1, None));
    }
    // Page by page.
    let (page, total, next) = referrals(&setup, &setup.casey, Some("HIRED"), Some(1), None).await;
    assert_eq!((page, total), (vec![a(5)], 2));
    let next = next.expect("a second page");
    let (page, _, last) =
        referrals(&setup, &setup.casey, Some("HIRED"), Some(1), Some(&next)).await;
    assert_eq!((page, last), (vec![a(1)], None));
    let (page, _, next) = referrals(&setup, &setup.casey, None, Some(2), None).await;
    assert_eq!(page, vec![a(5), a(4)]);
    let (page, _, next) = referrals(&setup, &setup.casey, None, Some(2), next.as_deref()).await;
    assert_eq!(page, vec![a(3), a(2)]);
    let (page, _, next) = referrals(&setup, &setup.casey, None, Some(2), next.as_deref()).await;
    assert_eq!((page, next), (vec![a(1)], None));
}

async fn only_the_companys_admins_and_network_admins_see_referrals(backend: Backend) {
    let setup = setup(backend).await;
    let jobs = jobs(&setup).await;
    let id = accepted(&setup, "Seen Once", "seen@referrals.test", &jobs[..1]).await;
    settled(&setup, &id).await;
    let (_, bo) = second_company(&setup, "Beta", "bo@beta.test").await;
    let (_, talent) = add_talent(
        &setup.app,
        &setup.network,
        "Tia Talent",
        "tia@referrals.test",
        true,
    )
    .await;
    let elsewhere = setup.app.network("Elsewhere").await;
    let acme = json!({ "c": setup.company, "status": null, "first": null, "after": null });
    let network = json!({ "n": setup.network.id, "since": null });

    // Those who may.
    let (ids, _, _) = referrals(&setup, &setup.casey, None, None, None).await;
    assert_eq!(ids, vec![id.clone()]);
    for token in [&setup.casey, &setup.network.admin_token] {
        let seen = figures(&setup, token, &company_figures(), acme.clone()).await;
        assert_eq!(seen["inGreenhouse"], 1, "{seen}");
    }
    let seen = figures(
        &setup,
        &setup.network.admin_token,
        &network_figures(),
        network.clone(),
    )
    .await;
    assert_eq!(seen["inGreenhouse"], 1, "{seen}");

    // Members who may not: the list is empty, the figures FORBIDDEN.
    for (who, token) in [("talent", &talent), ("another company's admin", &bo)] {
        let body = setup.app.gql(Some(token), REFERRALS, acme.clone()).await;
        let list = &body["data"]["node"]["referrals"];
        assert_eq!(list["nodes"], json!([]), "{who}: {body}");
        assert_eq!(list["totalCount"], 0, "{who}: {body}");
        let body = setup
            .app
            .gql(Some(token), &company_figures(), acme.clone())
            .await;
        assert_eq!(
            error_code(&body).as_deref(),
            Some("FORBIDDEN"),
            "{who}: {body}"
        );
    }
    for (who, token) in [
        ("talent", &talent),
        ("another company's admin", &bo),
        ("the company's admin", &setup.casey),
    ] {
        let body = setup
            .app
            .gql(Some(token), &network_figures(), network.clone())
            .await;
        assert_eq!(
            error_code(&body).as_deref(),
            Some("FORBIDDEN"),
            "{who}: {body}"
        );
    }

    // Another network's admin sees neither the company nor the network.
    let outsider = &elsewhere.admin_token;
    for query in [REFERRALS.to_owned(), company_figures()] {
        let body = setup.app.gql(Some(outsider), &query, acme.clone()).await;
        assert!(body.get("errors").is_none(), "{body}");
        assert_eq!(body["data"]["node"], Value::Null, "{body}");
    }
    let body = setup
        .app
        .gql(Some(outsider), &network_figures(), network)
        .await;
    assert!(body.get("errors").is_none(), "{body}");
    assert_eq!(body["data"]["network"], Value::Null, "{body}");
}

async fn analytics_cost_the_same_statements_for_3_and_30_requests(backend: Backend) {
    use GreenhouseApplicationStatus::*;
    let setup = setup(backend).await;
    let jobs = jobs(&setup).await;
    let mut ids = Vec::new();
    for (n, status) in [Hired, InProcess, Rejected].into_iter().enumerate() {
        let id = accepted(
            &setup,
            &format!("Counted {n}"),
            &format!("counted{n}@referrals.test"),
            &jobs[..2],
        )
        .await;
        settled(&setup, &id).await;
        for row in applications(&setup, &id).await {
            let hired = (status == Hired).then(|| Utc::now() + Duration::days(3));
            set_application(&setup, &row, status, hired).await;
        }
        ids.push(id);
    }
    let query = format!(
        "query($n: ID!, $c: ID!) {{ network(id: $n) {{ referralAnalytics {{ {FIGURES} }} }} node(id: $c) {{ ... on Company {{ referralAnalytics {{ {FIGURES} }} }} }} }}"
    );
    let variables = json!({ "n": setup.network.id, "c": setup.company });
    let (body, with_3) = setup
        .app
        .gql_counting(&setup.network.admin_token, &query, variables.clone())
        .await;
    assert_eq!(
        body["data"]["network"]["referralAnalytics"]["requested"], 3,
        "{body}"
    );
    assert_eq!(
        body["data"]["network"]["referralAnalytics"]["hired"], 1,
        "{body}"
    );

    // Nine copies of each request, with their push and applications.
    let db = setup.app.state.db.write();
    let mut next_application = 900_000;
    for id in &ids {
        let request = intro_request::Entity::find_by_id(uuid(id))
            .one(db)
            .await
            .unwrap()
            .unwrap();
        let push = greenhouse_push::Entity::find()
            .filter(greenhouse_push::Column::IntroRequestId.eq(request.id))
            .one(db)
            .await
            .unwrap()
            .unwrap();
        let rows = applications(&setup, id).await;
        for _ in 0..9 {
            let copy = intro_request::Model {
                id: Uuid::now_v7(),
                ..request.clone()
            };
            intro_request::Entity::insert(copy.clone().into_active_model())
                .exec(db)
                .await
                .unwrap();
            let push = greenhouse_push::Model {
                id: Uuid::now_v7(),
                intro_request_id: copy.id,
                ..push.clone()
            };
            greenhouse_push::Entity::insert(push.into_active_model())
                .exec(db)
                .await
                .unwrap();
            for row in &rows {
                next_application += 1;
                let row = greenhouse_application::Model {
                    id: Uuid::now_v7(),
                    intro_request_id: copy.id,
                    greenhouse_application_id: next_application,
                    ..row.clone()
                };
                greenhouse_application::Entity::insert(row.into_active_model())
                    .exec(db)
                    .await
                    .unwrap();
            }
        }
    }
    let (body, with_30) = setup
        .app
        .gql_counting(&setup.network.admin_token, &query, variables)
        .await;
    let figures = &body["data"]["network"]["referralAnalytics"];
    assert_eq!(figures["requested"], 30, "{body}");
    assert_eq!(figures["hired"], 10, "{body}");
    assert_eq!(figures["interviewing"], 10, "{body}");
    assert_eq!(figures["rejected"], 10, "{body}");
    assert_eq!(
        body["data"]["node"]["referralAnalytics"],
        figures.clone(),
        "one company: the same"
    );
    assert_eq!(with_3, with_30, "statements for 3 and 30 requests");
}

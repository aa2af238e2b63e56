//! `Job.recommendations` (issue 10, SPEC §7.1): the matching rule as a user meets it, who
//! sees what, and a cost that does not grow with the contacts.

use entities::contact;
use introgate::domain::{contact::person_key, matching::search_terms};
use sea_orm::{EntityTrait, Set, TransactionTrait};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::{
    contacts::{invite_ally, set_sharing},
    invitations::{accept, create_company, invite_company_admin},
    support::{Backend, PASSWORD, TestApp, TestNetwork},
    with_backends,
};

with_backends!(
    recommendations_follow_the_matching_rule,
    recommendations_are_for_the_right_people_only,
    recommendation_statements_do_not_grow_with_contacts
);

const RECOMMENDATION_FIELDS: &str = "score matchedTerms talent { name verified } contact { name position company } knownBy { name }";

async fn create_job(
    app: &TestApp,
    network: &TestNetwork,
    company: &str,
    title: &str,
    department: &str,
) -> String {
    let created = app
        .mutate(Some(&network.admin_token), "createJob", "mutation($c: ID!, $t: String!, $d: String!) { createJob(input: {companyId: $c, title: $t, department: $d}) { job { id } } }", json!({ "c": company, "t": title, "d": department }))
        .await;
    created["job"]["id"].as_str().unwrap().to_owned()
}

async fn add_talent(
    app: &TestApp,
    network: &TestNetwork,
    name: &str,
    headline: &str,
    verified: bool,
    linkedin: Option<&str>,
) -> Value {
    let email = format!("{}@talent.test", name.to_lowercase().replace(' ', "."));
    let added = app
        .mutate(Some(&network.admin_token), "addTalent", "mutation($n: ID!, $name: String!, $e: String!, $v: Boolean!, $h: String!, $l: String) { addTalent(input: {networkId: $n, name: $name, email: $e, verified: $v, headline: $h, linkedinUrl: $l}) { talent { id } userErrors { message } } }", json!({ "n": network.id, "name": name, "e": email, "v": verified, "h": headline, "l": linkedin }))
        .await;
    assert!(added["talent"]["id"].is_string(), "{added}");
    added["talent"]["id"].clone()
}

/// An ally of `network` who accepted, shares, and imported `contacts`: their token.
async fn sharing_ally(app: &TestApp, network: &TestNetwork, name: &str, contacts: Value) -> String {
    let email = format!("{}@ally.test", name.to_lowercase());
    invite_ally(app, network, name, &email).await;
    let joined = accept(
        app,
        &app.email_to(&email).await.invitation_token(),
        PASSWORD,
    )
    .await;
    let token = joined["token"].as_str().unwrap().to_owned();
    let imported = app
        .mutate(Some(&token), "importContacts", "mutation($c: [ContactInput!]!) { importContacts(input: {contacts: $c}) { created errorCount } }", json!({ "c": contacts }))
        .await;
    assert_eq!(imported["errorCount"], 0, "{imported}");
    assert!(set_sharing(app, &token, network, true).await["ally"]["sharingContacts"] == true);
    token
}

fn contact(first: &str, slug: &str, position: &str, company: &str) -> Value {
    json!({ "firstName": first, "lastName": "Doe", "linkedinUrl": format!("https://www.linkedin.com/in/{slug}"), "position": position, "company": company })
}

async fn recommendations(app: &TestApp, token: &str, job: &str) -> Value {
    let body = app
        .gql(
            Some(token),
            &format!("query($j: ID!) {{ node(id: $j) {{ ... on Job {{ recommendations(first: 20) {{ {RECOMMENDATION_FIELDS} }} }} }} }}"),
            json!({ "j": job }),
        )
        .await;
    assert!(body.get("errors").is_none(), "{body}");
    body["data"]["node"]["recommendations"].clone()
}

/// Each recommendation as `name score [matched terms] [known by]`.
fn summary(recommendations: &Value) -> Vec<String> {
    recommendations
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            let who = if r["talent"].is_null() {
                &r["contact"]
            } else {
                &r["talent"]
            };
            let list = |v: &Value, key: Option<&str>| -> String {
                v.as_array()
                    .unwrap()
                    .iter()
                    .map(|x| match key {
                        Some(k) => x[k].as_str().unwrap().to_owned(),
                        None => x.as_str().unwrap().to_owned(),
                    })
                    .collect::<Vec<_>>()
                    .join(",")
            };
            format!(
                "{} {} [{}] [{}]",
                who["name"].as_str().unwrap(),
                r["score"],
                list(&r["matchedTerms"], None),
                list(&r["knownBy"], Some("name"))
            )
        })
        .collect()
}

/// The rule of SPEC §7.1 through the database's own index: whole words, any case, plurals
/// and suffixes, title terms over department terms, ties to verified talent, then to the
/// people most allies know; one recommendation per person.
async fn recommendations_follow_the_matching_rule(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let network = app.network("Alpha").await;
    let company = create_company(&app, &network, "Acme").await;
    let job = create_job(
        &app,
        &network,
        &company,
        "Senior Backend Engineer",
        "Platform",
    )
    .await;

    add_talent(
        &app,
        &network,
        "Tia Verified",
        "Senior backend engineers",
        true,
        None,
    )
    .await;
    let uma = add_talent(
        &app,
        &network,
        "Uma Lead",
        "Backend ENGINEERING lead, platform",
        false,
        Some("https://www.linkedin.com/in/uma"),
    )
    .await;
    add_talent(&app, &network, "Vic Plain", "backend engineer", false, None).await;
    add_talent(
        &app,
        &network,
        "Wes Consultant",
        "Reengineering consultant",
        true,
        None,
    )
    .await;
    let ada = sharing_ally(&app, &network, "Ada", json!([
        contact("Cal", "cal", "Senior Backend Engineer", "Platformatic"),
        contact("Dee", "dee", "BACKEND ENGINEER", "Globex"),
        contact("Eli", "eli", "Backend engineer", "Initech"),
        contact("Fay", "fay", "Platform team", "Hooli"),
        contact("Gil", "gil", "Sales", "Hooli"),
        // Uma, as Ada knows her: folded into Uma's recommendation.
        json!({ "firstName": "Uma", "lastName": "Lead", "linkedinUrl": "https://www.linkedin.com/in/uma/", "position": "Platform engineer" }),
    ]))
    .await;
    // Bo knows Dee too (same LinkedIn profile), under another position.
    let bo = sharing_ally(
        &app,
        &network,
        "Bo",
        json!([contact("Dee", "DEE", "Engineer", "Globex")]),
    )
    .await;

    let found = recommendations(&app, &network.admin_token, &job).await;
    assert_eq!(
        summary(&found),
        [
            // Ties at 6: verified talent first.
            "Tia Verified 6.0 [senior,backend,engineer] []",
            "Cal Doe 6.0 [senior,backend,engineer] [Ada]",
            "Uma Lead 5.0 [backend,engineer,platform] [Ada]",
            // Ties at 4: most allies who know them first; Dee's best copy counts.
            "Dee Doe 4.0 [backend,engineer] [Ada,Bo]",
            "Eli Doe 4.0 [backend,engineer] [Ada]",
            "Vic Plain 4.0 [backend,engineer] []",
            // Department terms weigh less than title terms.
            "Fay Doe 1.0 [platform] [Ada]",
        ],
        "{found}"
    );
    assert_eq!(found[0]["talent"]["verified"], true);
    assert_eq!(found[1]["contact"]["company"], "Platformatic");

    // Writes keep the index up to date: a new headline, a re-import, a deletion.
    let updated = app
        .mutate(Some(&network.admin_token), "updateTalent", "mutation($t: ID!) { updateTalent(input: {talentId: $t, headline: \"Gardener\"}) { talent { headline } } }", json!({ "t": uma }))
        .await;
    assert_eq!(updated["talent"]["headline"], "Gardener");
    let after = summary(&recommendations(&app, &network.admin_token, &job).await);
    assert!(
        !after.iter().any(|r| r.starts_with("Uma Lead 5.0")),
        "{after:?}"
    );
    // Now Ada's copy of Uma stands on its own: "Platform engineer" is 3.
    assert!(
        after.contains(&"Uma Lead 3.0 [engineer,platform] [Ada]".to_owned()),
        "{after:?}"
    );

    // A re-import that changes a position, and a deletion.
    let reimported = app
        .mutate(
            Some(&ada),
            "importContacts",
            "mutation($c: [ContactInput!]!) { importContacts(input: {contacts: $c}) { updated } }",
            json!({ "c": [contact("Eli", "eli", "Chef", "Initech")] }),
        )
        .await;
    assert_eq!(reimported["updated"], 1, "{reimported}");
    let deleted = app
        .mutate(
            Some(&bo),
            "deleteContacts",
            "mutation { deleteContacts(input: {all: true}) { deleted } }",
            json!({}),
        )
        .await;
    assert_eq!(deleted["deleted"], 1, "{deleted}");
    let after = summary(&recommendations(&app, &network.admin_token, &job).await);
    assert!(!after.iter().any(|r| r.starts_with("Eli")), "{after:?}");
    assert!(
        after.contains(&"Dee Doe 4.0 [backend,engineer] [Ada]".to_owned()),
        "{after:?}"
    );

    // Closed jobs have no recommendations.
    let closed = app
        .mutate(
            Some(&network.admin_token),
            "closeJob",
            "mutation($j: ID!) { closeJob(input: {jobId: $j}) { job { status } } }",
            json!({ "j": job }),
        )
        .await;
    assert_eq!(closed["job"]["status"], "CLOSED", "{closed}");
    assert_eq!(
        recommendations(&app, &network.admin_token, &job).await,
        json!([])
    );
}

/// Network admins see talent and contacts; the company's admins verified talent only, and
/// no allies; another network and an ally see nothing; contacts leave as sharing stops.
async fn recommendations_are_for_the_right_people_only(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let network = app.network("Alpha").await;
    let other = app.network("Beta").await;
    let company = create_company(&app, &network, "Acme").await;
    let job = create_job(&app, &network, &company, "Data Scientist", "Research").await;
    add_talent(&app, &network, "Tia Verified", "Data scientist", true, None).await;
    add_talent(
        &app,
        &network,
        "Uma Unverified",
        "Data scientist",
        false,
        None,
    )
    .await;
    let ally = sharing_ally(
        &app,
        &network,
        "Ada",
        json!([contact("Cal", "cal", "Lead data scientist", "Globex")]),
    )
    .await;
    // Beta's talent never shows in Alpha.
    add_talent(&app, &other, "Zed Elsewhere", "Data scientist", true, None).await;

    let admin = summary(&recommendations(&app, &network.admin_token, &job).await);
    assert_eq!(
        admin,
        [
            "Tia Verified 4.0 [data,scientist] []",
            "Cal Doe 4.0 [data,scientist] [Ada]",
            "Uma Unverified 4.0 [data,scientist] []",
        ]
    );

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
    assert_eq!(
        summary(&recommendations(&app, &casey, &job).await),
        ["Tia Verified 4.0 [data,scientist] []"]
    );

    for outsider in [&other.admin_token, &ally] {
        let body = app
            .gql(
                Some(outsider),
                "query($j: ID!) { node(id: $j) { ... on Job { recommendations { score } } } }",
                json!({ "j": job }),
            )
            .await;
        let seen = &body["data"]["node"];
        assert!(
            seen.is_null() || seen["recommendations"] == json!([]),
            "{body}"
        );
    }

    set_sharing(&app, &ally, &network, false).await;
    assert_eq!(
        summary(&recommendations(&app, &network.admin_token, &job).await),
        [
            "Tia Verified 4.0 [data,scientist] []",
            "Uma Unverified 4.0 [data,scientist] []",
        ]
    );
}

/// `Job.recommendations(first: 20)` costs the same statements at 1,000 shared contacts as
/// at 100,000: the index finds the candidates; nothing is read per contact.
async fn recommendation_statements_do_not_grow_with_contacts(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let network = app.network("Alpha").await;
    let company = create_company(&app, &network, "Acme").await;
    let job = create_job(
        &app,
        &network,
        &company,
        "Senior Backend Engineer",
        "Platform",
    )
    .await;
    add_talent(
        &app,
        &network,
        "Tia Verified",
        "Senior backend engineer",
        true,
        None,
    )
    .await;
    let ally = sharing_ally(
        &app,
        &network,
        "Ada",
        json!([contact("Cal", "cal", "Backend engineer", "Globex")]),
    )
    .await;
    let _ = ally;
    let owner = ally_account(&app).await;

    let query = format!(
        "query($j: ID!) {{ node(id: $j) {{ ... on Job {{ recommendations(first: 20) {{ {RECOMMENDATION_FIELDS} }} }} }} }}"
    );

    // A contact from before recommendations existed (no terms) is indexed at start.
    let now = chrono::Utc::now();
    contact::Entity::insert(contact::ActiveModel {
        id: Set(Uuid::now_v7()),
        owner_account_id: Set(owner),
        name: Set("Legacy Person".into()),
        linkedin_url: Set(Some("https://www.linkedin.com/in/legacy".into())),
        position: Set(Some("Senior Backend Engineer, Platform".into())),
        search_terms: Set(None),
        person_key: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    })
    .exec(app.state.db.write())
    .await
    .unwrap();
    let filled = introgate::services::recommendations::index_unindexed(&app.state.db)
        .await
        .unwrap();
    assert_eq!(filled, 1);
    let (body, _) = app
        .gql_counting(&network.admin_token, &query, json!({ "j": job }))
        .await;
    assert_eq!(
        summary(&body["data"]["node"]["recommendations"])[0],
        "Legacy Person 7.0 [senior,backend,engineer,platform] [Ada]",
        "{body}"
    );

    let mut costs = Vec::new();
    for total in [1_000, 100_000] {
        add_contacts(&app, owner, total).await;
        let (body, statements) = app
            .gql_counting(&network.admin_token, &query, json!({ "j": job }))
            .await;
        let found = body["data"]["node"]["recommendations"]
            .as_array()
            .unwrap()
            .clone();
        assert_eq!(found.len(), 20, "{body}");
        assert_eq!(found[0]["score"], 7.0, "{body}");
        assert_eq!(found[1]["score"], 6.0, "{body}");
        costs.push(statements);
    }
    println!("statements at 1,000 and 100,000 contacts: {costs:?}");
    assert_eq!(
        costs[0], costs[1],
        "statements at 1,000 and 100,000 contacts: {costs:?}"
    );
}

/// The account of the test's one ally, from the database.
async fn ally_account(app: &TestApp) -> Uuid {
    entities::ally::Entity::find()
        .all(app.state.db.read())
        .await
        .unwrap()
        .into_iter()
        .find_map(|a| a.account_id)
        .unwrap()
}

/// Adds contacts to `owner` until they have `total`, straight into the database (importing
/// 100,000 through a debug build would take minutes); search terms as the import makes them.
async fn add_contacts(app: &TestApp, owner: Uuid, total: usize) {
    let have = entities::contact::Entity::find()
        .all(app.state.db.read())
        .await
        .unwrap()
        .len();
    let positions = [
        "Senior Backend Engineer",
        "Backend Engineer",
        "Product Manager",
        "Platform Engineer",
        "Recruiter",
        "Senior Designer",
        "Data Scientist",
    ];
    let now = chrono::Utc::now();
    let rows: Vec<contact::ActiveModel> = (have..total)
        .map(|i| {
            let position = positions[i % positions.len()];
            let company = format!("Company {}", i % 500);
            let url = format!("https://www.linkedin.com/in/person-{i}");
            contact::ActiveModel {
                id: Set(Uuid::now_v7()),
                owner_account_id: Set(owner),
                name: Set(format!("Person {i}")),
                first_name: Set(Some("Person".into())),
                last_name: Set(Some(i.to_string())),
                email: Set(None),
                email_key: Set(None),
                search_terms: Set(Some(search_terms([Some(position), Some(company.as_str())]))),
                person_key: Set(person_key(Some(&url), None)),
                linkedin_url: Set(Some(url)),
                company_key: Set(Some(company.to_lowercase())),
                company_name: Set(Some(company)),
                email_domain: Set(None),
                position: Set(Some(position.into())),
                connected_on: Set(None),
                created_at: Set(now),
                updated_at: Set(now),
            }
        })
        .collect();
    let tx = app.state.db.write().begin().await.unwrap();
    for chunk in rows.chunks(1000) {
        contact::Entity::insert_many(chunk.to_vec())
            .exec(&tx)
            .await
            .unwrap();
    }
    tx.commit().await.unwrap();
}

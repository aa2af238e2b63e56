//! Allies and their contacts (issue 10, SPEC §7): onboarding, LinkedIn import, sharing per
//! network, and who sees a contact.

use serde_json::{Value, json};

use crate::{
    invitations::{accept, add_talent, create_company},
    support::{Backend, PASSWORD, TestApp, TestNetwork, error_code, user_error},
    with_backends,
};

with_backends!(
    the_ally_path_as_a_user_walks_it,
    import_counts_errors_and_both_forms,
    a_contact_is_seen_by_its_owner_and_sharing_networks_only,
    warm_paths_match_company_name_or_domain,
    intro_lists_gather_shared_contacts,
    asking_an_ally_for_an_introduction
);

/// LinkedIn's export as it comes: BOM, the "Notes:" preamble, quoted fields with commas
/// and quotes, rows without email. Lines 5–9 are contacts, 10 and 11 are bad.
pub const CONNECTIONS_CSV: &str = "\u{feff}Notes:\n\"When exporting your connection data, you may notice that some of the email addresses are missing. You will only see email addresses for connections who have allowed their connections to see or download their email address using this setting https://www.linkedin.com/psettings/privacy/email. You can learn more here https://www.linkedin.com/help/linkedin/answer/261\"\n\nFirst Name,Last Name,URL,Email Address,Company,Position,Connected On\nAnn,Lee,https://www.linkedin.com/in/annlee,ann@acme.com,\"Acme, Inc.\",\"Head of \"\"Platform\"\"\",05 Mar 2024\nBo,Chen,https://www.linkedin.com/in/bochen,,Globex,Staff Engineer,17 Jan 2023\nCara,Diaz,https://www.linkedin.com/in/caradiaz,,\"  acme,   inc. \",Recruiter,02 Feb 2022\nDev,Patel,https://www.linkedin.com/in/devpatel,dev@initech.com,Initech,CTO,11 Nov 2021\nEla,Fox,https://www.linkedin.com/in/elafox,,Hooli,Product Manager,\nFinn,Gray,javascript:alert(1),,Hooli,PM,01 Jan 2020\nGus,Hale,https://www.linkedin.com/in/gushale,,Hooli,PM,yesterday\n";

const CONTACT_FIELDS: &str =
    "id name firstName lastName email linkedinUrl company position connectedOn knownBy { name }";

pub async fn invite_ally(app: &TestApp, network: &TestNetwork, name: &str, email: &str) -> String {
    let invited = app
        .mutate(Some(&network.admin_token), "inviteTeamMember", "mutation($n: ID!, $name: String!, $e: String!) { inviteTeamMember(input: {networkId: $n, role: ALLY, name: $name, email: $e}) { ally { id } userErrors { code } } }", json!({ "n": network.id, "name": name, "e": email }))
        .await;
    invited["ally"]["id"].as_str().unwrap().to_owned()
}

async fn import_csv(app: &TestApp, token: &str, csv: &str) -> Value {
    app.mutate(
        Some(token),
        "importContacts",
        "mutation($csv: String!) { importContacts(input: {csv: $csv}) { created updated skipped errors { line message } errorCount userErrors { field code message } } }",
        json!({ "csv": csv }),
    )
    .await
}

pub async fn set_sharing(
    app: &TestApp,
    token: &str,
    network: &TestNetwork,
    sharing: bool,
) -> Value {
    app.mutate(
        Some(token),
        "setContactSharing",
        "mutation($n: ID!, $s: Boolean!) { setContactSharing(input: {networkId: $n, sharing: $s}) { ally { sharingContacts contactCount } userErrors { code } } }",
        json!({ "n": network.id, "s": sharing }),
    )
    .await
}

async fn network_contacts(app: &TestApp, token: &str, network: &TestNetwork, args: &str) -> Value {
    let body = app
        .gql(
            Some(token),
            &format!("query($n: ID!) {{ network(id: $n) {{ contacts{args} {{ totalCount nodes {{ {CONTACT_FIELDS} }} }} }} }}"),
            json!({ "n": network.id }),
        )
        .await;
    assert!(body.get("errors").is_none(), "{body}");
    body["data"]["network"]["contacts"].clone()
}

async fn own_contacts(app: &TestApp, token: &str) -> Value {
    app.gql(
        Some(token),
        &format!(
            "{{ viewer {{ contacts(first: 100) {{ totalCount nodes {{ {CONTACT_FIELDS} }} }} }} }}"
        ),
        json!({}),
    )
    .await["data"]["viewer"]["contacts"]
        .clone()
}

fn names(contacts: &Value) -> Vec<String> {
    contacts["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap().to_owned())
        .collect()
}

/// An ally of networks A and B, signed in, with the export imported.
struct Ally {
    token: String,
    ally_in_a: String,
}

async fn ally_of_both(app: &TestApp, a: &TestNetwork, b: &TestNetwork) -> Ally {
    let ally_in_a = invite_ally(app, a, "Alex Ally", "alex@ally.test").await;
    let email = app.email_to("alex@ally.test").await;
    assert_eq!(email.subject, format!("You've been invited to {}", "Alpha"));
    assert!(email.html.contains("Get started"), "{}", email.html);
    let joined = accept(app, &email.invitation_token(), PASSWORD).await;
    let token = joined["token"].as_str().unwrap().to_owned();
    invite_ally(app, b, "Alex Ally", "alex@ally.test").await;
    let joined_b = accept(
        app,
        &app.email_to("alex@ally.test").await.invitation_token(),
        PASSWORD,
    )
    .await;
    assert_eq!(
        joined_b["viewer"]["allyProfiles"].as_array().unwrap().len(),
        2
    );
    Ally { token, ally_in_a }
}

async fn onboarding(app: &TestApp, token: &str, ally_id: &str) -> Value {
    app.gql(
        Some(token),
        "query($id: ID!) { node(id: $id) { ... on Ally { onboarding { connectLinkedIn helpWithIntroductions makeIntroductionWhenAsked completed } } } }",
        json!({ "id": ally_id }),
    )
    .await["data"]["node"]["onboarding"]
        .clone()
}

async fn the_ally_path_as_a_user_walks_it(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let a = app.network("Alpha").await;
    let b = app.network("Beta").await;
    let ally = ally_of_both(&app, &a, &b).await;
    let before = onboarding(&app, &ally.token, &ally.ally_in_a).await;
    assert_eq!(before["connectLinkedIn"], false, "{before}");

    let imported = import_csv(&app, &ally.token, CONNECTIONS_CSV).await;
    assert_eq!(imported["created"], 5, "{imported}");
    let after = onboarding(&app, &ally.token, &ally.ally_in_a).await;
    assert_eq!(after["connectLinkedIn"], true);
    assert_eq!(after["completed"], false);
    for step in ["HELP_WITH_INTRODUCTIONS", "MAKE_INTRODUCTION_WHEN_ASKED"] {
        let done = app
            .mutate(
                Some(&ally.token),
                "completeAllyOnboardingStep",
                "mutation($a: ID!, $s: AllyOnboardingStep!) { completeAllyOnboardingStep(input: {allyId: $a, step: $s}) { ally { onboarding { completed } } userErrors { code } } }",
                json!({ "a": ally.ally_in_a, "s": step }),
            )
            .await;
        assert_eq!(done["userErrors"], json!([]), "{done}");
    }
    let done = onboarding(&app, &ally.token, &ally.ally_in_a).await;
    assert_eq!(done["completed"], true, "{done}");
    // Only the ally completes their steps: their network's admin may not.
    let by_admin = app
        .gql(
            Some(&a.admin_token),
            "mutation($a: ID!) { completeAllyOnboardingStep(input: {allyId: $a, step: HELP_WITH_INTRODUCTIONS}) { ally { id } userErrors { code } } }",
            json!({ "a": ally.ally_in_a }),
        )
        .await;
    assert_eq!(
        error_code(&by_admin).as_deref(),
        Some("FORBIDDEN"),
        "{by_admin}"
    );

    // Nothing is shared until the ally says so.
    assert_eq!(
        network_contacts(&app, &a.admin_token, &a, "").await["totalCount"],
        0
    );
    let shared = set_sharing(&app, &ally.token, &a, true).await;
    assert_eq!(shared["ally"]["sharingContacts"], true, "{shared}");
    assert_eq!(shared["ally"]["contactCount"], 5);

    let seen = network_contacts(&app, &a.admin_token, &a, "(first: 50)").await;
    assert_eq!(seen["totalCount"], 5);
    assert_eq!(
        names(&seen),
        ["Ann Lee", "Bo Chen", "Cara Diaz", "Dev Patel", "Ela Fox"]
    );
    let ann = &seen["nodes"][0];
    assert_eq!(ann["company"], "Acme, Inc.");
    assert_eq!(ann["position"], "Head of \"Platform\"");
    assert_eq!(ann["connectedOn"], "2024-03-05");
    assert_eq!(ann["knownBy"], json!([{ "name": "Alex Ally" }]));
    assert!(
        seen["nodes"][1]["email"].is_null(),
        "empty fields read back as null"
    );
    // Company filter, case and spacing aside; search.
    let acme = network_contacts(&app, &a.admin_token, &a, "(company: \"ACME, Inc.\")").await;
    assert_eq!(names(&acme), ["Ann Lee", "Cara Diaz"]);
    let search = network_contacts(&app, &a.admin_token, &a, "(search: \"engineer\")").await;
    assert_eq!(names(&search), ["Bo Chen"]);
    // Network B's admin sees nothing: the ally shares with A only.
    assert_eq!(
        network_contacts(&app, &b.admin_token, &b, "").await["totalCount"],
        0
    );

    // Stopping hides them from A at once; the ally keeps them.
    set_sharing(&app, &ally.token, &a, false).await;
    assert_eq!(
        network_contacts(&app, &a.admin_token, &a, "").await["totalCount"],
        0
    );
    let ann_id = ann["id"].as_str().unwrap();
    let node = app
        .gql(
            Some(&a.admin_token),
            "query($id: ID!) { node(id: $id) { id } }",
            json!({ "id": ann_id }),
        )
        .await;
    assert!(node["data"]["node"].is_null(), "{node}");
    assert_eq!(own_contacts(&app, &ally.token).await["totalCount"], 5);
}

async fn import_counts_errors_and_both_forms(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let a = app.network("Alpha").await;
    let b = app.network("Beta").await;
    let ally = ally_of_both(&app, &a, &b).await;

    let first = import_csv(&app, &ally.token, CONNECTIONS_CSV).await;
    assert_eq!(
        (&first["created"], &first["updated"], &first["skipped"]),
        (&json!(5), &json!(0), &json!(0)),
        "{first}"
    );
    let lines: Vec<i64> = first["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["line"].as_i64().unwrap())
        .collect();
    assert_eq!(lines, [10, 11], "{first}");
    assert!(
        first["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("URL")
    );
    assert!(
        first["errors"][1]["message"]
            .as_str()
            .unwrap()
            .contains("Connected On")
    );
    assert_eq!(first["errorCount"], 2);

    // The same file again: nothing new, nothing changed, no duplicates.
    let again = import_csv(&app, &ally.token, CONNECTIONS_CSV).await;
    assert_eq!(
        (&again["created"], &again["updated"], &again["skipped"]),
        (&json!(0), &json!(0), &json!(5)),
        "{again}"
    );
    assert_eq!(own_contacts(&app, &ally.token).await["totalCount"], 5);

    // As a browser extension sends them: one updates Ann (by URL), one is new, one is bad.
    let extension = app
        .mutate(
            Some(&ally.token),
            "importContacts",
            "mutation { importContacts(input: {contacts: [{firstName: \"Ann\", lastName: \"Lee\", linkedinUrl: \"https://www.linkedin.com/in/annlee/\", position: \"VP Platform\"}, {firstName: \"Hal\", lastName: \"Ito\", email: \"hal@umbrella.com\", company: \"Umbrella\", connectedOn: \"2024-06-01\"}, {firstName: \"Nobody\"}]}) { created updated skipped errors { line message } userErrors { code } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        (
            &extension["created"],
            &extension["updated"],
            &extension["skipped"]
        ),
        (&json!(1), &json!(1), &json!(0)),
        "{extension}"
    );
    assert_eq!(extension["errors"][0]["line"], 3);
    let mine = own_contacts(&app, &ally.token).await;
    assert_eq!(mine["totalCount"], 6);
    let ann = &mine["nodes"][0];
    assert_eq!(ann["position"], "VP Platform");
    assert_eq!(
        ann["email"], "ann@acme.com",
        "a field left empty keeps what was stored"
    );

    // Refused whole: no header, both forms, neither form.
    let headless = import_csv(&app, &ally.token, "name,email\nZed,zed@x.test\n").await;
    assert_eq!(
        user_error(&headless).as_deref(),
        Some("INVALID_INPUT"),
        "{headless}"
    );
    let both = app
        .mutate(Some(&ally.token), "importContacts", "mutation { importContacts(input: {csv: \"x\", contacts: []}) { created userErrors { field code } } }", json!({}))
        .await;
    assert_eq!(user_error(&both).as_deref(), Some("INVALID_INPUT"));
    let neither = app
        .mutate(
            Some(&ally.token),
            "importContacts",
            "mutation { importContacts(input: {}) { created userErrors { code } } }",
            json!({}),
        )
        .await;
    assert_eq!(user_error(&neither).as_deref(), Some("INVALID_INPUT"));
    assert_eq!(own_contacts(&app, &ally.token).await["totalCount"], 6);

    // Only allies import.
    let not_ally = app
        .gql(
            Some(&a.admin_token),
            "mutation($c: String!) { importContacts(input: {csv: $c}) { created } }",
            json!({ "c": CONNECTIONS_CSV }),
        )
        .await;
    assert_eq!(
        error_code(&not_ally).as_deref(),
        Some("FORBIDDEN"),
        "{not_ally}"
    );

    // Deleting: some, then all.
    let ids: Vec<Value> = mine["nodes"].as_array().unwrap()[..2]
        .iter()
        .map(|c| c["id"].clone())
        .collect();
    let deleted = app
        .mutate(Some(&ally.token), "deleteContacts", "mutation($ids: [ID!]) { deleteContacts(input: {contactIds: $ids}) { deleted userErrors { code } } }", json!({ "ids": ids }))
        .await;
    assert_eq!(deleted["deleted"], 2);
    let all = app
        .mutate(
            Some(&ally.token),
            "deleteContacts",
            "mutation { deleteContacts(input: {all: true}) { deleted } }",
            json!({}),
        )
        .await;
    assert_eq!(all["deleted"], 4);
    assert_eq!(own_contacts(&app, &ally.token).await["totalCount"], 0);
}

async fn a_contact_is_seen_by_its_owner_and_sharing_networks_only(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let a = app.network("Alpha").await;
    let b = app.network("Beta").await;
    let ally = ally_of_both(&app, &a, &b).await;
    import_csv(&app, &ally.token, CONNECTIONS_CSV).await;
    set_sharing(&app, &ally.token, &a, true).await;
    let ids: Vec<String> = own_contacts(&app, &ally.token).await["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap().to_owned())
        .collect();

    // Another ally of A (sharing their own contacts), a talent of A, B's admin, anonymous.
    let other_ally = {
        invite_ally(&app, &a, "Olga Ally", "olga@ally.test").await;
        let token = app.email_to("olga@ally.test").await.invitation_token();
        let joined = accept(&app, &token, PASSWORD).await;
        let token = joined["token"].as_str().unwrap().to_owned();
        set_sharing(&app, &token, &a, true).await;
        token
    };
    let (_, talent) = add_talent(&app, &a, "Tess", "tess@talent.test", true).await;
    let outsiders = [
        ("another ally", Some(other_ally.as_str())),
        ("a talent", Some(talent.as_str())),
        ("another network's admin", Some(b.admin_token.as_str())),
        ("anonymous", None),
    ];
    for (who, token) in outsiders {
        let body = app
            .gql(
                token,
                "query($id: ID!, $ids: [ID!]!) { node(id: $id) { id } nodes(ids: $ids) { id } viewer { contacts { totalCount } } }",
                json!({ "id": ids[0], "ids": ids }),
            )
            .await;
        assert!(body["data"]["node"].is_null(), "{who}: {body}");
        assert!(
            body["data"]["nodes"]
                .as_array()
                .unwrap()
                .iter()
                .all(Value::is_null),
            "{who}: {body}"
        );
        if token.is_some() {
            assert_eq!(body["data"]["viewer"]["contacts"]["totalCount"], 0, "{who}");
        }
    }
    // Every list: A's contacts and the ally's profile as others reach them.
    for (who, token, network) in [
        ("another ally", other_ally.as_str(), &a),
        ("a talent", talent.as_str(), &a),
        ("another network's admin", b.admin_token.as_str(), &b),
    ] {
        assert_eq!(
            network_contacts(&app, token, network, "").await["totalCount"],
            0,
            "{who}"
        );
    }
    let ally_contacts = |token: String| {
        let app = &app;
        let id = ally.ally_in_a.clone();
        async move {
            app.gql(
                Some(&token),
                "query($id: ID!) { node(id: $id) { ... on Ally { contacts { totalCount } } } }",
                json!({ "id": id }),
            )
            .await["data"]["node"]
                .clone()
        }
    };
    assert_eq!(
        ally_contacts(a.admin_token.clone()).await["contacts"]["totalCount"],
        5
    );
    assert!(ally_contacts(other_ally.clone()).await.is_null());
    assert!(ally_contacts(b.admin_token.clone()).await.is_null());

    // The owner and A's admin see them; A's admin sees only A's ally as knowing them.
    for token in [&ally.token, &a.admin_token] {
        let body = app
            .gql(Some(token), "query($ids: [ID!]!) { nodes(ids: $ids) { ... on Contact { name knownBy { network { name } } } } }", json!({ "ids": ids }))
            .await;
        let nodes = body["data"]["nodes"].as_array().unwrap();
        assert!(nodes.iter().all(|n| n["name"].is_string()), "{body}");
        assert_eq!(
            nodes[0]["knownBy"],
            json!([{ "network": { "name": "Alpha" } }])
        );
    }
}

async fn warm_paths(app: &TestApp, token: &str, company: &str) -> Value {
    let body = app
        .gql(
            Some(token),
            "query($c: ID!) { node(id: $c) { ... on Company { warmPaths { ally { name } contacts { name } } } } }",
            json!({ "c": company }),
        )
        .await;
    assert!(body.get("errors").is_none(), "{body}");
    body["data"]["node"]["warmPaths"].clone()
}

async fn warm_paths_match_company_name_or_domain(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let a = app.network("Alpha").await;
    let b = app.network("Beta").await;
    let ally = ally_of_both(&app, &a, &b).await;
    import_csv(&app, &ally.token, CONNECTIONS_CSV).await;
    set_sharing(&app, &ally.token, &a, true).await;
    // A second ally of A who knows one person at Acme, by email domain only.
    invite_ally(&app, &a, "Olga Ally", "olga@ally.test").await;
    let olga = accept(
        &app,
        &app.email_to("olga@ally.test").await.invitation_token(),
        PASSWORD,
    )
    .await["token"]
        .as_str()
        .unwrap()
        .to_owned();
    app.mutate(
        Some(&olga),
        "importContacts",
        "mutation { importContacts(input: {contacts: [{firstName: \"Ivy\", lastName: \"Moss\", email: \"ivy@ACME.com\", company: \"Acme Europe\"}, {firstName: \"Jo\", lastName: \"Park\", email: \"jo@elsewhere.com\", company: \"Elsewhere\"}]}) { created } }",
        json!({}),
    )
    .await;
    set_sharing(&app, &olga, &a, true).await;

    // `create_company` gives the domain acme.com.
    let acme = create_company(&app, &a, "ACME,  Inc.").await;
    let paths = warm_paths(&app, &a.admin_token, &acme).await;
    assert_eq!(
        paths,
        json!([
            { "ally": { "name": "Alex Ally" }, "contacts": [{ "name": "Ann Lee" }, { "name": "Cara Diaz" }] },
            { "ally": { "name": "Olga Ally" }, "contacts": [{ "name": "Ivy Moss" }] },
        ]),
        "by name (case and spacing aside) or email domain, most first"
    );
    let initech = app
        .mutate(Some(&a.admin_token), "createCompany", "mutation($n: ID!) { createCompany(input: {networkId: $n, name: \"Initech Corporation\", domain: \"initech.com\"}) { company { id } } }", json!({ "n": a.id }))
        .await["company"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let paths = warm_paths(&app, &a.admin_token, &initech).await;
    assert_eq!(
        paths[0]["contacts"],
        json!([{ "name": "Dev Patel" }]),
        "{paths}"
    );

    // Network admins only; nothing once the allies stop sharing.
    let (_, talent) = add_talent(&app, &a, "Tess", "tess@talent.test", true).await;
    assert_eq!(warm_paths(&app, &talent, &acme).await, json!([]));
    assert!(warm_paths(&app, &b.admin_token, &acme).await.is_null());
    set_sharing(&app, &ally.token, &a, false).await;
    set_sharing(&app, &olga, &a, false).await;
    assert_eq!(warm_paths(&app, &a.admin_token, &acme).await, json!([]));
}

const ADD_TO_LIST: &str = "mutation($l: ID!, $c: [ID!]!) { addToIntroList(input: {introListId: $l, contactIds: $c}) { introList { entries { totalCount nodes { contact { name } } } } userErrors { field code } } }";

async fn list_entries(app: &TestApp, token: &str, list: &str) -> Value {
    app.gql(
        Some(token),
        "query($l: ID!) { node(id: $l) { ... on IntroList { name entries { totalCount nodes { contact { name } addedAt } } } } }",
        json!({ "l": list }),
    )
    .await["data"]["node"]
        .clone()
}

async fn intro_lists_gather_shared_contacts(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let a = app.network("Alpha").await;
    let b = app.network("Beta").await;
    let ally = ally_of_both(&app, &a, &b).await;
    import_csv(&app, &ally.token, CONNECTIONS_CSV).await;
    set_sharing(&app, &ally.token, &a, true).await;
    let contacts = network_contacts(&app, &a.admin_token, &a, "").await;
    let id = |i: usize| contacts["nodes"][i]["id"].clone();

    let created = app
        .mutate(Some(&a.admin_token), "createIntroList", "mutation($n: ID!) { createIntroList(input: {networkId: $n, name: \"Platform leaders\"}) { introList { id name } userErrors { code } } }", json!({ "n": a.id }))
        .await;
    let list = created["introList"]["id"].as_str().unwrap().to_owned();
    let added = app
        .mutate(
            Some(&a.admin_token),
            "addToIntroList",
            ADD_TO_LIST,
            json!({ "l": list, "c": [id(0), id(1)] }),
        )
        .await;
    assert_eq!(added["introList"]["entries"]["totalCount"], 2, "{added}");
    // Idempotent per contact.
    let again = app
        .mutate(
            Some(&a.admin_token),
            "addToIntroList",
            ADD_TO_LIST,
            json!({ "l": list, "c": [id(0), id(0)] }),
        )
        .await;
    assert_eq!(again["introList"]["entries"]["totalCount"], 2, "{again}");
    let removed = app
        .mutate(Some(&a.admin_token), "removeFromIntroList", "mutation($l: ID!, $c: [ID!]!) { removeFromIntroList(input: {introListId: $l, contactIds: $c}) { introList { entries { nodes { contact { name } } } } } }", json!({ "l": list, "c": [id(1)] }))
        .await;
    assert_eq!(
        removed["introList"]["entries"]["nodes"],
        json!([{ "contact": { "name": "Ann Lee" } }])
    );
    let lists = app
        .gql(
            Some(&a.admin_token),
            "query($n: ID!) { network(id: $n) { introLists { totalCount nodes { name } } } }",
            json!({ "n": a.id }),
        )
        .await;
    assert_eq!(
        lists["data"]["network"]["introLists"]["nodes"],
        json!([{ "name": "Platform leaders" }])
    );

    // Outside the network the list does not exist; inside, only admins act on it.
    assert!(list_entries(&app, &b.admin_token, &list).await.is_null());
    let outsider = app
        .mutate(
            Some(&b.admin_token),
            "addToIntroList",
            ADD_TO_LIST,
            json!({ "l": list, "c": [id(2)] }),
        )
        .await;
    assert_eq!(user_error(&outsider).as_deref(), Some("NOT_FOUND"));
    let (_, talent) = add_talent(&app, &a, "Tess", "tess@talent.test", true).await;
    let member = app
        .gql(
            Some(&talent),
            ADD_TO_LIST,
            json!({ "l": list, "c": [id(2)] }),
        )
        .await;
    assert_eq!(
        error_code(&member).as_deref(),
        Some("FORBIDDEN"),
        "{member}"
    );

    // Once the ally stops sharing, their contacts leave the entries and cannot be added.
    set_sharing(&app, &ally.token, &a, false).await;
    assert_eq!(
        list_entries(&app, &a.admin_token, &list).await["entries"]["totalCount"],
        0
    );
    let unshared = app
        .mutate(
            Some(&a.admin_token),
            "addToIntroList",
            ADD_TO_LIST,
            json!({ "l": list, "c": [id(2)] }),
        )
        .await;
    assert_eq!(user_error(&unshared).as_deref(), Some("NOT_FOUND"));
    set_sharing(&app, &ally.token, &a, true).await;
    assert_eq!(
        list_entries(&app, &a.admin_token, &list).await["entries"]["totalCount"],
        1
    );
}

const ASK: &str = "mutation($c: ID!, $m: String!, $t: ID, $co: ID) { askAllyForIntro(input: {contactId: $c, message: $m, talentId: $t, companyId: $co}) { allyIntroAsk { id status message contact { name } ally { name } askedBy { email } talent { name } } userErrors { field code message } } }";
const ANSWER: &str = "mutation($a: ID!, $ok: Boolean!, $note: String) { answerAllyIntroAsk(input: {askId: $a, accept: $ok, note: $note}) { allyIntroAsk { status note answeredAt } userErrors { field code } } }";

async fn asking_an_ally_for_an_introduction(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let a = app.network("Alpha").await;
    let b = app.network("Beta").await;
    let ally = ally_of_both(&app, &a, &b).await;
    import_csv(&app, &ally.token, CONNECTIONS_CSV).await;
    set_sharing(&app, &ally.token, &a, true).await;
    let ann = network_contacts(&app, &a.admin_token, &a, "").await["nodes"][0]["id"].clone();
    let (tess, tess_token) = add_talent(&app, &a, "Tess", "tess@talent.test", true).await;
    let acme = create_company(&app, &a, "Acme").await;

    let message = "<b>Tess</b> & co would love to meet Ann.\nCould you?";
    let asked = app
        .mutate(
            Some(&a.admin_token),
            "askAllyForIntro",
            ASK,
            json!({ "c": ann, "m": message, "t": tess }),
        )
        .await;
    assert_eq!(asked["userErrors"], json!([]), "{asked}");
    let ask = &asked["allyIntroAsk"];
    assert_eq!(ask["status"], "ASKED");
    assert_eq!(ask["ally"]["name"], "Alex Ally");
    assert_eq!(ask["talent"]["name"], "Tess");
    assert_eq!(ask["askedBy"]["email"], a.admin_email.as_str());
    let ask_id = ask["id"].as_str().unwrap().to_owned();

    // The ally's email: the contact, who it is for, the message (escaped in HTML), a link.
    let email = app.email_to("alex@ally.test").await;
    assert!(
        email
            .subject
            .starts_with("Alpha: would you introduce Ann Lee"),
        "{}",
        email.subject
    );
    assert!(
        email.text.replace("\r\n", "\n").contains(message),
        "{}",
        email.text
    );
    assert!(email.text.contains("to Tess"), "{}", email.text);
    assert!(
        email
            .text
            .contains(&format!("http://app.test/ally-intro-asks/{ask_id}"))
    );
    assert!(
        email.html.contains("&lt;b&gt;Tess&lt;/b&gt; &amp; co"),
        "{}",
        email.html
    );
    assert!(!email.html.contains("<b>Tess"));

    // One open ask per contact and subject; another subject is another ask.
    let twice = app
        .mutate(
            Some(&a.admin_token),
            "askAllyForIntro",
            ASK,
            json!({ "c": ann, "m": "again", "t": tess }),
        )
        .await;
    assert_eq!(user_error(&twice).as_deref(), Some("DUPLICATE"), "{twice}");
    let for_acme = app
        .mutate(
            Some(&a.admin_token),
            "askAllyForIntro",
            ASK,
            json!({ "c": ann, "m": "For Acme", "co": acme }),
        )
        .await;
    assert_eq!(for_acme["userErrors"], json!([]), "{for_acme}");
    // Not shared with B: B's admin cannot ask (nor see the ask).
    let from_b = app
        .mutate(
            Some(&b.admin_token),
            "askAllyForIntro",
            ASK,
            json!({ "c": ann, "m": "hi" }),
        )
        .await;
    assert_eq!(user_error(&from_b).as_deref(), Some("NOT_FOUND"));
    let node = |token: String| {
        let app = &app;
        let id = ask_id.clone();
        async move {
            app.gql(
                Some(&token),
                "query($id: ID!) { node(id: $id) { ... on AllyIntroAsk { status } } }",
                json!({ "id": id }),
            )
            .await["data"]["node"]
                .clone()
        }
    };
    assert!(node(b.admin_token.clone()).await.is_null());
    assert!(node(tess_token.clone()).await.is_null());
    assert_eq!(node(ally.token.clone()).await["status"], "ASKED");

    // Only the ally answers.
    let by_admin = app
        .gql(
            Some(&a.admin_token),
            ANSWER,
            json!({ "a": ask_id, "ok": true }),
        )
        .await;
    assert_eq!(
        error_code(&by_admin).as_deref(),
        Some("FORBIDDEN"),
        "{by_admin}"
    );
    let by_talent = app
        .mutate(
            Some(&tess_token),
            "answerAllyIntroAsk",
            ANSWER,
            json!({ "a": ask_id, "ok": true }),
        )
        .await;
    assert_eq!(user_error(&by_talent).as_deref(), Some("NOT_FOUND"));
    let answered = app
        .mutate(
            Some(&ally.token),
            "answerAllyIntroAsk",
            ANSWER,
            json!({ "a": ask_id, "ok": true, "note": "Happy to <3" }),
        )
        .await;
    assert_eq!(answered["allyIntroAsk"]["status"], "ACCEPTED", "{answered}");
    assert!(answered["allyIntroAsk"]["answeredAt"].is_string());
    let again = app
        .mutate(
            Some(&ally.token),
            "answerAllyIntroAsk",
            ANSWER,
            json!({ "a": ask_id, "ok": false }),
        )
        .await;
    assert_eq!(user_error(&again).as_deref(), Some("INVALID_STATE"));
    // The admin who asked hears back.
    let back = app.email_to(&a.admin_email).await;
    assert!(
        back.subject.starts_with("Alex Ally will introduce Ann Lee"),
        "{}",
        back.subject
    );
    assert!(back.text.contains("Happy to <3"));
    assert!(back.html.contains("Happy to &lt;3"));
    // Once answered, the same introduction may be asked again.
    let reasked = app
        .mutate(
            Some(&a.admin_token),
            "askAllyForIntro",
            ASK,
            json!({ "c": ann, "m": "One more", "t": tess }),
        )
        .await;
    assert_eq!(reasked["userErrors"], json!([]), "{reasked}");

    // The ally's asks, by status; the list entry shows the contact's asks.
    let asks = app
        .gql(
            Some(&ally.token),
            "query($id: ID!) { node(id: $id) { ... on Ally { all: introAsks { totalCount } open: introAsks(status: [ASKED]) { totalCount nodes { message } } } } }",
            json!({ "id": ally.ally_in_a }),
        )
        .await;
    assert_eq!(asks["data"]["node"]["all"]["totalCount"], 3, "{asks}");
    assert_eq!(asks["data"]["node"]["open"]["totalCount"], 2);
    let list = app
        .mutate(Some(&a.admin_token), "createIntroList", "mutation($n: ID!) { createIntroList(input: {networkId: $n, name: \"Asks\"}) { introList { id } } }", json!({ "n": a.id }))
        .await["introList"]["id"]
        .clone();
    let entries = app
        .mutate(Some(&a.admin_token), "addToIntroList", "mutation($l: ID!, $c: [ID!]!) { addToIntroList(input: {introListId: $l, contactIds: $c}) { introList { entries { nodes { asks { status message } } } } } }", json!({ "l": list, "c": [ann] }))
        .await;
    let entry_asks = &entries["introList"]["entries"]["nodes"][0]["asks"];
    assert_eq!(entry_asks.as_array().unwrap().len(), 3, "{entries}");
    assert_eq!(entry_asks[0]["status"], "ACCEPTED");
}

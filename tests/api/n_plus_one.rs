//! A nested list query costs the same number of SQL statements for 5 items as for 50.

use serde_json::json;

use crate::{
    both_databases,
    invitations::{create_company, invite_company_admin},
    support::TestApp,
};

both_databases!(nested_company_list_costs_the_same_at_5_and_50);

const NESTED: &str = "query($id: ID!, $first: Int!) { network(id: $id) { companies(first: $first) { totalCount nodes { id name hasActiveAdmin admins { name email status company { name jobs(first: 2) { totalCount } } } jobs(first: 5) { totalCount nodes { title company { name network { name } } } } network { name } } } } }";

async fn nested_company_list_costs_the_same_at_5_and_50(app: TestApp) {
    let network = app.network("Wide").await;
    for i in 0..50 {
        let company = create_company(&app, &network, &format!("Company {i:02}")).await;
        invite_company_admin(
            &app,
            &network.admin_token,
            &company,
            &format!("admin{i}@c.test"),
        )
        .await;
        for title in ["Engineer", "Designer", "Analyst"] {
            app.mutate(Some(&network.admin_token), "createJob", "mutation($c: ID!, $t: String!) { createJob(input: {companyId: $c, title: $t}) { job { id } } }", json!({ "c": company, "t": title })).await;
        }
    }
    let mut costs = Vec::new();
    for first in [5, 50] {
        let (body, statements) = app
            .gql_counting(
                &network.admin_token,
                NESTED,
                json!({ "id": network.id, "first": first }),
            )
            .await;
        costs.push(statements);
        assert!(body.get("errors").is_none(), "{body}");
        let companies = body["data"]["network"]["companies"]["nodes"]
            .as_array()
            .unwrap();
        assert_eq!(companies.len(), first);
        assert_eq!(companies[first - 1]["jobs"]["totalCount"], 3);
        assert_eq!(
            companies[first - 1]["admins"][0]["company"]["jobs"]["totalCount"],
            3
        );
    }
    assert_eq!(
        costs[0], costs[1],
        "statements at 5 and 50 companies: {costs:?}"
    );
    assert!(costs[0] <= 20, "bounded by the query's shape: {costs:?}");
}

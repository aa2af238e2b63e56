//! Durable email over a real SMTP conversation: delivered with a working link, delayed but
//! never lost by an outage, never sent twice by several server processes.

use std::time::Duration;

use entities::{email_outbox, enums::OutboxStatus};
use sea_orm::{EntityTrait, PaginatorTrait};
use serde_json::json;

use crate::{
    invitations::{ACCEPT, create_company, invite_company_admin},
    support::{Backend, Email, PASSWORD, TestApp, smtp::SmtpServer},
    with_backends,
};

with_backends!(
    invitation_arrives_over_smtp_with_a_working_link,
    smtp_outage_delays_but_loses_nothing,
    several_processes_send_each_email_once
);

async fn invitation_arrives_over_smtp_with_a_working_link(backend: Backend) {
    let smtp = SmtpServer::start().await;
    let app = TestApp::spawn_with(backend, |c| {
        c.mail.smtp_url = Some(smtp.url().parse().unwrap())
    })
    .await;
    let network = app.network("Mailers").await;
    let company = create_company(&app, &network, "Acme <Labs>").await;
    invite_company_admin(&app, &network.admin_token, &company, "casey@acme.com").await;

    let received = smtp.wait_for(1).await;
    assert_eq!(received[0].recipients, ["casey@acme.com"]);
    assert_eq!(received[0].from, "no-reply@app.test");
    let email = Email::parse(&received[0].data);
    assert_eq!(email.to, ["casey@acme.com"]);
    assert!(email.subject.contains("Acme <Labs>"), "{}", email.subject);
    assert!(
        email.message_id.ends_with("@app.test"),
        "{}",
        email.message_id
    );
    assert!(
        email.html.contains("Acme &lt;Labs&gt;"),
        "user text unescaped in HTML"
    );
    assert!(email.text.contains("http://app.test/invitations/igi_"));

    let accepted = app
        .mutate(
            None,
            "acceptInvitation",
            ACCEPT,
            json!({ "token": email.invitation_token(), "password": PASSWORD, "terms": true }),
        )
        .await;
    assert_eq!(
        accepted["viewer"]["companyAdminOf"][0]["name"], "Acme <Labs>",
        "{accepted}"
    );
}

async fn smtp_outage_delays_but_loses_nothing(backend: Backend) {
    let address = SmtpServer::free_address().await;
    let app = TestApp::spawn_with(backend, |c| {
        c.mail.smtp_url = Some(format!("smtp://{address}").parse().unwrap())
    })
    .await;
    let network = app.network("Outage").await;
    let company = create_company(&app, &network, "Acme").await;
    let invited =
        invite_company_admin(&app, &network.admin_token, &company, "casey@acme.com").await;
    assert!(
        invited["userErrors"].as_array().unwrap().is_empty(),
        "the mutation does not wait for SMTP"
    );

    // While the server is down the email waits in the outbox, retried.
    let mut row = None;
    for _ in 0..100 {
        let rows = email_outbox::Entity::find()
            .all(app.state.db.read())
            .await
            .unwrap();
        if rows.first().is_some_and(|r| r.attempts >= 2) {
            row = rows.into_iter().next();
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let row = row.expect("the email was retried while SMTP was down");
    assert_eq!(row.status, OutboxStatus::Pending);
    assert!(row.last_error.is_some());

    let smtp = SmtpServer::start_on(address).await;
    let received = smtp.wait_for(1).await;
    assert_eq!(received[0].recipients, ["casey@acme.com"]);
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(smtp.received().len(), 1, "delivered more than once");
    let row = email_outbox::Entity::find_by_id(row.id)
        .one(app.state.db.read())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(row.status, OutboxStatus::Sent);
    assert!(row.sent_at.is_some());
}

async fn several_processes_send_each_email_once(backend: Backend) {
    let smtp = SmtpServer::start().await;
    let first = TestApp::spawn_with(backend, |c| {
        c.mail.smtp_url = Some(smtp.url().parse().unwrap())
    })
    .await;
    let second = first.spawn_sibling(|_| {}).await;
    let third = first.spawn_sibling(|_| {}).await;
    let network = first.network("Crowd").await;
    let company = create_company(&first, &network, "Acme").await;
    let invites =
        (0..30).map(|i| {
            let app = [&first, &second, &third][i % 3];
            let (token, company) = (network.admin_token.clone(), company.clone());
            async move {
                invite_company_admin(app, &token, &company, &format!("person{i}@acme.com")).await
            }
        });
    futures::future::join_all(invites).await;

    smtp.wait_for(30).await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    let received = smtp.received();
    assert_eq!(received.len(), 30, "some email went out twice");
    let mut recipients: Vec<_> = received.iter().map(|r| r.recipients[0].clone()).collect();
    recipients.sort();
    recipients.dedup();
    assert_eq!(recipients.len(), 30);
    let sent = email_outbox::Entity::find()
        .count(first.state.db.read())
        .await
        .unwrap();
    assert_eq!(sent, 30);
}

/// An address the mail server refuses for good is given up at once and shown to admins.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn permanent_failures_are_given_up_and_shown_to_admins() {
    let smtp = SmtpServer::start().await;
    let app = TestApp::spawn_with(Backend::Sqlite, |c| {
        c.mail.smtp_url = Some(smtp.url().parse().unwrap())
    })
    .await;
    let network = app.network("Bounces").await;
    let company = create_company(&app, &network, "Acme").await;
    invite_company_admin(&app, &network.admin_token, &company, "rejected@acme.com").await;
    invite_company_admin(&app, &network.admin_token, &company, "fine@acme.com").await;
    smtp.wait_for(1).await;
    let query = "query($id: ID!) { network(id: $id) { emails(status: [FAILED]) { totalCount nodes { to status attempts lastError } } all: emails { totalCount } } }";
    let mut failed = json!(null);
    for _ in 0..100 {
        failed = app
            .gql(
                Some(&network.admin_token),
                query,
                json!({ "id": network.id }),
            )
            .await;
        if failed["data"]["network"]["emails"]["totalCount"] == 1 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let emails = &failed["data"]["network"]["emails"];
    assert_eq!(emails["totalCount"], 1, "{failed}");
    assert_eq!(
        emails["nodes"][0]["to"][0],
        "Casey Admin <rejected@acme.com>"
    );
    assert_eq!(
        emails["nodes"][0]["attempts"], 1,
        "a permanent refusal is not retried"
    );
    assert!(
        emails["nodes"][0]["lastError"]
            .as_str()
            .unwrap()
            .contains("550")
    );
    assert_eq!(failed["data"]["network"]["all"]["totalCount"], 2);
    assert_eq!(smtp.received().len(), 1);
}

//! What a change causes besides its rows (emails, live signals) leaves only with its commit,
//! and the rules' two forms (SQL filters, in-memory predicates) agree on real data.

use std::time::Duration;

use entities::{
    account, email_outbox, enums::IntroStatus, event_log, intro_request, intro_request_event,
};
use introgate::{
    live::{AccessChange, Signal},
    mail::Email,
    services::{
        access::{Actor, Principal},
        introductions::{self, RequestFilter, policy},
        pagination::PageRequest,
        talent,
        tx::Tx,
    },
};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use tokio::sync::broadcast;
use uuid::Uuid;

use crate::{both_databases, support::TestApp};

both_databases!(
    a_rolled_back_transaction_sends_nothing,
    lists_show_exactly_what_the_rules_allow
);

fn email_to(address: &str) -> Email {
    Email {
        kind: "test",
        network_id: None,
        to: vec![address.parse().unwrap()],
        cc: vec![],
        bcc: vec![],
        subject: format!("For {address}"),
        text: "text".into(),
        html: "<p>html</p>".into(),
    }
}

async fn a_rolled_back_transaction_sends_nothing(app: TestApp) {
    let network = app.network("Rollback").await;
    let network_id = introgate::graphql::ids::GlobalId::decode(&network.id)
        .unwrap()
        .id;
    let mut access_changes = app.state.hub.access_changes();
    listening(&app, &mut access_changes).await;
    let (rolled_back, committed) = (Uuid::now_v7(), Uuid::now_v7());

    let tx = Tx::begin_in_network(&app.state, network_id).await.unwrap();
    tx.queue_email(email_to("rolled@back.test")).await.unwrap();
    tx.signal(Signal::Access(AccessChange::Account(rolled_back)))
        .await
        .unwrap();
    tx.signal(Signal::Events(network_id)).await.unwrap();
    drop(tx);

    let tx = Tx::begin(&app.state).await.unwrap();
    tx.queue_email(email_to("committed@x.test")).await.unwrap();
    tx.signal(Signal::Access(AccessChange::Account(committed)))
        .await
        .unwrap();
    tx.commit().await.unwrap();

    // Signals arrive in commit order: the first one is the committed transaction's. (A
    // listener that (re)connects asks everyone to re-check: that is no transaction's.)
    let first = tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            match access_changes.recv().await.unwrap() {
                AccessChange::Everyone => continue,
                change => return change,
            }
        }
    })
    .await
    .expect("the committed signal arrives");
    assert_eq!(first, AccessChange::Account(committed));
    app.email_to("committed@x.test").await;
    let queued = email_outbox::Entity::find()
        .filter(email_outbox::Column::Subject.eq("For rolled@back.test"))
        .count(app.state.db.read())
        .await
        .unwrap();
    assert_eq!(queued, 0, "the rolled-back email was queued");
    assert!(
        app.delivered_files()
            .iter()
            .all(|e| !e.to.contains(&"rolled@back.test".to_owned()))
    );
    tokio::time::sleep(Duration::from_millis(200)).await;
    while let Ok(change) = access_changes.try_recv() {
        assert_eq!(
            change,
            AccessChange::Everyone,
            "a signal of the rolled-back transaction"
        );
    }
}

/// Waits until the hub hears committed signals (on PostgreSQL its `LISTEN` starts with the
/// server, and a `NOTIFY` sent before it is not heard: everyone re-checks instead).
async fn listening(app: &TestApp, changes: &mut broadcast::Receiver<AccessChange>) {
    let probe = AccessChange::Account(Uuid::now_v7());
    for _ in 0..100 {
        let tx = Tx::begin(&app.state).await.unwrap();
        tx.signal(Signal::Access(probe)).await.unwrap();
        tx.commit().await.unwrap();
        let heard = tokio::time::timeout(Duration::from_millis(100), async {
            while changes.recv().await.unwrap() != probe {}
        });
        if heard.await.is_ok() {
            return;
        }
    }
    panic!("the hub hears no signal");
}

/// On the demo network (a request in every status and direction, every role), each
/// actor's lists hold exactly the rows the in-memory rules let them see.
async fn lists_show_exactly_what_the_rules_allow(app: TestApp) {
    let credentials = introgate::demo::seed(&app.state)
        .await
        .unwrap()
        .expect("an empty database is seeded");
    let db = app.state.db.read();
    let requests = intro_request::Entity::find().all(db).await.unwrap();
    let mut statuses: Vec<IntroStatus> = requests.iter().map(|r| r.status).collect();
    statuses.sort_by_key(|s| format!("{s:?}"));
    statuses.dedup();
    assert_eq!(statuses.len(), 7, "a request in every status: {statuses:?}");
    // The demo went through the services: every timeline step is a live event too.
    assert_eq!(
        intro_request_event::Entity::find().count(db).await.unwrap(),
        event_log::Entity::find().count(db).await.unwrap()
    );

    let network_id = requests[0].network_id;
    let mut actors = vec![
        ("anonymous".to_owned(), Actor::anonymous()),
        (
            "API token".to_owned(),
            Actor::new(Principal::ApiToken {
                token_id: Uuid::now_v7(),
                network_id,
            }),
        ),
    ];
    for account in account::Entity::find().all(db).await.unwrap() {
        let principal = Principal::Account {
            account_id: account.id,
            session_id: Uuid::now_v7(),
        };
        actors.push((account.email, Actor::new(principal)));
    }
    assert!(actors.len() >= credentials.logins.len() + 2);
    let everything = PageRequest::parse(Some(100), None, None, None).unwrap();
    for (who, actor) in &actors {
        let access = actor.access(&app.state.db, network_id).await.unwrap();
        let mut allowed: Vec<Uuid> = requests
            .iter()
            .filter(|r| policy::can_see(&access, r))
            .map(|r| r.id)
            .collect();
        allowed.sort();
        // Read alone, and with their talent and companies joined (as lists that show them).
        for parties in [false, true] {
            let listed = introductions::list(
                &app.state,
                &access,
                &RequestFilter::default(),
                &everything,
                parties,
            )
            .await
            .unwrap();
            for (request, talent, company) in &listed.items {
                assert_eq!(
                    talent.as_ref().map(|t| t.id),
                    parties.then_some(request.talent_id)
                );
                assert_eq!(
                    company.as_ref().map(|c| c.id),
                    parties.then_some(request.company_id)
                );
            }
            let mut listed: Vec<Uuid> = listed.items.iter().map(|(r, _, _)| r.id).collect();
            listed.sort();
            assert_eq!(listed, allowed, "requests {who} sees");
        }

        let scope = access.talent_scope();
        let listed = talent::list(&app.state, &access, None, None, &everything)
            .await
            .unwrap();
        let all_talent = entities::talent::Entity::find().all(db).await.unwrap();
        let mut allowed: Vec<Uuid> = all_talent
            .iter()
            .filter(|t| scope.allows(t))
            .map(|t| t.id)
            .collect();
        let mut listed: Vec<Uuid> = listed.items.iter().map(|t| t.id).collect();
        listed.sort();
        allowed.sort();
        assert_eq!(listed, allowed, "talent {who} sees");
    }
}

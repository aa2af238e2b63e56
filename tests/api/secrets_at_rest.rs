//! A live invitation token is never written to the database in clear (issue 11, item 5):
//! the outbox keeps a mark in its place and the token sealed with the server's key, and the
//! link is rendered when the email is sent. Scrubbing rows after sending would not do: on
//! SQLite the WAL and freed pages keep the bytes, so the test reads the files too.

use introgate::config::DatabaseUrl;
use sea_orm::EntityTrait;

use crate::{
    invitations::{create_company, invite_company_admin},
    support::{Backend, TestApp},
    with_backends,
};

with_backends!(no_live_token_is_stored_in_clear);

async fn no_live_token_is_stored_in_clear(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let network = app.network("Sealed").await;
    let company = create_company(&app, &network, "Acme").await;
    invite_company_admin(&app, &network.admin_token, &company, "casey@sealed.test").await;
    let email = app.email_to("casey@sealed.test").await;
    let token = email.invitation_token();
    assert!(token.len() > 20, "{token}");
    assert!(
        email.html.contains(&token),
        "the sent email has the real link"
    );

    let rows = entities::email_outbox::Entity::find()
        .all(app.state.db.read())
        .await
        .unwrap();
    assert!(!rows.is_empty());
    for row in &rows {
        let stored = format!("{row:?}");
        assert!(
            !stored.contains(&token),
            "the token in the outbox: {stored}"
        );
    }
    // Every byte SQLite keeps, freed pages and WAL included.
    if let DatabaseUrl::Sqlite {
        file: Some(file), ..
    } = &app.config.database.database_url
    {
        for path in [
            file.clone(),
            file.with_extension("db-wal"),
            file.with_extension("db-journal"),
        ] {
            if let Ok(bytes) = std::fs::read(&path) {
                assert!(
                    !bytes
                        .windows(token.len())
                        .any(|window| window == token.as_bytes()),
                    "the token in {}",
                    path.display()
                );
            }
        }
    }

    // The link works.
    let joined = crate::invitations::accept(&app, &token, crate::support::PASSWORD).await;
    assert!(joined["token"].is_string(), "{joined}");
}

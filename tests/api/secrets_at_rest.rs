//! A live token (invitation, email confirmation, password reset) is never written to the
//! database in clear (issue 11, item 5):
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
    let invitation = email.invitation_token();
    assert!(
        email.html.contains(&invitation),
        "the sent email has the real link"
    );
    app.gql(
        None,
        "mutation($s: String!) { signUpTalent(input: {networkSlug: $s, name: \"Tia\", email: \"tia@sealed.test\", password: \"correct horse battery\"}) { email } }",
        serde_json::json!({ "s": network.slug }),
    )
    .await;
    let confirmation = token_in(&app.email_to("tia@sealed.test").await, "verify-email");
    app.gql(
        None,
        "mutation($e: String!) { requestPasswordReset(input: {email: $e}) { email } }",
        serde_json::json!({ "e": network.admin_email }),
    )
    .await;
    let reset = token_in(&app.email_to(&network.admin_email).await, "reset-password");

    let rows = entities::email_outbox::Entity::find()
        .all(app.state.db.read())
        .await
        .unwrap();
    assert!(rows.len() >= 3);
    for token in [&invitation, &confirmation, &reset] {
        assert!(token.len() > 20, "{token}");
        for row in &rows {
            let stored = format!("{row:?}");
            assert!(
                !stored.contains(token.as_str()),
                "a token in the outbox: {stored}"
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
                        "a token in {}",
                        path.display()
                    );
                }
            }
        }
    }

    // The links work.
    let joined = crate::invitations::accept(&app, &invitation, crate::support::PASSWORD).await;
    assert!(joined["token"].is_string(), "{joined}");
    let verified = app
        .gql(
            None,
            "mutation($t: String!) { verifyEmail(input: {token: $t}) { token } }",
            serde_json::json!({ "t": confirmation }),
        )
        .await;
    assert!(
        verified["data"]["verifyEmail"]["token"].is_string(),
        "{verified}"
    );
    let reset = app
        .gql(
            None,
            "mutation($t: String!) { resetPassword(input: {token: $t, password: \"a new passphrase here\"}) { token } }",
            serde_json::json!({ "t": reset }),
        )
        .await;
    assert!(
        reset["data"]["resetPassword"]["token"].is_string(),
        "{reset}"
    );
}

fn token_in(email: &crate::support::Email, path: &str) -> String {
    let pattern = regex::Regex::new(&format!("/{path}/(ig[a-z]_[A-Za-z0-9_-]+)")).unwrap();
    pattern
        .captures(&email.text)
        .unwrap_or_else(|| panic!("no {path} link in {}", email.text))[1]
        .to_owned()
}

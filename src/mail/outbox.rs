//! Writing emails into the outbox, inside the caller's transaction.

use chrono::{DateTime, Utc};
use entities::{email_outbox, enums::OutboxStatus};
use sea_orm::{ActiveModelTrait, ConnectionTrait, DbErr, Set};
use uuid::Uuid;

use super::Email;

fn addresses(list: &[lettre::message::Mailbox]) -> serde_json::Value {
    serde_json::Value::Array(
        list.iter()
            .map(|m| serde_json::Value::String(m.to_string()))
            .collect(),
    )
}

/// Queues `email`; it is sent only if the surrounding transaction commits.
pub async fn enqueue(
    db: &impl ConnectionTrait,
    email: Email,
    secret: Option<Secret<'_>>,
    message_domain: &str,
    now: DateTime<Utc>,
) -> Result<Uuid, DbErr> {
    let id = Uuid::now_v7();
    let secret_sealed = secret.map(|s| s.key.seal(&secret_context(id), s.value));
    email_outbox::ActiveModel {
        id: Set(id),
        // Stable across retries, so a receiver can tell a resend from a new email.
        message_id: Set(format!("<{id}@{message_domain}>")),
        network_id: Set(email.network_id),
        kind: Set(email.kind.to_owned()),
        to_addrs: Set(addresses(&email.to)),
        cc_addrs: Set(addresses(&email.cc)),
        bcc_addrs: Set(addresses(&email.bcc)),
        subject: Set(email.subject),
        text_body: Set(email.text),
        html_body: Set(email.html),
        status: Set(OutboxStatus::Pending),
        attempts: Set(0),
        next_attempt_at: Set(now),
        locked_by: Set(None),
        locked_until: Set(None),
        last_error: Set(None),
        created_at: Set(now),
        sent_at: Set(None),
        secret_sealed: Set(secret_sealed),
    }
    .insert(db)
    .await?;
    Ok(id)
}

/// A live secret of an email (an invitation's token): never written in clear. Its bodies
/// hold [`super::SECRET_MARK`] where it goes; it is stored sealed with the server's key and
/// put in place only when the email is rendered for sending ([`render_secret`]).
pub struct Secret<'a> {
    pub value: &'a str,
    pub key: &'a crate::secret_key::SecretKey,
}

fn secret_context(outbox_id: Uuid) -> String {
    format!("outbox:{outbox_id}")
}

/// The row as it is sent: its secret, opened, in place of the mark.
pub fn render_secret(
    key: &crate::secret_key::SecretKey,
    mut email: email_outbox::Model,
) -> anyhow::Result<email_outbox::Model> {
    if let Some(sealed) = email.secret_sealed.take() {
        let secret = key.open(&secret_context(email.id), &sealed)?;
        email.text_body = email.text_body.replace(super::SECRET_MARK, &secret);
        email.html_body = email.html_body.replace(super::SECRET_MARK, &secret);
    }
    Ok(email)
}

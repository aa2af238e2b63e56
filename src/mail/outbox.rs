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
    message_domain: &str,
    now: DateTime<Utc>,
) -> Result<Uuid, DbErr> {
    let id = Uuid::now_v7();
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
    }
    .insert(db)
    .await?;
    Ok(id)
}

use async_graphql::{Enum, Object};
use chrono::{DateTime, Utc};
use entities::email_outbox;

/// Where an email is on its way out.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "entities::enums::OutboxStatus")]
pub enum EmailStatus {
    /// Waiting for its first attempt or for a retry.
    Pending,
    Sent,
    /// Given up: refused for good by the mail server, or too many attempts.
    Failed,
}

/// An email the network caused (invitations, introductions…). Its body is not shown: it
/// may hold someone else's sign-in link.
pub struct EmailMessage(pub email_outbox::Model);

fn addresses(value: &serde_json::Value) -> Vec<String> {
    value
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|v| v.as_str().map(str::to_owned))
        .collect()
}

#[Object]
impl EmailMessage {
    /// What caused it, e.g. `invitation`.
    async fn kind(&self) -> &str {
        &self.0.kind
    }

    async fn to(&self) -> Vec<String> {
        addresses(&self.0.to_addrs)
    }

    async fn subject(&self) -> &str {
        &self.0.subject
    }

    async fn status(&self) -> EmailStatus {
        self.0.status.into()
    }

    async fn attempts(&self) -> i32 {
        self.0.attempts
    }

    /// Why the last attempt failed, as the mail server said.
    async fn last_error(&self) -> Option<&str> {
        self.0.last_error.as_deref()
    }

    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }

    async fn sent_at(&self) -> Option<DateTime<Utc>> {
        self.0.sent_at
    }
}

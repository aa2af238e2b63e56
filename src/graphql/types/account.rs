use async_graphql::{ID, Object};
use chrono::{DateTime, Utc};
use entities::{account, api_token};

use crate::graphql::ids::{GlobalId, NodeKind};

/// A person who can sign in.
pub struct Account(pub account::Model);

#[Object]
impl Account {
    pub async fn id(&self) -> ID {
        GlobalId::encode(NodeKind::Account, self.0.id)
    }

    async fn email(&self) -> &str {
        &self.0.email
    }

    async fn name(&self) -> &str {
        &self.0.name
    }
}

/// A partner tool's read-only access to one network. The secret is shown only at creation.
pub struct ApiToken(pub api_token::Model);

#[Object]
impl ApiToken {
    pub async fn id(&self) -> ID {
        GlobalId::encode(NodeKind::ApiToken, self.0.id)
    }

    async fn name(&self) -> &str {
        &self.0.name
    }

    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
}

use async_graphql::{
    Context, ID, InputValueError, InputValueResult, Object, Scalar, ScalarType, Value,
};
use chrono::NaiveDate;
use entities::contact;

use super::Ally;
use crate::{
    graphql::{
        connection::{ListConnection, connection, page_request},
        context::ContextExt,
        ids::{GlobalId, NodeKind},
    },
    services::contacts::{self, ContactFilter, ContactScope},
};

/// A person an ally knows, as LinkedIn exported them. Seen by its owner, and by the admins
/// of the networks the owner shares contacts with, while they share.
pub struct Contact(pub contact::Model);

#[Object]
impl Contact {
    pub async fn id(&self) -> ID {
        GlobalId::encode(NodeKind::Contact, self.0.id)
    }

    async fn name(&self) -> &str {
        &self.0.name
    }

    async fn first_name(&self) -> Option<&str> {
        self.0.first_name.as_deref()
    }

    async fn last_name(&self) -> Option<&str> {
        self.0.last_name.as_deref()
    }

    async fn email(&self) -> Option<&str> {
        self.0.email.as_deref()
    }

    async fn linkedin_url(&self) -> Option<&str> {
        self.0.linkedin_url.as_deref()
    }

    async fn company(&self) -> Option<&str> {
        self.0.company_name.as_deref()
    }

    async fn position(&self) -> Option<&str> {
        self.0.position.as_deref()
    }

    async fn connected_on(&self) -> Option<Date> {
        self.0.connected_on.map(Date)
    }

    /// The allies who share this contact and whom the caller sees: in the networks the
    /// caller administers (or all of the owner's, for the owner).
    async fn known_by(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<Ally>> {
        let owner = self.0.owner_account_id;
        let allies = ctx
            .loaders()
            .sharing_allies
            .load_one(owner)
            .await?
            .unwrap_or_default();
        let memberships = ctx.actor().memberships(&ctx.state().db).await?;
        let admin: std::collections::HashSet<_> = memberships.admin_networks().collect();
        Ok(contacts::known_by(
            ctx.actor().account_id(),
            &|network| admin.contains(&network),
            owner,
            &allies,
        )
        .into_iter()
        .map(Ally)
        .collect())
    }
}

/// An ally who knows people at a company, and those people.
#[derive(async_graphql::SimpleObject)]
pub struct WarmPath {
    pub ally: Ally,
    /// The ally's contacts at the company (at most 50).
    pub contacts: Vec<Contact>,
}

/// A calendar date, `YYYY-MM-DD`.
#[derive(Debug, Clone, Copy)]
pub struct Date(pub NaiveDate);

#[Scalar(name = "Date")]
impl ScalarType for Date {
    fn parse(value: Value) -> InputValueResult<Self> {
        match &value {
            Value::String(text) => NaiveDate::parse_from_str(text, "%Y-%m-%d")
                .map(Date)
                .map_err(|_| InputValueError::custom("a date like 2024-03-05")),
            _ => Err(InputValueError::expected_type(value)),
        }
    }

    fn to_value(&self) -> Value {
        Value::String(self.0.format("%Y-%m-%d").to_string())
    }
}

/// A page of contacts in a scope, for the list fields that show them.
pub async fn contact_connection(
    ctx: &Context<'_>,
    scope: ContactScope,
    filter: ContactFilter,
    first: Option<i32>,
    after: Option<String>,
    last: Option<i32>,
    before: Option<String>,
) -> async_graphql::Result<ListConnection<Contact>> {
    let page = page_request(first, after, last, before)?;
    let state = ctx.state().clone();
    let items = contacts::list(&state, scope, &filter, &page).await?;
    Ok(connection(
        items,
        |c| c.id,
        Contact,
        move || {
            let (state, filter) = (state.clone(), filter.clone());
            Box::pin(async move { contacts::count(&state, scope, &filter).await })
        },
    ))
}

use std::collections::HashSet;

use async_graphql::{Context, ID, Object};
use chrono::{DateTime, Utc};
use entities::ally_intro_ask;

use super::{Account, Ally, AllyIntroAskStatus, Company, Contact, Talent};
use crate::{
    graphql::{
        context::ContextExt,
        ids::{GlobalId, NodeKind},
    },
    services::contacts::asks,
};

/// A network admin's ask to an ally to introduce one of their contacts, and the answer.
/// Seen by the ally asked, and by the network's admins while the contact is shared.
pub struct AllyIntroAsk(pub ally_intro_ask::Model);

impl AllyIntroAsk {
    /// Whether the caller may see `ask` (loads what the rule needs, batched).
    pub async fn visible(
        ctx: &Context<'_>,
        ask: &ally_intro_ask::Model,
    ) -> async_graphql::Result<bool> {
        let loaders = ctx.loaders();
        let ally = loaders.allies.load_one(ask.ally_id).await?;
        let Some(contact) = loaders.contacts.load_one(ask.contact_id).await? else {
            return Ok(false);
        };
        let owner_allies = loaders
            .sharing_allies
            .load_one(contact.owner_account_id)
            .await?
            .unwrap_or_default();
        let memberships = ctx.actor().memberships(&ctx.state().db).await?;
        let admin: HashSet<_> = memberships.admin_networks().collect();
        Ok(asks::may_see(
            ctx.actor().account_id(),
            &|network| admin.contains(&network),
            ask,
            ally.as_ref(),
            &owner_allies,
        ))
    }
}

#[Object]
impl AllyIntroAsk {
    pub async fn id(&self) -> ID {
        GlobalId::encode(NodeKind::AllyIntroAsk, self.0.id)
    }

    async fn status(&self) -> AllyIntroAskStatus {
        self.0.status.into()
    }

    async fn message(&self) -> &str {
        &self.0.message
    }

    /// The ally's note with their answer.
    async fn note(&self) -> Option<&str> {
        self.0.note.as_deref()
    }

    async fn contact(&self, ctx: &Context<'_>) -> async_graphql::Result<Contact> {
        let contact = ctx
            .loaders()
            .contacts
            .load_one(self.0.contact_id)
            .await?
            .ok_or_else(|| {
                crate::error::ServiceError::from(anyhow::anyhow!("ask without its contact"))
            })?;
        Ok(Contact(contact))
    }

    async fn ally(&self, ctx: &Context<'_>) -> async_graphql::Result<Ally> {
        let ally = ctx
            .loaders()
            .allies
            .load_one(self.0.ally_id)
            .await?
            .ok_or_else(|| {
                crate::error::ServiceError::from(anyhow::anyhow!("ask without its ally"))
            })?;
        Ok(Ally(ally))
    }

    /// The admin who asked.
    async fn asked_by(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Account>> {
        let Some(id) = self.0.asked_by_account_id else {
            return Ok(None);
        };
        Ok(ctx.loaders().accounts.load_one(id).await?.map(Account))
    }

    /// The talent the introduction is for, if the caller may see them (allies see no
    /// network data: the email they received names them).
    async fn talent(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Talent>> {
        let Some(id) = self.0.talent_id else {
            return Ok(None);
        };
        let Some(talent) = ctx.loaders().talent.load_one(id).await? else {
            return Ok(None);
        };
        let access = ctx
            .actor()
            .access(&ctx.state().db, talent.network_id)
            .await?;
        Ok(access
            .talent_scope()
            .allows(&talent)
            .then_some(Talent(talent)))
    }

    /// The company the introduction is for, if the caller may see it.
    async fn company(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Company>> {
        let Some(id) = self.0.company_id else {
            return Ok(None);
        };
        let Some(company) = ctx.loaders().companies.load_one(id).await? else {
            return Ok(None);
        };
        let access = ctx
            .actor()
            .access(&ctx.state().db, company.network_id)
            .await?;
        Ok(access.sees_companies().then_some(Company(company)))
    }

    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }

    async fn answered_at(&self) -> Option<DateTime<Utc>> {
        self.0.answered_at
    }
}

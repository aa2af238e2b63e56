use async_graphql::{Context, ID, Interface};

use super::{
    Account, Ally, AllyIntroAsk, ApiToken, Company, CompanyAdmin, Contact, IntroList, IntroRequest,
    Job, Network, Talent,
};
use crate::graphql::{
    context::ContextExt,
    ids::{GlobalId, NodeKind},
};

/// Anything with a global id; `node(id:)` fetches it back.
#[derive(Interface)]
#[graphql(field(name = "id", ty = "ID"))]
pub enum Node {
    Account(Account),
    Ally(Ally),
    AllyIntroAsk(AllyIntroAsk),
    ApiToken(ApiToken),
    Company(Company),
    CompanyAdmin(CompanyAdmin),
    Contact(Contact),
    IntroList(IntroList),
    IntroRequest(IntroRequest),
    Job(Job),
    Network(Network),
    Talent(Talent),
}

/// The object behind a global id, if it exists and the caller may see it (SPEC §4.1);
/// otherwise `None`, the same answer as for an id that never existed.
pub async fn resolve_node(ctx: &Context<'_>, id: &ID) -> async_graphql::Result<Option<Node>> {
    let Some(GlobalId { kind, id }) = GlobalId::decode(id) else {
        return Ok(None);
    };
    let (state, actor, loaders) = (ctx.state(), ctx.actor(), ctx.loaders());
    let access = |network_id| actor.access(&state.db, network_id);
    let node = match kind {
        NodeKind::Account => loaders
            .accounts
            .load_one(id)
            .await?
            .filter(|a| actor.account_id() == Some(a.id))
            .map(|a| Node::Account(Account(a))),
        NodeKind::Network => match loaders.networks.load_one(id).await? {
            Some(n) if access(n.id).await?.sees_network() => Some(Node::Network(Network(n))),
            _ => None,
        },
        NodeKind::Company => match loaders.companies.load_one(id).await? {
            Some(c) if access(c.network_id).await?.sees_companies() => {
                Some(Node::Company(Company(c)))
            }
            _ => None,
        },
        NodeKind::CompanyAdmin => match loaders.company_admin_rows.load_one(id).await? {
            Some(a)
                if access(a.network_id)
                    .await?
                    .sees_company_admins(a.company_id) =>
            {
                Some(Node::CompanyAdmin(CompanyAdmin(a)))
            }
            _ => None,
        },
        NodeKind::Talent => match loaders.talent.load_one(id).await? {
            Some(t) if access(t.network_id).await?.talent_scope().allows(&t) => {
                Some(Node::Talent(Talent(t)))
            }
            _ => None,
        },
        NodeKind::Job => match loaders.jobs.load_one(id).await? {
            Some(j)
                if access(j.network_id)
                    .await?
                    .job_scope(j.company_id)
                    .allows(j.status) =>
            {
                Some(Node::Job(Job(j)))
            }
            _ => None,
        },
        NodeKind::Ally => match loaders.allies.load_one(id).await? {
            Some(a)
                if access(a.network_id)
                    .await?
                    .sees_ally(&a, actor.account_id()) =>
            {
                Some(Node::Ally(Ally(a)))
            }
            _ => None,
        },
        NodeKind::IntroRequest => match loaders.intro_requests.load_one(id).await? {
            Some(r)
                if crate::services::introductions::can_see(&access(r.network_id).await?, &r) =>
            {
                Some(Node::IntroRequest(IntroRequest(r)))
            }
            _ => None,
        },
        NodeKind::Contact => match loaders.contacts.load_one(id).await? {
            Some(c) => {
                let owner = c.owner_account_id;
                let allies = loaders
                    .sharing_allies
                    .load_one(owner)
                    .await?
                    .unwrap_or_default();
                let memberships = actor.memberships(&state.db).await?;
                let admin: std::collections::HashSet<_> = memberships.admin_networks().collect();
                crate::services::contacts::visible(
                    actor.account_id(),
                    &|network| admin.contains(&network),
                    owner,
                    &allies,
                )
                .then_some(Node::Contact(Contact(c)))
            }
            None => None,
        },
        NodeKind::AllyIntroAsk => match loaders.ally_intro_asks.load_one(id).await? {
            Some(a) if AllyIntroAsk::visible(ctx, &a).await? => {
                Some(Node::AllyIntroAsk(AllyIntroAsk(a)))
            }
            _ => None,
        },
        NodeKind::IntroList => match loaders.intro_lists.load_one(id).await? {
            Some(l) if access(l.network_id).await?.admin => Some(Node::IntroList(IntroList(l))),
            _ => None,
        },
        NodeKind::ApiToken => match loaders.api_tokens.load_one(id).await? {
            Some(t) if access(t.network_id).await?.sees_team() => Some(Node::ApiToken(ApiToken(t))),
            _ => None,
        },
    };
    Ok(node)
}

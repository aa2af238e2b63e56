//! The professionals of a network.

use entities::{network, talent};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, EntityTrait, IntoActiveModel,
    PaginatorTrait, QueryFilter, QueryOrder, Set,
    sea_query::{Expr, ExprTrait, Func, LikeExpr},
};
use uuid::Uuid;

use crate::{
    domain::{EmailAddress, LinkedInUrl, LongText, Name, matching::search_terms},
    error::{InputErrors, ServiceError, ServiceResult, UserError, is_unique_violation},
    services::{
        access::{Actor, NetworkAccess},
        invitations::{self, NewInvitation, Role},
        pagination::{Order, Page, PageRequest, contains_pattern, fetch_page},
        tx::Tx,
    },
    state::AppState,
};

pub async fn find(state: &AppState, id: Uuid) -> ServiceResult<Option<talent::Model>> {
    Ok(talent::Entity::find_by_id(id).one(state.db.read()).await?)
}

pub struct NewTalent<'a> {
    pub network_id: Uuid,
    pub name: &'a str,
    pub email: &'a str,
    pub verified: bool,
    pub headline: Option<&'a str>,
    pub linkedin_url: Option<&'a str>,
}

/// Adds a professional to the network and invites them to claim their profile.
pub async fn add(
    state: &AppState,
    actor: &Actor,
    input: NewTalent<'_>,
) -> ServiceResult<talent::Model> {
    actor
        .require_network_admin(&state.db, input.network_id)
        .await?;
    let mut errors = InputErrors::default();
    let name = errors.check("name", Name::parse(input.name));
    let email = errors.check("email", EmailAddress::parse(input.email));
    let headline = errors.check("headline", input.headline.map(LongText::parse).transpose());
    let linkedin = errors.check(
        "linkedinUrl",
        LinkedInUrl::parse_optional(input.linkedin_url),
    );
    errors.finish()?;
    let (Some(name), Some(email), Some(headline), Some(linkedin)) =
        (name, email, headline, linkedin)
    else {
        unreachable!()
    };
    let tx = Tx::begin(state).await?;
    let network = network::Entity::find_by_id(input.network_id)
        .one(tx.db())
        .await?
        .ok_or_else(|| ServiceError::not_found("networkId", "network"))?;
    let profile = Profile {
        network_id: network.id,
        account_id: None,
        name: &name,
        email: &email,
        headline,
        linkedin_url: linkedin,
        verified: input.verified,
    };
    let talent = insert(
        tx.db(),
        state,
        profile,
        "this email is already in the network's talent",
    )
    .await?;
    invitations::invite(
        &tx,
        NewInvitation {
            network: &network,
            email: &email,
            name: &name,
            invited_by: actor.account_id(),
            role: Role::Talent {
                talent_id: talent.id,
            },
        },
    )
    .await?;
    tx.commit().await?;
    Ok(talent)
}

/// A talent profile, parsed.
pub struct Profile<'a> {
    pub network_id: Uuid,
    pub account_id: Option<Uuid>,
    pub name: &'a Name,
    pub email: &'a EmailAddress,
    pub headline: Option<LongText>,
    pub linkedin_url: Option<LinkedInUrl>,
    pub verified: bool,
}

/// Adds a profile; `DUPLICATE` (with `duplicate` as message) if the email is already
/// in the network's talent, under a race too.
pub async fn insert(
    db: &impl ConnectionTrait,
    state: &AppState,
    profile: Profile<'_>,
    duplicate: &str,
) -> ServiceResult<talent::Model> {
    let now = state.now();
    let headline = profile
        .headline
        .map(LongText::into_string)
        .filter(|h| !h.is_empty());
    let inserted = talent::ActiveModel {
        id: Set(Uuid::now_v7()),
        network_id: Set(profile.network_id),
        account_id: Set(profile.account_id),
        name: Set(profile.name.as_str().to_owned()),
        email: Set(profile.email.as_str().to_owned()),
        email_key: Set(profile.email.key()),
        search_terms: Set(Some(search_terms([headline.as_deref()]))),
        headline: Set(headline),
        linkedin_url: Set(profile.linkedin_url.map(LinkedInUrl::into_string)),
        verified: Set(profile.verified),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(db)
    .await;
    match inserted {
        Ok(talent) => Ok(talent),
        Err(e) if is_unique_violation(&e) => Err(UserError::duplicate("email", duplicate).into()),
        Err(e) => Err(e.into()),
    }
}

pub async fn set_verified(
    state: &AppState,
    actor: &Actor,
    talent_id: Uuid,
    verified: bool,
) -> ServiceResult<talent::Model> {
    actor.require_account()?;
    let not_found = || ServiceError::not_found("talentId", "talent");
    let talent = find(state, talent_id).await?.ok_or_else(not_found)?;
    let access = actor.access(&state.db, talent.network_id).await?;
    if !access.admin {
        // Whoever can see the profile learns they may not change it; others learn nothing.
        return Err(if access.talent_scope().allows(&talent) {
            ServiceError::Forbidden
        } else {
            not_found()
        });
    }
    let mut model = talent.into_active_model();
    model.verified = Set(verified);
    model.updated_at = Set(state.now());
    Ok(model.update(state.db.write()).await?)
}

/// `updateTalent`: what is given changes (an empty `headline` or `linkedinUrl` clears it).
#[derive(Debug, Default)]
pub struct TalentPatch<'a> {
    pub name: Option<&'a str>,
    pub email: Option<&'a str>,
    pub headline: Option<&'a str>,
    pub linkedin_url: Option<&'a str>,
}

/// Changes a profile: the talent themself or a network admin. A change of name, email or
/// LinkedIn reaches the candidates pushed to Greenhouse (through their durable pushes).
#[tracing::instrument(skip_all)]
pub async fn update(
    state: &AppState,
    actor: &Actor,
    talent_id: Uuid,
    patch: TalentPatch<'_>,
) -> ServiceResult<talent::Model> {
    let account = actor.require_account()?;
    let mut errors = InputErrors::default();
    let name = errors.check("name", patch.name.map(Name::parse).transpose());
    let email = errors.check("email", patch.email.map(EmailAddress::parse).transpose());
    let headline = errors.check("headline", patch.headline.map(LongText::parse).transpose());
    let linkedin = errors.check(
        "linkedinUrl",
        patch
            .linkedin_url
            .map(|url| LinkedInUrl::parse_optional(Some(url)))
            .transpose(),
    );
    errors.finish()?;
    let (Some(name), Some(email), Some(headline), Some(linkedin)) =
        (name, email, headline, linkedin)
    else {
        unreachable!()
    };
    let not_found = || ServiceError::not_found("talentId", "talent");
    let network_id = find(state, talent_id)
        .await?
        .ok_or_else(not_found)?
        .network_id;
    let access = actor.access(&state.db, network_id).await?;
    // Decided from the row as it is inside the transaction, after the network's lock.
    let tx = Tx::begin_in_network(state, network_id).await?;
    let talent = talent::Entity::find_by_id(talent_id)
        .one(tx.db())
        .await?
        .ok_or_else(not_found)?;
    if !access.admin && talent.account_id != Some(account) {
        return Err(if access.talent_scope().allows(&talent) {
            ServiceError::Forbidden
        } else {
            not_found()
        });
    }
    let mut model = talent.clone().into_active_model();
    if let Some(name) = name {
        model.name = Set(name.as_str().to_owned());
    }
    if let Some(email) = email {
        model.email = Set(email.as_str().to_owned());
        model.email_key = Set(email.key());
    }
    if let Some(headline) = headline {
        let headline = Some(headline.into_string()).filter(|h| !h.is_empty());
        model.search_terms = Set(Some(search_terms([headline.as_deref()])));
        model.headline = Set(headline);
    }
    if let Some(linkedin) = linkedin {
        model.linkedin_url = Set(linkedin.map(LinkedInUrl::into_string));
    }
    model.updated_at = Set(tx.now());
    let updated = match model.update(tx.db()).await {
        Ok(updated) => updated,
        Err(e) if is_unique_violation(&e) => {
            return Err(UserError::duplicate(
                "email",
                "this email is already in the network's talent",
            )
            .into());
        }
        Err(e) => return Err(e.into()),
    };
    if (&updated.name, &updated.email, &updated.linkedin_url)
        != (&talent.name, &talent.email, &talent.linkedin_url)
    {
        crate::services::greenhouse::push::talent_changed(&tx, updated.id).await?;
    }
    tx.commit().await?;
    Ok(updated)
}

/// The profiles the actor may list, with the filters; `None` if they may see none.
fn visible_select(
    access: &NetworkAccess,
    verified: Option<bool>,
    search: Option<&str>,
) -> ServiceResult<Option<sea_orm::Select<talent::Entity>>> {
    let Some(scope) = access.talent_scope().condition() else {
        return Ok(None);
    };
    let mut select = talent::Entity::find()
        .filter(talent::Column::NetworkId.eq(access.network_id))
        .filter(scope);
    if let Some(verified) = verified {
        select = select.filter(talent::Column::Verified.eq(verified));
    }
    if let Some(search) = search.filter(|s| !s.trim().is_empty()) {
        let pattern = contains_pattern(search)?;
        let like = |col: talent::Column| {
            Expr::expr(Func::lower(Expr::col(col)))
                .like(LikeExpr::new(pattern.clone()).escape('\\'))
        };
        select = select.filter(
            Condition::any()
                .add(like(talent::Column::Name))
                .add(like(talent::Column::Headline))
                .add(like(talent::Column::EmailKey)),
        );
    }
    Ok(Some(select))
}

pub async fn list(
    state: &AppState,
    access: &NetworkAccess,
    verified: Option<bool>,
    search: Option<&str>,
    page: &PageRequest,
) -> ServiceResult<Page<talent::Model>> {
    let Some(select) = visible_select(access, verified, search)? else {
        return Ok(Page::empty());
    };
    Ok(fetch_page(state.db.read(), select, Order::OldestFirst, page).await?)
}

pub async fn count(
    state: &AppState,
    access: &NetworkAccess,
    verified: Option<bool>,
    search: Option<&str>,
) -> ServiceResult<i64> {
    let Some(select) = visible_select(access, verified, search)? else {
        return Ok(0);
    };
    Ok(select.count(state.db.read()).await? as i64)
}

/// Rows by id, oldest first (the caller has checked it may see them).
pub async fn by_ids(state: &AppState, ids: Vec<Uuid>) -> ServiceResult<Vec<talent::Model>> {
    Ok(talent::Entity::find()
        .filter(talent::Column::Id.is_in(ids))
        .order_by_asc(talent::Column::Id)
        .all(state.db.read())
        .await?)
}

//! Companies of a network and their admins.

use std::collections::HashMap;

use entities::{company, company_admin, enums::CompanyAdminStatus, network};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, EntityTrait, IntoActiveModel, PaginatorTrait, QueryFilter,
    QueryOrder, Set,
    sea_query::{Expr, ExprTrait, Func, LikeExpr},
};
use uuid::Uuid;

use crate::{
    domain::{Domain, EmailAddress, Name, WebUrl},
    error::{InputErrors, ServiceError, ServiceResult, UserError},
    live::{AccessChange, Signal},
    services::{
        access::{Actor, NetworkAccess},
        invitations::{self, NewInvitation, Role},
        pagination::{Order, Page, PageRequest, contains_pattern, fetch_page},
        tx::Tx,
    },
    state::AppState,
};

pub async fn find(state: &AppState, id: Uuid) -> ServiceResult<Option<company::Model>> {
    Ok(company::Entity::find_by_id(id).one(state.db.read()).await?)
}

/// The company and the actor's rights in its network, or `NOT_FOUND` if they cannot see it.
pub async fn visible_with_access(
    state: &AppState,
    actor: &Actor,
    id: Uuid,
    field: &str,
) -> ServiceResult<(company::Model, NetworkAccess)> {
    let not_found = || ServiceError::not_found(field, "company");
    let company = find(state, id).await?.ok_or_else(not_found)?;
    let access = actor.access(&state.db, company.network_id).await?;
    if !access.sees_companies() {
        return Err(not_found());
    }
    Ok((company, access))
}

pub struct NewCompany<'a> {
    pub network_id: Uuid,
    pub name: &'a str,
    pub domain: Option<&'a str>,
    pub website_url: Option<&'a str>,
}

pub async fn create(
    state: &AppState,
    actor: &Actor,
    input: NewCompany<'_>,
) -> ServiceResult<company::Model> {
    actor
        .require_network_admin(&state.db, input.network_id)
        .await?;
    let mut errors = InputErrors::default();
    let name = errors.check("name", Name::parse(input.name));
    let domain = errors.check("domain", Domain::parse_optional(input.domain));
    let website = errors.check("websiteUrl", WebUrl::parse_optional(input.website_url));
    errors.finish()?;
    let (Some(name), Some(domain), Some(website)) = (name, domain, website) else {
        unreachable!()
    };
    let now = state.now();
    Ok(company::ActiveModel {
        id: Set(Uuid::now_v7()),
        network_id: Set(input.network_id),
        name: Set(name.into_string()),
        domain: Set(domain.map(Domain::into_string)),
        website_url: Set(website.map(WebUrl::into_string)),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(state.db.write())
    .await?)
}

/// Invites a person to receive the company's introductions. The same email invited
/// twice is one admin, re-invited (a fresh link; the old one stops working).
pub async fn invite_admin(
    state: &AppState,
    actor: &Actor,
    company_id: Uuid,
    name: &str,
    email: &str,
) -> ServiceResult<company_admin::Model> {
    actor.require_account()?;
    let (company, access) = visible_with_access(state, actor, company_id, "companyId").await?;
    if !access.manages_company(company.id) {
        return Err(ServiceError::Forbidden);
    }
    let mut errors = InputErrors::default();
    let name = errors.check("name", Name::parse(name));
    let email = errors.check("email", EmailAddress::parse(email));
    errors.finish()?;
    let (Some(name), Some(email)) = (name, email) else {
        unreachable!()
    };
    let tx = Tx::begin(state).await?;
    let admin = upsert_invited_admin(tx.db(), state, &company, &name, &email).await?;
    let network = network::Entity::find_by_id(company.network_id)
        .one(tx.db())
        .await?
        .ok_or_else(|| anyhow::anyhow!("company without network"))?;
    invitations::invite(
        &tx,
        NewInvitation {
            network: &network,
            email: &email,
            name: &name,
            invited_by: actor.account_id(),
            role: Role::CompanyAdmin {
                admin_id: admin.id,
                company: &company.name,
                pending: None,
            },
        },
    )
    .await?;
    tx.commit().await?;
    Ok(admin)
}

/// Removes a company admin (network admins, or a fellow admin of the company): they stop
/// receiving the company's requests, and their live subscriptions to it end. Invitations
/// still open for them stop working.
pub async fn remove_admin(
    state: &AppState,
    actor: &Actor,
    company_admin_id: Uuid,
) -> ServiceResult<company_admin::Model> {
    actor.require_account()?;
    let not_found = || ServiceError::not_found("companyAdminId", "company admin");
    let admin = company_admin::Entity::find_by_id(company_admin_id)
        .one(state.db.read())
        .await?
        .ok_or_else(not_found)?;
    let (company, access) =
        visible_with_access(state, actor, admin.company_id, "companyAdminId").await?;
    if !access.manages_company(company.id) {
        return Err(ServiceError::Forbidden);
    }
    // Who receives the company's requests changes: under the network's lock, like
    // routing, and decided from the row as it is now.
    let tx = Tx::begin_in_network(state, company.network_id).await?;
    let admin = company_admin::Entity::find_by_id(admin.id)
        .one(tx.db())
        .await?
        .ok_or_else(not_found)?;
    if admin.status == CompanyAdminStatus::Removed {
        return Err(UserError::new(
            crate::error::UserErrorCode::InvalidState,
            "this company admin was already removed",
        )
        .on("companyAdminId")
        .into());
    }
    let now = state.now();
    let mut removed = admin.into_active_model();
    removed.status = Set(CompanyAdminStatus::Removed);
    removed.removed_at = Set(Some(now));
    let removed = removed.update(tx.db()).await?;
    invitations::revoke_for_company_admin(tx.db(), removed.id, now).await?;
    if let Some(account_id) = removed.account_id {
        tx.signal(Signal::Access(AccessChange::Account(account_id)))
            .await?;
    }
    tx.commit().await?;
    Ok(removed)
}

/// The company admin row for this email: created `INVITED`, or an existing one re-invited.
pub async fn upsert_invited_admin(
    db: &impl sea_orm::ConnectionTrait,
    state: &AppState,
    company: &company::Model,
    name: &Name,
    email: &EmailAddress,
) -> ServiceResult<company_admin::Model> {
    let now = state.now();
    let existing = company_admin::Entity::find()
        .filter(company_admin::Column::CompanyId.eq(company.id))
        .filter(company_admin::Column::EmailKey.eq(email.key()))
        .one(db)
        .await?;
    Ok(match existing {
        Some(admin) if admin.status == CompanyAdminStatus::Active => {
            return Err(UserError::duplicate(
                "email",
                "this person is already an active admin of the company",
            )
            .into());
        }
        Some(admin) => {
            let mut model = admin.into_active_model();
            model.name = Set(name.as_str().to_owned());
            model.status = Set(CompanyAdminStatus::Invited);
            model.invited_at = Set(now);
            model.removed_at = Set(None);
            model.update(db).await?
        }
        None => {
            company_admin::ActiveModel {
                id: Set(Uuid::now_v7()),
                network_id: Set(company.network_id),
                company_id: Set(company.id),
                name: Set(name.as_str().to_owned()),
                email: Set(email.as_str().to_owned()),
                email_key: Set(email.key()),
                status: Set(CompanyAdminStatus::Invited),
                account_id: Set(None),
                invited_at: Set(now),
                accepted_at: Set(None),
                removed_at: Set(None),
            }
            .insert(db)
            .await?
        }
    })
}

/// The companies the actor may list, matching `search`; `None` if they may see none.
fn visible_select(
    access: &NetworkAccess,
    search: Option<&str>,
) -> ServiceResult<Option<sea_orm::Select<company::Entity>>> {
    if !access.sees_companies() {
        return Ok(None);
    }
    let mut select =
        company::Entity::find().filter(company::Column::NetworkId.eq(access.network_id));
    if let Some(search) = search.filter(|s| !s.trim().is_empty()) {
        select = select.filter(
            Expr::expr(Func::lower(Expr::col(company::Column::Name)))
                .like(LikeExpr::new(contains_pattern(search)?).escape('\\')),
        );
    }
    Ok(Some(select))
}

pub async fn list(
    state: &AppState,
    access: &NetworkAccess,
    search: Option<&str>,
    page: &PageRequest,
) -> ServiceResult<Page<company::Model>> {
    let Some(select) = visible_select(access, search)? else {
        return Ok(Page::empty());
    };
    Ok(fetch_page(state.db.read(), select, Order::OldestFirst, page).await?)
}

pub async fn count(
    state: &AppState,
    access: &NetworkAccess,
    search: Option<&str>,
) -> ServiceResult<i64> {
    let Some(select) = visible_select(access, search)? else {
        return Ok(0);
    };
    Ok(select.count(state.db.read()).await? as i64)
}

/// Whether someone among a company's admins receives its introductions.
pub fn has_active_admin(admins: &[company_admin::Model]) -> bool {
    admins
        .iter()
        .any(|a| a.status == CompanyAdminStatus::Active)
}

/// Admins of many companies at once (for a list of companies), oldest first.
pub async fn admins_of(
    state: &AppState,
    company_ids: &[Uuid],
) -> ServiceResult<HashMap<Uuid, Vec<company_admin::Model>>> {
    let admins = company_admin::Entity::find()
        .filter(company_admin::Column::CompanyId.is_in(company_ids.iter().copied()))
        .filter(company_admin::Column::Status.ne(CompanyAdminStatus::Removed))
        .order_by_asc(company_admin::Column::Id)
        .all(state.db.read())
        .await?;
    let mut grouped: HashMap<Uuid, Vec<company_admin::Model>> = HashMap::new();
    for admin in admins {
        grouped.entry(admin.company_id).or_default().push(admin);
    }
    Ok(grouped)
}

/// Rows by id, oldest first (the caller has checked it may see them).
pub async fn by_ids(state: &AppState, ids: Vec<Uuid>) -> ServiceResult<Vec<company::Model>> {
    Ok(company::Entity::find()
        .filter(company::Column::Id.is_in(ids))
        .order_by_asc(company::Column::Id)
        .all(state.db.read())
        .await?)
}

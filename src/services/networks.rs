//! Networks (the tenants), their settings, their team and their API tokens.

use entities::{account, ally, api_token, enums::AllyStatus, network, network_admin};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect, Set, sea_query::Expr,
};
use uuid::Uuid;

use crate::{
    domain::{EmailAddress, Name, Password, SecretToken, Slug},
    error::{InputErrors, ServiceError, ServiceResult, UserError},
    live::{AccessChange, Signal},
    services::{
        access::Actor,
        accounts::{self, API_TOKEN_PREFIX, NewAccount},
        invitations::{self, NewInvitation, Role},
        pagination::{Order, Page, PageRequest, fetch_page},
        throttle::PasswordAttempt,
        tx::Tx,
    },
    state::AppState,
};

pub async fn find(state: &AppState, id: Uuid) -> ServiceResult<Option<network::Model>> {
    Ok(network::Entity::find_by_id(id).one(state.db.read()).await?)
}

/// The network, if the actor may see it at all.
pub async fn visible(
    state: &AppState,
    actor: &Actor,
    id: Uuid,
) -> ServiceResult<Option<network::Model>> {
    if !actor.access(&state.db, id).await?.sees_network() {
        return Ok(None);
    }
    find(state, id).await
}

/// The network an admin acts on: `NOT_FOUND` for outsiders, `FORBIDDEN` for other members.
async fn administered(state: &AppState, actor: &Actor, id: Uuid) -> ServiceResult<network::Model> {
    actor.require_network_admin(&state.db, id).await?;
    find(state, id)
        .await?
        .ok_or_else(|| ServiceError::not_found("networkId", "network"))
}

async fn unique_slug(db: &impl ConnectionTrait, name: &Name) -> ServiceResult<Slug> {
    let base = Slug::from_name(name);
    let mut candidate = base.clone();
    for n in 2.. {
        if network::Entity::find()
            .filter(network::Column::Slug.eq(candidate.as_str()))
            .one(db)
            .await?
            .is_none()
        {
            break;
        }
        candidate = base.with_suffix(n);
    }
    Ok(candidate)
}

pub struct Bootstrap<'a> {
    pub network_name: &'a str,
    pub admin_email: &'a str,
    pub admin_password: &'a str,
    pub admin_name: Option<&'a str>,
    pub gatekeeper: bool,
}

/// Creates a network and its first admin (creating the account if the email is new; an
/// existing account must be proven by its password, as when joining through an invitation).
pub async fn bootstrap(
    state: &AppState,
    input: Bootstrap<'_>,
) -> ServiceResult<(network::Model, account::Model)> {
    let mut errors = InputErrors::default();
    let network_name = errors.check("networkName", Name::parse(input.network_name));
    let email = errors.check("adminEmail", EmailAddress::parse(input.admin_email));
    let admin_name = errors.check(
        "adminName",
        Name::parse(
            input
                .admin_name
                .unwrap_or_else(|| input.admin_email.split('@').next().unwrap_or("admin")),
        ),
    );
    let password = errors.check(
        "adminPassword",
        Password::parse(
            input.admin_password,
            &[input.admin_email, input.admin_name.unwrap_or_default()],
        ),
    );
    errors.finish()?;
    let (Some(network_name), Some(email), Some(admin_name), Some(password)) =
        (network_name, email, admin_name, password)
    else {
        unreachable!()
    };
    let existing = account::Entity::find()
        .filter(account::Column::EmailKey.eq(email.key()))
        .one(state.db.read())
        .await?;
    let hash = match &existing {
        Some(account) => {
            // A command on the server's own machine: no request, no client address.
            let attempt = PasswordAttempt::new(None);
            attempt.begin(state, &account.email_key).await?;
            accounts::prove_owner(
                state,
                &attempt,
                account,
                input.admin_password,
                "adminPassword",
            )
            .await?;
            None
        }
        None => Some(password.hash().await?),
    };
    let tx = Tx::begin(state).await?;
    let account = match (existing, hash) {
        (Some(account), _) => account,
        (None, Some(hash)) => {
            accounts::insert_account(
                tx.db(),
                state,
                NewAccount {
                    email,
                    name: admin_name,
                    password_hash: hash,
                },
            )
            .await?
        }
        (None, None) => unreachable!(),
    };
    let now = state.now();
    let network = network::ActiveModel {
        id: Set(Uuid::now_v7()),
        slug: Set(unique_slug(tx.db(), &network_name)
            .await?
            .as_str()
            .to_owned()),
        name: Set(network_name.into_string()),
        gatekeeper: Set(input.gatekeeper),
        notify_requester_on_decline: Set(false),
        intro_expiry_days: Set(30),
        reminder_after_days: Set(7),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(tx.db())
    .await?;
    network_admin::ActiveModel {
        id: Set(Uuid::now_v7()),
        network_id: Set(network.id),
        account_id: Set(account.id),
        created_at: Set(now),
    }
    .insert(tx.db())
    .await?;
    tx.commit().await?;
    Ok((network, account))
}

#[derive(Debug, Default)]
pub struct SettingsPatch {
    pub name: Option<String>,
    pub gatekeeper: Option<bool>,
    pub notify_requester_on_decline: Option<bool>,
    pub intro_expiry_days: Option<i32>,
    pub reminder_after_days: Option<i32>,
}

pub async fn update_settings(
    state: &AppState,
    actor: &Actor,
    network_id: Uuid,
    patch: SettingsPatch,
) -> ServiceResult<network::Model> {
    let network = administered(state, actor, network_id).await?;
    let mut errors = InputErrors::default();
    let name = errors.check("name", patch.name.as_deref().map(Name::parse).transpose());
    let expiry = patch.intro_expiry_days.unwrap_or(network.intro_expiry_days);
    let reminder = patch
        .reminder_after_days
        .unwrap_or(network.reminder_after_days);
    if !(1..=365).contains(&expiry) {
        errors.push(UserError::invalid(
            "introExpiryDays",
            "introExpiryDays must be between 1 and 365",
        ));
    }
    if !(1..=365).contains(&reminder) {
        errors.push(UserError::invalid(
            "reminderAfterDays",
            "reminderAfterDays must be between 1 and 365",
        ));
    } else if reminder >= expiry {
        errors.push(UserError::invalid(
            "reminderAfterDays",
            "reminderAfterDays must be less than introExpiryDays",
        ));
    }
    errors.finish()?;
    let mut model = network.into_active_model();
    if let Some(Some(name)) = name {
        model.name = Set(name.into_string());
    }
    if let Some(gatekeeper) = patch.gatekeeper {
        model.gatekeeper = Set(gatekeeper);
    }
    if let Some(notify) = patch.notify_requester_on_decline {
        model.notify_requester_on_decline = Set(notify);
    }
    model.intro_expiry_days = Set(expiry);
    model.reminder_after_days = Set(reminder);
    model.updated_at = Set(state.now());
    Ok(model.update(state.db.write()).await?)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TeamRole {
    NetworkAdmin,
    Ally,
}

/// Invites a network admin or an ally. An ally exists (status `INVITED`) from now on, so
/// admins see whom they invited; a network admin exists once they accept.
pub async fn invite_team_member(
    state: &AppState,
    actor: &Actor,
    network_id: Uuid,
    role: TeamRole,
    name: &str,
    email: &str,
) -> ServiceResult<Option<ally::Model>> {
    let network = administered(state, actor, network_id).await?;
    let mut errors = InputErrors::default();
    let name = errors.check("name", Name::parse(name));
    let email = errors.check("email", EmailAddress::parse(email));
    errors.finish()?;
    let (Some(name), Some(email)) = (name, email) else {
        unreachable!()
    };
    let tx = Tx::begin(state).await?;
    let now = state.now();
    let ally = match role {
        TeamRole::NetworkAdmin => {
            let account = account::Entity::find()
                .filter(account::Column::EmailKey.eq(email.key()))
                .one(tx.db())
                .await?;
            let already = match account {
                Some(account) => network_admin::Entity::find()
                    .filter(network_admin::Column::NetworkId.eq(network.id))
                    .filter(network_admin::Column::AccountId.eq(account.id))
                    .one(tx.db())
                    .await?
                    .is_some(),
                None => false,
            };
            if already {
                return Err(UserError::duplicate(
                    "email",
                    "this person is already a network admin",
                )
                .into());
            }
            None
        }
        TeamRole::Ally => {
            let existing = ally::Entity::find()
                .filter(ally::Column::NetworkId.eq(network.id))
                .filter(ally::Column::EmailKey.eq(email.key()))
                .one(tx.db())
                .await?;
            let ally = match existing {
                Some(ally) if ally.status == AllyStatus::Active => {
                    return Err(
                        UserError::duplicate("email", "this person is already an ally").into(),
                    );
                }
                Some(ally) => {
                    let mut model = ally.into_active_model();
                    model.name = Set(name.as_str().to_owned());
                    model.updated_at = Set(now);
                    model.update(tx.db()).await?
                }
                None => {
                    ally::ActiveModel {
                        id: Set(Uuid::now_v7()),
                        network_id: Set(network.id),
                        account_id: Set(None),
                        name: Set(name.as_str().to_owned()),
                        email: Set(email.as_str().to_owned()),
                        email_key: Set(email.key()),
                        status: Set(AllyStatus::Invited),
                        sharing_contacts: Set(false),
                        help_with_introductions: Set(false),
                        make_introduction_when_asked: Set(false),
                        created_at: Set(now),
                        updated_at: Set(now),
                    }
                    .insert(tx.db())
                    .await?
                }
            };
            Some(ally)
        }
    };
    let role = match &ally {
        Some(ally) => Role::Ally { ally_id: ally.id },
        None => Role::NetworkAdmin,
    };
    invitations::invite(
        &tx,
        NewInvitation {
            network: &network,
            email: &email,
            name: &name,
            invited_by: actor.account_id(),
            role,
        },
    )
    .await?;
    tx.commit().await?;
    Ok(ally)
}

/// A read-only token for a partner tool; the secret is returned once.
pub async fn create_api_token(
    state: &AppState,
    actor: &Actor,
    network_id: Uuid,
    name: &str,
) -> ServiceResult<(api_token::Model, SecretToken)> {
    let account_id = actor.require_account()?;
    let network = administered(state, actor, network_id).await?;
    let mut errors = InputErrors::default();
    let name = errors.check("name", Name::parse(name));
    errors.finish()?;
    let token = SecretToken::generate(API_TOKEN_PREFIX);
    let model = api_token::ActiveModel {
        id: Set(Uuid::now_v7()),
        network_id: Set(network.id),
        name: Set(name.map(Name::into_string).unwrap_or_default()),
        token_hash: Set(token.hash().0),
        created_by_account_id: Set(account_id),
        created_at: Set(state.now()),
        revoked_at: Set(None),
    }
    .insert(state.db.write())
    .await?;
    Ok((model, token))
}

/// Revokes a partner tool's token: its requests fail from now on, and its open WebSockets
/// close.
pub async fn revoke_api_token(
    state: &AppState,
    actor: &Actor,
    token_id: Uuid,
) -> ServiceResult<api_token::Model> {
    let not_found = || ServiceError::not_found("apiTokenId", "API token");
    let token = api_token::Entity::find_by_id(token_id)
        .one(state.db.read())
        .await?
        .ok_or_else(not_found)?;
    if !actor.access(&state.db, token.network_id).await?.admin {
        return Err(not_found());
    }
    actor.require_account()?;
    let tx = Tx::begin(state).await?;
    api_token::Entity::update_many()
        .col_expr(api_token::Column::RevokedAt, Expr::value(state.now()))
        .filter(api_token::Column::Id.eq(token.id))
        .filter(api_token::Column::RevokedAt.is_null())
        .exec(tx.db())
        .await?;
    tx.signal(Signal::Access(AccessChange::ApiToken(token.id)))
        .await?;
    tx.commit().await?;
    api_token::Entity::find_by_id(token.id)
        .one(state.db.read())
        .await?
        .ok_or_else(not_found)
}

/// The network's admins (accounts), for network admins only.
pub async fn admins(
    state: &AppState,
    actor: &Actor,
    network_id: Uuid,
) -> ServiceResult<Vec<account::Model>> {
    if !actor.access(&state.db, network_id).await?.sees_team() {
        return Ok(Vec::new());
    }
    let account_ids: Vec<Uuid> = network_admin::Entity::find()
        .select_only()
        .column(network_admin::Column::AccountId)
        .filter(network_admin::Column::NetworkId.eq(network_id))
        .into_tuple()
        .all(state.db.read())
        .await?;
    Ok(account::Entity::find()
        .filter(account::Column::Id.is_in(account_ids))
        .order_by_asc(account::Column::Id)
        .all(state.db.read())
        .await?)
}

pub async fn allies(
    state: &AppState,
    actor: &Actor,
    network_id: Uuid,
    page: &PageRequest,
) -> ServiceResult<Page<ally::Model>> {
    if !actor.access(&state.db, network_id).await?.sees_team() {
        return Ok(Page::empty());
    }
    let select = ally::Entity::find().filter(ally::Column::NetworkId.eq(network_id));
    Ok(fetch_page(state.db.read(), select, Order::OldestFirst, page).await?)
}

pub async fn count_allies(state: &AppState, actor: &Actor, network_id: Uuid) -> ServiceResult<i64> {
    if !actor.access(&state.db, network_id).await?.sees_team() {
        return Ok(0);
    }
    Ok(ally::Entity::find()
        .filter(ally::Column::NetworkId.eq(network_id))
        .count(state.db.read())
        .await? as i64)
}

pub async fn api_tokens(
    state: &AppState,
    actor: &Actor,
    network_id: Uuid,
) -> ServiceResult<Vec<api_token::Model>> {
    if !actor.access(&state.db, network_id).await?.sees_team() {
        return Ok(Vec::new());
    }
    Ok(api_token::Entity::find()
        .filter(api_token::Column::NetworkId.eq(network_id))
        .filter(api_token::Column::RevokedAt.is_null())
        .order_by_asc(api_token::Column::Id)
        .all(state.db.read())
        .await?)
}

/// Networks by id, for the viewer's memberships.
pub async fn by_ids(state: &AppState, ids: Vec<Uuid>) -> ServiceResult<Vec<network::Model>> {
    Ok(network::Entity::find()
        .filter(network::Column::Id.is_in(ids))
        .order_by_asc(network::Column::Id)
        .all(state.db.read())
        .await?)
}

//! Invitations: single-use, expiring links that let a person join a network in a role.
//!
//! The token is sent by email and stored only as a hash. Redemption is one conditional
//! update (`used_at IS NULL AND not expired`): of any number of concurrent redemptions
//! exactly one wins. Unknown, used, revoked and expired tokens get the same error.

use chrono::Duration;
use entities::{
    account, ally, company_admin,
    enums::{AllyStatus, CompanyAdminStatus, InvitationKind},
    invitation, network, network_admin, talent,
};
use lettre::message::Mailbox;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set, sea_query::Expr,
};
use uuid::Uuid;

use crate::{
    domain::{EmailAddress, Name, Password, SecretToken, TokenHash},
    error::{InputErrors, ServiceError, ServiceResult, UserError, UserErrorCode},
    mail::templates,
    services::{
        accounts::{self, NewAccount, SignedIn},
        throttle::{self, EmailPurpose, PasswordAttempt},
        tx::Tx,
    },
    state::AppState,
};

pub const INVITATION_PREFIX: &str = "igi_";
pub const LIFETIME: Duration = Duration::days(7);

/// Who is invited, by whom, and into what.
pub struct NewInvitation<'a> {
    pub network: &'a network::Model,
    pub email: &'a EmailAddress,
    pub name: &'a Name,
    pub invited_by: Option<Uuid>,
    pub role: Role<'a>,
}

/// The role an invitation gives, with the row that waits for the invitee.
pub enum Role<'a> {
    NetworkAdmin,
    Ally {
        ally_id: Uuid,
    },
    Talent {
        talent_id: Uuid,
    },
    CompanyAdmin {
        admin_id: Uuid,
        company: &'a str,
        /// For a point of contact: the request waiting for them, and a line about it.
        pending: Option<(Uuid, String)>,
    },
}

impl Role<'_> {
    fn kind(&self) -> InvitationKind {
        match self {
            Self::NetworkAdmin => InvitationKind::NetworkAdmin,
            Self::Ally { .. } => InvitationKind::Ally,
            Self::Talent { .. } => InvitationKind::Talent,
            Self::CompanyAdmin { .. } => InvitationKind::CompanyAdmin,
        }
    }
}

/// Open invitations of a removed company admin stop working.
pub async fn revoke_for_company_admin(
    db: &impl ConnectionTrait,
    company_admin_id: Uuid,
    now: chrono::DateTime<chrono::Utc>,
) -> ServiceResult<()> {
    invitation::Entity::update_many()
        .col_expr(invitation::Column::RevokedAt, Expr::value(now))
        .filter(invitation::Column::CompanyAdminId.eq(company_admin_id))
        .filter(invitation::Column::UsedAt.is_null())
        .filter(invitation::Column::RevokedAt.is_null())
        .exec(db)
        .await?;
    Ok(())
}

/// Records an invitation and queues its email, in the caller's transaction. Earlier
/// unused invitations for the same person and role stop working: only the newest link does.
pub async fn invite(tx: &Tx, new: NewInvitation<'_>) -> ServiceResult<invitation::Model> {
    let (db, state, now) = (tx.db(), tx.state(), tx.now());
    let kind = new.role.kind();
    let (mut company_admin_id, mut ally_id, mut talent_id, mut pending) = (None, None, None, None);
    let role = match &new.role {
        Role::NetworkAdmin => templates::InvitedAs::NetworkAdmin,
        Role::Ally { ally_id: id } => {
            ally_id = Some(*id);
            templates::InvitedAs::Ally
        }
        Role::Talent { talent_id: id } => {
            talent_id = Some(*id);
            templates::InvitedAs::Talent
        }
        Role::CompanyAdmin {
            admin_id,
            company,
            pending: waiting,
        } => {
            company_admin_id = Some(*admin_id);
            pending = waiting.as_ref();
            templates::InvitedAs::CompanyAdmin { company }
        }
    };
    // Before anything is written: a refused invitation leaves the earlier one working.
    throttle::count_email(db, state, EmailPurpose::Invitation, &new.email.key()).await?;
    let mut earlier = invitation::Entity::update_many()
        .col_expr(invitation::Column::RevokedAt, Expr::value(now))
        .filter(invitation::Column::NetworkId.eq(new.network.id))
        .filter(invitation::Column::Kind.eq(kind))
        .filter(invitation::Column::EmailKey.eq(new.email.key()))
        .filter(invitation::Column::UsedAt.is_null())
        .filter(invitation::Column::RevokedAt.is_null());
    if let Some(company_admin_id) = company_admin_id {
        earlier = earlier.filter(invitation::Column::CompanyAdminId.eq(company_admin_id));
    }
    earlier.exec(db).await?;

    let token = SecretToken::generate(INVITATION_PREFIX);
    let model = invitation::ActiveModel {
        id: Set(Uuid::now_v7()),
        network_id: Set(new.network.id),
        kind: Set(kind),
        email: Set(new.email.as_str().to_owned()),
        email_key: Set(new.email.key()),
        name: Set(new.name.as_str().to_owned()),
        token_hash: Set(token.hash().0),
        company_admin_id: Set(company_admin_id),
        ally_id: Set(ally_id),
        talent_id: Set(talent_id),
        intro_request_id: Set(pending.map(|(request, _)| *request)),
        invited_by_account_id: Set(new.invited_by),
        created_at: Set(now),
        expires_at: Set(now + LIFETIME),
        used_at: Set(None),
        revoked_at: Set(None),
    }
    .insert(db)
    .await?;

    let inviter = match new.invited_by {
        Some(id) => account::Entity::find_by_id(id)
            .one(db)
            .await?
            .map(|a| a.name),
        None => None,
    };
    // The token is put in place when the email is sent: never stored in clear.
    let link = state
        .app_url
        .link(&format!("invitations/{}", crate::mail::SECRET_MARK));
    let email = templates::invitation(templates::Invitation {
        network_id: new.network.id,
        network: &new.network.name,
        to: Mailbox::new(
            Some(new.name.as_str().to_owned()),
            new.email.address().clone(),
        ),
        invitee_name: new.name.as_str(),
        inviter_name: inviter.as_deref(),
        role,
        link: &link,
        expires_in_days: LIFETIME.num_days(),
        pending_request: pending.map(|(_, line)| line.as_str()),
    });
    tx.queue_email_with_secret(email, token.as_str()).await?;
    Ok(model)
}

pub struct AcceptInvitation<'a> {
    pub token: &'a str,
    pub name: Option<&'a str>,
    pub password: &'a str,
    pub accept_terms: bool,
}

/// Redeems an invitation: creates the account if the email is new (or checks the existing
/// account's password), gives the role, and signs the person in.
#[tracing::instrument(skip_all)]
pub async fn accept(
    state: &AppState,
    attempt: &PasswordAttempt,
    input: AcceptInvitation<'_>,
) -> ServiceResult<SignedIn> {
    if !input.accept_terms {
        return Err(
            UserError::new(UserErrorCode::TermsNotAccepted, "accept the terms to join")
                .on("acceptTerms")
                .into(),
        );
    }
    let invalid_token = || {
        ServiceError::from(
            UserError::new(
                UserErrorCode::InvalidToken,
                "this invitation link is invalid, used or expired",
            )
            .on("token"),
        )
    };
    let now = state.now();
    let hash = TokenHash::of(input.token.trim());
    let invitation = invitation::Entity::find()
        .filter(invitation::Column::TokenHash.eq(hash.0))
        .filter(invitation::Column::UsedAt.is_null())
        .filter(invitation::Column::RevokedAt.is_null())
        .filter(invitation::Column::ExpiresAt.gt(now))
        .one(state.db.read())
        .await?
        .ok_or_else(invalid_token)?;

    attempt.begin(state, &invitation.email_key).await?;
    // The slow password work happens before the transaction, which stays short.
    let existing = account::Entity::find()
        .filter(account::Column::EmailKey.eq(&invitation.email_key))
        .one(state.db.read())
        .await?;
    let new_account = match &existing {
        Some(account) => {
            accounts::prove_owner(state, attempt, account, input.password, "password").await?;
            None
        }
        None => {
            let mut errors = InputErrors::default();
            let name = errors.check("name", Name::parse(input.name.unwrap_or(&invitation.name)));
            let password = errors.check(
                "password",
                Password::parse(
                    input.password,
                    &[&invitation.email, input.name.unwrap_or(&invitation.name)],
                ),
            );
            errors.finish()?;
            let (Some(name), Some(password)) = (name, password) else {
                unreachable!("finish() returned early")
            };
            let email = EmailAddress::parse(&invitation.email)
                .map_err(|e| anyhow::anyhow!("stored invitation email: {e}"))?;
            let hash = password.hash().await?;
            Some(NewAccount {
                email,
                name,
                password_hash: hash,
            })
        }
    };

    // A company admin joining delivers the company's waiting requests: under the
    // network's lock, like routing.
    let tx = Tx::begin_in_network(state, invitation.network_id).await?;
    let won = invitation::Entity::update_many()
        .col_expr(invitation::Column::UsedAt, Expr::value(now))
        .filter(invitation::Column::Id.eq(invitation.id))
        .filter(invitation::Column::UsedAt.is_null())
        .filter(invitation::Column::RevokedAt.is_null())
        .filter(invitation::Column::ExpiresAt.gt(now))
        .exec(tx.db())
        .await?
        .rows_affected
        == 1;
    if !won {
        return Err(invalid_token());
    }
    let account = match (existing, new_account) {
        (Some(account), _) => account,
        (None, Some(new)) => accounts::insert_account(tx.db(), state, new).await?,
        (None, None) => unreachable!("a new account is prepared when none exists"),
    };
    grant_role(&tx, &invitation, &account).await?;
    let session = accounts::create_session(tx.db(), state, account.id).await?;
    tx.commit().await?;
    Ok(session)
}

async fn grant_role(
    tx: &Tx,
    invitation: &invitation::Model,
    account: &account::Model,
) -> ServiceResult<()> {
    let (db, now) = (tx.db(), tx.now());
    let missing = |what: &str| anyhow::anyhow!("invitation {} has no {what}", invitation.id);
    match invitation.kind {
        InvitationKind::NetworkAdmin => {
            let already = network_admin::Entity::find()
                .filter(network_admin::Column::NetworkId.eq(invitation.network_id))
                .filter(network_admin::Column::AccountId.eq(account.id))
                .one(db)
                .await?;
            if already.is_none() {
                network_admin::ActiveModel {
                    id: Set(Uuid::now_v7()),
                    network_id: Set(invitation.network_id),
                    account_id: Set(account.id),
                    created_at: Set(now),
                }
                .insert(db)
                .await?;
            }
        }
        InvitationKind::CompanyAdmin => {
            let id = invitation
                .company_admin_id
                .ok_or_else(|| missing("company admin"))?;
            company_admin::Entity::update_many()
                .col_expr(
                    company_admin::Column::Status,
                    Expr::value(CompanyAdminStatus::Active),
                )
                .col_expr(company_admin::Column::AccountId, Expr::value(account.id))
                .col_expr(company_admin::Column::AcceptedAt, Expr::value(now))
                .col_expr(
                    company_admin::Column::RemovedAt,
                    Expr::value(Option::<chrono::DateTime<chrono::Utc>>::None),
                )
                .filter(company_admin::Column::Id.eq(id))
                .exec(db)
                .await?;
            let admin = company_admin::Entity::find_by_id(id)
                .one(db)
                .await?
                .ok_or_else(|| missing("company admin row"))?;
            crate::services::introductions::deliver_awaiting(tx, admin.company_id, account.id)
                .await?;
        }
        InvitationKind::Ally => {
            let id = invitation.ally_id.ok_or_else(|| missing("ally"))?;
            ally::Entity::update_many()
                .col_expr(ally::Column::Status, Expr::value(AllyStatus::Active))
                .col_expr(ally::Column::AccountId, Expr::value(account.id))
                .col_expr(ally::Column::UpdatedAt, Expr::value(now))
                .filter(ally::Column::Id.eq(id))
                .exec(db)
                .await?;
        }
        InvitationKind::Talent => {
            let id = invitation.talent_id.ok_or_else(|| missing("talent"))?;
            talent::Entity::update_many()
                .col_expr(talent::Column::AccountId, Expr::value(account.id))
                .col_expr(talent::Column::UpdatedAt, Expr::value(now))
                .filter(talent::Column::Id.eq(id))
                .exec(db)
                .await?;
        }
    }
    Ok(())
}

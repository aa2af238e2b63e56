//! Asking an ally for an introduction (`askAllyForIntro`) and the ally's answer
//! (`answerAllyIntroAsk`). The ask goes to the ally who shares the contact with the
//! network, by email through the outbox; the answer goes back to the admin who asked.
//! One open ask per contact and subject (a talent, a company, or none): the database's
//! partial unique index decides, so concurrent asks cannot both be open.

use std::collections::HashMap;

use entities::{
    account, ally, ally_intro_ask, company, contact, enums::AllyIntroAskStatus, network, talent,
};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, Set, sea_query::Expr,
};
use uuid::Uuid;

use super::sharing_allies;
use crate::{
    domain::{EmailAddress, GlobalId, LongText, NodeKind},
    error::{ServiceError, ServiceResult, UserError, UserErrorCode, is_unique_violation},
    mail::templates,
    services::{
        access::Actor,
        pagination::{Order, Page, PageRequest, fetch_page},
        tx::Tx,
    },
    state::AppState,
};

pub struct AskAllyForIntro<'a> {
    pub contact_id: Uuid,
    /// Needed only when the contact is shared with several networks the caller administers
    /// and no talent or company says which.
    pub network_id: Option<Uuid>,
    pub message: &'a str,
    pub talent_id: Option<Uuid>,
    pub company_id: Option<Uuid>,
}

/// Whom an introduction is for.
enum Subject {
    Talent(talent::Model),
    Company(company::Model),
    Nobody,
}

impl Subject {
    fn key(&self) -> String {
        match self {
            Self::Talent(t) => format!("talent:{}", t.id),
            Self::Company(c) => format!("company:{}", c.id),
            Self::Nobody => "none".into(),
        }
    }

    fn name(&self) -> Option<&str> {
        match self {
            Self::Talent(t) => Some(&t.name),
            Self::Company(c) => Some(&c.name),
            Self::Nobody => None,
        }
    }
}

#[tracing::instrument(skip_all)]
pub async fn ask_ally_for_intro(
    state: &AppState,
    actor: &Actor,
    input: AskAllyForIntro<'_>,
) -> ServiceResult<ally_intro_ask::Model> {
    let account_id = actor.require_account()?;
    let no_contact = || ServiceError::not_found("contactId", "contact");
    if input.talent_id.is_some() && input.company_id.is_some() {
        return Err(UserError::invalid("talentId", "give a talent or a company, not both").into());
    }
    let message = LongText::parse(input.message)
        .map_err(|m| UserError::invalid("message", m))?
        .into_string();
    if message.trim().is_empty() {
        return Err(UserError::invalid("message", "say what you ask of the ally").into());
    }
    // Decided from the rows as this transaction sees them: an ally who stops sharing
    // meanwhile is not asked about a contact the network no longer sees.
    let tx = Tx::begin(state).await?;
    let db = tx.db();
    let contact = contact::Entity::find_by_id(input.contact_id)
        .one(db)
        .await?
        .ok_or_else(no_contact)?;
    let subject = match (input.talent_id, input.company_id) {
        (Some(id), _) => Subject::Talent(
            talent::Entity::find_by_id(id)
                .one(db)
                .await?
                .ok_or_else(|| ServiceError::not_found("talentId", "talent"))?,
        ),
        (_, Some(id)) => Subject::Company(
            company::Entity::find_by_id(id)
                .one(db)
                .await?
                .ok_or_else(|| ServiceError::not_found("companyId", "company"))?,
        ),
        _ => Subject::Nobody,
    };
    // The networks where the caller is admin and the contact's owner shares.
    let memberships = actor.memberships(&state.db).await?;
    let sharing: Vec<ally::Model> = ally::Entity::find()
        .filter(ally::Column::AccountId.eq(contact.owner_account_id))
        .filter(sharing_allies())
        .all(db)
        .await?
        .into_iter()
        .filter(|a| memberships.admin_networks().any(|n| n == a.network_id))
        .collect();
    let wanted_network = match &subject {
        Subject::Talent(t) => Some(t.network_id),
        Subject::Company(c) => Some(c.network_id),
        Subject::Nobody => input.network_id,
    };
    let ally = match wanted_network {
        Some(network_id) => sharing.into_iter().find(|a| a.network_id == network_id),
        None if sharing.len() > 1 => {
            return Err(UserError::invalid(
                "networkId",
                "this contact is shared with several of your networks: say which",
            )
            .into());
        }
        None => sharing.into_iter().next(),
    };
    // A talent or company the caller does not administer answers like a contact they
    // cannot see: the same not found.
    let ally = ally.ok_or_else(|| match &subject {
        Subject::Talent(_)
            if !memberships
                .admin_networks()
                .any(|n| Some(n) == wanted_network) =>
        {
            ServiceError::not_found("talentId", "talent")
        }
        Subject::Company(_)
            if !memberships
                .admin_networks()
                .any(|n| Some(n) == wanted_network) =>
        {
            ServiceError::not_found("companyId", "company")
        }
        _ => no_contact(),
    })?;
    let network = network::Entity::find_by_id(ally.network_id)
        .one(db)
        .await?
        .ok_or_else(|| anyhow::anyhow!("ally {} has no network", ally.id))?;
    let asker = account::Entity::find_by_id(account_id).one(db).await?;
    let now = tx.now();
    let inserted = ally_intro_ask::ActiveModel {
        id: Set(Uuid::now_v7()),
        network_id: Set(network.id),
        contact_id: Set(contact.id),
        ally_id: Set(ally.id),
        asked_by_account_id: Set(Some(account_id)),
        talent_id: Set(match &subject {
            Subject::Talent(t) => Some(t.id),
            _ => None,
        }),
        company_id: Set(match &subject {
            Subject::Company(c) => Some(c.id),
            _ => None,
        }),
        subject_key: Set(subject.key()),
        message: Set(message),
        status: Set(AllyIntroAskStatus::Asked),
        note: Set(None),
        created_at: Set(now),
        answered_at: Set(None),
    }
    .insert(tx.db())
    .await;
    let ask = match inserted {
        Ok(ask) => ask,
        Err(e) if is_unique_violation(&e) => {
            return Err(UserError::duplicate(
                "contactId",
                "this contact already has an open ask for the same introduction",
            )
            .into());
        }
        Err(e) => return Err(e.into()),
    };
    let link = ask_link(state, ask.id);
    let contact_line = contact_line(&contact);
    let email = templates::ally_intro_ask(
        &templates::AllyAsk {
            network_id: network.id,
            network: &network.name,
            ally_name: &ally.name,
            asker_name: asker.as_ref().map(|a| a.name.as_str()),
            contact: &contact_line,
            for_whom: subject.name(),
            message: &ask.message,
            link: &link,
        },
        EmailAddress::stored(&ally.email)?.mailbox(&ally.name),
    );
    tx.queue_email(email).await?;
    tx.commit().await?;
    Ok(ask)
}

/// The ally answers (only they may): accepted or declined, with a note; the admin who
/// asked is emailed. An ask is answered once (`INVALID_STATE` after).
#[tracing::instrument(skip_all)]
pub async fn answer_ally_intro_ask(
    state: &AppState,
    actor: &Actor,
    ask_id: Uuid,
    accept: bool,
    note: Option<&str>,
) -> ServiceResult<ally_intro_ask::Model> {
    let account_id = actor.require_account()?;
    let not_found = || ServiceError::not_found("askId", "ask");
    let db = state.db.read();
    let ask = ally_intro_ask::Entity::find_by_id(ask_id)
        .one(db)
        .await?
        .ok_or_else(not_found)?;
    let ally = ally::Entity::find_by_id(ask.ally_id)
        .one(db)
        .await?
        .ok_or_else(not_found)?;
    if ally.account_id != Some(account_id) {
        let access = actor.access(&state.db, ask.network_id).await?;
        return Err(if access.admin {
            ServiceError::Forbidden
        } else {
            not_found()
        });
    }
    let note = note
        .map(LongText::parse)
        .transpose()
        .map_err(|m| UserError::invalid("note", m))?
        .map(LongText::into_string)
        .filter(|n| !n.trim().is_empty());

    let tx = Tx::begin(state).await?;
    let now = tx.now();
    let status = if accept {
        AllyIntroAskStatus::Accepted
    } else {
        AllyIntroAskStatus::Declined
    };
    let answered = ally_intro_ask::Entity::update_many()
        .col_expr(ally_intro_ask::Column::Status, Expr::value(status))
        .col_expr(ally_intro_ask::Column::Note, Expr::value(note.clone()))
        .col_expr(ally_intro_ask::Column::AnsweredAt, Expr::value(now))
        .filter(ally_intro_ask::Column::Id.eq(ask.id))
        .filter(ally_intro_ask::Column::Status.eq(AllyIntroAskStatus::Asked))
        .exec(tx.db())
        .await?
        .rows_affected
        == 1;
    if !answered {
        return Err(
            UserError::new(UserErrorCode::InvalidState, "this ask was already answered")
                .on("askId")
                .into(),
        );
    }
    let ask = ally_intro_ask::Entity::find_by_id(ask.id)
        .one(tx.db())
        .await?
        .ok_or_else(|| anyhow::anyhow!("ask vanished in its transaction"))?;
    let asker = match ask.asked_by_account_id {
        Some(id) => account::Entity::find_by_id(id).one(tx.db()).await?,
        None => None,
    };
    if let Some(asker) = asker {
        let contact = contact::Entity::find_by_id(ask.contact_id)
            .one(tx.db())
            .await?
            .ok_or_else(|| anyhow::anyhow!("ask {} has no contact", ask.id))?;
        let network = network::Entity::find_by_id(ask.network_id)
            .one(tx.db())
            .await?
            .ok_or_else(|| anyhow::anyhow!("ask {} has no network", ask.id))?;
        let for_whom = match (ask.talent_id, ask.company_id) {
            (Some(id), _) => talent::Entity::find_by_id(id)
                .one(tx.db())
                .await?
                .map(|t| t.name),
            (_, Some(id)) => company::Entity::find_by_id(id)
                .one(tx.db())
                .await?
                .map(|c| c.name),
            _ => None,
        };
        let link = ask_link(state, ask.id);
        let contact_line = contact_line(&contact);
        let email = templates::ally_intro_answered(
            &templates::AllyAsk {
                network_id: network.id,
                network: &network.name,
                ally_name: &ally.name,
                asker_name: Some(&asker.name),
                contact: &contact_line,
                for_whom: for_whom.as_deref(),
                message: &ask.message,
                link: &link,
            },
            accept,
            ask.note.as_deref(),
            EmailAddress::stored(&asker.email)?.mailbox(&asker.name),
        );
        tx.queue_email(email).await?;
    }
    tx.commit().await?;
    Ok(ask)
}

fn ask_link(state: &AppState, id: Uuid) -> String {
    state.app_url.link(&format!(
        "ally-intro-asks/{}",
        GlobalId::new(NodeKind::AllyIntroAsk, id)
    ))
}

/// "Ann Lee (Head of Platform at Acme)".
fn contact_line(contact: &contact::Model) -> String {
    match (&contact.position, &contact.company_name) {
        (Some(position), Some(company)) => format!("{} ({position} at {company})", contact.name),
        (Some(role), None) | (None, Some(role)) => format!("{} ({role})", contact.name),
        (None, None) => contact.name.clone(),
    }
}

/// Whether the actor may see an ask: the ally asked, or an admin of the ask's network
/// while the contact is shared with it (`owner_allies`: the contact owner's sharing allies,
/// from [`super::sharing_allies_of`]).
pub fn may_see(
    actor_account: Option<Uuid>,
    admin_of: &dyn Fn(Uuid) -> bool,
    ask: &ally_intro_ask::Model,
    asked_ally: Option<&ally::Model>,
    owner_allies: &[ally::Model],
) -> bool {
    let is_the_ally =
        asked_ally.is_some_and(|a| a.account_id.is_some() && a.account_id == actor_account);
    let shared_here = owner_allies.iter().any(|a| a.network_id == ask.network_id);
    is_the_ally || (admin_of(ask.network_id) && shared_here)
}

/// Asks of each contact, in one statement (callers filter with [`may_see`]).
pub async fn asks_of_contacts(
    state: &AppState,
    contact_ids: &[Uuid],
) -> ServiceResult<HashMap<Uuid, Vec<ally_intro_ask::Model>>> {
    let asks = ally_intro_ask::Entity::find()
        .filter(ally_intro_ask::Column::ContactId.is_in(contact_ids.iter().copied()))
        .all(state.db.read())
        .await?;
    let mut by_contact: HashMap<Uuid, Vec<ally_intro_ask::Model>> = HashMap::new();
    for ask in asks {
        by_contact.entry(ask.contact_id).or_default().push(ask);
    }
    for asks in by_contact.values_mut() {
        asks.sort_by_key(|a| a.id);
    }
    Ok(by_contact)
}

fn asks_select(
    ally_id: Uuid,
    statuses: &[AllyIntroAskStatus],
) -> sea_orm::Select<ally_intro_ask::Entity> {
    let mut select =
        ally_intro_ask::Entity::find().filter(ally_intro_ask::Column::AllyId.eq(ally_id));
    if !statuses.is_empty() {
        select = select.filter(ally_intro_ask::Column::Status.is_in(statuses.iter().copied()));
    }
    select
}

/// An ally's asks, newest first (the caller has checked the actor may see the ally's).
pub async fn asks_of_ally(
    state: &AppState,
    ally_id: Uuid,
    statuses: &[AllyIntroAskStatus],
    page: &PageRequest,
) -> ServiceResult<Page<ally_intro_ask::Model>> {
    Ok(fetch_page(
        state.db.read(),
        asks_select(ally_id, statuses),
        Order::NewestFirst,
        page,
    )
    .await?)
}

pub async fn count_asks_of_ally(
    state: &AppState,
    ally_id: Uuid,
    statuses: &[AllyIntroAskStatus],
) -> ServiceResult<i64> {
    Ok(asks_select(ally_id, statuses)
        .count(state.db.read())
        .await? as i64)
}

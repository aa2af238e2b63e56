//! `Company.warmPaths`: which of the network's sharing allies know people at a company. A
//! contact is at the company when its company equals the company's name, case and spacing
//! aside, or its email's domain is the company's domain. One path per ally; two
//! statements whatever the number of allies.

use std::collections::HashMap;

use entities::{ally, company, contact};
use sea_orm::{ColumnTrait, Condition, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use uuid::Uuid;

use super::{ContactFilter, ContactScope, select, sharing_allies};
use crate::{
    domain::contact::company_key, error::ServiceResult, services::access::NetworkAccess,
    state::AppState,
};

/// Contacts shown per ally.
pub const CONTACTS_PER_PATH: usize = 50;
/// Matching contacts read at most, for a company everyone knows.
const MAX_MATCHES: u64 = 5000;

pub struct WarmPath {
    pub ally: ally::Model,
    pub contacts: Vec<contact::Model>,
}

/// The warm paths to `company` (network admins; nobody else sees any), the allies who know
/// most people there first.
pub async fn warm_paths(
    state: &AppState,
    access: &NetworkAccess,
    company: &company::Model,
    first: usize,
) -> ServiceResult<Vec<WarmPath>> {
    if !access.admin || access.network_id != company.network_id {
        return Ok(Vec::new());
    }
    let mut at_company =
        Condition::any().add(contact::Column::CompanyKey.eq(company_key(&company.name)));
    if let Some(domain) = company.domain.as_deref().filter(|d| !d.is_empty()) {
        at_company = at_company.add(contact::Column::EmailDomain.eq(domain.to_lowercase()));
    }
    let matches = select(
        ContactScope::Network(company.network_id),
        &ContactFilter::default(),
    )?
    .filter(at_company)
    .order_by_asc(contact::Column::Id)
    .limit(MAX_MATCHES)
    .all(state.db.read())
    .await?;
    if matches.is_empty() {
        return Ok(Vec::new());
    }
    let mut by_owner: HashMap<Uuid, Vec<contact::Model>> = HashMap::new();
    for contact in matches {
        by_owner
            .entry(contact.owner_account_id)
            .or_default()
            .push(contact);
    }
    let allies = ally::Entity::find()
        .filter(ally::Column::NetworkId.eq(company.network_id))
        .filter(ally::Column::AccountId.is_in(by_owner.keys().copied()))
        .filter(sharing_allies())
        .all(state.db.read())
        .await?;
    let mut paths: Vec<WarmPath> = allies
        .into_iter()
        .filter_map(|ally| {
            let mut contacts = by_owner.remove(&ally.account_id?)?;
            contacts.truncate(CONTACTS_PER_PATH);
            Some(WarmPath { ally, contacts })
        })
        .collect();
    paths.sort_by(|a, b| {
        b.contacts
            .len()
            .cmp(&a.contacts.len())
            .then_with(|| a.ally.name.cmp(&b.ally.name))
    });
    paths.truncate(first);
    Ok(paths)
}

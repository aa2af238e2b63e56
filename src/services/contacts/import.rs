//! `importContacts`: LinkedIn's `Connections.csv`, or contacts as a browser extension sends
//! them. Each contact is upserted for its owner by LinkedIn URL, else by email: a field the
//! import leaves empty keeps what was stored. A bad line is reported with its number and
//! never stops the others; a file that is not an export imports nothing. One transaction:
//! the existing contacts are read once, new ones written in multi-row inserts.

use std::collections::HashMap;

use entities::{account, contact};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, QueryFilter, Set,
    sea_query::Expr,
};
use uuid::Uuid;

use crate::{
    domain::{
        contact::{
            ContactFields, ContactRow, LineError, company_key, parse_linkedin_csv, person_key,
        },
        matching::search_terms,
    },
    error::{ServiceError, ServiceResult, UserError},
    services::{access::Actor, tx::Tx},
    state::AppState,
};

/// Line errors listed in an answer; `error_count` has them all.
const MAX_LISTED_ERRORS: usize = 1000;
/// Rows per multi-row `INSERT` (16 columns: well under SQLite's and PostgreSQL's bounds).
const INSERT_CHUNK: usize = 1000;

pub enum ImportInput<'a> {
    Csv(&'a str),
    Contacts(Vec<ContactFields<'a>>),
}

#[derive(Debug, Default)]
pub struct ImportReport {
    pub created: i64,
    pub updated: i64,
    /// Contacts already stored as the import has them.
    pub skipped: i64,
    /// The first [`MAX_LISTED_ERRORS`] lines not imported.
    pub errors: Vec<LineError>,
    pub error_count: i64,
}

/// Which input the caller gave: exactly one of the two.
pub fn input<'a>(
    csv: Option<&'a str>,
    contacts: Option<Vec<ContactFields<'a>>>,
) -> ServiceResult<ImportInput<'a>> {
    match (csv, contacts) {
        (Some(csv), None) => Ok(ImportInput::Csv(csv)),
        (None, Some(contacts)) => Ok(ImportInput::Contacts(contacts)),
        _ => Err(UserError::invalid("csv", "give either `csv` or `contacts`, not both").into()),
    }
}

#[tracing::instrument(skip_all)]
pub async fn import_contacts(
    state: &AppState,
    actor: &Actor,
    input: ImportInput<'_>,
) -> ServiceResult<ImportReport> {
    let owner = actor.require_account()?;
    if !super::is_ally(state, actor).await? {
        return Err(ServiceError::Forbidden);
    }
    let rows = match input {
        ImportInput::Csv(text) => {
            parse_linkedin_csv(text).map_err(|refused| UserError::invalid("csv", refused.0))?
        }
        ImportInput::Contacts(contacts) => contacts
            .into_iter()
            .enumerate()
            .map(|(i, fields)| (i as u64 + 1, ContactRow::parse(fields)))
            .collect(),
    };

    let tx = Tx::begin(state).await?;
    let now = tx.now();
    let mut stored = Stored::load(&tx, owner).await?;
    let mut report = ImportReport::default();
    for (line, parsed) in rows {
        let row = match parsed {
            Ok(row) => row,
            Err(message) => {
                report.error_count += 1;
                if report.errors.len() < MAX_LISTED_ERRORS {
                    report.errors.push(LineError { line, message });
                }
                continue;
            }
        };
        match stored.find(&row) {
            Some(index) => {
                let merged = merge(&stored.contacts[index].model, &row);
                if merged == stored.contacts[index].model {
                    report.skipped += 1;
                } else {
                    stored.replace(index, merged);
                    report.updated += 1;
                }
            }
            None => {
                stored.add(new_contact(owner, &row, now));
                report.created += 1;
            }
        }
    }

    let (inserts, updates) = stored.changes();
    for chunk in inserts.chunks(INSERT_CHUNK) {
        contact::Entity::insert_many(chunk.iter().cloned().map(active))
            .exec(tx.db())
            .await?;
    }
    for model in updates {
        let mut changed = active(model);
        changed.updated_at = Set(now);
        changed.created_at = sea_orm::ActiveValue::NotSet;
        changed.update(tx.db()).await?;
    }
    if report.created + report.updated + report.skipped > 0 {
        account::Entity::update_many()
            .col_expr(account::Column::ContactsImportedAt, Expr::value(now))
            .filter(account::Column::Id.eq(owner))
            .filter(account::Column::ContactsImportedAt.is_null())
            .exec(tx.db())
            .await?;
    }
    tx.commit().await?;
    if state.db.write().get_database_backend() == DbBackend::Postgres
        && report.created + report.updated > 0
    {
        // The GIN index takes a large import into its pending list, which every search
        // then reads row by row until autovacuum merges it: merge it now, in bulk.
        state
            .db
            .write()
            .execute_unprepared("SELECT gin_clean_pending_list('ix_contact_search'::regclass)")
            .await?;
    }
    Ok(report)
}

/// The owner's contacts as this import goes: what was stored, and what it adds or changes.
struct Stored {
    contacts: Vec<Entry>,
    by_url: HashMap<String, usize>,
    by_email: HashMap<String, usize>,
}

struct Entry {
    model: contact::Model,
    new: bool,
    changed: bool,
}

impl Stored {
    async fn load(tx: &Tx, owner: Uuid) -> ServiceResult<Self> {
        let models = contact::Entity::find()
            .filter(contact::Column::OwnerAccountId.eq(owner))
            .all(tx.db())
            .await?;
        let mut stored = Self {
            contacts: Vec::with_capacity(models.len()),
            by_url: HashMap::new(),
            by_email: HashMap::new(),
        };
        for model in models {
            stored.push(Entry {
                model,
                new: false,
                changed: false,
            });
        }
        Ok(stored)
    }

    fn push(&mut self, entry: Entry) {
        let index = self.contacts.len();
        self.index(index, &entry.model);
        self.contacts.push(entry);
    }

    fn index(&mut self, index: usize, model: &contact::Model) {
        if let Some(url) = &model.linkedin_url {
            self.by_url.entry(url_key(url)).or_insert(index);
        }
        if let Some(email) = &model.email_key {
            self.by_email.entry(email.clone()).or_insert(index);
        }
    }

    /// The stored contact this row is: same LinkedIn URL, else same email.
    fn find(&self, row: &ContactRow) -> Option<usize> {
        let by_url = row
            .linkedin_url
            .as_ref()
            .and_then(|url| self.by_url.get(&url_key(url.as_str())));
        let by_email = || {
            row.email
                .as_ref()
                .and_then(|email| self.by_email.get(&email.key()))
        };
        by_url.or_else(by_email).copied()
    }

    fn add(&mut self, model: contact::Model) {
        self.push(Entry {
            model,
            new: true,
            changed: false,
        });
    }

    fn replace(&mut self, index: usize, model: contact::Model) {
        self.index(index, &model);
        let entry = &mut self.contacts[index];
        entry.model = model;
        entry.changed = true;
    }

    fn changes(self) -> (Vec<contact::Model>, Vec<contact::Model>) {
        let (mut inserts, mut updates) = (Vec::new(), Vec::new());
        for entry in self.contacts {
            if entry.new {
                inserts.push(entry.model);
            } else if entry.changed {
                updates.push(entry.model);
            }
        }
        (inserts, updates)
    }
}

/// LinkedIn URLs compare without case and trailing slash.
fn url_key(url: &str) -> String {
    person_key(Some(url), None).unwrap_or_default()
}

fn new_contact(
    owner: Uuid,
    row: &ContactRow,
    now: chrono::DateTime<chrono::Utc>,
) -> contact::Model {
    let blank = contact::Model {
        id: Uuid::now_v7(),
        owner_account_id: owner,
        name: String::new(),
        first_name: None,
        last_name: None,
        email: None,
        email_key: None,
        linkedin_url: None,
        company_name: None,
        company_key: None,
        email_domain: None,
        position: None,
        connected_on: None,
        search_terms: None,
        person_key: None,
        created_at: now,
        updated_at: now,
    };
    merge(&blank, row)
}

/// `model` with the row's values; a field the row leaves empty keeps the stored one.
fn merge(model: &contact::Model, row: &ContactRow) -> contact::Model {
    let mut merged = model.clone();
    let keep = |new: &Option<String>, old: &Option<String>| new.clone().or_else(|| old.clone());
    merged.first_name = keep(&row.first_name, &model.first_name);
    merged.last_name = keep(&row.last_name, &model.last_name);
    if let Some(email) = &row.email {
        merged.email = Some(email.as_str().to_owned());
        merged.email_key = Some(email.key());
        merged.email_domain = email.key().rsplit_once('@').map(|(_, d)| d.to_owned());
    }
    if let Some(url) = &row.linkedin_url {
        merged.linkedin_url = Some(url.as_str().to_owned());
    }
    if let Some(company) = &row.company {
        merged.company_name = Some(company.clone());
        merged.company_key = Some(company_key(company));
    }
    merged.position = keep(&row.position, &model.position);
    merged.connected_on = row.connected_on.or(model.connected_on);
    let name = [merged.first_name.as_deref(), merged.last_name.as_deref()]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(" ");
    merged.name = if name.is_empty() {
        merged.email.clone().unwrap_or_else(|| row.display_name())
    } else {
        name
    };
    merged.search_terms = Some(search_terms([
        merged.position.as_deref(),
        merged.company_name.as_deref(),
    ]));
    merged.person_key = person_key(merged.linkedin_url.as_deref(), merged.email_key.as_deref());
    merged
}

fn active(model: contact::Model) -> contact::ActiveModel {
    contact::ActiveModel {
        id: Set(model.id),
        owner_account_id: Set(model.owner_account_id),
        name: Set(model.name),
        first_name: Set(model.first_name),
        last_name: Set(model.last_name),
        email: Set(model.email),
        email_key: Set(model.email_key),
        linkedin_url: Set(model.linkedin_url),
        company_name: Set(model.company_name),
        company_key: Set(model.company_key),
        email_domain: Set(model.email_domain),
        position: Set(model.position),
        connected_on: Set(model.connected_on),
        search_terms: Set(model.search_terms),
        person_key: Set(model.person_key),
        created_at: Set(model.created_at),
        updated_at: Set(model.updated_at),
    }
}

//! `Job.recommendations` (SPEC §7.1): the network's talent, by headline, and the contacts
//! its allies share with it, by position and company, ranked against the job's title and
//! department by the rule of [`crate::domain::matching`].
//!
//! The database's full-text index finds the candidates, never a scan: for each kind, one
//! statement reads the candidates of the score tiers from the best down to the first with
//! enough people, at most [`TIER_ROWS`] per tier (a tier is read only when the ones above
//! it had too few). Scores are then computed by the same rule that wrote the
//! index. So the cost depends on how many candidates are read, not on how many contacts
//! exist; the statements are the same whatever the data. If more than [`TIER_ROWS`]
//! candidates tie at the cut, the tie-breaks order the ones read.

mod search;
mod search_index;

use std::collections::{HashMap, HashSet};

use entities::{ally, contact, enums::JobStatus, job, talent};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use uuid::Uuid;

pub use search_index::index_unindexed;

use self::search::{Hit, Source};
use crate::{
    domain::matching::{JobQuery, Match},
    error::ServiceResult,
    services::{access::Actor, contacts},
    state::AppState,
};

/// Candidates read per score tier at most: enough for the largest list with room for ties,
/// and for the people whose allies one look-up can ask about (`KNOWN_BY_KEY_BYTES`).
pub const TIER_ROWS: u64 = 200;
/// How much of "who is this person" one look-up of who knows them sends at most. Over
/// TLS, sqlx (which leaves Nagle's algorithm on) sends a statement larger than a TLS record
/// in two writes, and the second waits for a delayed ACK: 40 ms. So where more people tie at
/// the cut-off score than fit (about 150), the ones past the budget count as known by none.
const KNOWN_BY_KEY_BYTES: usize = 7000;
/// Recommendations given at most.
pub const MAX_RECOMMENDATIONS: usize = 50;

pub struct Recommendation {
    pub score: u32,
    pub matched_terms: Vec<String>,
    pub candidate: Candidate,
    /// The network's allies who know this person (share a contact who is them).
    pub known_by: Vec<ally::Model>,
}

pub enum Candidate {
    Talent(talent::Model),
    Contact(contact::Model),
}

/// Who asks: the network's admins see talent and contacts; the company's admins see
/// verified talent only.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Audience {
    Network,
    Company,
}

/// One candidate as ranked.
struct Ranked {
    id: Uuid,
    talent: bool,
    verified: bool,
    score: u32,
    matched_terms: Vec<String>,
    person_keys: Vec<String>,
    /// Owners of the shared contacts who are this person.
    known_by: HashSet<Uuid>,
}

impl Ranked {
    fn new(hit: &Hit, talent: bool, found: Match) -> Self {
        Self {
            id: hit.id,
            talent,
            verified: hit.verified,
            score: found.score,
            matched_terms: found.matched_terms,
            person_keys: hit.person_keys.clone(),
            known_by: HashSet::new(),
        }
    }
}

#[tracing::instrument(skip_all, fields(job = %job.id))]
pub async fn recommendations(
    state: &AppState,
    actor: &Actor,
    job: &job::Model,
    first: usize,
) -> ServiceResult<Vec<Recommendation>> {
    if job.status != JobStatus::Open {
        return Ok(Vec::new());
    }
    let access = actor.access(&state.db, job.network_id).await?;
    let audience = if access.admin {
        Audience::Network
    } else if access.companies.contains(&job.company_id) {
        Audience::Company
    } else {
        return Ok(Vec::new());
    };
    let query = JobQuery::new(&job.title, job.department.as_deref());
    if query.is_empty() {
        return Ok(Vec::new());
    }
    let first = first.min(MAX_RECOMMENDATIONS);
    let db = state.db.read();
    let tiers = query.tiers();
    let talent_source = Source::Talent {
        network_id: job.network_id,
        verified_only: audience == Audience::Company,
    };
    let talent_hits = search::candidates(db, &talent_source, &tiers, first).await?;
    // The network's sharing allies, by account: whose contacts are candidates, and who
    // may appear in `knownBy`.
    let mut allies: HashMap<Uuid, ally::Model> = HashMap::new();
    let mut contact_hits = Vec::new();
    if audience == Audience::Network {
        allies = ally::Entity::find()
            .filter(ally::Column::NetworkId.eq(job.network_id))
            .filter(contacts::sharing_allies())
            .all(db)
            .await?
            .into_iter()
            .filter_map(|a| Some((a.account_id?, a)))
            .collect();
        let source = Source::Contacts {
            owners: allies.keys().copied().collect(),
        };
        contact_hits = search::candidates(db, &source, &tiers, first).await?;
    }

    let mut ranked: Vec<Ranked> = Vec::new();
    let talent_keys: HashSet<&str> = talent_hits
        .iter()
        .flat_map(|hit| hit.person_keys.iter().map(String::as_str))
        .collect();
    for hit in &talent_hits {
        if let Some(found) = query.score(&hit.terms) {
            ranked.push(Ranked::new(hit, true, found));
        }
    }
    // One recommendation per person: the best-fitting of the allies' copies, and none for
    // someone already recommended as talent.
    let mut people: HashMap<&str, Ranked> = HashMap::new();
    for hit in &contact_hits {
        let Some(key) = hit.person_keys.first() else {
            continue;
        };
        if talent_keys.contains(key.as_str()) {
            continue;
        }
        let Some(found) = query.score(&hit.terms) else {
            continue;
        };
        let better = people.get(key.as_str()).is_none_or(|seen| {
            (found.score, std::cmp::Reverse(hit.id)) > (seen.score, std::cmp::Reverse(seen.id))
        });
        if better {
            people.insert(key, Ranked::new(hit, false, found));
        }
    }
    ranked.extend(people.into_values());

    // Who knows whom matters only at and above the cut-off score: ask for those people.
    ranked.sort_by_key(|r| std::cmp::Reverse(r.score));
    if let Some(cut_off) = ranked.get(first.saturating_sub(1)).map(|r| r.score) {
        ranked.retain(|r| r.score >= cut_off);
    }
    if audience == Audience::Network {
        // The best first, within a budget: a large statement would cost a round trip more
        // than the look-up itself (see `KNOWN_BY_KEY_BYTES`).
        ranked.sort_by(|a, b| b.score.cmp(&a.score).then(a.id.cmp(&b.id)));
        let mut keys: Vec<&str> = Vec::new();
        let mut bytes = 0;
        for key in ranked.iter().flat_map(|r| r.person_keys.iter()) {
            bytes += key.len() + 3;
            if bytes > KNOWN_BY_KEY_BYTES {
                break;
            }
            keys.push(key);
        }
        let mut known: HashMap<String, HashSet<Uuid>> = HashMap::new();
        for (key, owner) in search::owners_of(db, keys).await? {
            if allies.contains_key(&owner) {
                known.entry(key).or_default().insert(owner);
            }
        }
        for r in &mut ranked {
            r.known_by = r
                .person_keys
                .iter()
                .filter_map(|key| known.get(key))
                .flatten()
                .copied()
                .collect();
        }
    }
    ranked.sort_by(|a, b| {
        b.score
            .cmp(&a.score)
            .then_with(|| (b.talent && b.verified).cmp(&(a.talent && a.verified)))
            .then_with(|| b.known_by.len().cmp(&a.known_by.len()))
            .then_with(|| b.talent.cmp(&a.talent))
            .then_with(|| a.id.cmp(&b.id))
    });
    ranked.truncate(first);
    load(state, &allies, ranked).await
}

/// The recommendations' talent and contacts, two statements at most.
async fn load(
    state: &AppState,
    allies: &HashMap<Uuid, ally::Model>,
    ranked: Vec<Ranked>,
) -> ServiceResult<Vec<Recommendation>> {
    let db = state.db.read();
    let ids = |talent: bool| -> Vec<Uuid> {
        ranked
            .iter()
            .filter(|r| r.talent == talent)
            .map(|r| r.id)
            .collect()
    };
    let (talent_ids, contact_ids) = (ids(true), ids(false));
    let mut talents: HashMap<Uuid, talent::Model> = HashMap::new();
    if !talent_ids.is_empty() {
        let found = talent::Entity::find()
            .filter(talent::Column::Id.is_in(talent_ids))
            .all(db)
            .await?;
        talents = found.into_iter().map(|t| (t.id, t)).collect();
    }
    let mut contacts_by_id: HashMap<Uuid, contact::Model> = HashMap::new();
    if !contact_ids.is_empty() {
        let found = contact::Entity::find()
            .filter(contact::Column::Id.is_in(contact_ids))
            .all(db)
            .await?;
        contacts_by_id = found.into_iter().map(|c| (c.id, c)).collect();
    }
    Ok(ranked
        .into_iter()
        .filter_map(|r| {
            // A row deleted between the search and now is left out.
            let candidate = if r.talent {
                Candidate::Talent(talents.remove(&r.id)?)
            } else {
                Candidate::Contact(contacts_by_id.remove(&r.id)?)
            };
            let mut known_by: Vec<ally::Model> = r
                .known_by
                .iter()
                .filter_map(|owner| allies.get(owner).cloned())
                .collect();
            known_by.sort_by(|a, b| a.name.cmp(&b.name).then(a.id.cmp(&b.id)));
            Some(Recommendation {
                score: r.score,
                matched_terms: r.matched_terms,
                candidate,
                known_by,
            })
        })
        .collect())
}

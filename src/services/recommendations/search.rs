//! The full-text side of recommendations: the SQL of each database for "candidates with
//! every term of one of these sets", counted per tier, then read.

use sea_orm::{ConnectionTrait, DbBackend, QueryResult, Statement, Value};
use uuid::Uuid;

use super::TIER_ROWS;
use crate::{
    domain::{contact::person_key, matching::Tier},
    error::ServiceResult,
};

/// Copies of one person (one per ally who knows them) read at most.
const PERSON_COPIES: u64 = 1000;

/// Where candidates come from.
pub enum Source {
    /// The network's talent (verified only, for a company's admins).
    Talent {
        network_id: Uuid,
        verified_only: bool,
    },
    /// The contacts of these owners: the accounts of the allies who share with the
    /// network now. Passed as values rather than joined, so the planner knows how many
    /// there are (as a join, PostgreSQL guessed one and ran the full-text scan per ally).
    /// One value each: PostgreSQL takes 65,535 per statement and SQLite 32,766, far more
    /// allies than a network has.
    Contacts { owners: Vec<Uuid> },
}

/// A candidate the index found.
pub struct Hit {
    pub id: Uuid,
    /// Verified talent (contacts: false).
    pub verified: bool,
    /// Who the person is (see `domain::contact::person_key`); a contact has one key.
    pub person_keys: Vec<String>,
    pub terms: String,
}

/// The candidates of the best tiers: every tier down to the first that has `wanted`
/// people (or the last), each read up to [`TIER_ROWS`]. One statement: each tier is a
/// materialised CTE whose scan only runs when the tiers above it, counted, had too few
/// people, so a job whose best tier is full reads that tier once and no other.
pub async fn candidates(
    db: &impl ConnectionTrait,
    source: &Source,
    tiers: &[Tier],
    wanted: usize,
) -> ServiceResult<Vec<Hit>> {
    if matches!(source, Source::Contacts { owners } if owners.is_empty()) {
        return Ok(Vec::new());
    }
    let mut sql = Sql::new(db.get_database_backend());
    let wanted = sql.bind(wanted as i64);
    let scope = source.scope(&mut sql);
    // Each tier's LIMIT is 0 unless the tiers above it, counted, have too few people: both
    // databases then skip its scan (in WHERE, SQLite would test it on every row of the
    // scan, and in the outer query it would still run the CTE).
    let ctes: Vec<String> = tiers
        .iter()
        .enumerate()
        .map(|(i, tier)| {
            let too_few: Vec<String> = (0..i)
                .map(|above| format!("(SELECT count(DISTINCT person) FROM t{above}) < {wanted}"))
                .collect();
            let limit = if too_few.is_empty() {
                TIER_ROWS.to_string()
            } else {
                format!(
                    "CASE WHEN {} THEN {TIER_ROWS} ELSE 0 END",
                    too_few.join(" AND ")
                )
            };
            let rows = source.rows(&mut sql, &scope, tier, &limit);
            format!("t{i} AS MATERIALIZED ({rows})")
        })
        .collect();
    let reads: Vec<String> = (0..tiers.len())
        .map(|i| format!("SELECT * FROM t{i}"))
        .collect();
    sql.text = format!("WITH {} {}", ctes.join(", "), reads.join(" UNION ALL "));
    let mut seen = std::collections::HashSet::new();
    let mut hits = Vec::new();
    for row in db.query_all_raw(sql.statement()).await? {
        let hit = source.hit(&row)?;
        if seen.insert(hit.id) {
            hits.push(hit);
        }
    }
    Ok(hits)
}

impl Source {
    /// Who may be found, bound once for every tier: a condition on the rows of
    /// [`Source::rows`].
    fn scope(&self, sql: &mut Sql) -> String {
        match self {
            Source::Contacts { owners } => {
                let owners: Vec<String> = owners.iter().map(|owner| sql.bind(*owner)).collect();
                format!("owner_account_id IN ({})", owners.join(", "))
            }
            Source::Talent {
                network_id,
                verified_only,
            } => {
                let network = sql.bind(*network_id);
                if *verified_only {
                    let verified = sql.bind(true);
                    format!("talent.network_id = {network} AND talent.verified = {verified}")
                } else {
                    format!("talent.network_id = {network}")
                }
            }
        }
    }

    /// The candidates of one tier within `scope`, at most `limit`, with the columns
    /// [`Source::hit`] reads and `person` (who they are, for counting people).
    fn rows(&self, sql: &mut Sql, scope: &str, tier: &Tier, limit: &str) -> String {
        let backend = sql.backend;
        let query = sql.bind(match backend {
            DbBackend::Postgres => tsquery(tier),
            _ => fts5_query(tier),
        });
        match (self, backend) {
            (Source::Contacts { .. }, DbBackend::Postgres) => format!(
                "SELECT id, person_key AS person, search_terms AS terms FROM contact \
                 WHERE search_vector @@ to_tsquery('simple', {query}) AND {scope} LIMIT {limit}"
            ),
            (Source::Contacts { .. }, _) => format!(
                "SELECT contact_id AS id, person_key AS person, terms FROM contact_fts \
                 WHERE contact_fts MATCH {query} AND {scope} LIMIT {limit}"
            ),
            (Source::Talent { .. }, backend) => {
                let columns = "talent.id AS id, talent.id AS person, talent.verified AS verified, \
                    talent.linkedin_url AS linkedin_url, talent.email_key AS email_key, \
                    talent.search_terms AS terms";
                match backend {
                    DbBackend::Postgres => format!(
                        "SELECT {columns} FROM talent \
                         WHERE search_vector @@ to_tsquery('simple', {query}) AND {scope} LIMIT {limit}"
                    ),
                    // CROSS JOIN keeps the index as the outer loop: SQLite
                    // would otherwise walk the network's talent and scan the index for each.
                    _ => format!(
                        "SELECT {columns} FROM talent_fts CROSS JOIN talent ON talent.id = talent_fts.talent_id \
                         WHERE talent_fts MATCH {query} AND {scope} LIMIT {limit}"
                    ),
                }
            }
        }
    }

    fn hit(&self, row: &QueryResult) -> ServiceResult<Hit> {
        let id: Uuid = row.try_get("", "id")?;
        let terms: String = row.try_get("", "terms")?;
        Ok(match self {
            Source::Contacts { .. } => Hit {
                id,
                verified: false,
                person_keys: vec![row.try_get("", "person")?],
                terms,
            },
            Source::Talent { .. } => {
                // The keys a contact who is this talent would have: URL first, then email.
                let linkedin_url: Option<String> = row.try_get("", "linkedin_url")?;
                let email_key: String = row.try_get("", "email_key")?;
                let person_keys = person_key(linkedin_url.as_deref(), None)
                    .into_iter()
                    .chain([email_key])
                    .collect();
                Hit {
                    id,
                    verified: row.try_get("", "verified")?,
                    person_keys,
                    terms,
                }
            }
        })
    }
}

/// Every contact who is one of these people: (person key, owner). One statement whose
/// text does not depend on how many keys there are; each key is an index look-up, whatever
/// the planner knows of the table (right after a large import, PostgreSQL knows nothing and
/// would scan it).
pub async fn owners_of(
    db: &impl ConnectionTrait,
    person_keys: impl IntoIterator<Item = &str>,
) -> ServiceResult<Vec<(String, Uuid)>> {
    let keys: Vec<&str> = person_keys.into_iter().collect();
    if keys.is_empty() {
        return Ok(Vec::new());
    }
    let backend = db.get_database_backend();
    let mut sql = Sql::new(backend);
    let keys = sql.bind(serde_json::to_string(&keys).map_err(anyhow::Error::from)?);
    sql.text = match backend {
        DbBackend::Postgres => format!(
            "SELECT c.person_key AS person, c.owner_account_id AS owner \
             FROM json_array_elements_text({keys}::json) AS k(key) \
             CROSS JOIN LATERAL (SELECT person_key, owner_account_id FROM contact \
             WHERE person_key = k.key LIMIT {PERSON_COPIES}) AS c"
        ),
        _ => format!(
            "SELECT c.person_key AS person, c.owner_account_id AS owner \
             FROM json_each({keys}) AS k CROSS JOIN contact AS c ON c.person_key = k.value"
        ),
    };
    let mut pairs = Vec::new();
    for row in db.query_all_raw(sql.statement()).await? {
        pairs.push((row.try_get("", "person")?, row.try_get("", "owner")?));
    }
    Ok(pairs)
}

/// FTS5: `("a" AND "b") OR ("c")`. Terms are letters and digits only.
fn fts5_query(tier: &Tier) -> String {
    tier.any_of
        .iter()
        .map(|set| {
            let all: Vec<String> = set.iter().map(|stem| format!("\"{stem}\"")).collect();
            format!("({})", all.join(" AND "))
        })
        .collect::<Vec<_>>()
        .join(" OR ")
}

/// PostgreSQL: `('a' & 'b') | ('c')`.
fn tsquery(tier: &Tier) -> String {
    tier.any_of
        .iter()
        .map(|set| {
            let all: Vec<String> = set.iter().map(|stem| format!("'{stem}'")).collect();
            format!("({})", all.join(" & "))
        })
        .collect::<Vec<_>>()
        .join(" | ")
}

/// A statement being written, with numbered placeholders for either database.
struct Sql {
    backend: DbBackend,
    text: String,
    values: Vec<Value>,
}

impl Sql {
    fn new(backend: DbBackend) -> Self {
        Self {
            backend,
            text: String::new(),
            values: Vec::new(),
        }
    }

    fn bind(&mut self, value: impl Into<Value>) -> String {
        self.values.push(value.into());
        match self.backend {
            DbBackend::Postgres => format!("${}", self.values.len()),
            _ => format!("?{}", self.values.len()),
        }
    }

    fn statement(self) -> Statement {
        Statement::from_sql_and_values(self.backend, self.text, self.values)
    }
}

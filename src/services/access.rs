//! Who is asking, and what SPEC §4.1 lets them see and do in a network.
//!
//! Memberships are loaded once per request (lazily) and every rule below is a pure
//! function of them, so checking visibility of a thousand rows costs no query.

use std::{
    collections::{HashMap, HashSet},
    sync::Arc,
};

use entities::{
    ally, company_admin, enums::CompanyAdminStatus, enums::JobStatus, network, network_admin,
    session, talent,
};
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, FromQueryResult, IdenStatic, Iterable, QueryFilter,
    QuerySelect, QueryTrait, Select,
    sea_query::{Alias, Expr, ExprTrait, JoinType, Query, SelectStatement, SimpleExpr, UnionType},
};
use tokio::sync::OnceCell;
use uuid::Uuid;

use crate::{
    db::Db,
    error::{ServiceError, ServiceResult},
};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Principal {
    Anonymous,
    Account {
        account_id: Uuid,
        session_id: Uuid,
    },
    /// A partner tool: reads one network and subscribes to it.
    ApiToken {
        token_id: Uuid,
        network_id: Uuid,
    },
}

#[derive(Debug)]
pub struct Actor {
    pub principal: Principal,
    memberships: OnceCell<Arc<Memberships>>,
}

#[derive(Debug, Default)]
pub struct Memberships {
    admin_of: HashSet<Uuid>,
    /// Active company admin roles: company → network.
    company_admin_of: HashMap<Uuid, Uuid>,
    /// Talent profiles: network → (talent id, verified).
    talent_in: HashMap<Uuid, (Uuid, bool)>,
    /// Ally profiles: network → ally id.
    ally_in: HashMap<Uuid, Uuid>,
    /// The networks of these memberships, as read with them.
    networks: Vec<network::Model>,
}

impl Memberships {
    pub fn admin_networks(&self) -> impl Iterator<Item = Uuid> + '_ {
        self.admin_of.iter().copied()
    }

    pub fn admin_companies(&self) -> impl Iterator<Item = Uuid> + '_ {
        self.company_admin_of.keys().copied()
    }

    pub fn talent_profiles(&self) -> impl Iterator<Item = Uuid> + '_ {
        self.talent_in.values().map(|(id, _)| *id)
    }

    pub fn ally_profiles(&self) -> impl Iterator<Item = Uuid> + '_ {
        self.ally_in.values().copied()
    }

    /// The rows of the networks the memberships are in.
    pub fn networks(&self) -> &[network::Model] {
        &self.networks
    }
}

impl Actor {
    pub fn new(principal: Principal) -> Self {
        Self {
            principal,
            memberships: OnceCell::new(),
        }
    }

    pub fn anonymous() -> Self {
        Self::new(Principal::Anonymous)
    }

    pub fn account_id(&self) -> Option<Uuid> {
        match self.principal {
            Principal::Account { account_id, .. } => Some(account_id),
            _ => None,
        }
    }

    /// The signed-in person: `UNAUTHENTICATED` when anonymous, `FORBIDDEN` for an API
    /// token (partner tools read; they never act).
    pub fn require_account(&self) -> ServiceResult<Uuid> {
        match self.principal {
            Principal::Account { account_id, .. } => Ok(account_id),
            Principal::ApiToken { .. } => Err(ServiceError::Forbidden),
            Principal::Anonymous => Err(ServiceError::Unauthenticated),
        }
    }

    /// The memberships, if they are loaded already.
    pub fn loaded_memberships(&self) -> Option<&Arc<Memberships>> {
        self.memberships.get()
    }

    pub async fn memberships(&self, db: &Db) -> ServiceResult<Arc<Memberships>> {
        let loaded = self
            .memberships
            .get_or_try_init(|| async {
                load_memberships(db, self.account_id()).await.map(Arc::new)
            })
            .await?;
        Ok(loaded.clone())
    }

    /// A signed-in network admin of this network, acting on it through input `networkId`:
    /// `NOT_FOUND` for outsiders, `FORBIDDEN` for other members (and API tokens).
    pub async fn require_network_admin(&self, db: &Db, network_id: Uuid) -> ServiceResult<()> {
        self.require_account()?;
        self.access(db, network_id)
            .await?
            .require_admin("networkId")
    }

    /// What this actor may do in one network.
    pub async fn access(&self, db: &Db, network_id: Uuid) -> ServiceResult<NetworkAccess> {
        let memberships = self.memberships(db).await?;
        Ok(NetworkAccess {
            network_id,
            admin: memberships.admin_of.contains(&network_id),
            api_token: matches!(self.principal, Principal::ApiToken { network_id: n, .. } if n == network_id),
            companies: memberships
                .company_admin_of
                .iter()
                .filter(|(_, n)| **n == network_id)
                .map(|(c, _)| *c)
                .collect(),
            talent: memberships.talent_in.get(&network_id).copied(),
            ally: memberships.ally_in.get(&network_id).copied(),
        })
    }
}

/// Whose memberships to read: an account's, or those of the account a live session names
/// (found in the same statement).
enum Whose {
    Account(Uuid),
    Session(Box<Select<session::Entity>>),
}

impl Whose {
    /// `column` (an account id) is this account.
    fn is(&self, column: impl ColumnTrait) -> SimpleExpr {
        match self {
            Self::Account(id) => column.eq(*id),
            Self::Session(live) => column.in_subquery(
                (**live)
                    .clone()
                    .select_only()
                    .column(session::Column::AccountId)
                    .into_query(),
            ),
        }
    }
}

/// Every membership of an account, in one statement: the four roles as rows of
/// (role, network, id, verified).
async fn load_memberships(db: &Db, account_id: Option<Uuid>) -> ServiceResult<Memberships> {
    let Some(account_id) = account_id else {
        return Ok(Memberships::default());
    };
    let rows = membership_rows(db, None, Whose::Account(account_id)).await?;
    let mut memberships = Memberships::default();
    for row in rows {
        memberships.add(&row)?;
    }
    Ok(memberships)
}

/// The actor of the live session `live` finds (at most one), with its memberships and
/// their networks, in one statement; `None` when there is no such session.
pub async fn session_actor(db: &Db, live: Select<session::Entity>) -> ServiceResult<Option<Actor>> {
    // The session itself comes first, as a row of its own: (session, account, session id).
    let session_row = live
        .clone()
        .select_only()
        .column_as(Expr::val(SESSION), "role")
        .column_as(session::Column::AccountId, "network_id")
        .column_as(session::Column::Id, "id")
        .column_as(Expr::val(false), "verified")
        .into_query();
    let rows = membership_rows(db, Some(session_row), Whose::Session(Box::new(live))).await?;
    let mut principal = None;
    let mut memberships = Memberships::default();
    for row in rows {
        if row.try_get::<String>("", "role")? == SESSION {
            principal = Some(Principal::Account {
                account_id: row.try_get("", "network_id")?,
                session_id: row.try_get("", "id")?,
            });
        } else {
            memberships.add(&row)?;
        }
    }
    Ok(principal.map(|principal| Actor {
        principal,
        memberships: OnceCell::new_with(Some(Arc::new(memberships))),
    }))
}

/// The rows of `first` (if any), then the four roles' rows of `whose` as (role, network, id,
/// verified), each with its network's columns (prefixed `n_`; null where there is none).
async fn membership_rows(
    db: &Db,
    first: Option<SelectStatement>,
    whose: Whose,
) -> ServiceResult<Vec<sea_orm::QueryResult>> {
    let role = |name: &'static str| Expr::val(name);
    let mut roles = network_admin::Entity::find()
        .select_only()
        .column_as(role(ADMIN), "role")
        .column_as(network_admin::Column::NetworkId, "network_id")
        .column_as(network_admin::Column::NetworkId, "id")
        .column_as(Expr::val(false), "verified")
        .filter(whose.is(network_admin::Column::AccountId))
        .into_query();
    roles
        .union(
            UnionType::All,
            company_admin::Entity::find()
                .select_only()
                .column_as(role(COMPANY_ADMIN), "role")
                .column(company_admin::Column::NetworkId)
                .column_as(company_admin::Column::CompanyId, "id")
                .column_as(Expr::val(false), "verified")
                .filter(whose.is(company_admin::Column::AccountId))
                .filter(company_admin::Column::Status.eq(CompanyAdminStatus::Active))
                .into_query(),
        )
        .union(
            UnionType::All,
            talent::Entity::find()
                .select_only()
                .column_as(role(TALENT), "role")
                .columns([
                    talent::Column::NetworkId,
                    talent::Column::Id,
                    talent::Column::Verified,
                ])
                .filter(whose.is(talent::Column::AccountId))
                .into_query(),
        )
        .union(
            UnionType::All,
            ally::Entity::find()
                .select_only()
                .column_as(role(ALLY), "role")
                .columns([ally::Column::NetworkId, ally::Column::Id])
                .column_as(Expr::val(false), "verified")
                .filter(whose.is(ally::Column::AccountId))
                .into_query(),
        );
    let rows = match first {
        Some(mut first) => {
            first.union(UnionType::All, roles);
            first
        }
        None => roles,
    };
    // Each row with its network: the networks a request touches are mostly the actor's
    // own, and the loaders are primed with them.
    let m = Alias::new("m");
    let mut query = Query::select();
    query
        .columns(["role", "network_id", "id", "verified"].map(|c| (m.clone(), Alias::new(c))))
        .from_subquery(rows, m.clone())
        .join(
            JoinType::LeftJoin,
            network::Entity,
            Expr::col((network::Entity, network::Column::Id))
                .equals((m.clone(), Alias::new("network_id"))),
        );
    for column in network::Column::iter() {
        query.expr_as(
            Expr::col((network::Entity, column)),
            Alias::new(format!("n_{}", column.as_str())),
        );
    }
    let conn = db.read();
    Ok(conn
        .query_all_raw(conn.get_database_backend().build(&query))
        .await?)
}

impl Memberships {
    /// One row of [`membership_rows`].
    fn add(&mut self, row: &sea_orm::QueryResult) -> ServiceResult<()> {
        let role: String = row.try_get("", "role")?;
        let network: Uuid = row.try_get("", "network_id")?;
        let id: Uuid = row.try_get("", "id")?;
        match role.as_str() {
            ADMIN => {
                self.admin_of.insert(network);
            }
            COMPANY_ADMIN => {
                self.company_admin_of.insert(id, network);
            }
            TALENT => {
                let verified: bool = row.try_get("", "verified")?;
                self.talent_in.insert(network, (id, verified));
            }
            ALLY => {
                self.ally_in.insert(network, id);
            }
            other => return Err(anyhow::anyhow!("unknown membership role {other}").into()),
        }
        if !self.networks.iter().any(|n| n.id == network)
            && let Some(row) = network::Model::from_query_result_optional(row, "n_")?
        {
            self.networks.push(row);
        }
        Ok(())
    }
}

const SESSION: &str = "session";
const ADMIN: &str = "admin";
const COMPANY_ADMIN: &str = "company_admin";
const TALENT: &str = "talent";
const ALLY: &str = "ally";

/// An actor's rights in one network: the role table of SPEC §4.1 as predicates.
#[derive(Debug, Clone)]
pub struct NetworkAccess {
    pub network_id: Uuid,
    pub admin: bool,
    pub api_token: bool,
    /// Companies whose active admin the actor is.
    pub companies: Vec<Uuid>,
    /// The actor's talent profile here: (id, verified).
    pub talent: Option<(Uuid, bool)>,
    pub ally: Option<Uuid>,
}

/// Which talent profiles of the network an actor sees: all of them (network admins, API
/// tokens, and company admins, who may ask to meet unverified talent through review), or a
/// talent their own.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TalentScope {
    pub all: bool,
    pub own: Option<Uuid>,
}

impl TalentScope {
    pub fn allows(&self, talent: &talent::Model) -> bool {
        self.all || self.own == Some(talent.id)
    }

    /// The SQL twin of [`Self::allows`] within the network; `None` when nothing is visible.
    pub fn condition(&self) -> Option<sea_orm::Condition> {
        match (self.all, self.own) {
            (true, _) => Some(sea_orm::Condition::all()),
            (false, Some(own)) => Some(sea_orm::Condition::all().add(talent::Column::Id.eq(own))),
            (false, None) => None,
        }
    }
}

/// Which jobs of one company a list may show.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum JobScope {
    All,
    OpenOnly,
    None,
}

impl JobScope {
    pub fn allows(self, status: JobStatus) -> bool {
        match self {
            Self::All => true,
            Self::OpenOnly => status == JobStatus::Open,
            Self::None => false,
        }
    }
}

impl NetworkAccess {
    /// Members see that the network exists; allies too (they chose to share with it).
    pub fn sees_network(&self) -> bool {
        self.admin
            || self.api_token
            || !self.companies.is_empty()
            || self.talent.is_some()
            || self.ally.is_some()
    }

    /// Network data (settings, companies, jobs): everyone but allies, who see none.
    pub fn sees_network_data(&self) -> bool {
        self.admin || self.api_token || !self.companies.is_empty() || self.talent.is_some()
    }

    pub fn sees_companies(&self) -> bool {
        self.sees_network_data()
    }

    pub fn talent_scope(&self) -> TalentScope {
        TalentScope {
            all: self.admin || self.api_token || !self.companies.is_empty(),
            own: self.talent.map(|(id, _)| id),
        }
    }

    pub fn job_scope(&self, company_id: Uuid) -> JobScope {
        if self.admin || self.api_token || self.companies.contains(&company_id) {
            JobScope::All
        } else if self.sees_network_data() {
            JobScope::OpenOnly
        } else {
            JobScope::None
        }
    }

    /// A company's admins (names, emails): network admins and the company's own admins.
    pub fn sees_company_admins(&self, company_id: Uuid) -> bool {
        self.admin || self.companies.contains(&company_id)
    }

    /// The team: network admins, allies, API tokens.
    pub fn sees_team(&self) -> bool {
        self.admin
    }

    /// An ally's profile: network admins, and the ally themself.
    pub fn sees_ally(&self, ally: &ally::Model, account_id: Option<Uuid>) -> bool {
        self.admin || (account_id.is_some() && ally.account_id == account_id)
    }

    /// Jobs, more admins: network admins and the company's active admins.
    pub fn manages_company(&self, company_id: Uuid) -> bool {
        self.admin || self.companies.contains(&company_id)
    }

    /// `NOT_FOUND` unless the actor may see the network at all.
    pub fn require_visible(&self, field: &str) -> ServiceResult<()> {
        if self.sees_network_data() {
            Ok(())
        } else {
            Err(ServiceError::not_found(field, "network"))
        }
    }

    /// Network admin, else `NOT_FOUND` for outsiders and `FORBIDDEN` for members.
    pub fn require_admin(&self, field: &str) -> ServiceResult<()> {
        if self.admin {
            Ok(())
        } else if self.sees_network_data() {
            Err(ServiceError::Forbidden)
        } else {
            Err(ServiceError::not_found(field, "network"))
        }
    }
}

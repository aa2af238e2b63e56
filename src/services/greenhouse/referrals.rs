//! Referrals (SPEC §6): the accepted introductions a company has in Greenhouse, by hiring
//! status (the "Interviewing" view), and the funnel of a network or a company in figures.
//!
//! Everything here is SQL: the list is keyset-paged like the other request lists, the
//! figures are three aggregate statements whatever the number of requests. The two rules
//! both use are written once:
//!
//! * [`in_greenhouse`]: an accepted request whose push is `PUSHED`;
//! * [`hiring_status`]: a request's hiring status, read off its applications.
//!
//! Who may: the company's admins and the network's admins (network figures: network admins).

use entities::{
    enums::{GreenhouseApplicationStatus, GreenhousePushStatus, IntroStatus},
    greenhouse_application, greenhouse_push, intro_request,
};
use sea_orm::{
    ActiveEnum, ColumnTrait, Condition, ConnectionTrait, DbBackend, EntityTrait, FromQueryResult,
    Iterable, PaginatorTrait, QueryFilter, Select,
    sea_query::{Alias, Expr, ExprTrait, Func, Query, SelectStatement},
};
use uuid::Uuid;

use crate::{
    error::{ServiceError, ServiceResult},
    services::{
        access::NetworkAccess,
        pagination::{Order, Page, PageRequest, fetch_page},
    },
    state::AppState,
};

/// A referral's hiring status, as the company's Greenhouse says.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum HiringStatus {
    InProcess,
    Hired,
    Rejected,
}

impl HiringStatus {
    /// Strongest first: a request takes the first status one of its applications has.
    const PRECEDENCE: [Self; 3] = [Self::Hired, Self::InProcess, Self::Rejected];

    /// What one application in this Greenhouse status counts as.
    pub fn of_application(status: GreenhouseApplicationStatus) -> Self {
        match status {
            GreenhouseApplicationStatus::Hired => Self::Hired,
            // A converted prospect carries on as a candidate.
            GreenhouseApplicationStatus::InProcess | GreenhouseApplicationStatus::Converted => {
                Self::InProcess
            }
            GreenhouseApplicationStatus::Rejected => Self::Rejected,
        }
    }

    fn sql(self) -> &'static str {
        match self {
            Self::InProcess => "IN_PROCESS",
            Self::Hired => "HIRED",
            Self::Rejected => "REJECTED",
        }
    }

    /// The application statuses that count as this one.
    fn application_statuses(self) -> impl Iterator<Item = String> {
        GreenhouseApplicationStatus::iter()
            .filter(move |s| Self::of_application(*s) == self)
            .map(|s| s.to_value())
    }
}

/// The hiring status of the `intro_request` row in scope, as SQL (text, or `NULL`): HIRED if
/// any of its applications is hired; else IN_PROCESS if any is in process (or converted);
/// else REJECTED if it has applications, all of them rejected (nothing else is left); `NULL`
/// when it has none. The one definition `Company.referrals` and the figures both use.
pub fn hiring_status() -> Expr {
    let [first, rest @ ..] = HiringStatus::PRECEDENCE;
    let has = |status: HiringStatus| Expr::exists(applications_in(status));
    rest.into_iter()
        .fold(Expr::case(has(first), first.sql()), |case, status| {
            case.case(has(status), status.sql())
        })
        .into()
}

/// The request's applications that count as `status`, for an `EXISTS`.
fn applications_in(status: HiringStatus) -> SelectStatement {
    use greenhouse_application::{Column, Entity};
    Query::select()
        .expr(Expr::val(1))
        .from(Entity)
        .and_where(
            Expr::col((Entity, Column::IntroRequestId))
                .equals((intro_request::Entity, intro_request::Column::Id)),
        )
        .and_where(Expr::col((Entity, Column::Status)).is_in(status.application_statuses()))
        .to_owned()
}

/// The `intro_request` row in scope is in Greenhouse: accepted, and its push done.
pub fn in_greenhouse() -> Condition {
    use greenhouse_push::{Column, Entity};
    let pushed = Query::select()
        .expr(Expr::val(1))
        .from(Entity)
        .and_where(
            Expr::col((Entity, Column::IntroRequestId))
                .equals((intro_request::Entity, intro_request::Column::Id)),
        )
        .and_where(Expr::col((Entity, Column::Status)).eq(GreenhousePushStatus::Pushed.to_value()))
        .to_owned();
    Condition::all()
        .add(intro_request::Column::Status.eq(IntroStatus::Accepted))
        .add(Expr::exists(pushed))
}

fn referrals_select(
    access: &NetworkAccess,
    company_id: Uuid,
    status: Option<HiringStatus>,
) -> Option<Select<intro_request::Entity>> {
    if !access.manages_company(company_id) {
        return None;
    }
    let mut select = intro_request::Entity::find()
        .filter(intro_request::Column::NetworkId.eq(access.network_id))
        .filter(intro_request::Column::CompanyId.eq(company_id))
        .filter(in_greenhouse());
    if let Some(status) = status {
        select = select.filter(hiring_status().eq(status.sql()));
    }
    Some(select)
}

/// The company's requests in Greenhouse (in this hiring status, if given), newest first:
/// for its admins and the network's admins; empty for everyone else.
#[tracing::instrument(skip(state, access))]
pub async fn referrals(
    state: &AppState,
    access: &NetworkAccess,
    company_id: Uuid,
    status: Option<HiringStatus>,
    page: &PageRequest,
) -> ServiceResult<Page<intro_request::Model>> {
    let Some(select) = referrals_select(access, company_id, status) else {
        return Ok(Page::empty());
    };
    Ok(fetch_page(state.db.read(), select, Order::NewestFirst, page).await?)
}

pub async fn count_referrals(
    state: &AppState,
    access: &NetworkAccess,
    company_id: Uuid,
    status: Option<HiringStatus>,
) -> ServiceResult<i64> {
    let Some(select) = referrals_select(access, company_id, status) else {
        return Ok(0);
    };
    Ok(select.count(state.db.read()).await? as i64)
}

/// Whose requests the figures are of.
#[derive(Debug, Clone, Copy)]
pub enum Scope {
    Network(Uuid),
    Company { network_id: Uuid, company_id: Uuid },
}

impl Scope {
    fn network_id(self) -> Uuid {
        match self {
            Self::Network(id) | Self::Company { network_id: id, .. } => id,
        }
    }

    fn allows(self, access: &NetworkAccess) -> bool {
        match self {
            Self::Network(_) => access.admin,
            Self::Company { company_id, .. } => access.manages_company(company_id),
        }
    }

    fn not_found(self) -> ServiceError {
        match self {
            Self::Network(_) => ServiceError::not_found("id", "network"),
            Self::Company { .. } => ServiceError::not_found("id", "company"),
        }
    }
}

/// The referral funnel of a cohort of requests (definitions in the README).
#[derive(Debug, Clone, PartialEq)]
pub struct Analytics {
    pub requested: i64,
    pub accepted: i64,
    pub declined: i64,
    pub in_greenhouse: i64,
    pub interviewing: i64,
    pub hired: i64,
    pub rejected: i64,
    /// accepted / (accepted + declined); `None` when none was decided.
    pub acceptance_rate: Option<f64>,
    pub median_hours_to_decision: Option<f64>,
    pub median_days_to_hire: Option<f64>,
}

#[derive(FromQueryResult)]
struct Counts {
    requested: i64,
    accepted: i64,
    declined: i64,
    in_greenhouse: i64,
    interviewing: i64,
    hired: i64,
    rejected: i64,
}

/// The figures of the scope's requests created at or after `since` (all when `None`), in
/// both directions. Network figures: network admins; a company's: its admins and network
/// admins. `FORBIDDEN` for other members, `NOT_FOUND` for outsiders.
#[tracing::instrument(skip(state, access))]
pub async fn analytics(
    state: &AppState,
    access: &NetworkAccess,
    scope: Scope,
    since: Option<chrono::DateTime<chrono::Utc>>,
) -> ServiceResult<Analytics> {
    if access.network_id != scope.network_id() {
        return Err(scope.not_found());
    }
    if !scope.allows(access) {
        return Err(if access.sees_network() {
            ServiceError::Forbidden
        } else {
            scope.not_found()
        });
    }
    let db = state.db.read();
    let backend = db.get_database_backend();
    let cohort = cohort(scope, since);

    let counts = db
        .query_one(&counts_statement(cohort.clone()))
        .await?
        .map(|row| Counts::from_query_result(&row, ""))
        .transpose()?
        .ok_or_else(|| anyhow::anyhow!("an aggregate returned no row"))?;
    let median_hours_to_decision = median(db, hours_to_decision(backend, cohort.clone())).await?;
    let median_days_to_hire = median(db, days_to_hire(backend, cohort)).await?;

    let decided = counts.accepted + counts.declined;
    Ok(Analytics {
        acceptance_rate: (decided > 0).then(|| counts.accepted as f64 / decided as f64),
        requested: counts.requested,
        accepted: counts.accepted,
        declined: counts.declined,
        in_greenhouse: counts.in_greenhouse,
        interviewing: counts.interviewing,
        hired: counts.hired,
        rejected: counts.rejected,
        median_hours_to_decision,
        median_days_to_hire,
    })
}

/// The requests the figures are of.
fn cohort(scope: Scope, since: Option<chrono::DateTime<chrono::Utc>>) -> Condition {
    let mut cohort = Condition::all().add(intro_request::Column::NetworkId.eq(scope.network_id()));
    if let Scope::Company { company_id, .. } = scope {
        cohort = cohort.add(intro_request::Column::CompanyId.eq(company_id));
    }
    if let Some(since) = since {
        cohort = cohort.add(intro_request::Column::CreatedAt.gte(since));
    }
    cohort
}

/// One row of counts: each request of the cohort with its status, whether it is in
/// Greenhouse and its hiring status, counted by kind.
fn counts_statement(cohort: Condition) -> SelectStatement {
    let (status, greenhouse, hiring) = (
        Alias::new("status"),
        Alias::new("greenhouse"),
        Alias::new("hiring"),
    );
    let rows = Query::select()
        .expr_as(Expr::col(intro_request::Column::Status), status.clone())
        .expr_as(
            Expr::case(in_greenhouse(), 1).finally(0),
            greenhouse.clone(),
        )
        .expr_as(hiring_status(), hiring.clone())
        .from(intro_request::Entity)
        .cond_where(cohort)
        .to_owned();
    let count_if = |condition: Condition| Func::count(Expr::case(condition, 1));
    let is = |column: &Alias, value: &str| Expr::col(column.clone()).eq(value);
    let in_greenhouse_and = |hiring_status: HiringStatus| {
        Condition::all()
            .add(Expr::col(greenhouse.clone()).eq(1))
            .add(is(&hiring, hiring_status.sql()))
    };
    Query::select()
        .expr_as(Expr::cust("COUNT(*)"), "requested")
        .expr_as(
            count_if(Condition::all().add(is(&status, &IntroStatus::Accepted.to_value()))),
            "accepted",
        )
        .expr_as(
            count_if(Condition::all().add(is(&status, &IntroStatus::Declined.to_value()))),
            "declined",
        )
        .expr_as(
            count_if(Condition::all().add(Expr::col(greenhouse.clone()).eq(1))),
            "in_greenhouse",
        )
        .expr_as(
            count_if(in_greenhouse_and(HiringStatus::InProcess)),
            "interviewing",
        )
        .expr_as(count_if(in_greenhouse_and(HiringStatus::Hired)), "hired")
        .expr_as(
            count_if(in_greenhouse_and(HiringStatus::Rejected)),
            "rejected",
        )
        .from_subquery(rows, Alias::new("cohort"))
        .to_owned()
}

/// Hours from creation to decision of each decided (accepted or declined) request.
fn hours_to_decision(backend: DbBackend, cohort: Condition) -> SelectStatement {
    let hours = days_between(
        backend,
        Expr::col((intro_request::Entity, intro_request::Column::CreatedAt)),
        Expr::col((intro_request::Entity, intro_request::Column::DecidedAt)),
    )
    .mul(24);
    Query::select()
        .expr_as(hours, Alias::new("v"))
        .from(intro_request::Entity)
        .cond_where(
            cohort
                .add(
                    intro_request::Column::Status
                        .is_in([IntroStatus::Accepted, IntroStatus::Declined]),
                )
                .add(intro_request::Column::DecidedAt.is_not_null()),
        )
        .to_owned()
}

/// Days from acceptance to the first hire of each hired request (hires at or after it).
fn days_to_hire(backend: DbBackend, cohort: Condition) -> SelectStatement {
    use greenhouse_application::{Column, Entity};
    let first_hire = Query::select()
        .expr(Func::min(days_between(
            backend,
            Expr::col((intro_request::Entity, intro_request::Column::DecidedAt)),
            Expr::col((Entity, Column::HiredAt)),
        )))
        .from(Entity)
        .and_where(
            Expr::col((Entity, Column::IntroRequestId))
                .equals((intro_request::Entity, intro_request::Column::Id)),
        )
        .and_where(
            Expr::col((Entity, Column::Status)).is_in(HiringStatus::Hired.application_statuses()),
        )
        // A hire Greenhouse recorded before the introduction (a candidate found already
        // hired) is not one the introduction led to.
        .and_where(Expr::col((Entity, Column::HiredAt)).gte(Expr::col((
            intro_request::Entity,
            intro_request::Column::DecidedAt,
        ))))
        .to_owned();
    Query::select()
        .expr_as(
            Expr::SubQuery(None, Box::new(first_hire.into())),
            Alias::new("v"),
        )
        .from(intro_request::Entity)
        .cond_where(
            cohort
                .add(in_greenhouse())
                .add(hiring_status().eq(HiringStatus::Hired.sql()))
                .add(intro_request::Column::DecidedAt.is_not_null()),
        )
        .to_owned()
}

/// Days (fractional) from one timestamp to another. SQLite keeps timestamps as text, which
/// `julianday` reads; PostgreSQL subtracts them.
fn days_between(backend: DbBackend, from: Expr, to: Expr) -> Expr {
    match backend {
        DbBackend::Postgres => Expr::cust_with_exprs(
            "CAST(EXTRACT(EPOCH FROM ($2 - $1)) AS DOUBLE PRECISION) / 86400.0",
            [from, to],
        ),
        _ => Expr::from(Func::cust("julianday").arg(to)).sub(Func::cust("julianday").arg(from)),
    }
}

/// The median of column `v` of `values` (`NULL`s left out), in one statement: the middle
/// row, or the mean of the middle two.
async fn median(db: &impl ConnectionTrait, values: SelectStatement) -> ServiceResult<Option<f64>> {
    let (v, row, n) = (Alias::new("v"), Alias::new("position"), Alias::new("n"));
    let ranked = Query::select()
        .column(v.clone())
        .expr_as(
            Expr::cust("ROW_NUMBER() OVER (ORDER BY \"v\")"),
            row.clone(),
        )
        .expr_as(Expr::cust("COUNT(*) OVER ()"), n.clone())
        .from_subquery(values, Alias::new("vals"))
        .and_where(Expr::col(v.clone()).is_not_null())
        .to_owned();
    // Integer division: rows (n+1)/2 and (n+2)/2 are the same row when n is odd.
    let middle = Condition::any()
        .add(Expr::col(row.clone()).eq(Expr::col(n.clone()).add(1).div(2)))
        .add(Expr::col(row).eq(Expr::col(n).add(2).div(2)));
    let statement = Query::select()
        .expr_as(Func::avg(Expr::col(v)), Alias::new("median"))
        .from_subquery(ranked, Alias::new("ranked"))
        .cond_where(middle)
        .to_owned();
    let row = db.query_one(&statement).await?;
    Ok(row
        .map(|r| r.try_get::<Option<f64>>("", "median"))
        .transpose()?
        .flatten())
}

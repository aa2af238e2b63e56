//! Introduction requests (SPEC §4.2): who may ask whom, where a new request goes, who
//! sees it, and the network admins' inbox.

use std::collections::HashMap;

use entities::{
    account, company, company_admin,
    enums::{CompanyAdminStatus, IntroDirection, IntroStatus, JobStatus},
    intro_request, intro_request_event, intro_request_job, job, network, network_admin, talent,
};
use lettre::message::Mailbox;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, EntityTrait, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect, Select, Set, sea_query::Expr,
};
use uuid::Uuid;

use crate::{
    domain::LongText,
    error::{
        InputErrors, ServiceError, ServiceResult, UserError, UserErrorCode, is_unique_violation,
    },
    live,
    mail::{outbox, templates},
    services::{
        access::{Actor, NetworkAccess},
        companies,
        pagination::{Order, Page, PageRequest, fetch_page},
    },
    state::AppState,
};

/// The network admins' inbox: open requests that wait for them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum InboxSection {
    /// `PENDING_REVIEW`: the gatekeeper holds them.
    InNetwork,
    /// `AWAITING_POINT_OF_CONTACT`: the company has nobody to receive them.
    OutOfNetwork,
}

impl InboxSection {
    pub fn of(status: IntroStatus) -> Option<Self> {
        match status {
            IntroStatus::PendingReview => Some(Self::InNetwork),
            IntroStatus::AwaitingPointOfContact => Some(Self::OutOfNetwork),
            _ => None,
        }
    }

    fn status(self) -> IntroStatus {
        match self {
            Self::InNetwork => IntroStatus::PendingReview,
            Self::OutOfNetwork => IntroStatus::AwaitingPointOfContact,
        }
    }
}

/// Where a new talent → company request goes.
pub fn route_to_company(company_has_active_admin: bool, gatekeeper: bool) -> IntroStatus {
    if !company_has_active_admin {
        IntroStatus::AwaitingPointOfContact
    } else if gatekeeper {
        IntroStatus::PendingReview
    } else {
        IntroStatus::Sent
    }
}

/// Where a new company → talent request goes.
pub fn route_to_talent(talent_verified: bool, gatekeeper: bool) -> IntroStatus {
    if !talent_verified || gatekeeper {
        IntroStatus::PendingReview
    } else {
        IntroStatus::Sent
    }
}

/// Which requests an actor may see in a network (SPEC §4.1): everything for network admins
/// and API tokens; for company admins their company's requests once delivered and the ones
/// it sent; for talent their own requests, incoming ones once delivered.
fn visible(access: &NetworkAccess) -> Option<Condition> {
    if access.admin || access.api_token {
        return Some(Condition::all());
    }
    let mut any = Condition::any();
    let mut some = false;
    if !access.companies.is_empty() {
        some = true;
        any = any.add(
            Condition::all()
                .add(intro_request::Column::CompanyId.is_in(access.companies.iter().copied()))
                .add(
                    Condition::any()
                        .add(intro_request::Column::SentAt.is_not_null())
                        .add(intro_request::Column::Direction.eq(IntroDirection::CompanyToTalent)),
                ),
        );
    }
    if let Some((talent_id, _)) = access.talent {
        some = true;
        any = any.add(
            Condition::all()
                .add(intro_request::Column::TalentId.eq(talent_id))
                .add(
                    Condition::any()
                        .add(intro_request::Column::SentAt.is_not_null())
                        .add(intro_request::Column::Direction.eq(IntroDirection::TalentToCompany)),
                ),
        );
    }
    some.then_some(any)
}

/// Whether the actor may see this request.
pub fn can_see(access: &NetworkAccess, request: &intro_request::Model) -> bool {
    if access.admin || access.api_token {
        return true;
    }
    let delivered = request.sent_at.is_some();
    (access.companies.contains(&request.company_id)
        && (delivered || request.direction == IntroDirection::CompanyToTalent))
        || (access.talent.is_some_and(|(id, _)| id == request.talent_id)
            && (delivered || request.direction == IntroDirection::TalentToCompany))
}

/// Filters of a request list.
#[derive(Debug, Clone, Default)]
pub struct RequestFilter {
    pub statuses: Vec<IntroStatus>,
    pub direction: Option<IntroDirection>,
    pub company_id: Option<Uuid>,
    pub talent_id: Option<Uuid>,
}

fn select(access: &NetworkAccess, filter: &RequestFilter) -> Option<Select<intro_request::Entity>> {
    let mut select = intro_request::Entity::find()
        .filter(intro_request::Column::NetworkId.eq(access.network_id))
        .filter(visible(access)?);
    if !filter.statuses.is_empty() {
        select =
            select.filter(intro_request::Column::Status.is_in(filter.statuses.iter().copied()));
    }
    if let Some(direction) = filter.direction {
        select = select.filter(intro_request::Column::Direction.eq(direction));
    }
    if let Some(company) = filter.company_id {
        select = select.filter(intro_request::Column::CompanyId.eq(company));
    }
    if let Some(talent) = filter.talent_id {
        select = select.filter(intro_request::Column::TalentId.eq(talent));
    }
    Some(select)
}

/// Requests the actor may see, newest first.
pub async fn list(
    state: &AppState,
    access: &NetworkAccess,
    filter: &RequestFilter,
    page: &PageRequest,
) -> ServiceResult<Page<intro_request::Model>> {
    let Some(select) = select(access, filter) else {
        return Ok(Page::empty());
    };
    Ok(fetch_page(
        state.db.read(),
        select,
        intro_request::Column::Id,
        Order::NewestFirst,
        page,
    )
    .await?)
}

pub async fn count(
    state: &AppState,
    access: &NetworkAccess,
    filter: &RequestFilter,
) -> ServiceResult<i64> {
    let Some(select) = select(access, filter) else {
        return Ok(0);
    };
    Ok(select.count(state.db.read()).await? as i64)
}

/// One section of the network admins' inbox, oldest first (the longest waiting on top);
/// empty for everyone else.
pub async fn inbox(
    state: &AppState,
    access: &NetworkAccess,
    section: InboxSection,
    page: &PageRequest,
) -> ServiceResult<Page<intro_request::Model>> {
    if !access.admin {
        return Ok(Page::empty());
    }
    let select = intro_request::Entity::find()
        .filter(intro_request::Column::NetworkId.eq(access.network_id))
        .filter(intro_request::Column::Status.eq(section.status()));
    Ok(fetch_page(
        state.db.read(),
        select,
        intro_request::Column::Id,
        Order::OldestFirst,
        page,
    )
    .await?)
}

/// Requests waiting in each inbox section, in one statement.
pub async fn inbox_counts(state: &AppState, access: &NetworkAccess) -> ServiceResult<(i64, i64)> {
    if !access.admin {
        return Ok((0, 0));
    }
    count_inbox(state.db.read(), access.network_id).await
}

async fn count_inbox(db: &impl ConnectionTrait, network_id: Uuid) -> ServiceResult<(i64, i64)> {
    let counts: Vec<(IntroStatus, i64)> = intro_request::Entity::find()
        .select_only()
        .column(intro_request::Column::Status)
        .column_as(sea_orm::sea_query::Expr::cust("COUNT(*)"), "n")
        .filter(intro_request::Column::NetworkId.eq(network_id))
        .filter(intro_request::Column::Status.is_in([
            IntroStatus::PendingReview,
            IntroStatus::AwaitingPointOfContact,
        ]))
        .group_by(intro_request::Column::Status)
        .into_tuple()
        .all(db)
        .await?;
    let of = |status| {
        counts
            .iter()
            .find(|(s, _)| *s == status)
            .map_or(0, |(_, n)| *n)
    };
    Ok((
        of(IntroStatus::PendingReview),
        of(IntroStatus::AwaitingPointOfContact),
    ))
}

/// Requests delivered to the company and waiting for its decision.
async fn count_awaiting_company(db: &impl ConnectionTrait, company_id: Uuid) -> ServiceResult<i64> {
    Ok(intro_request::Entity::find()
        .filter(intro_request::Column::CompanyId.eq(company_id))
        .filter(intro_request::Column::Direction.eq(IntroDirection::TalentToCompany))
        .filter(intro_request::Column::Status.eq(IntroStatus::Sent))
        .count(db)
        .await? as i64)
}

/// Jobs attached to each request.
pub async fn jobs_of(
    state: &AppState,
    requests: &[Uuid],
) -> ServiceResult<HashMap<Uuid, Vec<job::Model>>> {
    let links = intro_request_job::Entity::find()
        .filter(intro_request_job::Column::IntroRequestId.is_in(requests.iter().copied()))
        .all(state.db.read())
        .await?;
    let jobs: HashMap<Uuid, job::Model> = job::Entity::find()
        .filter(job::Column::Id.is_in(links.iter().map(|l| l.job_id)))
        .all(state.db.read())
        .await?
        .into_iter()
        .map(|j| (j.id, j))
        .collect();
    let mut by_request: HashMap<Uuid, Vec<job::Model>> = HashMap::new();
    for link in links {
        if let Some(job) = jobs.get(&link.job_id) {
            by_request
                .entry(link.intro_request_id)
                .or_default()
                .push(job.clone());
        }
    }
    by_request
        .values_mut()
        .for_each(|jobs| jobs.sort_by_key(|j| j.id));
    Ok(by_request)
}

/// The timeline of each request, oldest event first.
pub async fn events_of(
    state: &AppState,
    requests: &[Uuid],
) -> ServiceResult<HashMap<Uuid, Vec<intro_request_event::Model>>> {
    let events = intro_request_event::Entity::find()
        .filter(intro_request_event::Column::IntroRequestId.is_in(requests.iter().copied()))
        .order_by_asc(intro_request_event::Column::Id)
        .all(state.db.read())
        .await?;
    let mut grouped: HashMap<Uuid, Vec<intro_request_event::Model>> = HashMap::new();
    for event in events {
        grouped
            .entry(event.intro_request_id)
            .or_default()
            .push(event);
    }
    Ok(grouped)
}

pub struct NewRequest<'a> {
    pub company_id: Uuid,
    /// Set for company → talent requests.
    pub talent_id: Option<Uuid>,
    pub job_ids: &'a [Uuid],
    pub message: &'a str,
}

/// A verified talent asks to be introduced to a company (`requestIntroToCompany`), or a
/// company admin asks to be introduced to a talent (`requestIntroToTalent`).
#[tracing::instrument(skip_all)]
pub async fn request(
    state: &AppState,
    actor: &Actor,
    input: NewRequest<'_>,
) -> ServiceResult<intro_request::Model> {
    let account_id = actor.require_account()?;
    let (company, access) =
        companies::visible_with_access(state, actor, input.company_id, "companyId").await?;
    let (direction, talent) = match input.talent_id {
        None => {
            let Some((talent_id, verified)) = access.talent else {
                return Err(ServiceError::Forbidden);
            };
            if !verified {
                return Err(UserError::new(
                    UserErrorCode::NotVerified,
                    "only verified talent may request introductions",
                )
                .into());
            }
            (IntroDirection::TalentToCompany, talent_id)
        }
        Some(talent_id) => {
            if !access.companies.contains(&company.id) {
                return Err(ServiceError::Forbidden);
            }
            (IntroDirection::CompanyToTalent, talent_id)
        }
    };
    let talent = talent::Entity::find_by_id(talent)
        .one(state.db.read())
        .await?
        .filter(|t| t.network_id == company.network_id && access.talent_scope().allows(t));
    let talent = talent.ok_or_else(|| ServiceError::not_found("talentId", "talent"))?;
    let mut errors = InputErrors::default();
    let message = errors.check("message", LongText::parse(input.message));
    let jobs = job::Entity::find()
        .filter(job::Column::Id.is_in(input.job_ids.iter().copied()))
        .filter(job::Column::CompanyId.eq(company.id))
        .all(state.db.read())
        .await?;
    if jobs.len()
        != input
            .job_ids
            .iter()
            .collect::<std::collections::HashSet<_>>()
            .len()
        || jobs.iter().any(|j| j.status != JobStatus::Open)
    {
        errors.push(UserError::invalid(
            "jobIds",
            "every job must be an open job of the company",
        ));
    }
    errors.finish()?;
    let message = message.map(LongText::into_string).unwrap_or_default();

    let network = network::Entity::find_by_id(company.network_id)
        .one(state.db.read())
        .await?
        .ok_or_else(|| anyhow::anyhow!("company without network"))?;
    let active_admins = company_admin::Entity::find()
        .filter(company_admin::Column::CompanyId.eq(company.id))
        .filter(company_admin::Column::Status.eq(CompanyAdminStatus::Active))
        .order_by_asc(company_admin::Column::Id)
        .all(state.db.read())
        .await?;
    let status = match direction {
        IntroDirection::TalentToCompany => {
            route_to_company(!active_admins.is_empty(), network.gatekeeper)
        }
        IntroDirection::CompanyToTalent => route_to_talent(talent.verified, network.gatekeeper),
    };

    let now = state.now();
    let txn = state.begin_in_network(network.id).await?;
    let inserted = intro_request::ActiveModel {
        id: Set(Uuid::now_v7()),
        network_id: Set(network.id),
        direction: Set(direction),
        talent_id: Set(talent.id),
        company_id: Set(company.id),
        message: Set(message),
        status: Set(status),
        requested_by_account_id: Set(account_id),
        point_of_contact_id: Set(None),
        decline_reason: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
        sent_at: Set((status == IntroStatus::Sent).then_some(now)),
        decided_at: Set(None),
        reminded_at: Set(None),
    }
    .insert(&txn)
    .await;
    let request = match inserted {
        Ok(request) => request,
        Err(e) if is_unique_violation(&e) => {
            return Err(UserError::new(
                UserErrorCode::Duplicate,
                "an open request between them already exists",
            )
            .on("companyId")
            .into());
        }
        Err(e) => return Err(e.into()),
    };
    for job in &jobs {
        intro_request_job::ActiveModel {
            intro_request_id: Set(request.id),
            job_id: Set(job.id),
        }
        .insert(&txn)
        .await?;
    }
    record_event(
        &txn,
        state,
        &request,
        Some(account_id),
        None,
        status,
        None,
        now,
    )
    .await?;

    let jobs = jobs.into_iter().map(|j| j.title).collect();
    let details = RequestDetails::new(state, &request, network, talent, company, jobs);
    let (network, talent, summary) = (&details.network, &details.talent, details.summary(&request));
    let email = match status {
        IntroStatus::PendingReview => templates::request_needs_admin(
            &summary,
            templates::AdminAttention::NeedsReview,
            network_admins(&txn, network.id).await?,
        ),
        IntroStatus::AwaitingPointOfContact => templates::request_needs_admin(
            &summary,
            templates::AdminAttention::NoCompanyAdmin,
            network_admins(&txn, network.id).await?,
        ),
        _ => templates::request_delivered(&summary, recipients(&request, talent, &active_admins)),
    };
    if !email.to.is_empty() {
        outbox::enqueue(&txn, email, &state.message_domain(), now).await?;
    }
    state.commit(txn).await?;
    Ok(request)
}

/// Who receives a delivered request: the company's active admins, or the talent.
fn recipients(
    request: &intro_request::Model,
    talent: &talent::Model,
    company_admins: &[company_admin::Model],
) -> Vec<Mailbox> {
    match request.direction {
        IntroDirection::TalentToCompany => company_admins
            .iter()
            .filter_map(|a| mailbox(&a.name, &a.email))
            .collect(),
        IntroDirection::CompanyToTalent => {
            mailbox(&talent.name, &talent.email).into_iter().collect()
        }
    }
}

fn mailbox(name: &str, email: &str) -> Option<Mailbox> {
    email
        .parse()
        .ok()
        .map(|address| Mailbox::new(Some(name.to_owned()), address))
}

/// Every network admin's address.
async fn network_admins(
    db: &impl ConnectionTrait,
    network_id: Uuid,
) -> ServiceResult<Vec<Mailbox>> {
    let ids: Vec<Uuid> = network_admin::Entity::find()
        .select_only()
        .column(network_admin::Column::AccountId)
        .filter(network_admin::Column::NetworkId.eq(network_id))
        .into_tuple()
        .all(db)
        .await?;
    let accounts = account::Entity::find()
        .filter(account::Column::Id.is_in(ids))
        .order_by_asc(account::Column::Id)
        .all(db)
        .await?;
    Ok(accounts
        .iter()
        .filter_map(|a| mailbox(&a.name, &a.email))
        .collect())
}

/// Appends a step to the request's timeline, and the change to the live event log with
/// the inboxes as they stand now (the network's lock makes those counts exact).
#[allow(clippy::too_many_arguments)]
async fn record_event(
    db: &impl ConnectionTrait,
    state: &AppState,
    request: &intro_request::Model,
    actor: Option<Uuid>,
    from: Option<IntroStatus>,
    to: IntroStatus,
    note: Option<String>,
    at: chrono::DateTime<chrono::Utc>,
) -> ServiceResult<()> {
    intro_request_event::ActiveModel {
        id: Set(Uuid::now_v7()),
        network_id: Set(request.network_id),
        intro_request_id: Set(request.id),
        actor_account_id: Set(actor),
        from_status: Set(from),
        to_status: Set(to),
        note: Set(note),
        at: Set(at),
    }
    .insert(db)
    .await?;
    // Already held when the transaction began with it; taking it again is free.
    live::log::lock_network(db, request.network_id).await?;
    let (in_network, out_of_network) = count_inbox(db, request.network_id).await?;
    let company_awaiting = count_awaiting_company(db, request.company_id).await?;
    let counts = (in_network, out_of_network, company_awaiting);
    live::log::append(db, live::log::entry(request, from, counts, state.now())).await?;
    state
        .live
        .signal(db, live::Signal::Events(request.network_id))
        .await?;
    Ok(())
}

/// What emails about a request show, loaded once.
struct RequestDetails {
    network: network::Model,
    talent: talent::Model,
    company: company::Model,
    jobs: Vec<String>,
    link: String,
}

impl RequestDetails {
    async fn load(
        db: &impl ConnectionTrait,
        state: &AppState,
        request: &intro_request::Model,
    ) -> ServiceResult<Self> {
        let missing = |what: &str| anyhow::anyhow!("intro request {} has no {what}", request.id);
        let network = network::Entity::find_by_id(request.network_id)
            .one(db)
            .await?
            .ok_or_else(|| missing("network"))?;
        let talent = talent::Entity::find_by_id(request.talent_id)
            .one(db)
            .await?
            .ok_or_else(|| missing("talent"))?;
        let company = company::Entity::find_by_id(request.company_id)
            .one(db)
            .await?
            .ok_or_else(|| missing("company"))?;
        let job_ids: Vec<Uuid> = intro_request_job::Entity::find()
            .select_only()
            .column(intro_request_job::Column::JobId)
            .filter(intro_request_job::Column::IntroRequestId.eq(request.id))
            .into_tuple()
            .all(db)
            .await?;
        let jobs = job::Entity::find()
            .filter(job::Column::Id.is_in(job_ids))
            .order_by_asc(job::Column::Id)
            .all(db)
            .await?
            .into_iter()
            .map(|j| j.title)
            .collect();
        Ok(Self::new(state, request, network, talent, company, jobs))
    }

    fn new(
        state: &AppState,
        request: &intro_request::Model,
        network: network::Model,
        talent: talent::Model,
        company: company::Model,
        jobs: Vec<String>,
    ) -> Self {
        let link = state
            .app_url
            .link(&format!("intro-requests/{}", request.id));
        Self {
            network,
            talent,
            company,
            jobs,
            link,
        }
    }

    fn summary<'a>(&'a self, request: &'a intro_request::Model) -> templates::RequestSummary<'a> {
        templates::RequestSummary {
            network_id: self.network.id,
            network: &self.network.name,
            talent: &self.talent.name,
            talent_headline: self.talent.headline.as_deref(),
            talent_linkedin: self.talent.linkedin_url.as_deref(),
            company: &self.company.name,
            to_company: request.direction == IntroDirection::TalentToCompany,
            message: &request.message,
            jobs: self.jobs.clone(),
            link: &self.link,
        }
    }
}

async fn active_admins(
    db: &impl ConnectionTrait,
    company_id: Uuid,
) -> ServiceResult<Vec<company_admin::Model>> {
    Ok(company_admin::Entity::find()
        .filter(company_admin::Column::CompanyId.eq(company_id))
        .filter(company_admin::Column::Status.eq(CompanyAdminStatus::Active))
        .order_by_asc(company_admin::Column::Id)
        .all(db)
        .await?)
}

/// Moves a request from one of `from` to `to` if it still is in one of them: of several
/// competing decisions exactly one wins; the others get `INVALID_STATE`.
async fn transition(
    db: &impl ConnectionTrait,
    id: Uuid,
    from: &[IntroStatus],
    to: IntroStatus,
    now: chrono::DateTime<chrono::Utc>,
    changes: impl FnOnce(
        sea_orm::UpdateMany<intro_request::Entity>,
    ) -> sea_orm::UpdateMany<intro_request::Entity>,
) -> ServiceResult<intro_request::Model> {
    let update = intro_request::Entity::update_many()
        .col_expr(intro_request::Column::Status, Expr::value(to))
        .col_expr(intro_request::Column::UpdatedAt, Expr::value(now))
        .filter(intro_request::Column::Id.eq(id))
        .filter(intro_request::Column::Status.is_in(from.iter().copied()));
    if changes(update).exec(db).await?.rows_affected != 1 {
        return Err(invalid_state());
    }
    Ok(intro_request::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| anyhow::anyhow!("intro request {id} vanished"))?)
}

fn invalid_state() -> ServiceError {
    UserError::new(
        UserErrorCode::InvalidState,
        "the request is no longer in a state that allows this",
    )
    .on("introRequestId")
    .into()
}

/// The request and the actor's rights in its network; `NOT_FOUND` if they may not see it.
async fn find_for(
    state: &AppState,
    actor: &Actor,
    id: Uuid,
) -> ServiceResult<(intro_request::Model, NetworkAccess)> {
    actor.require_account()?;
    let not_found = || ServiceError::not_found("introRequestId", "introduction request");
    let request = intro_request::Entity::find_by_id(id)
        .one(state.db.read())
        .await?
        .ok_or_else(not_found)?;
    let access = actor.access(&state.db, request.network_id).await?;
    if !can_see(&access, &request) {
        return Err(not_found());
    }
    Ok((request, access))
}

/// Delivers a request now in `SENT`: queues the email to its recipients.
async fn deliver(
    db: &impl ConnectionTrait,
    state: &AppState,
    request: &intro_request::Model,
) -> ServiceResult<()> {
    let context = RequestDetails::load(db, state, request).await?;
    let admins = active_admins(db, request.company_id).await?;
    let to = recipients(request, &context.talent, &admins);
    if !to.is_empty() {
        outbox::enqueue(
            db,
            templates::request_delivered(&context.summary(request), to),
            &state.message_domain(),
            state.now(),
        )
        .await?;
    }
    Ok(())
}

/// A network admin approves a request held for review: it is delivered.
#[tracing::instrument(skip_all)]
pub async fn make_intro(
    state: &AppState,
    actor: &Actor,
    id: Uuid,
    note: Option<&str>,
) -> ServiceResult<intro_request::Model> {
    let (request, access) = find_for(state, actor, id).await?;
    if !access.admin {
        return Err(ServiceError::Forbidden);
    }
    if request.status == IntroStatus::AwaitingPointOfContact {
        return Err(UserError::new(
            UserErrorCode::NoCompanyAdmin,
            "the company has no company admin: add a point of contact first",
        )
        .on("introRequestId")
        .into());
    }
    let note = parse_note(note)?;
    let now = state.now();
    let txn = state.begin_in_network(request.network_id).await?;
    if request.direction == IntroDirection::TalentToCompany
        && active_admins(&txn, request.company_id).await?.is_empty()
    {
        return Err(UserError::new(
            UserErrorCode::NoCompanyAdmin,
            "the company has no active company admin any more",
        )
        .on("introRequestId")
        .into());
    }
    let sent = transition(
        &txn,
        id,
        &[IntroStatus::PendingReview],
        IntroStatus::Sent,
        now,
        |u| u.col_expr(intro_request::Column::SentAt, Expr::value(now)),
    )
    .await?;
    record_event(
        &txn,
        state,
        &sent,
        actor.account_id(),
        Some(IntroStatus::PendingReview),
        IntroStatus::Sent,
        note,
        now,
    )
    .await?;
    deliver(&txn, state, &sent).await?;
    state.commit(txn).await?;
    Ok(sent)
}

fn parse_note(note: Option<&str>) -> ServiceResult<Option<String>> {
    let mut errors = InputErrors::default();
    let note = errors.check("note", note.map(LongText::parse).transpose());
    errors.finish()?;
    Ok(note
        .flatten()
        .map(LongText::into_string)
        .filter(|n| !n.is_empty()))
}

/// A network admin names someone at a company that has nobody to receive the request: they
/// are invited as company admin, and the request waits for them.
#[tracing::instrument(skip_all)]
pub async fn add_point_of_contact(
    state: &AppState,
    actor: &Actor,
    id: Uuid,
    name: &str,
    email: &str,
) -> ServiceResult<(intro_request::Model, company_admin::Model)> {
    let (request, access) = find_for(state, actor, id).await?;
    if !access.admin {
        return Err(ServiceError::Forbidden);
    }
    if request.status != IntroStatus::AwaitingPointOfContact {
        return Err(invalid_state());
    }
    let mut errors = InputErrors::default();
    let name = errors.check("name", crate::domain::Name::parse(name));
    let email = errors.check("email", crate::domain::EmailAddress::parse(email));
    errors.finish()?;
    let (Some(name), Some(email)) = (name, email) else {
        unreachable!("finish() returned early")
    };
    let now = state.now();
    let txn = state.begin_in_network(request.network_id).await?;
    let context = RequestDetails::load(&txn, state, &request).await?;
    let admin =
        companies::upsert_invited_admin(&txn, state, &context.company, &name, &email).await?;
    let updated = transition(
        &txn,
        id,
        &[IntroStatus::AwaitingPointOfContact],
        IntroStatus::AwaitingPointOfContact,
        now,
        |u| {
            u.col_expr(
                intro_request::Column::PointOfContactId,
                Expr::value(admin.id),
            )
        },
    )
    .await?;
    let note = format!("point of contact: {} <{}>", name.as_str(), email.as_str());
    record_event(
        &txn,
        state,
        &updated,
        actor.account_id(),
        Some(IntroStatus::AwaitingPointOfContact),
        IntroStatus::AwaitingPointOfContact,
        Some(note),
        now,
    )
    .await?;
    let summary = context.summary(&updated);
    let pending = if summary.to_company {
        format!(
            "{} asks for an introduction to {}.",
            summary.talent, summary.company
        )
    } else {
        format!("{} would like to meet {}.", summary.company, summary.talent)
    };
    crate::services::invitations::invite(
        &txn,
        state,
        crate::services::invitations::NewInvitation {
            network: &context.network,
            kind: entities::enums::InvitationKind::CompanyAdmin,
            email: &email,
            name: &name,
            company_admin_id: Some(admin.id),
            ally_id: None,
            talent_id: None,
            intro_request_id: Some(updated.id),
            invited_by: actor.account_id(),
            pending_request: Some(pending),
        },
        Some(&context.company.name),
    )
    .await?;
    state.commit(txn).await?;
    Ok((updated, admin))
}

/// Called when a company admin accepts their invitation: every request of the company that
/// waited for a point of contact is delivered (the admin's suggestion was the review).
pub async fn deliver_awaiting(
    db: &impl ConnectionTrait,
    state: &AppState,
    company_id: Uuid,
    actor: Uuid,
) -> ServiceResult<()> {
    let now = state.now();
    let waiting = intro_request::Entity::find()
        .filter(intro_request::Column::CompanyId.eq(company_id))
        .filter(intro_request::Column::Status.eq(IntroStatus::AwaitingPointOfContact))
        .order_by_asc(intro_request::Column::Id)
        .all(db)
        .await?;
    for request in waiting {
        let sent = match transition(
            db,
            request.id,
            &[IntroStatus::AwaitingPointOfContact],
            IntroStatus::Sent,
            now,
            |u| u.col_expr(intro_request::Column::SentAt, Expr::value(now)),
        )
        .await
        {
            Ok(sent) => sent,
            // Decided meanwhile by someone else: nothing to deliver.
            Err(ServiceError::User(_)) => continue,
            Err(other) => return Err(other),
        };
        record_event(
            db,
            state,
            &sent,
            Some(actor),
            Some(IntroStatus::AwaitingPointOfContact),
            IntroStatus::Sent,
            Some("a company admin joined".into()),
            now,
        )
        .await?;
        deliver(db, state, &sent).await?;
    }
    Ok(())
}

/// Whether the actor is the receiving side of the request.
fn is_recipient(access: &NetworkAccess, request: &intro_request::Model) -> bool {
    match request.direction {
        IntroDirection::TalentToCompany => access.companies.contains(&request.company_id),
        IntroDirection::CompanyToTalent => {
            access.talent.is_some_and(|(id, _)| id == request.talent_id)
        }
    }
}

/// The recipient accepts: one email introduces both parties (network admins Bcc).
#[tracing::instrument(skip_all)]
pub async fn accept_intro(
    state: &AppState,
    actor: &Actor,
    id: Uuid,
) -> ServiceResult<intro_request::Model> {
    let (request, access) = find_for(state, actor, id).await?;
    if !is_recipient(&access, &request) {
        return Err(ServiceError::Forbidden);
    }
    let account_id = actor.require_account()?;
    let now = state.now();
    let txn = state.begin_in_network(request.network_id).await?;
    let accepted = transition(
        &txn,
        id,
        &[IntroStatus::Sent],
        IntroStatus::Accepted,
        now,
        |u| u.col_expr(intro_request::Column::DecidedAt, Expr::value(now)),
    )
    .await?;
    record_event(
        &txn,
        state,
        &accepted,
        Some(account_id),
        Some(IntroStatus::Sent),
        IntroStatus::Accepted,
        None,
        now,
    )
    .await?;
    let context = RequestDetails::load(&txn, state, &accepted).await?;
    let person = |id| account::Entity::find_by_id(id).one(&txn);
    let recipient = person(account_id)
        .await?
        .and_then(|a| mailbox(&a.name, &a.email));
    let requester = person(accepted.requested_by_account_id)
        .await?
        .and_then(|a| mailbox(&a.name, &a.email));
    if let (Some(to), Some(cc)) = (recipient, requester) {
        let bcc = network_admins(&txn, accepted.network_id).await?;
        outbox::enqueue(
            &txn,
            templates::introduction(&context.summary(&accepted), to, cc, bcc),
            &state.message_domain(),
            now,
        )
        .await?;
    }
    state.commit(txn).await?;
    Ok(accepted)
}

/// The recipient declines a delivered request, or a network admin one that waits for them.
#[tracing::instrument(skip_all)]
pub async fn decline_intro(
    state: &AppState,
    actor: &Actor,
    id: Uuid,
    reason: Option<&str>,
) -> ServiceResult<intro_request::Model> {
    let (request, access) = find_for(state, actor, id).await?;
    // The recipient declines what was delivered; network admins what waits for them.
    let mut from = Vec::new();
    if is_recipient(&access, &request) {
        from.push(IntroStatus::Sent);
    }
    if access.admin {
        from.extend([
            IntroStatus::PendingReview,
            IntroStatus::AwaitingPointOfContact,
        ]);
    }
    if from.is_empty() {
        return Err(ServiceError::Forbidden);
    }
    let reason = parse_note(reason)?;
    let now = state.now();
    let txn = state.begin_in_network(request.network_id).await?;
    let declined = transition(&txn, id, &from, IntroStatus::Declined, now, |u| {
        u.col_expr(intro_request::Column::DecidedAt, Expr::value(now))
            .col_expr(
                intro_request::Column::DeclineReason,
                Expr::value(reason.clone()),
            )
    })
    .await?;
    record_event(
        &txn,
        state,
        &declined,
        actor.account_id(),
        Some(request.status),
        IntroStatus::Declined,
        reason.clone(),
        now,
    )
    .await?;
    let context = RequestDetails::load(&txn, state, &declined).await?;
    if context.network.notify_requester_on_decline {
        let requester = account::Entity::find_by_id(declined.requested_by_account_id)
            .one(&txn)
            .await?
            .and_then(|a| mailbox(&a.name, &a.email));
        if let Some(to) = requester {
            outbox::enqueue(
                &txn,
                templates::declined(&context.summary(&declined), reason.as_deref(), to),
                &state.message_domain(),
                now,
            )
            .await?;
        }
    }
    state.commit(txn).await?;
    Ok(declined)
}

/// The requester takes back an open request.
#[tracing::instrument(skip_all)]
pub async fn withdraw_intro(
    state: &AppState,
    actor: &Actor,
    id: Uuid,
) -> ServiceResult<intro_request::Model> {
    let (request, _) = find_for(state, actor, id).await?;
    let account_id = actor.require_account()?;
    if request.requested_by_account_id != account_id {
        return Err(ServiceError::Forbidden);
    }
    let now = state.now();
    let txn = state.begin_in_network(request.network_id).await?;
    let open = [
        IntroStatus::PendingReview,
        IntroStatus::AwaitingPointOfContact,
        IntroStatus::Sent,
    ];
    let withdrawn = transition(&txn, id, &open, IntroStatus::Withdrawn, now, |u| {
        u.col_expr(intro_request::Column::DecidedAt, Expr::value(now))
    })
    .await?;
    record_event(
        &txn,
        state,
        &withdrawn,
        Some(account_id),
        Some(request.status),
        IntroStatus::Withdrawn,
        None,
        now,
    )
    .await?;
    state.commit(txn).await?;
    Ok(withdrawn)
}

/// What one pass of the follow-up job did.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct FollowUp {
    pub reminded: usize,
    pub expired: usize,
}

/// Reminds recipients of requests undecided after `reminderAfterDays` (once) and expires
/// those undecided after `introExpiryDays`. Each step is a conditional update, so with
/// several server processes each request is reminded once and expired once.
#[tracing::instrument(skip_all)]
pub async fn follow_up(state: &AppState) -> ServiceResult<FollowUp> {
    let now = state.now();
    let mut done = FollowUp::default();
    for network in network::Entity::find().all(state.db.read()).await? {
        let undecided = |days: i32| {
            intro_request::Entity::find()
                .filter(intro_request::Column::NetworkId.eq(network.id))
                .filter(intro_request::Column::Status.eq(IntroStatus::Sent))
                .filter(
                    intro_request::Column::SentAt.lte(now - chrono::Duration::days(days.into())),
                )
                .order_by_asc(intro_request::Column::Id)
        };
        for request in undecided(network.intro_expiry_days)
            .all(state.db.read())
            .await?
        {
            let txn = state.begin_in_network(request.network_id).await?;
            match transition(
                &txn,
                request.id,
                &[IntroStatus::Sent],
                IntroStatus::Expired,
                now,
                |u| u.col_expr(intro_request::Column::DecidedAt, Expr::value(now)),
            )
            .await
            {
                Ok(expired) => {
                    record_event(
                        &txn,
                        state,
                        &expired,
                        None,
                        Some(IntroStatus::Sent),
                        IntroStatus::Expired,
                        None,
                        now,
                    )
                    .await?;
                    state.commit(txn).await?;
                    done.expired += 1;
                }
                // Decided (or expired by another process) meanwhile.
                Err(ServiceError::User(_)) => {}
                Err(other) => return Err(other),
            }
        }
        let due = undecided(network.reminder_after_days)
            .filter(intro_request::Column::RemindedAt.is_null())
            .all(state.db.read())
            .await?;
        for request in due {
            let txn = state.begin().await?;
            let claimed = intro_request::Entity::update_many()
                .col_expr(intro_request::Column::RemindedAt, Expr::value(now))
                .filter(intro_request::Column::Id.eq(request.id))
                .filter(intro_request::Column::Status.eq(IntroStatus::Sent))
                .filter(intro_request::Column::RemindedAt.is_null())
                .exec(&txn)
                .await?
                .rows_affected
                == 1;
            if !claimed {
                continue;
            }
            let context = RequestDetails::load(&txn, state, &request).await?;
            let to = recipients(
                &request,
                &context.talent,
                &active_admins(&txn, request.company_id).await?,
            );
            if !to.is_empty() {
                outbox::enqueue(
                    &txn,
                    templates::reminder(&context.summary(&request), to),
                    &state.message_domain(),
                    now,
                )
                .await?;
            }
            state.commit(txn).await?;
            done.reminded += 1;
        }
    }
    Ok(done)
}

/// Runs [`follow_up`] every `interval` until shut down.
pub async fn run_follow_ups(
    state: AppState,
    interval: std::time::Duration,
    shutdown: tokio_util::sync::CancellationToken,
) {
    loop {
        match follow_up(&state).await {
            Ok(done) if done != FollowUp::default() => tracing::info!(
                reminded = done.reminded,
                expired = done.expired,
                "introduction follow-ups"
            ),
            Ok(_) => {}
            Err(error) => {
                crate::error::report(&error);
            }
        }
        tokio::select! {
            _ = shutdown.cancelled() => return,
            _ = tokio::time::sleep(interval) => {}
        }
    }
}

/// A decline reason is shown to the requester only when the network tells requesters.
pub fn sees_decline_reason(
    access: &NetworkAccess,
    request: &intro_request::Model,
    notify_requester: bool,
    account_id: Option<Uuid>,
) -> bool {
    access.admin
        || is_recipient(access, request)
        || (notify_requester && account_id == Some(request.requested_by_account_id))
}

/// The request, if the actor may see it.
pub async fn visible_request(
    state: &AppState,
    actor: &Actor,
    id: Uuid,
) -> ServiceResult<Option<intro_request::Model>> {
    let Some(request) = intro_request::Entity::find_by_id(id)
        .one(state.db.read())
        .await?
    else {
        return Ok(None);
    };
    let access = actor.access(&state.db, request.network_id).await?;
    Ok(can_see(&access, &request).then_some(request))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routing_follows_the_spec() {
        assert_eq!(
            route_to_company(false, true),
            IntroStatus::AwaitingPointOfContact
        );
        assert_eq!(
            route_to_company(false, false),
            IntroStatus::AwaitingPointOfContact
        );
        assert_eq!(route_to_company(true, true), IntroStatus::PendingReview);
        assert_eq!(route_to_company(true, false), IntroStatus::Sent);
        assert_eq!(route_to_talent(false, false), IntroStatus::PendingReview);
        assert_eq!(route_to_talent(true, true), IntroStatus::PendingReview);
        assert_eq!(route_to_talent(true, false), IntroStatus::Sent);
    }
}

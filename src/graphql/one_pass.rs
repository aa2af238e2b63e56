//! The objects of a list answered in one pass.
//!
//! async-graphql resolves every field of every object as a future of its own, and with an
//! extension registered (the request policy) each one also goes through the extension
//! chain and a registry lookup. The network admins' list of 50 requests with their talent,
//! company (its admins and jobs), jobs and timeline is about 2,300 such fields: most of the
//! read path's CPU. So an object of a list whose selection uses only the fields named in
//! [`Kind::field`] is answered here instead: one future per object, from the same loaders
//! (so the same statements) and under the same access rules as the resolvers. Anything
//! else (another field, a directive, arguments that do not parse) goes to the resolvers,
//! which stay the reference: `tests/api/one_pass.rs` compares both answers for every field
//! answered here, for every role. `GRAPHQL_ONE_PASS=false` turns this off.

use std::borrow::Cow;

use async_graphql::{
    ContextSelectionSet, Name, OutputType, Positioned, ScalarType, ServerResult, Value,
    indexmap::IndexMap,
    parser::types::{Field, Selection, SelectionSet},
    registry::Registry,
    resolver_utils::enum_value,
};
use chrono::{DateTime, Utc};
use entities::{company, company_admin, intro_request, job, talent};
use futures::future::{BoxFuture, try_join_all};

use super::{
    connection::{Cursor, page_request},
    context::ContextExt,
    ids::{GlobalId, NodeKind},
    loaders::JobsKey,
    types::{self, intro_request::missing},
};
use crate::services::{companies, introductions, pagination::PageRequest};

mod sql;

pub use sql::{Compiled, ObjectKey, fetch as fetch_objects, write_json};

/// Registered on the schema when `GRAPHQL_ONE_PASS` is off.
pub struct OnePassOff;

/// An object of a list: answered in one pass when its selection allows, else by its
/// resolvers. It is the same GraphQL type as `T`.
pub struct Listed<T>(pub T);

/// A type whose objects can be answered in one pass.
pub trait OnePass: OutputType {
    /// The answer to the selection of `ctx`, or `None` to leave it to the resolvers.
    fn one_pass<'a>(
        &'a self,
        ctx: &'a ContextSelectionSet<'a>,
    ) -> Option<BoxFuture<'a, async_graphql::Result<Value>>>;
}

impl<T: OnePass> OutputType for Listed<T> {
    fn type_name() -> Cow<'static, str> {
        T::type_name()
    }

    fn create_type_info(registry: &mut Registry) -> String {
        T::create_type_info(registry)
    }

    async fn resolve(
        &self,
        ctx: &ContextSelectionSet<'_>,
        field: &Positioned<Field>,
    ) -> ServerResult<Value> {
        let answer = match ctx.data_opt::<OnePassOff>() {
            None => self.0.one_pass(ctx),
            Some(_) => None,
        };
        match answer {
            Some(answer) => {
                ctx.state().metrics.graphql_one_pass_objects.inc();
                answer
                    .await
                    .map_err(|error| ctx.set_error_path(error.into_server_error(field.pos)))
            }
            None => self.0.resolve(ctx, field).await,
        }
    }
}

impl OnePass for types::IntroRequest {
    fn one_pass<'a>(
        &'a self,
        ctx: &'a ContextSelectionSet<'a>,
    ) -> Option<BoxFuture<'a, async_graphql::Result<Value>>> {
        let r = &self.0;
        if let Some(compiled) = sql::compiled(ctx, Kind::IntroRequest) {
            let answer = sql::answer(ctx, compiled, r.network_id, r.company_id, r.id);
            return Some(Box::pin(answer));
        }
        let plan = plan(ctx, Kind::IntroRequest, &[ctx.item])?;
        Some(Box::pin(async move { request(ctx, &plan, r).await }))
    }
}

impl OnePass for types::Company {
    fn one_pass<'a>(
        &'a self,
        ctx: &'a ContextSelectionSet<'a>,
    ) -> Option<BoxFuture<'a, async_graphql::Result<Value>>> {
        let c = &self.0;
        if let Some(compiled) = sql::compiled(ctx, Kind::Company) {
            return Some(Box::pin(sql::answer(
                ctx,
                compiled,
                c.network_id,
                c.id,
                c.id,
            )));
        }
        let plan = plan(ctx, Kind::Company, &[ctx.item])?;
        Some(Box::pin(async move { company(ctx, &plan, c).await }))
    }
}

/// Whether every list of requests selected by the connection field of `ctx` (its `nodes`
/// and its `edges { node }`) compiles to SQL, so its objects need nothing but their ids.
pub fn request_lists_compile(ctx: &async_graphql::Context<'_>) -> bool {
    if ctx.data_opt::<OnePassOff>().is_some() {
        return false;
    }
    let mut lists = Vec::new();
    for selection in &ctx.item.node.selection_set.node.items {
        let Selection::Field(field) = &selection.node else {
            return false;
        };
        match field.node.name.node.as_str() {
            "nodes" => lists.push(&field.node.selection_set),
            "edges" => {
                for selection in &field.node.selection_set.node.items {
                    let Selection::Field(edge_field) = &selection.node else {
                        return false;
                    };
                    if edge_field.node.name.node == "node" {
                        lists.push(&edge_field.node.selection_set);
                    }
                }
            }
            _ => {}
        }
    }
    // The objects of a list resolve with the list field's selection set as their item,
    // the key `compiled` caches under.
    lists
        .into_iter()
        .all(|list| sql::compiled(&ctx.with_selection_set(list), Kind::IntroRequest).is_some())
}

/// The types answered here.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    IntroRequest,
    IntroRequestEvent,
    Talent,
    Company,
    CompanyAdmin,
    Job,
    JobConnection,
    JobEdge,
    PageInfo,
}

impl Kind {
    /// The fields answered here: `Some(None)` for a leaf, `Some(Some(kind))` for an object
    /// (or a list of them) of that kind, `None` for a field left to the resolvers.
    fn field(self, name: &str) -> Option<Option<Kind>> {
        use Kind::*;
        let leaf = Some(None);
        match (self, name) {
            (_, "__typename") => leaf,
            (
                IntroRequest,
                "id" | "direction" | "status" | "inboxSection" | "message" | "createdAt"
                | "updatedAt" | "sentAt" | "decidedAt" | "declineReason",
            ) => leaf,
            (IntroRequest, "talent") => Some(Some(Talent)),
            (IntroRequest, "company") => Some(Some(Company)),
            (IntroRequest, "jobs") => Some(Some(Job)),
            (IntroRequest, "events") => Some(Some(IntroRequestEvent)),
            (IntroRequestEvent, "at" | "fromStatus" | "toStatus" | "note") => leaf,
            (
                Talent,
                "id" | "name" | "email" | "headline" | "linkedinUrl" | "verified" | "claimed"
                | "createdAt",
            ) => leaf,
            (Company, "id" | "name" | "domain" | "websiteUrl" | "createdAt" | "hasActiveAdmin") => {
                leaf
            }
            (Company, "admins") => Some(Some(CompanyAdmin)),
            (Company, "jobs") => Some(Some(JobConnection)),
            (CompanyAdmin, "id" | "name" | "email" | "status" | "invitedAt" | "acceptedAt") => leaf,
            (
                Job,
                "id" | "title" | "location" | "department" | "url" | "status" | "greenhouseJobId"
                | "createdAt",
            ) => leaf,
            (JobConnection, "nodes") => Some(Some(Job)),
            (JobConnection, "edges") => Some(Some(JobEdge)),
            (JobConnection, "pageInfo") => Some(Some(PageInfo)),
            (JobEdge, "cursor") => leaf,
            (JobEdge, "node") => Some(Some(Job)),
            (PageInfo, "hasPreviousPage" | "hasNextPage" | "startCursor" | "endCursor") => leaf,
            _ => None,
        }
    }

    fn type_name(self) -> Cow<'static, str> {
        match self {
            Kind::IntroRequest => <types::IntroRequest as OutputType>::type_name(),
            Kind::IntroRequestEvent => <types::IntroRequestEvent as OutputType>::type_name(),
            Kind::Talent => <types::Talent as OutputType>::type_name(),
            Kind::Company => <types::Company as OutputType>::type_name(),
            Kind::CompanyAdmin => <types::CompanyAdmin as OutputType>::type_name(),
            Kind::Job => <types::Job as OutputType>::type_name(),
            Kind::JobConnection => "JobConnection".into(),
            Kind::JobEdge => "JobEdge".into(),
            Kind::PageInfo => "PageInfo".into(),
        }
    }
}

/// One response key of a selection, its occurrences merged (as GraphQL merges them).
struct Planned<'a> {
    key: Name,
    name: &'a str,
    /// The merged selection of an object field.
    sub: Vec<Planned<'a>>,
    /// `Company.jobs`: the filter's status and the page.
    jobs: Option<(Option<entities::enums::JobStatus>, PageRequest)>,
}

/// The selection `sets` of an object of `kind`, or `None` if any of it is left to the
/// resolvers.
fn plan<'a>(
    ctx: &ContextSelectionSet<'a>,
    kind: Kind,
    sets: &[&'a Positioned<SelectionSet>],
) -> Option<Vec<Planned<'a>>> {
    let mut keys: Vec<(&'a Name, Vec<&'a Positioned<Field>>)> = Vec::new();
    for set in sets {
        gather(ctx, set, &mut keys)?;
    }
    keys.into_iter()
        .map(|(key, fields)| {
            let first = fields[0];
            let name = first.node.name.node.as_str();
            let child = kind.field(name)?;
            let jobs = if (kind, name) == (Kind::Company, "jobs") {
                Some(jobs_arguments(ctx, first)?)
            } else if first.node.arguments.is_empty() {
                None
            } else {
                return None;
            };
            let sub = match child {
                Some(child) => {
                    let sets: Vec<_> = fields.iter().map(|f| &f.node.selection_set).collect();
                    plan(ctx, child, &sets)?
                }
                None => Vec::new(),
            };
            Some(Planned {
                key: key.clone(),
                name,
                sub,
                jobs,
            })
        })
        .collect()
}

/// The fields of `set` by response key, in query order, through fragments. Validation has
/// made sure every fragment here applies (each kind is an object type). `None` on a
/// directive: `@skip` and `@include` are the resolvers' business.
fn gather<'a>(
    ctx: &ContextSelectionSet<'a>,
    set: &'a Positioned<SelectionSet>,
    keys: &mut Vec<(&'a Name, Vec<&'a Positioned<Field>>)>,
) -> Option<()> {
    for selection in &set.node.items {
        match &selection.node {
            Selection::Field(field) => {
                if !field.node.directives.is_empty() {
                    return None;
                }
                let key = &field.node.response_key().node;
                match keys.iter_mut().find(|(k, _)| *k == key) {
                    Some((_, fields)) => fields.push(field),
                    None => keys.push((key, vec![field])),
                }
            }
            Selection::InlineFragment(fragment) => {
                if !fragment.node.directives.is_empty() {
                    return None;
                }
                gather(ctx, &fragment.node.selection_set, keys)?;
            }
            Selection::FragmentSpread(spread) => {
                let fragment = ctx
                    .query_env
                    .fragments
                    .get(&spread.node.fragment_name.node)?;
                if !spread.node.directives.is_empty() || !fragment.node.directives.is_empty() {
                    return None;
                }
                gather(ctx, &fragment.node.selection_set, keys)?;
            }
        }
    }
    Some(())
}

/// `Company.jobs(status:, first:, after:, last:, before:)`; `None` if they do not parse,
/// so the resolver reports it.
fn jobs_arguments(
    ctx: &ContextSelectionSet<'_>,
    field: &Positioned<Field>,
) -> Option<(Option<entities::enums::JobStatus>, PageRequest)> {
    let ctx = ctx.with_field(field);
    let status = ctx
        .param_value::<Option<types::JobStatus>>("status", None)
        .ok()?
        .1;
    let first = ctx.param_value::<Option<i32>>("first", None).ok()?.1;
    let after = ctx.param_value::<Option<String>>("after", None).ok()?.1;
    let last = ctx.param_value::<Option<i32>>("last", None).ok()?.1;
    let before = ctx.param_value::<Option<String>>("before", None).ok()?.1;
    let page = page_request(first, after, last, before).ok()?;
    Some((status.map(Into::into), page))
}

fn object(plan: &[Planned<'_>], mut value: impl FnMut(&Planned<'_>) -> Value) -> Value {
    let mut fields = IndexMap::with_capacity(plan.len());
    for planned in plan {
        fields.insert(planned.key.clone(), value(planned));
    }
    Value::Object(fields)
}

fn id(kind: NodeKind, id: uuid::Uuid) -> Value {
    Value::String(GlobalId::encode(kind, id).0)
}

fn string(s: &str) -> Value {
    Value::String(s.to_owned())
}

fn optional(s: Option<&str>) -> Value {
    s.map_or(Value::Null, string)
}

fn time(at: DateTime<Utc>) -> Value {
    at.to_value()
}

fn optional_time(at: Option<DateTime<Utc>>) -> Value {
    at.map_or(Value::Null, time)
}

fn typename(kind: Kind) -> Value {
    Value::String(kind.type_name().into_owned())
}

async fn request(
    ctx: &ContextSelectionSet<'_>,
    plan: &[Planned<'_>],
    request: &intro_request::Model,
) -> async_graphql::Result<Value> {
    let loaders = ctx.loaders();
    let wants = |name: &str| plan.iter().any(|p| p.name == name);
    let (talent, company, jobs, events, decline_reason) = futures::try_join!(
        some(wants("talent").then(|| loaders.talent.load_one(request.talent_id))),
        some(wants("company").then(|| loaders.companies.load_one(request.company_id))),
        some(wants("jobs").then(|| loaders.intro_request_jobs.load_one(request.id))),
        some(wants("events").then(|| loaders.intro_request_events.load_one(request.id))),
        async {
            if wants("declineReason") {
                types::intro_request::visible_decline_reason(ctx, request).await
            } else {
                Ok(None)
            }
        },
    )?;
    let talent = match (wants("talent"), talent.flatten()) {
        (true, None) => return Err(missing("talent", request.talent_id).into()),
        (_, talent) => talent,
    };
    let company = match (wants("company"), company.flatten()) {
        (true, None) => return Err(missing("company", request.company_id).into()),
        (_, company) => company,
    };
    let (jobs, events) = (
        jobs.flatten().unwrap_or_default(),
        events.flatten().unwrap_or_default(),
    );
    // The company's answers need loads of their own: one per alias of `company`.
    let companies = try_join_all(plan.iter().filter(|p| p.name == "company").map(|p| {
        let company = company.as_ref().expect("loaded when selected");
        self::company(ctx, &p.sub, company)
    }))
    .await?;
    let mut companies = companies.into_iter();
    Ok(object(plan, |p| match p.name {
        "__typename" => typename(Kind::IntroRequest),
        "id" => id(NodeKind::IntroRequest, request.id),
        "direction" => enum_value(types::IntroDirection::from(request.direction)),
        "status" => enum_value(types::IntroStatus::from(request.status)),
        "inboxSection" => introductions::InboxSection::of(request.status)
            .map_or(Value::Null, |s| enum_value(types::InboxSection::from(s))),
        "message" => string(&request.message),
        "createdAt" => time(request.created_at),
        "updatedAt" => time(request.updated_at),
        "sentAt" => optional_time(request.sent_at),
        "decidedAt" => optional_time(request.decided_at),
        "declineReason" => optional(decline_reason),
        "talent" => self::talent(&p.sub, talent.as_ref().expect("loaded when selected")),
        "company" => companies.next().expect("one answer per alias"),
        "jobs" => Value::List(jobs.iter().map(|j| job(&p.sub, j)).collect()),
        "events" => Value::List(
            events
                .iter()
                .map(|e| {
                    object(&p.sub, |p| match p.name {
                        "__typename" => typename(Kind::IntroRequestEvent),
                        "at" => time(e.at),
                        "fromStatus" => e
                            .from_status
                            .map_or(Value::Null, |s| enum_value(types::IntroStatus::from(s))),
                        "toStatus" => enum_value(types::IntroStatus::from(e.to_status)),
                        "note" => optional(e.note.as_deref()),
                        other => unreachable!("IntroRequestEvent.{other} is not planned"),
                    })
                })
                .collect(),
        ),
        other => unreachable!("IntroRequest.{other} is not planned"),
    }))
}

fn talent(plan: &[Planned<'_>], talent: &talent::Model) -> Value {
    object(plan, |p| match p.name {
        "__typename" => typename(Kind::Talent),
        "id" => id(NodeKind::Talent, talent.id),
        "name" => string(&talent.name),
        "email" => string(&talent.email),
        "headline" => optional(talent.headline.as_deref()),
        "linkedinUrl" => optional(talent.linkedin_url.as_deref()),
        "verified" => Value::Boolean(talent.verified),
        "claimed" => Value::Boolean(talent.account_id.is_some()),
        "createdAt" => time(talent.created_at),
        other => unreachable!("Talent.{other} is not planned"),
    })
}

async fn company(
    ctx: &ContextSelectionSet<'_>,
    plan: &[Planned<'_>],
    company: &company::Model,
) -> async_graphql::Result<Value> {
    let loaders = ctx.loaders();
    let wants = |name: &str| plan.iter().any(|p| p.name == name);
    let access = ctx
        .actor()
        .access(&ctx.state().db, company.network_id)
        .await?;
    let pages = plan.iter().filter_map(|p| p.jobs).map(|(status, page)| {
        let key = JobsKey::visible(&access, company.id, status, page);
        loaders.job_pages.load_one(key)
    });
    let (admins, pages) = futures::try_join!(
        some(
            (wants("admins") || wants("hasActiveAdmin"))
                .then(|| loaders.company_admins.load_one(company.id))
        ),
        async {
            try_join_all(pages)
                .await
                .map_err(async_graphql::Error::from)
        },
    )?;
    let admins = admins.flatten().unwrap_or_default();
    let mut pages = pages.into_iter();
    Ok(object(plan, |p| match p.name {
        "__typename" => typename(Kind::Company),
        "id" => id(NodeKind::Company, company.id),
        "name" => string(&company.name),
        "domain" => optional(company.domain.as_deref()),
        "websiteUrl" => optional(company.website_url.as_deref()),
        "createdAt" => time(company.created_at),
        "hasActiveAdmin" => Value::Boolean(companies::has_active_admin(&admins)),
        "admins" if access.sees_company_admins(company.id) => {
            Value::List(admins.iter().map(|a| company_admin(&p.sub, a)).collect())
        }
        "admins" => Value::List(Vec::new()),
        "jobs" => {
            let page = pages
                .next()
                .expect("one page per alias")
                .unwrap_or_else(crate::services::pagination::Page::empty);
            job_connection(&p.sub, &page)
        }
        other => unreachable!("Company.{other} is not planned"),
    }))
}

fn company_admin(plan: &[Planned<'_>], admin: &company_admin::Model) -> Value {
    object(plan, |p| match p.name {
        "__typename" => typename(Kind::CompanyAdmin),
        "id" => id(NodeKind::CompanyAdmin, admin.id),
        "name" => string(&admin.name),
        "email" => string(&admin.email),
        "status" => enum_value(types::CompanyAdminStatus::from(admin.status)),
        "invitedAt" => time(admin.invited_at),
        "acceptedAt" => optional_time(admin.accepted_at),
        other => unreachable!("CompanyAdmin.{other} is not planned"),
    })
}

fn job(plan: &[Planned<'_>], job: &job::Model) -> Value {
    object(plan, |p| match p.name {
        "__typename" => typename(Kind::Job),
        "id" => id(NodeKind::Job, job.id),
        "title" => string(&job.title),
        "location" => optional(job.location.as_deref()),
        "department" => optional(job.department.as_deref()),
        "url" => optional(job.url.as_deref()),
        "status" => enum_value(types::JobStatus::from(job.status)),
        "greenhouseJobId" => job
            .greenhouse_job_id
            .map_or(Value::Null, |id| Value::String(id.to_string())),
        "createdAt" => time(job.created_at),
        other => unreachable!("Job.{other} is not planned"),
    })
}

fn job_connection(
    plan: &[Planned<'_>],
    page: &crate::services::pagination::Page<job::Model>,
) -> Value {
    let cursor = |j: &job::Model| {
        Value::String(async_graphql::connection::CursorType::encode_cursor(
            &Cursor(j.id),
        ))
    };
    object(plan, |p| match p.name {
        "__typename" => typename(Kind::JobConnection),
        "nodes" => Value::List(page.items.iter().map(|j| job(&p.sub, j)).collect()),
        "edges" => Value::List(
            page.items
                .iter()
                .map(|j| {
                    object(&p.sub, |e| match e.name {
                        "__typename" => typename(Kind::JobEdge),
                        "cursor" => cursor(j),
                        "node" => job(&e.sub, j),
                        other => unreachable!("JobEdge.{other} is not planned"),
                    })
                })
                .collect(),
        ),
        "pageInfo" => object(&p.sub, |i| match i.name {
            "__typename" => typename(Kind::PageInfo),
            "hasPreviousPage" => Value::Boolean(page.has_previous),
            "hasNextPage" => Value::Boolean(page.has_next),
            "startCursor" => page.items.first().map_or(Value::Null, cursor),
            "endCursor" => page.items.last().map_or(Value::Null, cursor),
            other => unreachable!("PageInfo.{other} is not planned"),
        }),
        other => unreachable!("JobConnection.{other} is not planned"),
    })
}

/// A load that runs only when asked for.
async fn some<T, E: Into<async_graphql::Error>>(
    load: Option<impl Future<Output = Result<T, E>>>,
) -> async_graphql::Result<Option<T>> {
    match load {
        Some(load) => load.await.map(Some).map_err(Into::into),
        None => Ok(None),
    }
}

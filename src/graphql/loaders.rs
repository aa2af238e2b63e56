//! Per-request loaders ([`BatchLoader`]): a list of 50 items resolves each nested field in
//! one batched statement, so the number of queries depends on the query's shape only.

use std::{collections::HashMap, sync::Arc};

use entities::{
    account, ally, ally_intro_ask, api_token, company, company_admin, contact,
    greenhouse_application, greenhouse_connection, greenhouse_push, intro_list, intro_request,
    intro_request_event, job, network, talent,
};
use sea_orm::{ColumnTrait, EntityTrait, Iterable, PrimaryKeyToColumn, QueryFilter};
use uuid::Uuid;

use super::{
    batch::BatchLoader,
    one_pass::{ObjectKey, fetch_objects},
};
use crate::{
    error::ServiceError,
    services::{
        access::{Actor, NetworkAccess},
        companies, contacts, greenhouse, introductions,
        jobs::{self, JobFilter},
        pagination::{Page, PageRequest},
    },
    state::AppState,
};

/// Loader errors must be cloneable: the service error, shared.
#[derive(Clone, Debug)]
pub struct LoadError(pub Arc<ServiceError>);

impl From<LoadError> for async_graphql::Error {
    fn from(error: LoadError) -> Self {
        ServiceError::from(error).into()
    }
}

impl From<LoadError> for ServiceError {
    fn from(error: LoadError) -> Self {
        Arc::try_unwrap(error.0).unwrap_or_else(|shared| match &*shared {
            ServiceError::User(errors) => ServiceError::User(errors.clone()),
            ServiceError::Unauthenticated => ServiceError::Unauthenticated,
            ServiceError::Forbidden => ServiceError::Forbidden,
            ServiceError::RateLimited {
                message,
                retry_after_secs,
            } => ServiceError::RateLimited {
                message,
                retry_after_secs: *retry_after_secs,
            },
            ServiceError::Internal(e) => ServiceError::Internal(anyhow::anyhow!("{e:#}")),
        })
    }
}

impl From<ServiceError> for LoadError {
    fn from(error: ServiceError) -> Self {
        Self(Arc::new(error))
    }
}

impl From<sea_orm::DbErr> for LoadError {
    fn from(error: sea_orm::DbErr) -> Self {
        ServiceError::from(error).into()
    }
}

/// Models that know their id.
pub trait Identified {
    fn id(&self) -> Uuid;
}

macro_rules! identified {
    ($($module:ident),*) => {
        $(impl Identified for entities::$module::Model {
            fn id(&self) -> Uuid {
                self.id
            }
        })*
    };
}
identified!(
    account,
    ally,
    ally_intro_ask,
    api_token,
    company,
    company_admin,
    contact,
    intro_list,
    intro_request,
    job,
    network,
    talent
);

/// Rows of `E` by primary key.
fn by_id<E>(state: &AppState) -> BatchLoader<Uuid, E::Model>
where
    E: EntityTrait,
    E::Model: Identified + Clone + Send + Sync + 'static,
{
    let state = state.clone();
    BatchLoader::new(move |keys: Vec<Uuid>| {
        let state = state.clone();
        Box::pin(async move {
            let id = E::PrimaryKey::iter()
                .next()
                .expect("every table has a primary key")
                .into_column();
            let rows = E::find()
                .filter(id.is_in(keys))
                .all(state.db.read())
                .await?;
            Ok(rows.into_iter().map(|row| (row.id(), row)).collect())
        })
    })
}

/// Lists per parent id from a service function that returns them grouped.
fn grouped<V, F>(state: &AppState, fetch: F) -> BatchLoader<Uuid, Vec<V>>
where
    V: Clone + Send + Sync + 'static,
    F: Fn(
            AppState,
            Vec<Uuid>,
        )
            -> futures::future::BoxFuture<'static, Result<HashMap<Uuid, Vec<V>>, ServiceError>>
        + Send
        + Sync
        + 'static,
{
    let state = state.clone();
    let fetch = Arc::new(fetch);
    BatchLoader::new(move |keys: Vec<Uuid>| {
        let (state, fetch) = (state.clone(), fetch.clone());
        Box::pin(async move {
            let mut found = fetch(state, keys.clone()).await?;
            Ok(keys
                .into_iter()
                .map(|k| {
                    let v = found.remove(&k).unwrap_or_default();
                    (k, v)
                })
                .collect())
        })
    })
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct JobsKey {
    pub company: Uuid,
    pub filter: JobFilter,
    pub page: PageRequest,
}

impl JobsKey {
    /// A page of `company`'s jobs in `status` (any when `None`), as far as `access` sees them.
    pub fn visible(
        access: &NetworkAccess,
        company: Uuid,
        status: Option<entities::enums::JobStatus>,
        page: PageRequest,
    ) -> Self {
        Self {
            company,
            filter: JobFilter {
                scope: access.job_scope(company),
                status,
            },
            page,
        }
    }
}

/// All loaders of one request (caches never outlive it, so no stale reads across requests).
#[derive(Clone)]
pub struct Loaders {
    pub accounts: Arc<BatchLoader<Uuid, account::Model>>,
    pub allies: Arc<BatchLoader<Uuid, ally::Model>>,
    pub api_tokens: Arc<BatchLoader<Uuid, api_token::Model>>,
    pub companies: Arc<BatchLoader<Uuid, company::Model>>,
    pub company_admin_rows: Arc<BatchLoader<Uuid, company_admin::Model>>,
    pub jobs: Arc<BatchLoader<Uuid, job::Model>>,
    pub networks: Arc<BatchLoader<Uuid, network::Model>>,
    pub talent: Arc<BatchLoader<Uuid, talent::Model>>,
    pub intro_requests: Arc<BatchLoader<Uuid, intro_request::Model>>,
    /// Requests with their talent and company, for `node`: one statement for any number.
    pub intro_requests_with_parties: Arc<BatchLoader<Uuid, introductions::WithParties>>,
    /// Jobs attached to each request.
    pub intro_request_jobs: Arc<BatchLoader<Uuid, Vec<job::Model>>>,
    /// The timeline of each request.
    pub intro_request_events: Arc<BatchLoader<Uuid, Vec<intro_request_event::Model>>>,
    /// Admins of each company.
    pub company_admins: Arc<BatchLoader<Uuid, Vec<company_admin::Model>>>,
    /// A page of jobs for each company; one statement per distinct (filter, page).
    pub job_pages: Arc<BatchLoader<JobsKey, Page<job::Model>>>,
    pub contacts: Arc<BatchLoader<Uuid, contact::Model>>,
    pub intro_lists: Arc<BatchLoader<Uuid, intro_list::Model>>,
    pub ally_intro_asks: Arc<BatchLoader<Uuid, ally_intro_ask::Model>>,
    /// Every ask about each contact (callers keep those the actor may see).
    pub asks_by_contact: Arc<BatchLoader<Uuid, Vec<ally_intro_ask::Model>>>,
    /// The allies who share each owner's contacts (by owner account).
    pub sharing_allies: Arc<BatchLoader<Uuid, Vec<ally::Model>>>,
    /// How many contacts each owner (an ally's account) has.
    pub contact_counts: Arc<BatchLoader<Uuid, i64>>,
    /// How many jobs each company has under a filter.
    pub job_counts: Arc<BatchLoader<(Uuid, JobFilter), i64>>,
    /// The Greenhouse connection of each company (by company id).
    pub greenhouse_connections: Arc<BatchLoader<Uuid, greenhouse_connection::Model>>,
    /// The Greenhouse push of each request (by request id).
    pub greenhouse_pushes: Arc<BatchLoader<Uuid, greenhouse_push::Model>>,
    /// The Greenhouse applications of each request.
    pub greenhouse_applications: Arc<BatchLoader<Uuid, Vec<greenhouse_application::Model>>>,
    /// Objects of compiled lists, as JSON (PostgreSQL).
    pub objects_json: Arc<BatchLoader<ObjectKey, String>>,
}

impl Loaders {
    /// The loaders of one of `actor`'s requests. The actor's networks were read with its
    /// memberships: most requests need no other.
    pub fn for_actor(state: &AppState, actor: &Actor) -> Self {
        let loaders = Self::new(state);
        if let Some(memberships) = actor.loaded_memberships() {
            loaders
                .networks
                .prime(memberships.networks().iter().map(|n| (n.id, n.clone())));
        }
        loaders
    }

    pub fn new(state: &AppState) -> Self {
        let company_admins = {
            let state = state.clone();
            BatchLoader::new(move |keys: Vec<Uuid>| {
                let state = state.clone();
                Box::pin(async move {
                    let mut admins = companies::admins_of(&state, &keys).await?;
                    Ok(keys
                        .iter()
                        .map(|k| (*k, admins.remove(k).unwrap_or_default()))
                        .collect())
                })
            })
        };
        let job_pages = {
            let state = state.clone();
            BatchLoader::new(move |keys: Vec<JobsKey>| {
                let state = state.clone();
                Box::pin(async move {
                    let mut groups: HashMap<(JobFilter, PageRequest), Vec<Uuid>> = HashMap::new();
                    for key in keys {
                        groups
                            .entry((key.filter, key.page))
                            .or_default()
                            .push(key.company);
                    }
                    let mut pages = HashMap::new();
                    for ((filter, page), companies) in groups {
                        for (company, result) in
                            jobs::pages_by_company(&state, &companies, filter, &page).await?
                        {
                            pages.insert(
                                JobsKey {
                                    company,
                                    filter,
                                    page,
                                },
                                result,
                            );
                        }
                    }
                    Ok(pages)
                })
            })
        };
        let job_counts = {
            let state = state.clone();
            BatchLoader::new(move |keys: Vec<(Uuid, JobFilter)>| {
                let state = state.clone();
                Box::pin(async move {
                    let mut groups: HashMap<JobFilter, Vec<Uuid>> = HashMap::new();
                    for (company, filter) in keys {
                        groups.entry(filter).or_default().push(company);
                    }
                    let mut counts = HashMap::new();
                    for (filter, companies) in groups {
                        for (company, count) in
                            jobs::counts_by_company(&state, &companies, filter).await?
                        {
                            counts.insert((company, filter), count);
                        }
                    }
                    Ok(counts)
                })
            })
        };
        Self {
            accounts: Arc::new(by_id::<account::Entity>(state)),
            allies: Arc::new(by_id::<ally::Entity>(state)),
            api_tokens: Arc::new(by_id::<api_token::Entity>(state)),
            companies: Arc::new(by_id::<company::Entity>(state)),
            company_admin_rows: Arc::new(by_id::<company_admin::Entity>(state)),
            jobs: Arc::new(by_id::<job::Entity>(state)),
            networks: Arc::new(by_id::<network::Entity>(state)),
            talent: Arc::new(by_id::<talent::Entity>(state)),
            intro_requests: Arc::new(by_id::<intro_request::Entity>(state)),
            intro_requests_with_parties: Arc::new({
                let state = state.clone();
                BatchLoader::new(move |keys: Vec<Uuid>| {
                    let state = state.clone();
                    Box::pin(async move {
                        Ok(introductions::lists::find_with_parties(&state, keys).await?)
                    })
                })
            }),
            intro_request_jobs: Arc::new(grouped(state, |state, keys| {
                Box::pin(async move { introductions::jobs_of(&state, &keys).await })
            })),
            intro_request_events: Arc::new(grouped(state, |state, keys| {
                Box::pin(async move { introductions::events_of(&state, &keys).await })
            })),
            company_admins: Arc::new(company_admins),
            job_pages: Arc::new(job_pages),
            job_counts: Arc::new(job_counts),
            greenhouse_connections: Arc::new({
                let state = state.clone();
                BatchLoader::new(move |companies: Vec<Uuid>| {
                    let state = state.clone();
                    Box::pin(async move {
                        Ok(greenhouse::connections_of(&state, &companies)
                            .await?
                            .into_iter()
                            .map(|c| (c.company_id, c))
                            .collect())
                    })
                })
            }),
            greenhouse_pushes: Arc::new({
                let state = state.clone();
                BatchLoader::new(move |requests: Vec<Uuid>| {
                    let state = state.clone();
                    Box::pin(async move {
                        Ok(greenhouse::pushes_of(&state, &requests)
                            .await?
                            .into_iter()
                            .map(|p| (p.intro_request_id, p))
                            .collect())
                    })
                })
            }),
            greenhouse_applications: Arc::new(grouped(state, |state, keys| {
                Box::pin(async move { greenhouse::applications_of(&state, &keys).await })
            })),
            objects_json: Arc::new({
                let state = state.clone();
                BatchLoader::new(move |keys: Vec<ObjectKey>| {
                    let state = state.clone();
                    Box::pin(async move { fetch_objects(state.db.read(), keys).await })
                })
            }),
            contacts: Arc::new(by_id::<contact::Entity>(state)),
            intro_lists: Arc::new(by_id::<intro_list::Entity>(state)),
            ally_intro_asks: Arc::new(by_id::<ally_intro_ask::Entity>(state)),
            asks_by_contact: Arc::new(grouped(state, |state, contacts| {
                Box::pin(async move { contacts::asks::asks_of_contacts(&state, &contacts).await })
            })),
            sharing_allies: Arc::new(grouped(state, |state, owners| {
                Box::pin(async move { contacts::sharing_allies_of(&state, &owners).await })
            })),
            contact_counts: Arc::new({
                let state = state.clone();
                BatchLoader::new(move |owners: Vec<Uuid>| {
                    let state = state.clone();
                    Box::pin(async move { Ok(contacts::counts_by_owner(&state, &owners).await?) })
                })
            }),
        }
    }
}

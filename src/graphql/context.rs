//! What a resolver reads from the request: the app state, the actor, the loaders.

use std::sync::{Arc, Mutex, OnceLock, RwLock};

use async_graphql::context::ContextBase;

use super::{loaders::Loaders, one_pass::Compiled};
use crate::{
    services::{access::Actor, throttle::PasswordAttempt},
    state::AppState,
};

/// Who asks, and the loaders that cache what one response reads. A query keeps both for
/// its whole run; a subscription renews them before each event, so every event is read
/// fresh and under the subscriber's current rights.
pub struct RequestScope {
    /// Read by every resolver, written only between a subscription's events. (An
    /// `ArcSwap` cost more to drop than the whole of `{ __typename }`'s validation.)
    renewable: RwLock<Renewable>,
    /// The statements compiled for the document's lists, by the list's selection set.
    compiled_lists: Mutex<Vec<(usize, Option<Arc<Compiled>>)>>,
    /// The request's one password check, shared by a batch.
    attempt: Arc<PasswordAttempt>,
    writer: ResponseWriter,
}

/// How the transport serialises the response.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResponseWriter {
    /// With [`write_json`](super::one_pass::write_json): an object's JSON that PostgreSQL
    /// built may travel in the `Value` tree as it is.
    RawJson,
    /// With serde (WebSocket): that JSON is parsed into the tree.
    Serde,
}

struct Renewable {
    actor: Arc<Actor>,
    /// Made on first use: a request that reads nothing (`{ __typename }`) makes none.
    loaders: Arc<OnceLock<Arc<Loaders>>>,
}

impl RequestScope {
    pub fn new(actor: Arc<Actor>, attempt: Arc<PasswordAttempt>, writer: ResponseWriter) -> Self {
        Self {
            renewable: RwLock::new(Renewable {
                actor,
                loaders: Arc::default(),
            }),
            compiled_lists: Mutex::default(),
            attempt,
            writer,
        }
    }

    pub fn attempt(&self) -> &PasswordAttempt {
        &self.attempt
    }

    pub fn writer(&self) -> ResponseWriter {
        self.writer
    }

    fn renewable(&self) -> std::sync::RwLockReadGuard<'_, Renewable> {
        // Each write replaces whole values: a panic cannot leave one half-written.
        self.renewable
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The statement compiled for the list `list`, compiled on its first object.
    pub fn compiled_list(
        &self,
        list: usize,
        compile: impl FnOnce() -> Option<Arc<Compiled>>,
    ) -> Option<Arc<Compiled>> {
        let mut lists = self.compiled_lists.lock().expect("not poisoned");
        if let Some((_, compiled)) = lists.iter().find(|(l, _)| *l == list) {
            return compiled.clone();
        }
        let compiled = compile();
        lists.push((list, compiled.clone()));
        compiled
    }

    /// Before resolving the next event of a subscription.
    pub fn renew(&self, actor: Arc<Actor>, loaders: Loaders) {
        *self
            .renewable
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner()) = Renewable {
            actor,
            loaders: Arc::new(OnceLock::from(Arc::new(loaders))),
        };
    }
}

pub trait ContextExt: Sync {
    fn state(&self) -> &AppState;
    fn actor(&self) -> Arc<Actor>;
    fn loaders(&self) -> Arc<Loaders>;
    fn scope(&self) -> &RequestScope;
}

impl<T: Sync> ContextExt for ContextBase<'_, T> {
    fn state(&self) -> &AppState {
        self.data_unchecked::<AppState>()
    }

    fn actor(&self) -> Arc<Actor> {
        self.scope().renewable().actor.clone()
    }

    fn loaders(&self) -> Arc<Loaders> {
        let renewable = self.scope().renewable();
        renewable
            .loaders
            .get_or_init(|| Arc::new(Loaders::for_actor(self.state(), &renewable.actor)))
            .clone()
    }

    fn scope(&self) -> &RequestScope {
        self.data_unchecked::<Arc<RequestScope>>()
    }
}

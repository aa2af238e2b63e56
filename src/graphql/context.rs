//! What a resolver reads from the request: the app state, the actor, the loaders.

use std::sync::{Arc, Mutex, OnceLock};

use arc_swap::ArcSwap;
use async_graphql::context::ContextBase;

use super::{loaders::Loaders, one_pass::Compiled};
use crate::{services::access::Actor, state::AppState};

/// Who asks, and the loaders that cache what one response reads. A query keeps both for
/// its whole run; a subscription renews them before each event, so every event is read
/// fresh and under the subscriber's current rights.
pub struct RequestScope {
    actor: ArcSwap<Actor>,
    /// Made on first use: a request that reads nothing (`{ __typename }`) makes none.
    loaders: ArcSwap<OnceLock<Arc<Loaders>>>,
    /// The statements compiled for the document's lists, by the list's selection set.
    compiled_lists: Mutex<Vec<(usize, Option<Arc<Compiled>>)>>,
}

impl RequestScope {
    pub fn new(actor: Arc<Actor>) -> Self {
        Self {
            actor: ArcSwap::new(actor),
            loaders: ArcSwap::default(),
            compiled_lists: Mutex::default(),
        }
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
        self.actor.store(actor);
        self.loaders
            .store(Arc::new(OnceLock::from(Arc::new(loaders))));
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
        self.scope().actor.load_full()
    }

    fn loaders(&self) -> Arc<Loaders> {
        let scope = self.scope();
        scope
            .loaders
            .load()
            .get_or_init(|| Arc::new(Loaders::for_actor(self.state(), &scope.actor.load())))
            .clone()
    }

    fn scope(&self) -> &RequestScope {
        self.data_unchecked::<Arc<RequestScope>>()
    }
}

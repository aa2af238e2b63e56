//! What a resolver reads from the request: the app state, the actor, the loaders.

use std::sync::Arc;

use arc_swap::ArcSwap;
use async_graphql::Context;

use super::loaders::Loaders;
use crate::{services::access::Actor, state::AppState};

/// Who asks, and the loaders that cache what one response reads. A query keeps both for
/// its whole run; a subscription renews them before each event, so every event is read
/// fresh and under the subscriber's current rights.
pub struct RequestScope {
    actor: ArcSwap<Actor>,
    loaders: ArcSwap<Loaders>,
}

impl RequestScope {
    pub fn new(actor: Arc<Actor>, loaders: Loaders) -> Self {
        Self {
            actor: ArcSwap::new(actor),
            loaders: ArcSwap::from_pointee(loaders),
        }
    }

    /// Before resolving the next event of a subscription.
    pub fn renew(&self, actor: Arc<Actor>, loaders: Loaders) {
        self.actor.store(actor);
        self.loaders.store(Arc::new(loaders));
    }
}

pub trait ContextExt {
    fn state(&self) -> &AppState;
    fn actor(&self) -> Arc<Actor>;
    fn loaders(&self) -> Arc<Loaders>;
    fn scope(&self) -> &RequestScope;
}

impl ContextExt for Context<'_> {
    fn state(&self) -> &AppState {
        self.data_unchecked::<AppState>()
    }

    fn actor(&self) -> Arc<Actor> {
        self.scope().actor.load_full()
    }

    fn loaders(&self) -> Arc<Loaders> {
        self.scope().loaders.load_full()
    }

    fn scope(&self) -> &RequestScope {
        self.data_unchecked::<Arc<RequestScope>>()
    }
}

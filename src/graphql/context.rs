//! What a resolver reads from the request: the app state, the actor, the loaders.

use std::sync::Arc;

use async_graphql::Context;

use super::loaders::Loaders;
use crate::{services::access::Actor, state::AppState};

pub trait ContextExt {
    fn state(&self) -> &AppState;
    fn actor(&self) -> &Arc<Actor>;
    fn loaders(&self) -> &Loaders;
}

impl ContextExt for Context<'_> {
    fn state(&self) -> &AppState {
        self.data_unchecked::<AppState>()
    }

    fn actor(&self) -> &Arc<Actor> {
        self.data_unchecked::<Arc<Actor>>()
    }

    fn loaders(&self) -> &Loaders {
        self.data_unchecked::<Loaders>()
    }
}

//! Relay connections built from service pages.

use std::sync::Arc;

use async_graphql::{
    Object, OutputType,
    connection::{Connection, CursorType, Edge},
};
use futures::future::BoxFuture;
use uuid::Uuid;

use super::ids::{decode_cursor, encode_cursor};
use crate::{
    error::{ServiceResult, UserError},
    services::pagination::{Page, PageRequest},
};

/// A position in a list: opaque to clients.
pub struct Cursor(pub Uuid);

impl CursorType for Cursor {
    type Error = String;

    fn decode_cursor(s: &str) -> Result<Self, Self::Error> {
        decode_cursor("after", s).map(Cursor).map_err(|e| e.message)
    }

    fn encode_cursor(&self) -> String {
        encode_cursor(self.0)
    }
}

type Counter = Arc<dyn Fn() -> BoxFuture<'static, ServiceResult<i64>> + Send + Sync>;

/// Fields every connection has beyond Relay's: `totalCount`, computed only when asked.
pub struct ConnectionFields {
    count: Counter,
}

#[Object]
impl ConnectionFields {
    /// Number of items in the whole list (all pages) that the caller may see.
    async fn total_count(&self) -> async_graphql::Result<i64> {
        Ok((self.count)().await?)
    }
}

pub type ListConnection<N> = Connection<Cursor, N, ConnectionFields>;

/// Builds a connection; `count` runs only if `totalCount` is selected.
pub fn connection<M, N, F>(
    page: Page<M>,
    id_of: impl Fn(&M) -> Uuid,
    node: impl Fn(M) -> N,
    count: F,
) -> ListConnection<N>
where
    N: OutputType,
    F: Fn() -> BoxFuture<'static, ServiceResult<i64>> + Send + Sync + 'static,
{
    let mut connection = Connection::with_additional_fields(
        page.has_previous,
        page.has_next,
        ConnectionFields {
            count: Arc::new(count),
        },
    );
    connection.edges.extend(
        page.items
            .into_iter()
            .map(|item| Edge::new(Cursor(id_of(&item)), node(item))),
    );
    connection
}

/// A list that is empty for this caller.
pub fn empty<N: OutputType>() -> ListConnection<N> {
    connection(
        Page::<()>::empty(),
        |_| Uuid::nil(),
        |_| unreachable!("no items"),
        || Box::pin(async { Ok(0) }),
    )
}

/// Relay arguments, parsed.
pub fn page_request(
    first: Option<i32>,
    after: Option<String>,
    last: Option<i32>,
    before: Option<String>,
) -> Result<PageRequest, UserError> {
    let after = after.map(|c| decode_cursor("after", &c)).transpose()?;
    let before = before.map(|c| decode_cursor("before", &c)).transpose()?;
    PageRequest::parse(first, last, after, before)
}

/// Complexity of a connection field: its page size times what each item costs.
pub fn page_cost(first: Option<i32>, last: Option<i32>, child_complexity: usize) -> usize {
    let size = first
        .or(last)
        .unwrap_or(crate::services::pagination::DEFAULT_PAGE_SIZE as i32)
        .clamp(1, 100) as usize;
    1 + size * child_complexity
}

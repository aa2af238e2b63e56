//! Keyset pagination over UUID v7 ids (time-ordered): `WHERE id > cursor ORDER BY id LIMIT n+1`,
//! never OFFSET. Nested lists are fetched for many parents in one statement with
//! `ROW_NUMBER() OVER (PARTITION BY parent)`, so a page of 50 parents costs one query.

use std::collections::HashMap;

use sea_orm::{
    ColumnTrait, ConnectionTrait, DbErr, EntityTrait, FromQueryResult, IdenStatic, Iterable,
    Order as SqlOrder, PrimaryKeyToColumn, QueryFilter, QueryOrder, QuerySelect, QueryTrait,
    Related, Select,
    sea_query::{Alias, Asterisk, Expr, ExprTrait, Query},
};
use uuid::Uuid;

use crate::error::UserError;

pub const DEFAULT_PAGE_SIZE: u64 = 20;
pub const MAX_PAGE_SIZE: u64 = 100;

/// List order. Ids are UUID v7, so id order is creation order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Order {
    OldestFirst,
    NewestFirst,
}

/// A validated Relay page request: `first`/`after` forwards or `last`/`before` backwards.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct PageRequest {
    pub size: u64,
    /// `last`: take the end of the range.
    pub from_end: bool,
    pub after: Option<Uuid>,
    pub before: Option<Uuid>,
}

impl Default for PageRequest {
    fn default() -> Self {
        Self {
            size: DEFAULT_PAGE_SIZE,
            from_end: false,
            after: None,
            before: None,
        }
    }
}

impl PageRequest {
    pub fn parse(
        first: Option<i32>,
        last: Option<i32>,
        after: Option<Uuid>,
        before: Option<Uuid>,
    ) -> Result<Self, UserError> {
        let checked = |name: &str, n: i32| {
            if (1..=MAX_PAGE_SIZE as i32).contains(&n) {
                Ok(n as u64)
            } else {
                Err(UserError::invalid(
                    name,
                    format!("`{name}` must be between 1 and {MAX_PAGE_SIZE}"),
                ))
            }
        };
        let (size, from_end) = match (first, last) {
            (Some(_), Some(_)) => {
                return Err(UserError::invalid(
                    "last",
                    "pass `first` or `last`, not both",
                ));
            }
            (Some(n), None) => (checked("first", n)?, false),
            (None, Some(n)) => (checked("last", n)?, true),
            (None, None) => (DEFAULT_PAGE_SIZE, false),
        };
        Ok(Self {
            size,
            from_end,
            after,
            before,
        })
    }

    /// The SQL order that reads the wanted end of the range first.
    fn sql_order(&self, order: Order) -> SqlOrder {
        match (order, self.from_end) {
            (Order::OldestFirst, false) | (Order::NewestFirst, true) => SqlOrder::Asc,
            (Order::OldestFirst, true) | (Order::NewestFirst, false) => SqlOrder::Desc,
        }
    }

    fn bounded<E: EntityTrait>(
        &self,
        mut select: Select<E>,
        id: E::Column,
        order: Order,
    ) -> Select<E> {
        // "after" means further down the list in its own order.
        if let Some(after) = self.after {
            select = select.filter(match order {
                Order::OldestFirst => id.gt(after),
                Order::NewestFirst => id.lt(after),
            });
        }
        if let Some(before) = self.before {
            select = select.filter(match order {
                Order::OldestFirst => id.lt(before),
                Order::NewestFirst => id.gt(before),
            });
        }
        select
    }

    /// Turns up to `size + 1` rows read in SQL order into a page in list order.
    fn finish<T>(&self, mut rows: Vec<T>) -> Page<T> {
        let more = rows.len() as u64 > self.size;
        rows.truncate(self.size as usize);
        if self.from_end {
            rows.reverse();
            Page {
                items: rows,
                has_previous: more,
                has_next: self.before.is_some(),
            }
        } else {
            Page {
                items: rows,
                has_next: more,
                has_previous: self.after.is_some(),
            }
        }
    }
}

#[derive(Debug, Clone)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub has_next: bool,
    pub has_previous: bool,
}

impl<T> Page<T> {
    pub fn empty() -> Self {
        Self {
            items: Vec::new(),
            has_next: false,
            has_previous: false,
        }
    }

    pub fn map<U>(self, f: impl FnMut(T) -> U) -> Page<U> {
        Page {
            items: self.items.into_iter().map(f).collect(),
            has_next: self.has_next,
            has_previous: self.has_previous,
        }
    }
}

/// One page of `select`, ordered by `id`.
pub async fn fetch_page<E, C>(
    db: &C,
    select: Select<E>,
    order: Order,
    page: &PageRequest,
) -> Result<Page<E::Model>, DbErr>
where
    E: EntityTrait,
    C: ConnectionTrait,
{
    let rows = paged(select, order, page).all(db).await?;
    Ok(page.finish(rows))
}

/// `select` bounded by the page's cursors, in list order, one row past the page (to know
/// whether there is more). Lists are ordered by their (UUID v7, so creation-ordered)
/// primary key.
fn paged<E: EntityTrait>(select: Select<E>, order: Order, page: &PageRequest) -> Select<E> {
    let id = E::PrimaryKey::iter()
        .next()
        .expect("every table has a primary key")
        .into_column();
    page.bounded(select, id, order)
        .order_by(id, page.sql_order(order))
        .limit(page.size + 1)
}

/// As [`fetch_page`], each row with its rows of the to-one relations `B` and `C` (`None`
/// where there is none), in the same statement: a list and its rows' parents are one read.
pub async fn fetch_page_with<E, B, C, Db>(
    db: &Db,
    select: Select<E>,
    order: Order,
    page: &PageRequest,
) -> Result<Page<(E::Model, Option<B::Model>, Option<C::Model>)>, DbErr>
where
    E: EntityTrait + Related<B> + Related<C>,
    B: EntityTrait,
    C: EntityTrait,
    Db: ConnectionTrait,
{
    let rows = paged(select, order, page)
        .find_also_related(B::default())
        .find_also_related(C::default())
        .into_model::<E::Model, B::Model, C::Model>()
        .all(db)
        .await?;
    Ok(page.finish(rows))
}

/// The parents a nested list is fetched for: their ids, the column that references them,
/// and how to read it back from a row.
pub struct Parents<'a, E: EntityTrait, F: Fn(&E::Model) -> Uuid> {
    pub column: E::Column,
    pub ids: &'a [Uuid],
    pub of: F,
}

/// The same page for each parent (e.g. the first 5 jobs of each of 50 companies) in one
/// statement. Parents without rows get an empty page.
pub async fn fetch_pages_by_parent<E, C, F>(
    db: &C,
    select: Select<E>,
    parents: Parents<'_, E, F>,
    id: E::Column,
    order: Order,
    page: &PageRequest,
) -> Result<HashMap<Uuid, Page<E::Model>>, DbErr>
where
    E: EntityTrait,
    E::Model: FromQueryResult,
    C: ConnectionTrait,
    F: Fn(&E::Model) -> Uuid,
{
    let Parents {
        column: parent,
        ids: parents,
        of: parent_of,
    } = parents;
    let direction = match page.sql_order(order) {
        SqlOrder::Asc => "ASC",
        _ => "DESC",
    };
    let mut inner = page
        .bounded(select, id, order)
        .filter(parent.is_in(parents.iter().copied()))
        .into_query();
    // Column names come from the entity, never from input.
    inner.expr_as(
        Expr::cust(format!(
            "ROW_NUMBER() OVER (PARTITION BY \"{}\" ORDER BY \"{}\" {direction})",
            parent.as_str(),
            id.as_str()
        )),
        Alias::new("page_row"),
    );
    let outer = Query::select()
        .column(Asterisk)
        .from_subquery(inner, Alias::new("paged"))
        .and_where(Expr::col(Alias::new("page_row")).lte(page.size + 1))
        .order_by(Alias::new("page_row"), SqlOrder::Asc)
        .to_owned();
    let statement = db.get_database_backend().build(&outer);
    let rows = E::find().from_raw_sql(statement).all(db).await?;
    let mut grouped: HashMap<Uuid, Vec<E::Model>> = HashMap::new();
    for row in rows {
        grouped.entry(parent_of(&row)).or_default().push(row);
    }
    Ok(parents
        .iter()
        .map(|p| (*p, page.finish(grouped.remove(p).unwrap_or_default())))
        .collect())
}

/// Row counts per parent for `totalCount` of nested lists, in one statement.
pub async fn count_by_parent<E, C>(
    db: &C,
    select: Select<E>,
    parent: E::Column,
    parents: &[Uuid],
) -> Result<HashMap<Uuid, i64>, DbErr>
where
    E: EntityTrait,
    C: ConnectionTrait,
{
    let counts: Vec<(Uuid, i64)> = select
        .filter(parent.is_in(parents.iter().copied()))
        .select_only()
        .column(parent)
        .column_as(Expr::cust("COUNT(*)"), "n")
        .group_by(parent)
        .into_tuple()
        .all(db)
        .await?;
    let mut counts: HashMap<Uuid, i64> = counts.into_iter().collect();
    Ok(parents
        .iter()
        .map(|p| (*p, counts.remove(p).unwrap_or(0)))
        .collect())
}

/// `LIKE` pattern for a case-insensitive "contains" search, with wildcards escaped.
/// `INVALID_INPUT` on `search` for text no database should see (PostgreSQL refuses a NUL
/// byte in text; SQLite would store it): control characters, or more than 200 characters.
pub fn contains_pattern(search: &str) -> Result<String, crate::error::UserError> {
    if search.chars().any(char::is_control) || search.chars().count() > 200 {
        return Err(crate::error::UserError::invalid(
            "search",
            "search text must be at most 200 characters, without control characters",
        ));
    }
    let escaped = search
        .trim()
        .to_lowercase()
        .replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_");
    Ok(format!("%{escaped}%"))
}

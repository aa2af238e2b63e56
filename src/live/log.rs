//! The event log: appended in the transaction of each change, read by hubs and by
//! subscribers resuming from a cursor, pruned after the retention period.

use entities::{event_log, intro_request};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbBackend, DbErr, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Set, Statement,
};
use uuid::Uuid;

use super::LiveEvent;

/// Serialises the writers of one network's events until their transaction ends, so that
/// on PostgreSQL a network's sequence numbers become visible in order: a reader that has
/// seen event `n` has seen every earlier event of the network. Take it before touching
/// any row (lock order: network first), so writers never wait on each other in a cycle.
/// SQLite has a single writer already.
pub async fn lock_network(db: &impl ConnectionTrait, network_id: Uuid) -> Result<(), DbErr> {
    if db.get_database_backend() == DbBackend::Postgres {
        let key = i64::from_be_bytes(
            network_id.as_bytes()[8..]
                .try_into()
                .expect("a uuid has 16 bytes"),
        );
        db.execute_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT pg_advisory_xact_lock($1)",
            [key.into()],
        ))
        .await?;
    }
    Ok(())
}

/// Appends one event; the caller holds the network's lock.
pub async fn append(db: &impl ConnectionTrait, entry: event_log::ActiveModel) -> Result<(), DbErr> {
    event_log::Entity::insert(entry).exec(db).await?;
    Ok(())
}

/// Up to `limit` events of a network after `after`, in order, with their requests.
pub async fn after(
    db: &impl ConnectionTrait,
    network_id: Uuid,
    after: i64,
    limit: u64,
) -> Result<Vec<LiveEvent>, DbErr> {
    let entries = event_log::Entity::find()
        .filter(event_log::Column::NetworkId.eq(network_id))
        .filter(event_log::Column::Seq.gt(after))
        .order_by_asc(event_log::Column::Seq)
        .limit(limit)
        .all(db)
        .await?;
    if entries.is_empty() {
        return Ok(Vec::new());
    }
    let requests: std::collections::HashMap<Uuid, intro_request::Model> =
        intro_request::Entity::find()
            .filter(intro_request::Column::Id.is_in(entries.iter().map(|e| e.intro_request_id)))
            .all(db)
            .await?
            .into_iter()
            .map(|r| (r.id, r))
            .collect();
    Ok(entries
        .into_iter()
        .filter_map(|entry| {
            let request = requests.get(&entry.intro_request_id)?.clone();
            Some(LiveEvent { entry, request })
        })
        .collect())
}

/// The newest event of a network, or 0.
pub async fn last_seq(db: &impl ConnectionTrait, network_id: Uuid) -> Result<i64, DbErr> {
    let last: Option<Option<i64>> = event_log::Entity::find()
        .select_only()
        .column_as(event_log::Column::Seq.max(), "last")
        .filter(event_log::Column::NetworkId.eq(network_id))
        .into_tuple()
        .one(db)
        .await?;
    Ok(last.flatten().unwrap_or(0))
}

/// Whether event `seq` of this network is still in the log (a cursor to resume from).
pub async fn contains(
    db: &impl ConnectionTrait,
    network_id: Uuid,
    seq: i64,
) -> Result<bool, DbErr> {
    Ok(event_log::Entity::find()
        .filter(event_log::Column::NetworkId.eq(network_id))
        .filter(event_log::Column::Seq.eq(seq))
        .one(db)
        .await?
        .is_some())
}

/// Deletes events older than `before`; returns how many.
pub async fn prune(
    db: &impl ConnectionTrait,
    before: chrono::DateTime<chrono::Utc>,
) -> Result<u64, DbErr> {
    Ok(event_log::Entity::delete_many()
        .filter(event_log::Column::At.lt(before))
        .exec(db)
        .await?
        .rows_affected)
}

/// The columns of a new event that the log fills itself.
pub fn entry(
    request: &intro_request::Model,
    from: Option<entities::enums::IntroStatus>,
    counts: (i64, i64, i64),
    at: chrono::DateTime<chrono::Utc>,
) -> event_log::ActiveModel {
    event_log::ActiveModel {
        seq: sea_orm::NotSet,
        network_id: Set(request.network_id),
        intro_request_id: Set(request.id),
        company_id: Set(request.company_id),
        direction: Set(request.direction),
        from_status: Set(from),
        to_status: Set(request.status),
        in_network_count: Set(counts.0),
        out_of_network_count: Set(counts.1),
        company_awaiting_count: Set(counts.2),
        at: Set(at),
    }
}

//! Rows written before recommendations existed have no search terms yet (`NULL`): the server
//! computes them at start, in batches, and the database's triggers (SQLite) or generated
//! column (PostgreSQL) index them as they are written. Every later write sets them itself.

use entities::{contact, talent};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, EntityTrait, IntoActiveModel, QueryFilter, QuerySelect, Set,
    TransactionTrait,
};

use crate::{
    db::Db,
    domain::{contact::person_key, matching::search_terms},
};

const BATCH: u64 = 1000;

/// Fills in the search terms of rows that have none; how many it filled.
pub async fn index_unindexed(db: &Db) -> Result<u64, sea_orm::DbErr> {
    let mut filled = 0;
    loop {
        let batch = contact::Entity::find()
            .filter(contact::Column::SearchTerms.is_null())
            .limit(BATCH)
            .all(db.write())
            .await?;
        if batch.is_empty() {
            break;
        }
        let tx = db.write().begin().await?;
        for model in batch {
            let terms = search_terms([model.position.as_deref(), model.company_name.as_deref()]);
            let key = person_key(model.linkedin_url.as_deref(), model.email_key.as_deref());
            let mut row = model.into_active_model();
            row.search_terms = Set(Some(terms));
            row.person_key = Set(key);
            row.update(&tx).await?;
            filled += 1;
        }
        tx.commit().await?;
    }
    loop {
        let batch = talent::Entity::find()
            .filter(talent::Column::SearchTerms.is_null())
            .limit(BATCH)
            .all(db.write())
            .await?;
        if batch.is_empty() {
            break;
        }
        let tx = db.write().begin().await?;
        for model in batch {
            let terms = search_terms([model.headline.as_deref()]);
            let mut row = model.into_active_model();
            row.search_terms = Set(Some(terms));
            row.update(&tx).await?;
            filled += 1;
        }
        tx.commit().await?;
    }
    Ok(filled)
}

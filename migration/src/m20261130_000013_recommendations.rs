//! `Job.recommendations` (issue 10): what talent and contacts are matched on, in each
//! database's own full-text index.
//!
//! `search_terms` holds the stemmed words of a talent's headline, or of a contact's position
//! and company, as the application's matching rule makes them (`domain::matching`); `''`
//! means none, `NULL` not indexed yet (rows from before this migration: the server fills them
//! in at start). `person_key` says who a contact is across allies (LinkedIn URL, else email),
//! so that `knownBy` can name every ally who knows the same person.
//!
//! PostgreSQL indexes a stored `tsvector` of the terms with GIN. SQLite indexes them with
//! FTS5, through a side table whose `INTEGER PRIMARY KEY` gives the index stable row ids
//! (a contact's own rowid may change on `VACUUM`); triggers keep both in step with every
//! write, in the writer's transaction.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DbBackend;

#[derive(DeriveMigrationName)]
pub struct Migration;

const SQLITE_UP: &[&str] = &[
    "ALTER TABLE contact ADD COLUMN search_terms TEXT",
    "ALTER TABLE contact ADD COLUMN person_key TEXT",
    "ALTER TABLE talent ADD COLUMN search_terms TEXT",
    "CREATE TABLE contact_search (
        id INTEGER PRIMARY KEY,
        contact_id BLOB NOT NULL UNIQUE,
        owner_account_id BLOB NOT NULL,
        person_key TEXT,
        terms TEXT NOT NULL
    )",
    "CREATE VIRTUAL TABLE contact_fts USING fts5(
        terms, contact_id UNINDEXED, owner_account_id UNINDEXED, person_key UNINDEXED,
        content = 'contact_search', content_rowid = 'id',
        tokenize = 'unicode61 remove_diacritics 0'
    )",
    "CREATE TRIGGER contact_search_insert AFTER INSERT ON contact
     WHEN new.search_terms IS NOT NULL AND new.search_terms <> '' BEGIN
        INSERT INTO contact_search (contact_id, owner_account_id, person_key, terms)
        VALUES (new.id, new.owner_account_id, new.person_key, new.search_terms);
     END",
    "CREATE TRIGGER contact_search_update AFTER UPDATE OF search_terms, person_key ON contact BEGIN
        DELETE FROM contact_search WHERE contact_id = old.id;
        INSERT INTO contact_search (contact_id, owner_account_id, person_key, terms)
        SELECT new.id, new.owner_account_id, new.person_key, new.search_terms
        WHERE new.search_terms IS NOT NULL AND new.search_terms <> '';
     END",
    "CREATE TRIGGER contact_search_delete AFTER DELETE ON contact BEGIN
        DELETE FROM contact_search WHERE contact_id = old.id;
     END",
    "CREATE TRIGGER contact_fts_insert AFTER INSERT ON contact_search BEGIN
        INSERT INTO contact_fts (rowid, terms, contact_id, owner_account_id, person_key)
        VALUES (new.id, new.terms, new.contact_id, new.owner_account_id, new.person_key);
     END",
    "CREATE TRIGGER contact_fts_delete AFTER DELETE ON contact_search BEGIN
        INSERT INTO contact_fts (contact_fts, rowid, terms, contact_id, owner_account_id, person_key)
        VALUES ('delete', old.id, old.terms, old.contact_id, old.owner_account_id, old.person_key);
     END",
    "CREATE TABLE talent_search (
        id INTEGER PRIMARY KEY,
        talent_id BLOB NOT NULL UNIQUE,
        terms TEXT NOT NULL
    )",
    "CREATE VIRTUAL TABLE talent_fts USING fts5(
        terms, talent_id UNINDEXED,
        content = 'talent_search', content_rowid = 'id',
        tokenize = 'unicode61 remove_diacritics 0'
    )",
    "CREATE TRIGGER talent_search_insert AFTER INSERT ON talent
     WHEN new.search_terms IS NOT NULL AND new.search_terms <> '' BEGIN
        INSERT INTO talent_search (talent_id, terms) VALUES (new.id, new.search_terms);
     END",
    "CREATE TRIGGER talent_search_update AFTER UPDATE OF search_terms ON talent BEGIN
        DELETE FROM talent_search WHERE talent_id = old.id;
        INSERT INTO talent_search (talent_id, terms) SELECT new.id, new.search_terms
        WHERE new.search_terms IS NOT NULL AND new.search_terms <> '';
     END",
    "CREATE TRIGGER talent_search_delete AFTER DELETE ON talent BEGIN
        DELETE FROM talent_search WHERE talent_id = old.id;
     END",
    "CREATE TRIGGER talent_fts_insert AFTER INSERT ON talent_search BEGIN
        INSERT INTO talent_fts (rowid, terms, talent_id) VALUES (new.id, new.terms, new.talent_id);
     END",
    "CREATE TRIGGER talent_fts_delete AFTER DELETE ON talent_search BEGIN
        INSERT INTO talent_fts (talent_fts, rowid, terms, talent_id)
        VALUES ('delete', old.id, old.terms, old.talent_id);
     END",
];

const POSTGRES_UP: &[&str] = &[
    "ALTER TABLE contact ADD COLUMN search_terms text, ADD COLUMN person_key text",
    "ALTER TABLE talent ADD COLUMN search_terms text",
    // The terms are already stemmed: 'simple' only splits them.
    "ALTER TABLE contact ADD COLUMN search_vector tsvector
        GENERATED ALWAYS AS (to_tsvector('simple', coalesce(search_terms, ''))) STORED",
    "ALTER TABLE talent ADD COLUMN search_vector tsvector
        GENERATED ALWAYS AS (to_tsvector('simple', coalesce(search_terms, ''))) STORED",
    "CREATE INDEX ix_contact_search ON contact USING gin (search_vector)",
    "CREATE INDEX ix_talent_search ON talent USING gin (search_vector)",
];

/// Both databases: who a contact is, and the rows still to index.
const COMMON_UP: &[&str] = &[
    "CREATE INDEX ix_contact_person_key ON contact (person_key, owner_account_id)",
    "CREATE INDEX ix_contact_unindexed ON contact (id) WHERE search_terms IS NULL",
    "CREATE INDEX ix_talent_unindexed ON talent (id) WHERE search_terms IS NULL",
];

const SQLITE_DOWN: &[&str] = &[
    "DROP TRIGGER talent_fts_delete",
    "DROP TRIGGER talent_fts_insert",
    "DROP TRIGGER talent_search_delete",
    "DROP TRIGGER talent_search_update",
    "DROP TRIGGER talent_search_insert",
    "DROP TABLE talent_fts",
    "DROP TABLE talent_search",
    "DROP TRIGGER contact_fts_delete",
    "DROP TRIGGER contact_fts_insert",
    "DROP TRIGGER contact_search_delete",
    "DROP TRIGGER contact_search_update",
    "DROP TRIGGER contact_search_insert",
    "DROP TABLE contact_fts",
    "DROP TABLE contact_search",
    "DROP INDEX ix_contact_person_key",
    "DROP INDEX ix_contact_unindexed",
    "DROP INDEX ix_talent_unindexed",
    "ALTER TABLE talent DROP COLUMN search_terms",
    "ALTER TABLE contact DROP COLUMN person_key",
    "ALTER TABLE contact DROP COLUMN search_terms",
];

const POSTGRES_DOWN: &[&str] = &[
    "DROP INDEX ix_contact_person_key",
    "DROP INDEX ix_contact_unindexed",
    "DROP INDEX ix_talent_unindexed",
    "ALTER TABLE talent DROP COLUMN search_vector, DROP COLUMN search_terms",
    "ALTER TABLE contact DROP COLUMN search_vector, DROP COLUMN person_key, DROP COLUMN search_terms",
];

#[sea_orm_migration::async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let specific = match manager.get_database_backend() {
            DbBackend::Postgres => POSTGRES_UP,
            _ => SQLITE_UP,
        };
        for statement in specific.iter().chain(COMMON_UP) {
            manager
                .get_connection()
                .execute_unprepared(statement)
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let statements = match manager.get_database_backend() {
            DbBackend::Postgres => POSTGRES_DOWN,
            _ => SQLITE_DOWN,
        };
        for statement in statements {
            manager
                .get_connection()
                .execute_unprepared(statement)
                .await?;
        }
        Ok(())
    }
}

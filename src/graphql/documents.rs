//! Parsed documents, by their text. Clients send the same few documents again and again,
//! and parsing one (async-graphql's parser is built on pest) was the largest part of a
//! small query's CPU: `{ __typename }` spent a seventh of its time there.

use std::sync::Mutex;

use async_graphql::{ServerError, parser::types::ExecutableDocument};
use hashlink::LruCache;

/// Documents kept; with [`MAX_TEXT`], a bound on the memory the cache can hold.
const CAPACITY: usize = 256;

/// Longer texts are parsed each time: a cache of large documents is memory an attacker
/// chooses.
const MAX_TEXT: usize = 8 * 1024;

pub struct Documents {
    parsed: Mutex<LruCache<String, ExecutableDocument>>,
}

impl Default for Documents {
    fn default() -> Self {
        Self {
            parsed: Mutex::new(LruCache::new(CAPACITY)),
        }
    }
}

impl Documents {
    /// The document of `query`, parsed once while it is among the most recent; a text that
    /// does not parse is not kept.
    pub fn parse(&self, query: &str) -> Result<ExecutableDocument, ServerError> {
        if query.len() > MAX_TEXT {
            return Ok(async_graphql::parser::parse_query(query)?);
        }
        if let Some(document) = self.lock().get(query) {
            return Ok(document.clone());
        }
        let document = async_graphql::parser::parse_query(query)?;
        self.lock().insert(query.to_owned(), document.clone());
        Ok(document)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, LruCache<String, ExecutableDocument>> {
        // A panic while holding it cannot leave the cache half-written.
        self.parsed
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_document_is_the_same_parsed_or_remembered() {
        let documents = Documents::default();
        let text = "query Q($n: Int) { a(n: $n) { b ...F } } fragment F on T { c }";
        let first = documents.parse(text).unwrap();
        let again = documents.parse(text).unwrap();
        assert_eq!(format!("{first:?}"), format!("{again:?}"));
        assert_eq!(documents.lock().len(), 1);
        assert!(documents.parse("{ a").is_err());
        assert_eq!(documents.lock().len(), 1, "what does not parse is not kept");
        let large = format!("{{ {} }}", "a ".repeat(MAX_TEXT));
        documents.parse(&large).unwrap();
        assert_eq!(documents.lock().len(), 1, "large texts are not kept");
    }
}

//! Parsed documents, by their text, with what validating them found. Clients send the same
//! few documents again and again: parsing one (async-graphql's parser is built on pest) was
//! the largest part of a small query's CPU, and validating it the next.

use std::sync::{Arc, Mutex};

use async_graphql::{
    ServerError, ValidationResult,
    parser::types::{DocumentOperations, ExecutableDocument},
};
use hashlink::LruCache;

/// Documents kept; with [`MAX_TEXT`], a bound on the memory the cache can hold.
const CAPACITY: usize = 256;

/// Longer texts are parsed each time: a cache of large documents is memory an attacker
/// chooses.
const MAX_TEXT: usize = 8 * 1024;

/// One document, parsed, and the validations of its operations run without variables.
pub struct Document {
    parsed: ExecutableDocument,
    /// By operation name; only names of the document's operations, so a bounded list.
    validated: Mutex<Vec<(Option<String>, ValidationResult)>>,
}

impl Document {
    pub fn new(parsed: ExecutableDocument) -> Self {
        Self {
            parsed,
            validated: Mutex::default(),
        }
    }

    pub fn parsed(&self) -> &ExecutableDocument {
        &self.parsed
    }

    /// What validating `operation` without variables found, if it was validated before.
    /// Validation is a function of the schema, the document, the operation and the
    /// variables alone, so the result of one request holds for the next.
    pub fn validated(&self, operation: Option<&str>) -> Option<ValidationResult> {
        lock(&self.validated)
            .iter()
            .find(|(name, _)| name.as_deref() == operation)
            .map(|(_, result)| *result)
    }

    /// Keeps what validating `operation` without variables found; a name that is not one
    /// of the document's operations is not kept (it fails later, and a client could send
    /// any number of them).
    pub fn remember_validated(&self, operation: Option<&str>, result: ValidationResult) {
        let known = match (&self.parsed.operations, operation) {
            (DocumentOperations::Single(_), None) => true,
            (DocumentOperations::Single(_), Some(_)) => false,
            (DocumentOperations::Multiple(operations), None) => operations.len() == 1,
            (DocumentOperations::Multiple(operations), Some(name)) => {
                operations.keys().any(|key| key.as_str() == name)
            }
        };
        let mut validated = lock(&self.validated);
        if known
            && !validated
                .iter()
                .any(|(name, _)| name.as_deref() == operation)
        {
            validated.push((operation.map(str::to_owned), result));
        }
    }
}

pub struct Documents {
    parsed: Mutex<LruCache<String, Arc<Document>>>,
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
    pub fn parse(&self, query: &str) -> Result<Arc<Document>, ServerError> {
        if query.len() > MAX_TEXT {
            return Ok(Arc::new(Document::new(async_graphql::parser::parse_query(
                query,
            )?)));
        }
        if let Some(document) = lock(&self.parsed).get(query) {
            return Ok(document.clone());
        }
        let document = Arc::new(Document::new(async_graphql::parser::parse_query(query)?));
        lock(&self.parsed).insert(query.to_owned(), document.clone());
        Ok(document)
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    // A panic while holding it cannot leave the value half-written.
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
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
        assert!(Arc::ptr_eq(&first, &again));
        assert_eq!(lock(&documents.parsed).len(), 1);
        assert!(documents.parse("{ a").is_err());
        assert_eq!(
            lock(&documents.parsed).len(),
            1,
            "what does not parse is not kept"
        );
        let large = format!("{{ {} }}", "a ".repeat(MAX_TEXT));
        documents.parse(&large).unwrap();
        assert_eq!(lock(&documents.parsed).len(), 1, "large texts are not kept");
    }

    #[test]
    fn only_the_documents_operations_are_remembered_as_validated() {
        let result = |complexity| ValidationResult {
            cache_control: Default::default(),
            complexity,
            depth: 1,
        };
        let documents = Documents::default();
        let named = documents.parse("query A { a } query B { b }").unwrap();
        named.remember_validated(Some("A"), result(1));
        named.remember_validated(Some("C"), result(2));
        named.remember_validated(None, result(3));
        assert_eq!(named.validated(Some("A")).map(|r| r.complexity), Some(1));
        assert!(named.validated(Some("C")).is_none());
        assert!(named.validated(None).is_none());
        assert!(named.validated(Some("B")).is_none());

        let single = documents.parse("query A { a }").unwrap();
        single.remember_validated(None, result(4));
        single.remember_validated(Some("A"), result(5));
        assert_eq!(single.validated(None).map(|r| r.complexity), Some(4));
        assert_eq!(single.validated(Some("A")).map(|r| r.complexity), Some(5));

        let anonymous = documents.parse("{ a }").unwrap();
        anonymous.remember_validated(Some("A"), result(6));
        assert!(anonymous.validated(Some("A")).is_none());
    }
}

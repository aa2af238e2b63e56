//! What a document costs before anything runs: its tokens (counted on the text, before
//! the parser sees it) and its field selections once fragments are expanded (a fragment
//! spread ten times counts ten times; a field written twice counts twice, even though
//! GraphQL merges the two). Both walks are linear in the size of the text: a fragment's
//! count is computed once, and a fragment that spreads itself (an invalid document,
//! refused later by validation) counts nothing more instead of looping.

use std::collections::HashMap;

use async_graphql::parser::types::{ExecutableDocument, OperationType, Selection, SelectionSet};

/// The lexical tokens of a GraphQL text: names, numbers, strings and punctuators
/// (`...` is one); whitespace, commas and comments are not tokens. Stops counting past
/// `stop`, so a huge text costs no more than `stop` tokens' worth of scanning.
pub fn token_count(text: &str, stop: usize) -> usize {
    let bytes = text.as_bytes();
    let (mut i, mut tokens) = (0, 0);
    while i < bytes.len() && tokens <= stop {
        match bytes[i] {
            b' ' | b'\t' | b'\n' | b'\r' | b',' => i += 1,
            // A byte-order mark is ignored as whitespace.
            0xEF if bytes[i..].starts_with(b"\xEF\xBB\xBF") => i += 3,
            b'#' => {
                while i < bytes.len() && bytes[i] != b'\n' && bytes[i] != b'\r' {
                    i += 1;
                }
            }
            b'"' if bytes[i..].starts_with(b"\"\"\"") => {
                i += 3;
                while i < bytes.len() && !bytes[i..].starts_with(b"\"\"\"") {
                    i += if bytes[i..].starts_with(b"\\\"\"\"") {
                        4
                    } else {
                        1
                    };
                }
                i += 3;
                tokens += 1;
            }
            b'"' => {
                i += 1;
                while i < bytes.len() && bytes[i] != b'"' && bytes[i] != b'\n' {
                    i += if bytes[i] == b'\\' { 2 } else { 1 };
                }
                i += 1;
                tokens += 1;
            }
            b'.' if bytes[i..].starts_with(b"...") => {
                i += 3;
                tokens += 1;
            }
            byte if byte.is_ascii_alphanumeric() || matches!(byte, b'_' | b'-' | b'+') => {
                // A name or a number (with its sign, fraction and exponent).
                i += 1;
                while i < bytes.len()
                    && (bytes[i].is_ascii_alphanumeric() || matches!(bytes[i], b'_' | b'.'))
                {
                    i += 1;
                }
                tokens += 1;
            }
            _ => {
                i += 1;
                tokens += 1;
            }
        }
    }
    tokens
}

/// Every field selection of the document's operations, fragments expanded each time they
/// are spread (saturating: an exponential expansion reads as `usize::MAX`).
pub fn field_count(document: &ExecutableDocument) -> usize {
    let mut walk = Walk::new(document);
    document.operations.iter().fold(0, |sum: usize, (_, op)| {
        sum.saturating_add(walk.fields(&op.node.selection_set.node))
    })
}

/// The root fields of the document's mutations, fragments expanded: what a mutation's
/// surcharge is charged on.
pub fn mutation_field_count(document: &ExecutableDocument) -> usize {
    let mut walk = Walk::new(document);
    document
        .operations
        .iter()
        .filter(|(_, op)| op.node.ty == OperationType::Mutation)
        .fold(0, |sum: usize, (_, op)| {
            sum.saturating_add(walk.root_fields(&op.node.selection_set.node))
        })
}

/// Memoised counts per fragment; `None` while a fragment is being counted (a cycle).
struct Walk<'a> {
    document: &'a ExecutableDocument,
    fields: HashMap<&'a str, Option<usize>>,
    root_fields: HashMap<&'a str, Option<usize>>,
}

impl<'a> Walk<'a> {
    fn new(document: &'a ExecutableDocument) -> Self {
        Self {
            document,
            fields: HashMap::new(),
            root_fields: HashMap::new(),
        }
    }

    /// Fields at every depth.
    fn fields(&mut self, set: &'a SelectionSet) -> usize {
        set.items.iter().fold(0, |sum: usize, item| {
            sum.saturating_add(match &item.node {
                Selection::Field(field) => {
                    1usize.saturating_add(self.fields(&field.node.selection_set.node))
                }
                Selection::InlineFragment(inline) => self.fields(&inline.node.selection_set.node),
                Selection::FragmentSpread(spread) => {
                    let name = spread.node.fragment_name.node.as_str();
                    self.fragment(name, Self::fields, |walk| &mut walk.fields)
                }
            })
        })
    }

    /// Fields of this selection set itself (through fragments), not their children.
    fn root_fields(&mut self, set: &'a SelectionSet) -> usize {
        set.items.iter().fold(0, |sum: usize, item| {
            sum.saturating_add(match &item.node {
                Selection::Field(_) => 1,
                Selection::InlineFragment(inline) => {
                    self.root_fields(&inline.node.selection_set.node)
                }
                Selection::FragmentSpread(spread) => {
                    let name = spread.node.fragment_name.node.as_str();
                    self.fragment(name, Self::root_fields, |walk| &mut walk.root_fields)
                }
            })
        })
    }

    /// A fragment's count, computed once; an unknown fragment or a cycle counts 0 (both
    /// are validation errors, reported after this).
    fn fragment(
        &mut self,
        name: &'a str,
        count: fn(&mut Self, &'a SelectionSet) -> usize,
        memo: fn(&mut Self) -> &mut HashMap<&'a str, Option<usize>>,
    ) -> usize {
        if let Some(known) = memo(self).get(name) {
            return known.unwrap_or(0);
        }
        let Some((key, fragment)) = self.document.fragments.get_key_value(name) else {
            return 0;
        };
        memo(self).insert(key.as_str(), None);
        let n = count(self, &fragment.node.selection_set.node);
        memo(self).insert(key.as_str(), Some(n));
        n
    }
}

#[cfg(test)]
mod tests {
    use async_graphql::parser::parse_query;

    use super::*;

    fn fields(query: &str) -> usize {
        field_count(&parse_query(query).unwrap())
    }

    #[test]
    fn every_selection_counts_after_expansion() {
        assert_eq!(fields("{ a b { c } }"), 3);
        assert_eq!(fields("{ a a a }"), 3, "duplicates count each time");
        assert_eq!(
            fields("{ ...F ...F ... on Query { ...F } } fragment F on Query { a { b } }"),
            6
        );
        // Each level doubles: 2^40 selections from a few hundred bytes.
        let mut doc = String::from("{ ...F40 } fragment F0 on Query { a }");
        for n in 1..=40 {
            doc.push_str(&format!(
                " fragment F{n} on Query {{ ...F{} ...F{} }}",
                n - 1,
                n - 1
            ));
        }
        assert_eq!(fields(&doc), 1 << 40);
    }

    #[test]
    fn graphiqls_introspection_query_is_well_within_the_default() {
        let introspection = include_str!("../../tests/api/introspection.graphql");
        let n = fields(introspection);
        assert_eq!(n, INTROSPECTION_FIELDS);
        assert!(n < crate::config::LimitsConfig::default().max_fields);
        assert!(token_count(introspection, usize::MAX) < 1_000);
    }

    /// Measured; the README and `--max-fields`' help say it.
    const INTROSPECTION_FIELDS: usize = 230;

    #[test]
    fn fragment_cycles_and_unknown_fragments_end() {
        assert_eq!(
            fields("{ ...A } fragment A on Query { a ...B } fragment B on Query { b ...A }"),
            2
        );
        assert_eq!(fields("{ a ...Missing }"), 1);
    }

    #[test]
    fn mutation_root_fields_count_through_fragments() {
        let doc = parse_query(
            "mutation M { a { x y } ...F } fragment F on Mutation { b c { z } } query Q { q }",
        )
        .unwrap();
        assert_eq!(mutation_field_count(&doc), 3);
    }

    #[test]
    fn tokens() {
        assert_eq!(
            token_count("{ a(b: 1.5e3, c: \"x, y\") { ...F } }", 100),
            15
        );
        assert_eq!(token_count("# a comment\n{ a } ", 100), 3);
        assert_eq!(token_count("{ a(s: \"\"\"block \"\" {\"\"\") }", 100), 8);
        assert_eq!(token_count(&"a ".repeat(1_000_000), 10), 11, "stops early");
    }
}

//! Puts response fields in the order the query asked for them (the GraphQL spec's
//! SHOULD): async-graphql resolves sibling fields concurrently and records them in the
//! order they finish.

use async_graphql::parser::types::{
    ExecutableDocument, OperationDefinition, Selection, SelectionSet,
};
use serde_json::{Map, Value};

/// Reorders `data` of the operation `operation_name` of `document`, in place.
pub fn reorder(document: &ExecutableDocument, operation_name: Option<&str>, data: &mut Value) {
    let operation: Option<&OperationDefinition> = match operation_name {
        Some(name) => document
            .operations
            .iter()
            .find(|(n, _)| n.is_some_and(|n| n.as_str() == name))
            .map(|(_, op)| &op.node),
        None => document.operations.iter().next().map(|(_, op)| &op.node),
    };
    if let Some(operation) = operation {
        reorder_value(document, &[&operation.selection_set.node], data);
    }
}

/// The response keys selected by `sets`, in query order, each with its sub-selections
/// (fields of one key can be selected several times, through fragments too).
fn keys<'a>(
    document: &'a ExecutableDocument,
    sets: &[&'a SelectionSet],
    out: &mut Vec<(String, Vec<&'a SelectionSet>)>,
) {
    for set in sets {
        for item in &set.items {
            match &item.node {
                Selection::Field(field) => {
                    let field = &field.node;
                    let key = field.alias.as_ref().unwrap_or(&field.name).node.to_string();
                    match out.iter_mut().find(|(k, _)| *k == key) {
                        Some((_, subs)) => subs.push(&field.selection_set.node),
                        None => out.push((key, vec![&field.selection_set.node])),
                    }
                }
                Selection::InlineFragment(fragment) => {
                    keys(document, &[&fragment.node.selection_set.node], out)
                }
                Selection::FragmentSpread(spread) => {
                    if let Some(fragment) = document.fragments.get(&spread.node.fragment_name.node)
                    {
                        keys(document, &[&fragment.node.selection_set.node], out);
                    }
                }
            }
        }
    }
}

fn reorder_value(document: &ExecutableDocument, sets: &[&SelectionSet], value: &mut Value) {
    match value {
        Value::Array(items) => items
            .iter_mut()
            .for_each(|item| reorder_value(document, sets, item)),
        Value::Object(object) => {
            let mut ordered = Vec::new();
            keys(document, sets, &mut ordered);
            let mut rest = std::mem::take(object);
            let mut result = Map::with_capacity(rest.len());
            for (key, subs) in ordered {
                if let Some(mut child) = rest.remove(&key) {
                    reorder_value(document, &subs, &mut child);
                    result.insert(key, child);
                }
            }
            // Anything unexpected keeps its place after the ordered keys.
            result.extend(rest);
            *object = result;
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn follows_the_query_through_aliases_and_fragments() {
        let document = async_graphql::parser::parse_query(
            "query Q { b a: x { z ...F } ... on Query { c } } fragment F on X { y { q p } }",
        )
        .unwrap();
        let mut data = json!({ "c": 3, "a": [{ "y": { "p": 1, "q": 2 }, "z": 0 }], "b": 1 });
        reorder(&document, Some("Q"), &mut data);
        assert_eq!(
            data.to_string(),
            r#"{"b":1,"a":[{"z":0,"y":{"q":2,"p":1}}],"c":3}"#
        );
    }
}

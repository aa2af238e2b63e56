//! Puts response fields in the order the query asked for them (the GraphQL spec's
//! SHOULD): async-graphql resolves sibling fields concurrently and records them in the
//! order they finish. Done on the `async_graphql::Value` before it is serialised.

use async_graphql::{
    Value,
    parser::types::{ExecutableDocument, OperationDefinition, Selection, SelectionSet},
};

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
    out: &mut Vec<(&'a str, Vec<&'a SelectionSet>)>,
) {
    for set in sets {
        for item in &set.items {
            match &item.node {
                Selection::Field(field) => {
                    let field = &field.node;
                    let key = field.alias.as_ref().unwrap_or(&field.name).node.as_str();
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
    if matches!(value, Value::List(_) | Value::Object(_)) {
        // The items of a list share their selections: their keys are worked out once.
        let mut ordered = Vec::new();
        keys(document, sets, &mut ordered);
        reorder_by(document, &ordered, value);
    }
}

type Keys<'a> = [(&'a str, Vec<&'a SelectionSet>)];

fn reorder_by(document: &ExecutableDocument, ordered: &Keys<'_>, value: &mut Value) {
    match value {
        Value::List(items) => items
            .iter_mut()
            .for_each(|item| reorder_by(document, ordered, item)),
        Value::Object(object) => {
            let position = |key: &str| ordered.iter().position(|(k, _)| *k == key);
            // A stable sort: anything unexpected keeps its place after the ordered keys.
            let rank = |key: &str| position(key).unwrap_or(usize::MAX);
            if !object.keys().map(|key| rank(key.as_str())).is_sorted() {
                object.sort_by_cached_key(|key, _| rank(key.as_str()));
            }
            for (key, child) in object.iter_mut() {
                if let Some(index) = position(key.as_str()) {
                    reorder_value(document, &ordered[index].1, child);
                }
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn follows_the_query_through_aliases_and_fragments() {
        let document = async_graphql::parser::parse_query(
            "query Q { b a: x { z ...F } ... on Query { c } } fragment F on X { y { q p } }",
        )
        .unwrap();
        let mut data = Value::from_json(serde_json::json!({
            "c": 3, "a": [{ "y": { "p": 1, "q": 2 }, "z": 0 }], "b": 1
        }))
        .unwrap();
        reorder(&document, Some("Q"), &mut data);
        assert_eq!(
            serde_json::to_string(&data).unwrap(),
            r#"{"b":1,"a":[{"z":0,"y":{"q":2,"p":1}}],"c":3}"#
        );
    }
}

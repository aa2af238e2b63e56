//! What a request's document is, read before execution: which operation runs (to refuse
//! mutations over GET) and how many aliases it uses (async-graphql has no alias limit).

use async_graphql::parser::types::{
    DocumentOperations, ExecutableDocument, OperationType, Selection, SelectionSet,
};

/// The type of the operation that would run, if it can be told.
pub fn operation_type(
    document: &ExecutableDocument,
    operation_name: Option<&str>,
) -> Option<OperationType> {
    match (&document.operations, operation_name) {
        (DocumentOperations::Single(op), _) => Some(op.node.ty),
        (DocumentOperations::Multiple(ops), Some(name)) => ops
            .iter()
            .find(|(n, _)| n.as_str() == name)
            .map(|(_, op)| op.node.ty),
        (DocumentOperations::Multiple(_), None) => None,
    }
}

/// Whether any operation of the document is of this type.
pub fn has_operation(document: &ExecutableDocument, ty: OperationType) -> bool {
    document.operations.iter().any(|(_, op)| op.node.ty == ty)
}

/// Aliased fields in the document's text (each fragment counted once).
pub fn alias_count(document: &ExecutableDocument) -> usize {
    fn count(set: &SelectionSet) -> usize {
        set.items
            .iter()
            .map(|item| match &item.node {
                Selection::Field(field) => {
                    usize::from(field.node.alias.is_some()) + count(&field.node.selection_set.node)
                }
                Selection::InlineFragment(fragment) => count(&fragment.node.selection_set.node),
                Selection::FragmentSpread(_) => 0,
            })
            .sum()
    }
    document
        .operations
        .iter()
        .map(|(_, op)| count(&op.node.selection_set.node))
        .sum::<usize>()
        + document
            .fragments
            .values()
            .map(|f| count(&f.node.selection_set.node))
            .sum::<usize>()
}

//! Which operation a request's document runs, read before execution: the transport refuses
//! mutations over GET and subscriptions over HTTP.

use async_graphql::parser::types::{DocumentOperations, ExecutableDocument, OperationType};

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

//! Global ids as GraphQL `ID`s, and list and event cursors, parsed once here.

use async_graphql::ID;
use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use uuid::Uuid;

use crate::error::UserError;

pub use crate::domain::{GlobalId, NodeKind};

/// The GraphQL side of [`GlobalId`] (an inherent impl beside the domain's own).
impl GlobalId {
    pub fn encode(kind: NodeKind, id: Uuid) -> ID {
        ID(GlobalId::new(kind, id).to_string())
    }

    /// The id of a `kind` passed in input `field`, or an `INVALID_INPUT` naming the field.
    pub fn parse(kind: NodeKind, field: &str, id: &ID) -> Result<Uuid, UserError> {
        match Self::decode(id) {
            Some(global) if global.kind == kind => Ok(global.id),
            _ => Err(UserError::invalid(
                field,
                format!("`{}` is not a {} id", id.as_str(), kind.name()),
            )),
        }
    }
}

/// List cursors: opaque, and only ever the position's id.
pub fn encode_cursor(id: Uuid) -> String {
    URL_SAFE_NO_PAD.encode(format!("c:{}", id.simple()))
}

pub fn decode_cursor(field: &str, cursor: &str) -> Result<Uuid, UserError> {
    URL_SAFE_NO_PAD
        .decode(cursor)
        .ok()
        .and_then(|bytes| String::from_utf8(bytes).ok())
        .and_then(|text| {
            text.strip_prefix("c:")
                .and_then(|id| Uuid::try_parse(id).ok())
        })
        .ok_or_else(|| {
            UserError::invalid(field, format!("`{cursor}` is not a cursor of this list"))
        })
}

/// Event cursors: opaque; a position in the network's event log.
pub fn encode_event_cursor(seq: i64) -> String {
    URL_SAFE_NO_PAD.encode(format!("e:{seq}"))
}

pub fn decode_event_cursor(field: &str, cursor: &str) -> Result<i64, UserError> {
    URL_SAFE_NO_PAD
        .decode(cursor)
        .ok()
        .and_then(|bytes| String::from_utf8(bytes).ok())
        .and_then(|text| text.strip_prefix("e:").and_then(|seq| seq.parse().ok()))
        .filter(|seq: &i64| *seq >= 0)
        .ok_or_else(|| UserError::invalid(field, format!("`{cursor}` is not an event cursor")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_refuses_garbage() {
        let id = Uuid::now_v7();
        let global = GlobalId::encode(NodeKind::Company, id);
        assert_eq!(
            GlobalId::decode(&global),
            Some(GlobalId {
                kind: NodeKind::Company,
                id
            })
        );
        assert_eq!(
            GlobalId::parse(NodeKind::Company, "companyId", &global),
            Ok(id)
        );
        assert!(GlobalId::parse(NodeKind::Talent, "talentId", &global).is_err());
        for bad in [
            "",
            "!!",
            "Q29tcGFueTp4",
            &URL_SAFE_NO_PAD.encode("Nope:00000000000000000000000000000000"),
        ] {
            assert_eq!(GlobalId::decode(bad), None);
        }
        assert_eq!(decode_cursor("after", &encode_cursor(id)), Ok(id));
        assert!(decode_cursor("after", "garbage").is_err());
        assert_eq!(
            decode_event_cursor("after", &encode_event_cursor(42)),
            Ok(42)
        );
        assert!(decode_event_cursor("after", &encode_cursor(id)).is_err());
    }
}

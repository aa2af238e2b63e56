//! Mutations, one module per area. Each resolver parses ids, calls one service function
//! and shapes its payload; the rules live in the services.

mod accounts;
mod companies;
mod contacts;
mod greenhouse;
mod introductions;
mod jobs;
mod networks;
mod talent;

use async_graphql::MergedObject;

#[derive(MergedObject, Default)]
#[graphql(name = "Mutation")]
pub struct MutationRoot(
    accounts::AccountMutations,
    networks::NetworkMutations,
    companies::CompanyMutations,
    contacts::ContactMutations,
    introductions::IntroductionMutations,
    talent::TalentMutations,
    jobs::JobMutations,
    greenhouse::GreenhouseMutations,
);

/// Parses a global id from an input, or fails the mutation with an `INVALID_INPUT` user error.
macro_rules! parse_id {
    ($payload:ty, $kind:ident, $field:literal, $id:expr) => {
        match $crate::graphql::ids::GlobalId::parse(
            $crate::graphql::ids::NodeKind::$kind,
            $field,
            &$id,
        ) {
            Ok(id) => id,
            Err(error) => {
                return Ok(<$payload as $crate::graphql::errors::Payload>::failed(
                    vec![error.into()],
                ))
            }
        }
    };
}
pub(crate) use parse_id;

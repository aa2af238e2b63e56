//! GraphQL object types: thin wrappers over models; every field that could reveal more
//! than the caller may see asks [`crate::services::access`] first.

mod account;
mod ally;
mod ally_intro_ask;
mod company;
mod contact;
mod email;
mod enums;
mod greenhouse;
mod intro_list;
pub(crate) mod intro_request;
mod job;
mod network;
mod node;
mod talent;
mod viewer;

pub use account::{Account, ApiToken};
pub use ally::Ally;
pub use ally_intro_ask::AllyIntroAsk;
pub use company::{Company, CompanyAdmin};
pub use contact::{Contact, Date, WarmPath, contact_connection};
pub use email::{EmailMessage, EmailStatus};
pub use enums::*;
pub use greenhouse::{
    CompanyGreenhouse, GreenhouseApplication, GreenhouseNoteVisibility, GreenhousePushStatus,
    GreenhouseSource, GreenhouseStage, HiringStatus, IntroRequestGreenhouse,
};
pub use intro_list::{IntroList, IntroListEntry};
pub use intro_request::{
    InboxCounts, InboxSection, IntroDirection, IntroRequest, IntroRequestEvent, IntroStatus,
};
pub use job::Job;
pub use network::Network;
pub use node::{Node, resolve_node};
pub use talent::Talent;
pub use viewer::Viewer;

//! The rules of introgate: one module per area, each function one use case that checks
//! permissions (via [`access`]), validates, and changes data in one transaction ([`tx::Tx`],
//! which also carries the change's emails and live signals). Nothing here knows about
//! GraphQL or HTTP.

pub mod access;
pub mod accounts;
pub mod companies;
pub mod contacts;
pub mod emails;
pub mod greenhouse;
pub mod introductions;
pub mod invitations;
pub mod jobs;
pub mod networks;
pub mod pagination;
pub mod password_reset;
pub mod recommendations;
pub mod sign_up;
pub mod subscriptions;
pub mod talent;
pub mod throttle;
pub mod tx;

//! sea-orm entities of introgate: one module per table, generated-style, no logic.
//!
//! Every id is a UUID v7 (time-ordered), so ordering by id is ordering by creation
//! and keyset pagination needs no extra column.

pub mod account;
pub mod ally;
pub mod ally_intro_ask;
pub mod api_token;
pub mod company;
pub mod company_admin;
pub mod contact;
pub mod email_outbox;
pub mod email_verification;
pub mod enums;
pub mod event_log;
pub mod greenhouse_application;
pub mod greenhouse_connection;
pub mod greenhouse_push;
pub mod greenhouse_stage;
pub mod greenhouse_webhook_event;
pub mod intro_list;
pub mod intro_list_entry;
pub mod intro_request;
pub mod intro_request_event;
pub mod intro_request_job;
pub mod invitation;
pub mod invitation_throttle;
pub mod job;
pub mod network;
pub mod network_admin;
pub mod password_reset;
pub mod session;
pub mod sign_in_throttle;
pub mod talent;

pub mod prelude {
    pub use super::account::Entity as Account;
    pub use super::ally::Entity as Ally;
    pub use super::api_token::Entity as ApiToken;
    pub use super::company::Entity as Company;
    pub use super::company_admin::Entity as CompanyAdmin;
    pub use super::contact::Entity as Contact;
    pub use super::email_outbox::Entity as EmailOutbox;
    pub use super::event_log::Entity as EventLog;
    pub use super::greenhouse_application::Entity as GreenhouseApplication;
    pub use super::greenhouse_connection::Entity as GreenhouseConnection;
    pub use super::greenhouse_push::Entity as GreenhousePush;
    pub use super::greenhouse_stage::Entity as GreenhouseStage;
    pub use super::intro_request::Entity as IntroRequest;
    pub use super::intro_request_event::Entity as IntroRequestEvent;
    pub use super::intro_request_job::Entity as IntroRequestJob;
    pub use super::invitation::Entity as Invitation;
    pub use super::job::Entity as Job;
    pub use super::network::Entity as Network;
    pub use super::network_admin::Entity as NetworkAdmin;
    pub use super::session::Entity as Session;
    pub use super::talent::Entity as Talent;
}

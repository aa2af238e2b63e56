//! Values parsed once at the edge; everything past it trusts them.

pub mod contact;
mod email;
mod global_id;
pub mod matching;
mod password;
mod text;
mod token;

pub use email::EmailAddress;
pub use global_id::{GlobalId, NodeKind};
pub use password::{Password, PasswordHash};
pub use text::{Domain, LinkedInUrl, LongText, Name, ShortText, Slug, WebUrl};
pub use token::{SecretToken, TokenHash};

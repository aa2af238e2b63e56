//! Durable email. A change that causes an email writes an outbox row in its own
//! transaction ([`outbox::enqueue`]); the [`worker`] delivers due rows through a
//! [`MailTransport`], retrying transient failures with backoff. Rows are leased while
//! sent, so several server processes on one database never deliver one twice.

/// Where an email's live secret goes in its stored bodies (see [`outbox::Secret`]): only
/// characters every escaping (HTML, URL, quoted-printable) leaves as they are.
pub const SECRET_MARK: &str = "introgate-secret-9c2f7e1b";

pub mod outbox;
pub mod templates;
pub mod transport;
pub mod worker;

use std::str::FromStr;

use percent_encoding::percent_decode_str;

pub use transport::{FileTransport, MailTransport, SendError, SmtpTransport};

/// `SMTP_URL`, parsed: the security of the connection follows from its form (SPEC §2).
#[derive(Clone, PartialEq, Eq)]
pub struct SmtpUrl {
    pub host: String,
    pub port: u16,
    pub credentials: Option<(String, String)>,
    pub security: SmtpSecurity,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SmtpSecurity {
    /// `smtp://host:port` without credentials: local relays and tests.
    Plain,
    /// `smtp://user:pass@host:587`: STARTTLS required.
    StartTls,
    /// `smtps://user:pass@host:465`: TLS from the first byte.
    Tls,
}

impl std::fmt::Debug for SmtpUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SmtpUrl")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("security", &self.security)
            .finish_non_exhaustive()
    }
}

impl FromStr for SmtpUrl {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let url = url::Url::parse(text).map_err(|e| format!("not a URL: {e}"))?;
        let host = url
            .host_str()
            .filter(|h| !h.is_empty())
            .ok_or("SMTP_URL needs a host")?
            .trim_matches(['[', ']'])
            .to_owned();
        let decode = |s: &str| percent_decode_str(s).decode_utf8_lossy().into_owned();
        let credentials = (!url.username().is_empty()).then(|| {
            (
                decode(url.username()),
                decode(url.password().unwrap_or_default()),
            )
        });
        let (security, default_port) = match url.scheme() {
            "smtp" if credentials.is_some() => (SmtpSecurity::StartTls, 587),
            "smtp" => (SmtpSecurity::Plain, 25),
            "smtps" => (SmtpSecurity::Tls, 465),
            other => {
                return Err(format!(
                    "SMTP_URL scheme must be smtp or smtps, not {other}"
                ));
            }
        };
        Ok(Self {
            host,
            port: url.port().unwrap_or(default_port),
            credentials,
            security,
        })
    }
}

/// One email as a service composes it, before it is queued.
#[derive(Debug, Clone)]
pub struct Email {
    /// What caused it (`invitation`, `intro_sent`, …), kept with the outbox row.
    pub kind: &'static str,
    pub network_id: Option<uuid::Uuid>,
    pub to: Vec<lettre::message::Mailbox>,
    pub cc: Vec<lettre::message::Mailbox>,
    pub bcc: Vec<lettre::message::Mailbox>,
    pub subject: String,
    pub text: String,
    pub html: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn smtp_url_forms() {
        let plain: SmtpUrl = "smtp://127.0.0.1:2525".parse().unwrap();
        assert_eq!(
            (plain.security, plain.port, plain.credentials),
            (SmtpSecurity::Plain, 2525, None)
        );
        let starttls: SmtpUrl = "smtp://me%40x.com:p%2Bw@mail.example.com:587"
            .parse()
            .unwrap();
        assert_eq!(starttls.security, SmtpSecurity::StartTls);
        assert_eq!(
            starttls.credentials,
            Some(("me@x.com".into(), "p+w".into()))
        );
        let tls: SmtpUrl = "smtps://u:p@mail.example.com".parse().unwrap();
        assert_eq!((tls.security, tls.port), (SmtpSecurity::Tls, 465));
        assert!("http://x".parse::<SmtpUrl>().is_err());
    }
}

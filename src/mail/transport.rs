//! Where emails go: SMTP in production, `.eml` files in development.

use std::{path::PathBuf, str::FromStr, time::Duration};

use entities::email_outbox;
use futures::future::BoxFuture;
use lettre::{
    AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor,
    message::{Mailbox, MultiPart, header},
    transport::smtp::authentication::Credentials,
};

use super::{SmtpSecurity, SmtpUrl};

#[derive(Debug, thiserror::Error)]
pub enum SendError {
    /// Worth another try later: connection refused, timeout, 4xx.
    #[error("transient: {0}")]
    Transient(String),
    /// Will never succeed as it is: 5xx, a malformed stored message.
    #[error("permanent: {0}")]
    Permanent(String),
}

pub trait MailTransport: Send + Sync + 'static {
    fn send<'a>(&'a self, email: &'a email_outbox::Model) -> BoxFuture<'a, Result<(), SendError>>;
}

/// Builds the MIME message of a stored outbox row.
pub fn build_message(from: &Mailbox, email: &email_outbox::Model) -> Result<Message, SendError> {
    let parse = |value: &serde_json::Value| -> Result<Vec<Mailbox>, SendError> {
        value
            .as_array()
            .into_iter()
            .flatten()
            .map(|v| {
                v.as_str()
                    .and_then(|s| Mailbox::from_str(s).ok())
                    .ok_or_else(|| SendError::Permanent(format!("bad stored address {v}")))
            })
            .collect()
    };
    let mut builder = Message::builder()
        .from(from.clone())
        .subject(email.subject.clone())
        .message_id(Some(email.message_id.clone()));
    for to in parse(&email.to_addrs)? {
        builder = builder.to(to);
    }
    for cc in parse(&email.cc_addrs)? {
        builder = builder.cc(cc);
    }
    for bcc in parse(&email.bcc_addrs)? {
        builder = builder.bcc(bcc);
    }
    builder = builder.header(header::Date::new(email.created_at.into()));
    builder
        .multipart(MultiPart::alternative_plain_html(
            email.text_body.clone(),
            email.html_body.clone(),
        ))
        .map_err(|e| SendError::Permanent(format!("building message: {e}")))
}

pub struct SmtpTransport {
    from: Mailbox,
    transport: AsyncSmtpTransport<Tokio1Executor>,
}

impl SmtpTransport {
    pub fn new(url: &SmtpUrl, from: Mailbox) -> anyhow::Result<Self> {
        let builder = match url.security {
            SmtpSecurity::Plain => {
                AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&url.host)
            }
            SmtpSecurity::StartTls => {
                AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(&url.host)?
            }
            SmtpSecurity::Tls => AsyncSmtpTransport::<Tokio1Executor>::relay(&url.host)?,
        };
        let mut builder = builder
            .port(url.port)
            .timeout(Some(Duration::from_secs(30)));
        if let Some((user, password)) = &url.credentials {
            builder = builder.credentials(Credentials::new(user.clone(), password.clone()));
        }
        Ok(Self {
            from,
            transport: builder.build(),
        })
    }
}

impl MailTransport for SmtpTransport {
    fn send<'a>(&'a self, email: &'a email_outbox::Model) -> BoxFuture<'a, Result<(), SendError>> {
        Box::pin(async move {
            let message = build_message(&self.from, email)?;
            match self.transport.send(message).await {
                Ok(_) => Ok(()),
                Err(e) if e.is_permanent() => Err(SendError::Permanent(e.to_string())),
                Err(e) => Err(SendError::Transient(e.to_string())),
            }
        })
    }
}

/// Writes each email as `<id>.eml` into a folder; rewriting one is harmless, so a retry
/// never makes a second file.
pub struct FileTransport {
    from: Mailbox,
    dir: PathBuf,
}

impl FileTransport {
    pub fn new(dir: PathBuf, from: Mailbox) -> Self {
        Self { from, dir }
    }
}

impl MailTransport for FileTransport {
    fn send<'a>(&'a self, email: &'a email_outbox::Model) -> BoxFuture<'a, Result<(), SendError>> {
        Box::pin(async move {
            let message = build_message(&self.from, email)?;
            let io = |e: std::io::Error| {
                SendError::Transient(format!("writing {}: {e}", self.dir.display()))
            };
            tokio::fs::create_dir_all(&self.dir).await.map_err(io)?;
            let path = self.dir.join(format!("{}.eml", email.id));
            let partial = self.dir.join(format!(".{}.eml.partial", email.id));
            tokio::fs::write(&partial, message.formatted())
                .await
                .map_err(io)?;
            tokio::fs::rename(&partial, &path).await.map_err(io)
        })
    }
}

//! Email texts. The words live in askama templates under `templates/email/`: each email has
//! a `.txt` part (plain text, nothing escaped) and an `.html` part that the engine escapes,
//! element text and attributes alike, so no value from a user is ever escaped by hand.
//! Subjects are headers: they are built here and encoded by lettre, never taken from a
//! template; recipients are parsed addresses only, so nothing a user types can add a header.

use askama::Template;
use lettre::message::Mailbox;

use super::Email;

/// What the invitee is asked to become.
pub enum InvitedAs<'a> {
    NetworkAdmin,
    Ally,
    Talent,
    CompanyAdmin { company: &'a str },
}

pub struct Invitation<'a> {
    pub network_id: uuid::Uuid,
    pub network: &'a str,
    pub to: Mailbox,
    pub invitee_name: &'a str,
    pub inviter_name: Option<&'a str>,
    pub role: InvitedAs<'a>,
    pub link: &'a str,
    pub expires_in_days: i64,
    /// For a point of contact: the request waiting for them.
    pub pending_request: Option<&'a str>,
}

pub fn invitation(invite: Invitation<'_>) -> Email {
    let subject = match &invite.role {
        InvitedAs::CompanyAdmin { company } => format!(
            "You've been invited to receive introductions for {company} on {}",
            invite.network
        ),
        InvitedAs::NetworkAdmin | InvitedAs::Ally | InvitedAs::Talent => {
            format!("You've been invited to {}", invite.network)
        }
    };
    let text = render(&TextPart::Invitation { invite: &invite });
    let html = render(&HtmlPart::Invitation {
        title: &subject,
        invite: &invite,
    });
    Email {
        kind: "invitation",
        network_id: Some(invite.network_id),
        to: vec![invite.to],
        cc: vec![],
        bcc: vec![],
        subject,
        text,
        html,
    }
}

/// What an email about an introduction request shows of it.
pub struct RequestSummary<'a> {
    pub network_id: uuid::Uuid,
    pub network: &'a str,
    pub talent: &'a str,
    pub talent_headline: Option<&'a str>,
    pub talent_linkedin: Option<&'a str>,
    pub company: &'a str,
    /// `true` when the talent asks to meet the company.
    pub to_company: bool,
    pub message: &'a str,
    pub jobs: Vec<String>,
    pub link: &'a str,
}

impl RequestSummary<'_> {
    /// Who asks to meet whom: part of subjects, so plain text, built here.
    pub fn title(&self) -> String {
        if self.to_company {
            format!(
                "{} asks for an introduction to {}",
                self.talent, self.company
            )
        } else {
            format!(
                "{} would like to be introduced to {}",
                self.company, self.talent
            )
        }
    }

    /// Whether the summary has profile lines (headline, LinkedIn, jobs) to show.
    fn has_profile(&self) -> bool {
        self.talent_headline.is_some() || self.talent_linkedin.is_some() || !self.jobs.is_empty()
    }
}

/// Why network admins are asked to act on a request.
pub enum AdminAttention {
    NeedsReview,
    NoCompanyAdmin,
}

/// To every network admin: a request waits for review, or its company has nobody to receive it.
pub fn request_needs_admin(
    summary: &RequestSummary<'_>,
    reason: AdminAttention,
    admins: Vec<Mailbox>,
) -> Email {
    let subject = match reason {
        AdminAttention::NeedsReview => {
            format!("Introduction request needs review: {}", summary.title())
        }
        AdminAttention::NoCompanyAdmin => format!(
            "{} has no company admin: {}",
            summary.company,
            summary.title()
        ),
    };
    Email {
        kind: "intro_needs_admin",
        network_id: Some(summary.network_id),
        to: admins,
        cc: vec![],
        bcc: vec![],
        text: render(&TextPart::RequestNeedsAdmin {
            summary,
            reason: &reason,
        }),
        html: render(&HtmlPart::RequestNeedsAdmin {
            title: &subject,
            summary,
            reason: &reason,
        }),
        subject,
    }
}

/// To the recipient(s) of a delivered request.
pub fn request_delivered(summary: &RequestSummary<'_>, recipients: Vec<Mailbox>) -> Email {
    let title = summary.title();
    Email {
        kind: "intro_sent",
        network_id: Some(summary.network_id),
        to: recipients,
        cc: vec![],
        bcc: vec![],
        subject: format!("{title} ({})", summary.network),
        text: render(&TextPart::RequestDelivered { summary }),
        html: render(&HtmlPart::RequestDelivered {
            title: &title,
            summary,
        }),
    }
}

/// The introduction itself: to the recipient, Cc the requester, Bcc the network admins.
pub fn introduction(
    summary: &RequestSummary<'_>,
    to: Mailbox,
    cc: Mailbox,
    bcc: Vec<Mailbox>,
) -> Email {
    let subject = format!("Introduction: {} and {}", summary.talent, summary.company);
    Email {
        kind: "intro_accepted",
        network_id: Some(summary.network_id),
        to: vec![to],
        cc: vec![cc],
        bcc,
        text: render(&TextPart::Introduction { summary }),
        html: render(&HtmlPart::Introduction {
            title: &subject,
            summary,
        }),
        subject,
    }
}

/// To the requester, when the network tells requesters about declines.
pub fn declined(summary: &RequestSummary<'_>, reason: Option<&str>, to: Mailbox) -> Email {
    let subject = format!(
        "Your introduction request was declined: {}",
        summary.title()
    );
    Email {
        kind: "intro_declined",
        network_id: Some(summary.network_id),
        to: vec![to],
        cc: vec![],
        bcc: vec![],
        text: render(&TextPart::Declined { summary, reason }),
        html: render(&HtmlPart::Declined {
            title: &subject,
            summary,
            reason,
        }),
        subject,
    }
}

/// To the company's admins and the network's admins: an accepted introduction could not be
/// added to the company's Greenhouse, and introgate gave up.
pub fn greenhouse_push_failed(
    summary: &RequestSummary<'_>,
    attempts: u32,
    error: &str,
    to: Vec<Mailbox>,
) -> Email {
    let subject = format!(
        "Not added to Greenhouse: {} and {}",
        summary.talent, summary.company
    );
    Email {
        kind: "greenhouse_push_failed",
        network_id: Some(summary.network_id),
        to,
        cc: vec![],
        bcc: vec![],
        text: render(&TextPart::GreenhousePushFailed {
            summary,
            attempts,
            error,
        }),
        html: render(&HtmlPart::GreenhousePushFailed {
            title: &subject,
            summary,
            attempts,
            error,
        }),
        subject,
    }
}

/// To the recipient(s) of a request still undecided after the network's reminder delay.
pub fn reminder(summary: &RequestSummary<'_>, recipients: Vec<Mailbox>) -> Email {
    let subject = format!("Reminder: {}", summary.title());
    Email {
        kind: "intro_reminder",
        network_id: Some(summary.network_id),
        to: recipients,
        cc: vec![],
        bcc: vec![],
        text: render(&TextPart::Reminder { summary }),
        html: render(&HtmlPart::Reminder {
            title: &subject,
            summary,
        }),
        subject,
    }
}

/// An email about the reader's own account: to whom, and the one link it carries.
pub struct AccountLink<'a> {
    pub to: Mailbox,
    pub name: &'a str,
    pub link: &'a str,
    /// How long the link works, in words ("24 hours").
    pub expires_in: &'a str,
}

/// A self sign-up: confirm the address to finish joining `network` as talent.
pub fn verify_email(network_id: uuid::Uuid, network: &str, account: &AccountLink<'_>) -> Email {
    let subject = format!("Confirm your email to join {network}");
    Email {
        kind: "verify_email",
        network_id: Some(network_id),
        to: vec![account.to.clone()],
        cc: vec![],
        bcc: vec![],
        text: render(&TextPart::VerifyEmail { network, account }),
        html: render(&HtmlPart::VerifyEmail {
            title: &subject,
            network,
            account,
        }),
        subject,
    }
}

/// A self sign-up with an address that has an account: say so (the sign-up's answer does
/// not), with a link that adds the talent profile to that account.
pub fn account_exists(network_id: uuid::Uuid, network: &str, account: &AccountLink<'_>) -> Email {
    let subject = format!("You already have an account: joining {network}");
    Email {
        kind: "account_exists",
        network_id: Some(network_id),
        to: vec![account.to.clone()],
        cc: vec![],
        bcc: vec![],
        text: render(&TextPart::AccountExists { network, account }),
        html: render(&HtmlPart::AccountExists {
            title: &subject,
            network,
            account,
        }),
        subject,
    }
}

/// A password reset link, to an address that has an account.
pub fn password_reset(account: &AccountLink<'_>) -> Email {
    let subject = "Reset your password".to_owned();
    Email {
        kind: "password_reset",
        network_id: None,
        to: vec![account.to.clone()],
        cc: vec![],
        bcc: vec![],
        text: render(&TextPart::PasswordReset { account }),
        html: render(&HtmlPart::PasswordReset {
            title: &subject,
            account,
        }),
        subject,
    }
}

/// An ask to an ally for an introduction, as its emails show it.
pub struct AllyAsk<'a> {
    pub network_id: uuid::Uuid,
    pub network: &'a str,
    pub ally_name: &'a str,
    pub asker_name: Option<&'a str>,
    /// The contact, with their position and company when known.
    pub contact: &'a str,
    /// The talent or company the introduction is for.
    pub for_whom: Option<&'a str>,
    pub message: &'a str,
    pub link: &'a str,
}

/// To the ally: would they introduce one of their contacts?
pub fn ally_intro_ask(ask: &AllyAsk<'_>, to: Mailbox) -> Email {
    let subject = format!("{}: would you introduce {}?", ask.network, ask.contact);
    Email {
        kind: "ally_intro_ask",
        network_id: Some(ask.network_id),
        to: vec![to],
        cc: vec![],
        bcc: vec![],
        text: render(&TextPart::AllyIntroAsk { ask }),
        html: render(&HtmlPart::AllyIntroAsk {
            title: &subject,
            ask,
        }),
        subject,
    }
}

/// To the admin who asked: the ally's answer.
pub fn ally_intro_answered(
    ask: &AllyAsk<'_>,
    accepted: bool,
    note: Option<&str>,
    to: Mailbox,
) -> Email {
    let subject = if accepted {
        format!("{} will introduce {}", ask.ally_name, ask.contact)
    } else {
        format!("{} declined to introduce {}", ask.ally_name, ask.contact)
    };
    Email {
        kind: "ally_intro_answered",
        network_id: Some(ask.network_id),
        to: vec![to],
        cc: vec![],
        bcc: vec![],
        text: render(&TextPart::AllyIntroAnswered {
            ask,
            accepted,
            note,
        }),
        html: render(&HtmlPart::AllyIntroAnswered {
            title: &subject,
            ask,
            accepted,
            note,
        }),
        subject,
    }
}

/// The plain-text part of each email: `.txt` templates, nothing escaped.
#[derive(Template)]
enum TextPart<'a> {
    #[template(path = "email/invitation.txt")]
    Invitation { invite: &'a Invitation<'a> },
    #[template(path = "email/request_needs_admin.txt")]
    RequestNeedsAdmin {
        summary: &'a RequestSummary<'a>,
        reason: &'a AdminAttention,
    },
    #[template(path = "email/request_delivered.txt")]
    RequestDelivered { summary: &'a RequestSummary<'a> },
    #[template(path = "email/introduction.txt")]
    Introduction { summary: &'a RequestSummary<'a> },
    #[template(path = "email/declined.txt")]
    Declined {
        summary: &'a RequestSummary<'a>,
        reason: Option<&'a str>,
    },
    #[template(path = "email/reminder.txt")]
    Reminder { summary: &'a RequestSummary<'a> },
    #[template(path = "email/greenhouse_push_failed.txt")]
    GreenhousePushFailed {
        summary: &'a RequestSummary<'a>,
        attempts: u32,
        error: &'a str,
    },
    #[template(path = "email/verify_email.txt")]
    VerifyEmail {
        network: &'a str,
        account: &'a AccountLink<'a>,
    },
    #[template(path = "email/account_exists.txt")]
    AccountExists {
        network: &'a str,
        account: &'a AccountLink<'a>,
    },
    #[template(path = "email/password_reset.txt")]
    PasswordReset { account: &'a AccountLink<'a> },
    #[template(path = "email/ally_intro_ask.txt")]
    AllyIntroAsk { ask: &'a AllyAsk<'a> },
    #[template(path = "email/ally_intro_answered.txt")]
    AllyIntroAnswered {
        ask: &'a AllyAsk<'a>,
        accepted: bool,
        note: Option<&'a str>,
    },
}

/// The HTML part of each email: `.html` templates in `email/layout.html`, every value
/// escaped by askama. `title` is the layout's heading.
#[derive(Template)]
enum HtmlPart<'a> {
    #[template(path = "email/invitation.html")]
    Invitation {
        title: &'a str,
        invite: &'a Invitation<'a>,
    },
    #[template(path = "email/request_needs_admin.html")]
    RequestNeedsAdmin {
        title: &'a str,
        summary: &'a RequestSummary<'a>,
        reason: &'a AdminAttention,
    },
    #[template(path = "email/request_delivered.html")]
    RequestDelivered {
        title: &'a str,
        summary: &'a RequestSummary<'a>,
    },
    #[template(path = "email/introduction.html")]
    Introduction {
        title: &'a str,
        summary: &'a RequestSummary<'a>,
    },
    #[template(path = "email/declined.html")]
    Declined {
        title: &'a str,
        summary: &'a RequestSummary<'a>,
        reason: Option<&'a str>,
    },
    #[template(path = "email/reminder.html")]
    Reminder {
        title: &'a str,
        summary: &'a RequestSummary<'a>,
    },
    #[template(path = "email/greenhouse_push_failed.html")]
    GreenhousePushFailed {
        title: &'a str,
        summary: &'a RequestSummary<'a>,
        attempts: u32,
        error: &'a str,
    },
    #[template(path = "email/verify_email.html")]
    VerifyEmail {
        title: &'a str,
        network: &'a str,
        account: &'a AccountLink<'a>,
    },
    #[template(path = "email/account_exists.html")]
    AccountExists {
        title: &'a str,
        network: &'a str,
        account: &'a AccountLink<'a>,
    },
    #[template(path = "email/password_reset.html")]
    PasswordReset {
        title: &'a str,
        account: &'a AccountLink<'a>,
    },
    #[template(path = "email/ally_intro_ask.html")]
    AllyIntroAsk {
        title: &'a str,
        ask: &'a AllyAsk<'a>,
    },
    #[template(path = "email/ally_intro_answered.html")]
    AllyIntroAnswered {
        title: &'a str,
        ask: &'a AllyAsk<'a>,
        accepted: bool,
        note: Option<&'a str>,
    },
}

/// The escaper of `.html` templates (see `askama.toml`): the same five characters as askama's
/// own, so safe in element text and in quoted attributes alike, but written `&amp;`, `&lt;`,
/// `&gt;`, `&quot;`, `&#x27;` rather than `&#38;`, `&#60;`, …: readable in a received email's
/// source and in the snapshots.
#[derive(Clone, Copy)]
struct NamedEntities;

impl askama::filters::Escaper for NamedEntities {
    fn write_escaped_str<W: std::fmt::Write>(&self, mut dest: W, text: &str) -> std::fmt::Result {
        dest.write_str(&html_escape::encode_quoted_attribute(text))
    }
}

fn render(part: &impl Template) -> String {
    // The templates only write strings and integers into a `String`, which cannot fail:
    // an error here is a bug in a template, never something a user's input can cause.
    part.render()
        .expect("email templates write plain values only")
}

#[cfg(test)]
mod tests;

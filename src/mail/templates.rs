//! Email texts. Every value from a user is escaped in HTML; headers are built by lettre
//! from parsed addresses only, so nothing a user types can add a header.

use html_escape::encode_text as esc;
use lettre::message::Mailbox;

use super::Email;

fn layout(title: &str, body_html: &str) -> String {
    format!(
        "<!doctype html><html><body style=\"font-family:sans-serif;max-width:36em;margin:auto\">\
         <h2>{}</h2>{body_html}<p style=\"color:#888;font-size:small\">Sent by introgate.</p></body></html>",
        esc(title)
    )
}

fn button(link: &str, label: &str) -> String {
    format!(
        "<p><a href=\"{}\" style=\"padding:.6em 1.2em;background:#2d6cdf;color:#fff;text-decoration:none;border-radius:4px\">{}</a></p>",
        html_escape::encode_double_quoted_attribute(link),
        esc(label)
    )
}

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
    let (subject, role) = match &invite.role {
        InvitedAs::CompanyAdmin { company } => (
            format!(
                "You've been invited to receive introductions for {company} on {}",
                invite.network
            ),
            format!(
                "an admin of {company}, receiving introduction requests from {}",
                invite.network
            ),
        ),
        InvitedAs::NetworkAdmin => (
            format!("You've been invited to {}", invite.network),
            format!("a network admin of {}", invite.network),
        ),
        InvitedAs::Ally => (
            format!("You've been invited to {}", invite.network),
            format!(
                "an ally of {}: you share your contacts to help with introductions",
                invite.network
            ),
        ),
        InvitedAs::Talent => (
            format!("You've been invited to {}", invite.network),
            format!("a member of {}'s talent network", invite.network),
        ),
    };
    let by = invite
        .inviter_name
        .map(|n| format!(" {n} invited you"))
        .unwrap_or_default();
    let pending_text = invite
        .pending_request
        .map(|p| format!("An introduction request is waiting for you: {p}\n\n"))
        .unwrap_or_default();
    let pending_html = invite
        .pending_request
        .map(|p| {
            format!(
                "<p>An introduction request is waiting for you: {}</p>",
                esc(p)
            )
        })
        .unwrap_or_default();
    let text = format!(
        "Hi {name},\n\n{network}:{by} to join as {role}.\n\n{pending_text}Get started: {link}\n\nSet a password and accept the terms to join. \
         This link works once and expires in {days} days.\n",
        name = invite.invitee_name,
        network = invite.network,
        link = invite.link,
        days = invite.expires_in_days,
    );
    let html = layout(
        &subject,
        &format!(
            "<p>Hi {},</p><p>{}:{} to join as {}.</p>{pending_html}{}<p>Set a password and accept the terms to join. This link works once and expires in {} days.</p>",
            esc(invite.invitee_name),
            esc(invite.network),
            esc(&by),
            esc(&role),
            button(invite.link, "Get started"),
            invite.expires_in_days
        ),
    );
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
    fn title(&self) -> String {
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

    fn text(&self) -> String {
        let mut text = format!("{}.\n\n", self.title());
        if let Some(headline) = self.talent_headline {
            text += &format!("{}: {headline}\n", self.talent);
        }
        if let Some(linkedin) = self.talent_linkedin {
            text += &format!("LinkedIn: {linkedin}\n");
        }
        if !self.jobs.is_empty() {
            text += &format!("Jobs: {}\n", self.jobs.join(", "));
        }
        if !self.message.is_empty() {
            text += &format!("\nMessage:\n{}\n", self.message);
        }
        text + &format!("\nSee the request: {}\n", self.link)
    }

    fn html(&self) -> String {
        let mut html = String::new();
        if let Some(headline) = self.talent_headline {
            html += &format!(
                "<p><strong>{}</strong>: {}</p>",
                esc(self.talent),
                esc(headline)
            );
        }
        if let Some(linkedin) = self.talent_linkedin {
            html += &format!(
                "<p><a href=\"{}\">LinkedIn profile</a></p>",
                html_escape::encode_double_quoted_attribute(linkedin)
            );
        }
        if !self.jobs.is_empty() {
            html += "<p>Jobs:</p><ul>";
            for job in &self.jobs {
                html += &format!("<li>{}</li>", esc(job));
            }
            html += "</ul>";
        }
        if !self.message.is_empty() {
            html += &format!(
                "<blockquote style=\"white-space:pre-wrap\">{}</blockquote>",
                esc(self.message)
            );
        }
        html + &button(self.link, "See the request")
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
    let (subject, intro) = match reason {
        AdminAttention::NeedsReview => (
            format!("Introduction request needs review: {}", summary.title()),
            "This request waits for a network admin's review before it is sent.".to_owned(),
        ),
        AdminAttention::NoCompanyAdmin => (
            format!(
                "{} has no company admin: {}",
                summary.company,
                summary.title()
            ),
            format!(
                "{} has nobody to receive introductions yet. Add a point of contact to suggest the intro.",
                summary.company
            ),
        ),
    };
    let text = format!("{intro}\n\n{}", summary.text());
    let html = layout(
        &subject,
        &format!("<p>{}</p>{}", esc(&intro), summary.html()),
    );
    Email {
        kind: "intro_needs_admin",
        network_id: Some(summary.network_id),
        to: admins,
        cc: vec![],
        bcc: vec![],
        subject,
        text,
        html,
    }
}

/// To the recipient(s) of a delivered request.
pub fn request_delivered(summary: &RequestSummary<'_>, recipients: Vec<Mailbox>) -> Email {
    let subject = format!("{} ({})", summary.title(), summary.network);
    let text = format!("{}\nAccept or decline it in introgate.\n", summary.text());
    let html = layout(
        &summary.title(),
        &format!(
            "{}<p>Accept or decline it in introgate.</p>",
            summary.html()
        ),
    );
    Email {
        kind: "intro_sent",
        network_id: Some(summary.network_id),
        to: recipients,
        cc: vec![],
        bcc: vec![],
        subject,
        text,
        html,
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
    let intro = format!(
        "{} and {}, meet each other: the introduction was accepted. Reply to all to continue the conversation.",
        summary.talent, summary.company
    );
    let text = format!("{intro}\n\n{}", summary.text());
    let html = layout(
        &subject,
        &format!("<p>{}</p>{}", esc(&intro), summary.html()),
    );
    Email {
        kind: "intro_accepted",
        network_id: Some(summary.network_id),
        to: vec![to],
        cc: vec![cc],
        bcc,
        subject,
        text,
        html,
    }
}

/// To the requester, when the network tells requesters about declines.
pub fn declined(summary: &RequestSummary<'_>, reason: Option<&str>, to: Mailbox) -> Email {
    let subject = format!(
        "Your introduction request was declined: {}",
        summary.title()
    );
    let reason_text = reason.map(|r| format!("Reason: {r}\n")).unwrap_or_default();
    let text = format!("{}\n{reason_text}\n{}", subject, summary.text());
    let reason_html = reason
        .map(|r| format!("<p>Reason: {}</p>", esc(r)))
        .unwrap_or_default();
    let html = layout(&subject, &format!("{reason_html}{}", summary.html()));
    Email {
        kind: "intro_declined",
        network_id: Some(summary.network_id),
        to: vec![to],
        cc: vec![],
        bcc: vec![],
        subject,
        text,
        html,
    }
}

/// To the recipient(s) of a request still undecided after the network's reminder delay.
pub fn reminder(summary: &RequestSummary<'_>, recipients: Vec<Mailbox>) -> Email {
    let subject = format!("Reminder: {}", summary.title());
    let text = format!(
        "This request is still waiting for your answer.\n\n{}",
        summary.text()
    );
    let html = layout(
        &subject,
        &format!(
            "<p>This request is still waiting for your answer.</p>{}",
            summary.html()
        ),
    );
    Email {
        kind: "intro_reminder",
        network_id: Some(summary.network_id),
        to: recipients,
        cc: vec![],
        bcc: vec![],
        subject,
        text,
        html,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_text_is_escaped_in_html() {
        let email = invitation(Invitation {
            network_id: uuid::Uuid::nil(),
            network: "<script>alert(1)</script> Ventures",
            to: "Ann <ann@example.com>".parse().unwrap(),
            invitee_name: "Ann <b>",
            inviter_name: Some("Bob & Co"),
            role: InvitedAs::Ally,
            link: "http://localhost:8080/invitations/igi_x\"y",
            expires_in_days: 7,
            pending_request: None,
        });
        assert!(!email.html.contains("<script>"));
        assert!(email.html.contains("&lt;script&gt;"));
        assert!(email.html.contains("Ann &lt;b&gt;"));
        assert!(email.html.contains("Bob &amp; Co"));
        assert!(
            email
                .text
                .contains("http://localhost:8080/invitations/igi_x\"y")
        );
    }
}

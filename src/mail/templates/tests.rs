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

// Snapshots of every email, from fixed inputs. Review a changed snapshot as you would the
// email itself: the words, the punctuation, and that every user value is escaped in HTML.

const NETWORK_ID: uuid::Uuid = uuid::Uuid::from_u128(0x0190_0000_0000_7000_8000_0000_0000_0001);
const INVITATION_LINK: &str = "http://app.test/invitations/igi_AbCdEf0123456789";
const REQUEST_LINK: &str = "http://app.test/intro-requests/SW50cm9SZXF1ZXN0OjAxOTA";

fn mailbox(text: &str) -> Mailbox {
    text.parse().unwrap()
}

/// The whole email as one reviewable text.
fn show(email: &Email) -> String {
    let list = |boxes: &[Mailbox]| match boxes {
        [] => "(none)".to_owned(),
        boxes => boxes
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(", "),
    };
    format!(
        "kind: {}\nnetwork_id: {}\nto: {}\ncc: {}\nbcc: {}\nsubject: {}\n\n\
         ----- text -----\n{}\n\n----- html -----\n{}\n",
        email.kind,
        email
            .network_id
            .map(|id| id.to_string())
            .unwrap_or_default(),
        list(&email.to),
        list(&email.cc),
        list(&email.bcc),
        email.subject,
        email.text,
        email.html,
    )
}

fn assert_email(name: &str, email: &Email) {
    insta::with_settings!({ prepend_module_to_snapshot => false, omit_expression => true }, {
        insta::assert_snapshot!(name, show(email));
    });
}

fn invite(role: InvitedAs<'static>, inviter_name: Option<&'static str>) -> Invitation<'static> {
    Invitation {
        network_id: NETWORK_ID,
        network: "Northwind Talent",
        to: mailbox("Ann Lee <ann@example.com>"),
        invitee_name: "Ann Lee",
        inviter_name,
        role,
        link: INVITATION_LINK,
        expires_in_days: 7,
        pending_request: None,
    }
}

#[test]
fn invitation_snapshots() {
    let roles = || {
        [
            ("network_admin", InvitedAs::NetworkAdmin),
            ("ally", InvitedAs::Ally),
            ("talent", InvitedAs::Talent),
            ("company_admin", InvitedAs::CompanyAdmin { company: "Acme" }),
        ]
    };
    for (name, role) in roles() {
        assert_email(
            &format!("invitation_{name}_by_inviter"),
            &invitation(invite(role, Some("Bob Stone"))),
        );
    }
    for (name, role) in roles() {
        assert_email(
            &format!("invitation_{name}_without_inviter"),
            &invitation(invite(role, None)),
        );
    }
    // A point of contact: invited as a company admin, a request waiting for them.
    let point_of_contact = |inviter_name| Invitation {
        pending_request: Some("Vera Quinn asks for an introduction to Acme."),
        ..invite(InvitedAs::CompanyAdmin { company: "Acme" }, inviter_name)
    };
    assert_email(
        "invitation_point_of_contact_by_inviter",
        &invitation(point_of_contact(Some("Bob Stone"))),
    );
    assert_email(
        "invitation_point_of_contact_without_inviter",
        &invitation(point_of_contact(None)),
    );
}

/// A request with everything a summary can show.
fn full_request(to_company: bool) -> RequestSummary<'static> {
    RequestSummary {
        network_id: NETWORK_ID,
        network: "Northwind Talent",
        talent: "Vera Quinn",
        talent_headline: Some("Staff engineer, payments"),
        talent_linkedin: Some("https://www.linkedin.com/in/vera-quinn"),
        company: "Acme",
        to_company,
        message: if to_company {
            "Hello Acme,\nI'd love to help with your payments team."
        } else {
            "Hi Vera,\nWe'd love to talk to you about our payments team."
        },
        jobs: vec!["Backend Engineer".to_owned(), "Payments Lead".to_owned()],
        link: REQUEST_LINK,
    }
}

/// A request with nothing optional: no headline, LinkedIn, jobs or message.
fn bare_request(to_company: bool) -> RequestSummary<'static> {
    RequestSummary {
        talent_headline: None,
        talent_linkedin: None,
        message: "",
        jobs: vec![],
        ..full_request(to_company)
    }
}

fn company_admins() -> Vec<Mailbox> {
    vec![
        mailbox("Casey Admin <casey@acme.com>"),
        mailbox("dana@acme.com"),
    ]
}

#[test]
fn request_needs_admin_snapshots() {
    let admins = || vec![mailbox("Nina Admin <nina@northwind.test>")];
    assert_email(
        "request_needs_admin_needs_review",
        &request_needs_admin(&full_request(true), AdminAttention::NeedsReview, admins()),
    );
    assert_email(
        "request_needs_admin_no_company_admin",
        &request_needs_admin(
            &full_request(true),
            AdminAttention::NoCompanyAdmin,
            admins(),
        ),
    );
}

#[test]
fn request_delivered_snapshots() {
    let vera = || vec![mailbox("Vera Quinn <vera@talent.test>")];
    assert_email(
        "request_delivered_to_company",
        &request_delivered(&full_request(true), company_admins()),
    );
    assert_email(
        "request_delivered_to_company_bare",
        &request_delivered(&bare_request(true), company_admins()),
    );
    assert_email(
        "request_delivered_to_talent",
        &request_delivered(&full_request(false), vera()),
    );
    assert_email(
        "request_delivered_to_talent_bare",
        &request_delivered(&bare_request(false), vera()),
    );
}

#[test]
fn introduction_snapshot() {
    assert_email(
        "introduction",
        &introduction(
            &full_request(true),
            mailbox("Casey Admin <casey@acme.com>"),
            mailbox("Vera Quinn <vera@talent.test>"),
            vec![mailbox("nina@northwind.test")],
        ),
    );
}

#[test]
fn declined_snapshots() {
    let vera = || mailbox("Vera Quinn <vera@talent.test>");
    assert_email(
        "declined_with_reason",
        &declined(
            &full_request(true),
            Some("We are not hiring this quarter."),
            vera(),
        ),
    );
    assert_email(
        "declined_without_reason",
        &declined(&bare_request(true), None, vera()),
    );
}

#[test]
fn reminder_snapshot() {
    assert_email("reminder", &reminder(&full_request(true), company_admins()));
}

#[test]
fn greenhouse_push_failed_snapshot() {
    assert_email(
        "greenhouse_push_failed",
        &greenhouse_push_failed(
            &full_request(true),
            12,
            "Greenhouse forbids this: POST /v3/candidates: 403 missing scope harvest:candidates:create",
            company_admins(),
        ),
    );
}

/// Markup, ampersands and quotes in every user value: escaped in HTML, as typed in text.
#[test]
fn hostile_input_snapshots() {
    let hostile = "<script>alert(\"x\")</script> Tom & 'Jerry'";
    let assert_escaped = |name: &str, email: &Email| {
        // Checked here too, so that a carelessly accepted snapshot cannot hide an injection.
        assert!(!email.html.contains("<script"), "{name}: {}", email.html);
        assert!(!email.html.contains("\" onclick"), "{name}: {}", email.html);
        assert!(email.text.contains(hostile), "{name}: {}", email.text);
        assert_email(name, email);
    };
    assert_escaped(
        "hostile_invitation",
        &invitation(Invitation {
            network_id: NETWORK_ID,
            network: hostile,
            to: mailbox("ann@example.com"),
            invitee_name: hostile,
            inviter_name: Some(hostile),
            role: InvitedAs::CompanyAdmin { company: hostile },
            link: "http://app.test/invitations/igi_x\"><script>y",
            expires_in_days: 7,
            pending_request: Some(hostile),
        }),
    );
    assert_escaped(
        "hostile_request",
        &declined(
            &RequestSummary {
                network_id: NETWORK_ID,
                network: hostile,
                talent: hostile,
                talent_headline: Some(hostile),
                talent_linkedin: Some("https://www.linkedin.com/in/x\" onclick=\"alert(1)"),
                company: hostile,
                to_company: true,
                message: hostile,
                jobs: vec![hostile.to_owned()],
                link: "http://app.test/intro-requests/x?a=1&b=\"2\"",
            },
            Some(hostile),
            mailbox("vera@talent.test"),
        ),
    );
}

#[test]
fn account_email_snapshots() {
    let link = |path: &'static str| AccountLink {
        to: mailbox("Ann Lee <ann@example.com>"),
        name: "Ann Lee",
        link: path,
        expires_in: "24 hours",
    };
    assert_email(
        "verify_email",
        &verify_email(
            NETWORK_ID,
            "Northwind Talent",
            &link("http://app.test/verify-email/igv_AbCdEf0123456789"),
        ),
    );
    assert_email(
        "account_exists",
        &account_exists(
            NETWORK_ID,
            "Northwind Talent",
            &link("http://app.test/verify-email/igv_AbCdEf0123456789"),
        ),
    );
    assert_email(
        "password_reset",
        &password_reset(&AccountLink {
            expires_in: "1 hour",
            ..link("http://app.test/reset-password/igr_AbCdEf0123456789")
        }),
    );
    let hostile = "<script>alert(\"x\")</script> & 'co'";
    let email = account_exists(
        NETWORK_ID,
        hostile,
        &AccountLink {
            name: hostile,
            ..link("http://app.test/verify-email/igv_x\"><script>y")
        },
    );
    assert!(!email.html.contains("<script"), "{}", email.html);
    assert!(email.text.contains(hostile), "{}", email.text);
    assert_email("hostile_account_exists", &email);
}

#[test]
fn ally_ask_snapshots() {
    let ask = |message: &'static str| AllyAsk {
        network_id: NETWORK_ID,
        network: "Northwind Talent",
        ally_name: "Alex Ally",
        asker_name: Some("Nora Admin"),
        contact: "Ann Lee (Head of Platform at Acme)",
        for_whom: Some("Dana Diaz"),
        message,
        link: "http://app.test/ally-intro-asks/QWxseUludHJvQXNrOjAxOTA",
    };
    assert_email(
        "ally_intro_ask",
        &ally_intro_ask(
            &ask("Dana would be great for Acme's platform team.\nCould you connect them?"),
            mailbox("Alex Ally <alex@ally.example>"),
        ),
    );
    assert_email(
        "ally_intro_answered",
        &ally_intro_answered(
            &ask("Dana would be great for Acme's platform team."),
            true,
            Some("Happy to, I'll email Ann today."),
            mailbox("Nora Admin <nora@northwind.example>"),
        ),
    );
    let hostile = "<script>alert(\"x\")</script> & 'co'";
    let email = ally_intro_ask(
        &AllyAsk {
            ally_name: hostile,
            asker_name: Some(hostile),
            contact: hostile,
            for_whom: Some(hostile),
            message: hostile,
            ..ask("")
        },
        mailbox("alex@ally.example"),
    );
    assert!(!email.html.contains("<script"), "{}", email.html);
    assert!(email.html.contains("&lt;script&gt;"), "{}", email.html);
    assert!(email.text.contains(hostile));
}

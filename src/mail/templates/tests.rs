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

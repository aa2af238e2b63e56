use std::str::FromStr;

/// A syntactically valid email address. `key` is its case-insensitive identity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmailAddress {
    address: lettre::Address,
}

impl EmailAddress {
    pub fn parse(text: &str) -> Result<Self, String> {
        let text = text.trim();
        if text.len() > 254 {
            return Err("email address is too long".into());
        }
        let invalid = || format!("`{text}` is not a valid email address");
        let address = lettre::Address::from_str(text).map_err(|_| invalid())?;
        if !address.domain().contains('.') && address.domain() != "localhost" {
            return Err(invalid());
        }
        // Only what every mail transport takes: a dot-atom local part (lettre also accepts
        // quoted ones and non-ASCII, which SMTP servers then refuse for good at send time).
        if !is_dot_atom(address.user()) || !address.domain().is_ascii() {
            return Err(invalid());
        }
        Ok(Self { address })
    }

    pub fn as_str(&self) -> &str {
        self.address.as_ref()
    }

    /// Lower-cased: `Ann@Example.com` and `ann@example.com` are one person.
    pub fn key(&self) -> String {
        self.as_str().to_lowercase()
    }

    /// The address with a display name, as an email's recipient.
    pub fn mailbox(&self, name: &str) -> lettre::message::Mailbox {
        lettre::message::Mailbox::new(Some(name.to_owned()), self.address.clone())
    }

    /// An address read back from the database (parsed when it was stored): failing here
    /// is a fault, not the user's input.
    pub fn stored(text: &str) -> anyhow::Result<Self> {
        Self::parse(text).map_err(|e| anyhow::anyhow!("stored email address: {e}"))
    }

    pub fn address(&self) -> &lettre::Address {
        &self.address
    }
}

/// RFC 5322 `dot-atom`: atoms of `atext`, joined by single dots.
fn is_dot_atom(local: &str) -> bool {
    let atext = |c: char| c.is_ascii_alphanumeric() || "!#$%&'*+-/=?^_`{|}~".contains(c);
    local.len() <= 64
        && local
            .split('.')
            .all(|atom| !atom.is_empty() && atom.chars().all(atext))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_keys_case_insensitively() {
        let email = EmailAddress::parse("  Ann@Example.COM ").unwrap();
        assert_eq!(email.as_str(), "Ann@Example.COM");
        assert_eq!(email.key(), "ann@example.com");
    }

    #[test]
    fn takes_what_mail_transports_take() {
        for good in [
            "ann@example.com",
            "ann.o'neil+intros@mail.example.co.uk",
            "a_b-c@localhost",
        ] {
            assert!(EmailAddress::parse(good).is_ok(), "{good:?} refused");
        }
    }

    #[test]
    fn refuses_what_is_not_an_address() {
        for bad in [
            "",
            "ann",
            "ann@",
            "@example.com",
            "ann@example",
            "a b@example.com",
            "ann@example.com\r\nBcc: x@y.z",
            "\"ann smith\"@example.com",
            "\"ann\"@example.com",
            "ann..smith@example.com",
            ".ann@example.com",
            "anné@example.com",
        ] {
            assert!(EmailAddress::parse(bad).is_err(), "{bad:?} accepted");
        }
    }
}

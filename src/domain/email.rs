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
        let address = lettre::Address::from_str(text)
            .map_err(|_| format!("`{text}` is not a valid email address"))?;
        if !address.domain().contains('.') && address.domain() != "localhost" {
            return Err(format!("`{text}` is not a valid email address"));
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

    pub fn address(&self) -> &lettre::Address {
        &self.address
    }
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
    fn refuses_what_is_not_an_address() {
        for bad in [
            "",
            "ann",
            "ann@",
            "@example.com",
            "ann@example",
            "a b@example.com",
            "ann@example.com\r\nBcc: x@y.z",
        ] {
            assert!(EmailAddress::parse(bad).is_err(), "{bad:?} accepted");
        }
    }
}

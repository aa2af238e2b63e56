//! Text inputs: trimmed, bounded, and free of control characters where they are one line.

fn single_line(text: &str, what: &str, max: usize) -> Result<String, String> {
    let text = text.trim();
    if text.is_empty() {
        return Err(format!("{what} must not be empty"));
    }
    if text.chars().count() > max {
        return Err(format!("{what} must have at most {max} characters"));
    }
    if text.chars().any(char::is_control) {
        return Err(format!(
            "{what} must be one line without control characters"
        ));
    }
    Ok(text.to_owned())
}

/// A person's, company's or network's name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Name(String);

impl Name {
    pub fn parse(text: &str) -> Result<Self, String> {
        single_line(text, "name", 200).map(Self)
    }

    pub fn into_string(self) -> String {
        self.0
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// An optional field: empty or absent both mean "none".
fn optional<T>(
    text: Option<&str>,
    parse: impl FnOnce(&str) -> Result<T, String>,
) -> Result<Option<T>, String> {
    match text.map(str::trim) {
        None | Some("") => Ok(None),
        Some(text) => parse(text).map(Some),
    }
}

/// A one-line text such as a headline, title, location or department.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShortText(String);

impl ShortText {
    pub fn parse(text: &str) -> Result<Self, String> {
        single_line(text, "text", 300).map(Self)
    }

    /// Empty or absent both mean "none".
    pub fn parse_optional(text: Option<&str>) -> Result<Option<Self>, String> {
        optional(text, Self::parse)
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

/// Free text such as a message or a note: several lines allowed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LongText(String);

impl LongText {
    pub fn parse(text: &str) -> Result<Self, String> {
        let text = text.trim();
        if text.chars().count() > 5000 {
            return Err("text must have at most 5000 characters".into());
        }
        if text
            .chars()
            .any(|c| c.is_control() && c != '\n' && c != '\r' && c != '\t')
        {
            return Err("text must not contain control characters".into());
        }
        Ok(Self(text.to_owned()))
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

/// A LinkedIn profile: an https URL on linkedin.com (or one of its subdomains), with no
/// user info (`https://www.linkedin.com@evil.example/` is evil.example's).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkedInUrl(String);

impl LinkedInUrl {
    pub fn parse(text: &str) -> Result<Self, String> {
        let text = text.trim();
        let refused = || format!("`{text}` is not an https URL on linkedin.com");
        let url = url::Url::parse(text).map_err(|_| refused())?;
        let host = url.host_str().unwrap_or_default().to_ascii_lowercase();
        let on_linkedin = host == "linkedin.com" || host.ends_with(".linkedin.com");
        if url.scheme() != "https"
            || !on_linkedin
            || !url.username().is_empty()
            || url.password().is_some()
            || url.port().is_some()
            || text.len() > 2000
        {
            return Err(refused());
        }
        Ok(Self(url.to_string()))
    }

    /// Empty or absent both mean "none".
    pub fn parse_optional(text: Option<&str>) -> Result<Option<Self>, String> {
        optional(text, Self::parse)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

/// An http(s) URL, such as a company's website.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebUrl(String);

impl WebUrl {
    pub fn parse(text: &str) -> Result<Self, String> {
        let text = text.trim();
        let url = url::Url::parse(text).map_err(|_| format!("`{text}` is not a URL"))?;
        if !matches!(url.scheme(), "http" | "https") || url.host().is_none() || text.len() > 2000 {
            return Err(format!("`{text}` is not an http(s) URL"));
        }
        Ok(Self(url.to_string()))
    }

    pub fn parse_optional(text: Option<&str>) -> Result<Option<Self>, String> {
        optional(text, Self::parse)
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

/// An internet domain name such as `acme.com`, lower-cased.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Domain(String);

impl Domain {
    pub fn parse(text: &str) -> Result<Self, String> {
        let text = text.trim().trim_end_matches('.').to_lowercase();
        let valid_label = |l: &str| {
            !l.is_empty()
                && l.len() <= 63
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        };
        if text.len() > 253 || !text.contains('.') || !text.split('.').all(valid_label) {
            return Err(format!("`{text}` is not a domain name like example.com"));
        }
        Ok(Self(text))
    }

    pub fn parse_optional(text: Option<&str>) -> Result<Option<Self>, String> {
        optional(text, Self::parse)
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

/// The URL-safe handle of a network, made from its name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Slug(String);

impl Slug {
    pub fn from_name(name: &Name) -> Self {
        let mut slug = String::new();
        for c in name.as_str().chars().flat_map(char::to_lowercase) {
            if c.is_ascii_alphanumeric() {
                slug.push(c);
            } else if !slug.ends_with('-') && !slug.is_empty() {
                slug.push('-');
            }
        }
        let slug = slug.trim_end_matches('-');
        Self(if slug.is_empty() {
            "network".into()
        } else {
            slug.chars().take(60).collect()
        })
    }

    pub fn parse(text: &str) -> Result<Self, String> {
        let text = text.trim();
        if text.is_empty()
            || text.len() > 64
            || !text
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        {
            return Err(format!("`{text}` is not a network slug"));
        }
        Ok(Self(text.to_owned()))
    }

    pub fn with_suffix(&self, n: u32) -> Self {
        Self(format!("{}-{n}", self.0))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_trimmed_single_lines() {
        assert_eq!(Name::parse("  Ann Lee ").unwrap().as_str(), "Ann Lee");
        assert!(Name::parse("   ").is_err());
        assert!(Name::parse("Ann\r\nBcc: evil@example.com").is_err());
    }

    #[test]
    fn slugs_come_from_names() {
        assert_eq!(
            Slug::from_name(&Name::parse("Acme Ventures — Talent!").unwrap()).as_str(),
            "acme-ventures-talent"
        );
    }

    #[test]
    fn urls_and_domains() {
        assert!(WebUrl::parse("https://www.linkedin.com/in/ann").is_ok());
        assert!(WebUrl::parse("javascript:alert(1)").is_err());
        assert_eq!(Domain::parse("Acme.COM").unwrap().into_string(), "acme.com");
        assert!(Domain::parse("not a domain").is_err());
    }

    #[test]
    fn linkedin_profiles_are_https_urls_on_linkedin() {
        for good in [
            "https://www.linkedin.com/in/ann",
            "https://linkedin.com/in/ann",
            " https://uk.LinkedIn.com/in/ann-o-neil ",
        ] {
            assert!(LinkedInUrl::parse(good).is_ok(), "{good} refused");
        }
        for bad in [
            "https://www.linkedin.com@evil.example/",
            "https://user:pass@www.linkedin.com/in/ann",
            "http://www.linkedin.com/in/ann",
            "https://www.linkedin.com.evil.example/in/ann",
            "https://evillinkedin.com/in/ann",
            "https://www.linkedin.com:8443/in/ann",
            "javascript:alert(1)//linkedin.com",
            "www.linkedin.com/in/ann",
        ] {
            assert!(LinkedInUrl::parse(bad).is_err(), "{bad} accepted");
        }
    }
}

use argon2::{
    Argon2,
    password_hash::{
        PasswordHash as Parsed, PasswordHasher, PasswordVerifier, SaltString, rand_core::OsRng,
    },
};

/// A password as typed, checked for length and for how easily it is guessed. Never logged.
#[derive(Clone)]
pub struct Password(String);

impl std::fmt::Debug for Password {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Password(…)")
    }
}

/// zxcvbn's "safely unguessable": over 10^10 guesses, out of reach of online guessing and
/// costly offline against argon2id.
const MIN_STRENGTH: zxcvbn::Score = zxcvbn::Score::Three;

/// The estimator's cost grows quickly with length: it sees this many characters at most
/// (a password whose first 64 characters are strong is strong).
const ESTIMATED_PREFIX: usize = 64;

impl Password {
    /// A new password: 8 to 256 characters, and not easily guessed (zxcvbn), also knowing
    /// `personal` (the person's email and name), which a guesser would try first.
    pub fn parse(text: &str, personal: &[&str]) -> Result<Self, String> {
        let length = text.chars().count();
        if length < 8 {
            return Err("password must have at least 8 characters".into());
        }
        if length > 256 {
            return Err("password must have at most 256 characters".into());
        }
        let prefix: String = text.chars().take(ESTIMATED_PREFIX).collect();
        // Each part too ("ann.lee@example.com": "ann", "lee", "example"), as a guesser would.
        let words: Vec<String> = personal
            .iter()
            .flat_map(|whole| {
                let parts = whole
                    .split(|c: char| !c.is_alphanumeric())
                    .filter(|part| part.chars().count() >= 3);
                std::iter::once(*whole).chain(parts)
            })
            .map(str::to_lowercase)
            .collect();
        let words: Vec<&str> = words.iter().map(String::as_str).collect();
        let estimate = zxcvbn::zxcvbn(&prefix, &words);
        if estimate.score() >= MIN_STRENGTH {
            return Ok(Self(text.to_owned()));
        }
        let why = estimate
            .feedback()
            .and_then(|feedback| feedback.warning())
            .map(|warning| format!(" ({})", warning.to_string().trim_end_matches('.')))
            .unwrap_or_default();
        Err(format!(
            "password is too easy to guess{why}: use a longer one, e.g. a few unrelated words"
        ))
    }

    /// Whatever was typed, for checking against a stored hash (sign-in takes any length).
    pub fn unchecked(text: &str) -> Self {
        Self(text.to_owned())
    }

    /// argon2id; runs on the blocking pool because it is deliberately slow.
    pub async fn hash(self) -> anyhow::Result<PasswordHash> {
        tokio::task::spawn_blocking(move || {
            let salt = SaltString::generate(&mut OsRng);
            Argon2::default()
                .hash_password(self.0.as_bytes(), &salt)
                .map(|hash| PasswordHash(hash.to_string()))
                .map_err(|e| anyhow::anyhow!("hashing password: {e}"))
        })
        .await?
    }

    /// Constant work whether or not `hash` is a real account's: pass `None` for an unknown
    /// account and a dummy hash is checked, so timing does not reveal which emails exist.
    pub async fn verify(self, hash: Option<String>) -> bool {
        let known = hash.is_some();
        let hash = hash.unwrap_or_else(|| DUMMY_HASH.to_owned());
        let matches = tokio::task::spawn_blocking(move || {
            Parsed::new(&hash)
                .map(|parsed| {
                    Argon2::default()
                        .verify_password(self.0.as_bytes(), &parsed)
                        .is_ok()
                })
                .unwrap_or(false)
        })
        .await
        .unwrap_or(false);
        known && matches
    }
}

/// The stored PHC string of an argon2id hash.
#[derive(Debug, Clone)]
pub struct PasswordHash(pub String);

/// A valid argon2id hash of a random password, with the default parameters.
const DUMMY_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$0u2KiMwnFl9XZb/3T87LNlHLlq0nIzs6wsEn+C+U8kg";

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn hashes_and_verifies() {
        let hash = Password::parse("correct horse battery", &[])
            .unwrap()
            .hash()
            .await
            .unwrap();
        assert!(hash.0.starts_with("$argon2id$"));
        assert!(
            Password::unchecked("correct horse battery")
                .verify(Some(hash.0.clone()))
                .await
        );
        assert!(
            !Password::unchecked("wrong horse!")
                .verify(Some(hash.0))
                .await
        );
        assert!(!Password::unchecked("anything").verify(None).await);
    }

    #[test]
    fn length_is_checked() {
        assert!(Password::parse("short", &[]).is_err());
        assert!(Password::parse(&"x".repeat(257), &[]).is_err());
    }

    #[test]
    fn guessable_passwords_are_refused() {
        for weak in [
            "password",
            "12345678",
            "password1",
            "qwertyuiop",
            "iloveyou2024",
            "aaaaaaaaaaaaaaaa",
        ] {
            let error = Password::parse(weak, &[]).expect_err(weak);
            assert!(
                error.starts_with("password is too easy to guess"),
                "{error}"
            );
        }
        for strong in [
            "correct horse battery",
            "t7#Lq9!vZp2m",
            "plum orbit velvet canyon",
        ] {
            assert!(Password::parse(strong, &[]).is_ok(), "{strong}");
        }
        // What the guesser knows of the person counts against the password.
        let ann = ["ann.lee@example.com", "Ann Lee"];
        for personal in ["ann.lee@example.com", "Ann.Lee@Example.com"] {
            assert!(Password::parse(personal, &[]).is_ok(), "{personal}");
            assert!(Password::parse(personal, &ann).is_err(), "{personal}");
        }
    }
}

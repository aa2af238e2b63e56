use argon2::{
    Argon2,
    password_hash::{
        PasswordHash as Parsed, PasswordHasher, PasswordVerifier, SaltString, rand_core::OsRng,
    },
};

/// A password as typed, checked for length. Never logged.
#[derive(Clone)]
pub struct Password(String);

impl std::fmt::Debug for Password {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Password(…)")
    }
}

impl Password {
    pub fn parse(text: &str) -> Result<Self, String> {
        match text.chars().count() {
            0..8 => Err("password must have at least 8 characters".into()),
            8..=256 => Ok(Self(text.to_owned())),
            _ => Err("password must have at most 256 characters".into()),
        }
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
        let hash = Password::parse("correct horse")
            .unwrap()
            .hash()
            .await
            .unwrap();
        assert!(hash.0.starts_with("$argon2id$"));
        assert!(
            Password::unchecked("correct horse")
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
        assert!(Password::parse("short").is_err());
        assert!(Password::parse(&"x".repeat(257)).is_err());
    }
}

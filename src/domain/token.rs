use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use rand::RngCore;
use sha2::{Digest, Sha256};

/// A bearer or invitation token: 256 random bits, shown once, stored only as its hash.
pub struct SecretToken(String);

impl SecretToken {
    /// `prefix` tells a leaked token's kind at a glance (`igs_` session, `igt_` API, `igi_` invitation).
    pub fn generate(prefix: &str) -> Self {
        let mut bytes = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut bytes);
        Self(format!("{prefix}{}", URL_SAFE_NO_PAD.encode(bytes)))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }

    pub fn hash(&self) -> TokenHash {
        TokenHash::of(&self.0)
    }
}

/// SHA-256 (hex) of a token: tokens are high-entropy, so a fast hash is enough to make a
/// leaked table useless, and lookups stay one indexed equality.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenHash(pub String);

impl TokenHash {
    pub fn of(token: &str) -> Self {
        let digest = Sha256::digest(token.as_bytes());
        Self(digest.iter().map(|b| format!("{b:02x}")).collect())
    }
}

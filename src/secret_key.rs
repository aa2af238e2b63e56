//! The server's secret key, which encrypts stored third-party credentials
//! (XChaCha20-Poly1305: a fresh random nonce per write, the row's identity bound in as
//! associated data, so a sealed value copied to another row does not open).

use std::{fmt, path::Path, str::FromStr};

use anyhow::Context as _;
use base64::{Engine, engine::general_purpose::STANDARD};
use chacha20poly1305::{
    KeyInit, XChaCha20Poly1305, XNonce,
    aead::{Aead, Payload},
};
use rand::RngCore;

use crate::config::{DatabaseConfig, DatabaseUrl};

#[derive(Clone)]
pub struct SecretKey([u8; 32]);

impl fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretKey(…)")
    }
}

impl FromStr for SecretKey {
    type Err = String;

    /// 32 bytes as 64 hex digits or as base64. The error never repeats the text.
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let text = text.trim();
        let bytes = if text.len() == 64 && text.bytes().all(|b| b.is_ascii_hexdigit()) {
            hex::decode(text).ok()
        } else {
            STANDARD.decode(text).ok()
        };
        let bytes: [u8; 32] = bytes.and_then(|b| b.try_into().ok()).ok_or_else(|| {
            "INTROGATE_SECRET_KEY must be 32 random bytes, as 64 hex digits or as base64 \
             (e.g. `openssl rand -hex 32`)"
                .to_owned()
        })?;
        Ok(Self(bytes))
    }
}

/// Parses `--secret-key` / `INTROGATE_SECRET_KEY` for clap without printing the value in
/// its error (clap's own errors quote the value they refused).
#[derive(Debug, Clone, Copy)]
pub struct SecretKeyParser;

impl clap::builder::TypedValueParser for SecretKeyParser {
    type Value = SecretKey;

    fn parse_ref(
        &self,
        _command: &clap::Command,
        _arg: Option<&clap::Arg>,
        value: &std::ffi::OsStr,
    ) -> Result<SecretKey, clap::Error> {
        let refused = |message: String| {
            clap::Error::raw(clap::error::ErrorKind::ValueValidation, message + "\n")
        };
        value
            .to_str()
            .ok_or_else(|| refused("INTROGATE_SECRET_KEY is not text".into()))?
            .parse()
            .map_err(refused)
    }
}

impl SecretKey {
    /// The key of a database: configured, or kept beside a SQLite file; PostgreSQL must
    /// configure it (several processes share the database, so they must share the key).
    pub fn for_database(database: &DatabaseConfig) -> anyhow::Result<Self> {
        match (&database.secret_key, &database.database_url) {
            (Some(key), _) => Ok(key.clone()),
            (
                None,
                DatabaseUrl::Sqlite {
                    file: Some(file), ..
                },
            ) => Self::load_or_create_beside(file)
                .with_context(|| format!("secret key beside {}", file.display())),
            (None, DatabaseUrl::Sqlite { file: None, .. }) => Ok(Self::generate()),
            (None, DatabaseUrl::Postgres(_)) => anyhow::bail!(
                "INTROGATE_SECRET_KEY is required with PostgreSQL (32 random bytes, base64)"
            ),
        }
    }

    pub fn generate() -> Self {
        let mut bytes = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut bytes);
        Self(bytes)
    }

    pub fn bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// `plaintext` encrypted for the row named by `context`, as base64 (nonce, then
    /// ciphertext).
    pub fn seal(&self, context: &str, plaintext: &str) -> String {
        let mut nonce = [0u8; 24];
        rand::rngs::OsRng.fill_bytes(&mut nonce);
        let payload = Payload {
            msg: plaintext.as_bytes(),
            aad: context.as_bytes(),
        };
        let ciphertext = XChaCha20Poly1305::new(&self.0.into())
            .encrypt(XNonce::from_slice(&nonce), payload)
            .expect("encrypting in memory cannot fail");
        STANDARD.encode([&nonce[..], &ciphertext].concat())
    }

    /// What [`Self::seal`] sealed for `context`; an error if it was sealed for another row,
    /// with another key, or altered.
    pub fn open(&self, context: &str, sealed: &str) -> anyhow::Result<String> {
        let bytes = STANDARD
            .decode(sealed)
            .context("a sealed value is base64")?;
        anyhow::ensure!(bytes.len() > 24, "a sealed value is too short");
        let (nonce, ciphertext) = bytes.split_at(24);
        let payload = Payload {
            msg: ciphertext,
            aad: context.as_bytes(),
        };
        let plaintext = XChaCha20Poly1305::new(&self.0.into())
            .decrypt(XNonce::from_slice(nonce), payload)
            .map_err(|_| anyhow::anyhow!("a sealed value does not open with this key"))?;
        String::from_utf8(plaintext).context("a sealed value is text")
    }

    /// The key kept beside a SQLite file, created once (mode 0600) if absent.
    pub fn load_or_create_beside(database_file: &Path) -> std::io::Result<Self> {
        let mut path = database_file.as_os_str().to_owned();
        path.push(".secret-key");
        let path = Path::new(&path);
        match std::fs::read_to_string(path) {
            Ok(text) => text.parse().map_err(|e: String| {
                std::io::Error::new(
                    std::io::ErrorKind::InvalidData,
                    format!("{}: {e}", path.display()),
                )
            }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let key = Self::generate();
                write_private(path, &STANDARD.encode(key.0))?;
                Ok(key)
            }
            Err(e) => Err(e),
        }
    }
}

#[cfg(unix)]
fn write_private(path: &Path, contents: &str) -> std::io::Result<()> {
    use std::{io::Write, os::unix::fs::OpenOptionsExt};
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)?;
    file.write_all(contents.as_bytes())
}

#[cfg(not(unix))]
fn write_private(path: &Path, contents: &str) -> std::io::Result<()> {
    std::fs::write(path, contents)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealed_values_open_only_with_their_key_and_row() {
        let key = SecretKey::generate();
        let sealed = key.seal("company:1", "s3cret");
        assert!(!sealed.contains("s3cret"));
        assert_ne!(
            sealed,
            key.seal("company:1", "s3cret"),
            "a fresh nonce each time"
        );
        assert_eq!(key.open("company:1", &sealed).unwrap(), "s3cret");
        assert!(key.open("company:2", &sealed).is_err(), "another row");
        assert!(
            SecretKey::generate().open("company:1", &sealed).is_err(),
            "another key"
        );
        assert!(key.open("company:1", "AAAA").is_err());
    }

    #[test]
    fn a_key_is_64_hex_digits_or_base64_and_an_error_never_repeats_it() {
        let bytes = [7u8; 32];
        let hex: SecretKey = hex::encode(bytes).parse().unwrap();
        let base64: SecretKey = STANDARD.encode(bytes).parse().unwrap();
        assert_eq!(hex.bytes(), &bytes);
        assert_eq!(base64.bytes(), &bytes);
        for bad in [
            "Zq9x-not-a-key",
            &hex::encode([7u8; 16]),
            &STANDARD.encode([1u8; 31]),
        ] {
            let error = bad.parse::<SecretKey>().unwrap_err();
            assert!(!error.contains(bad), "{error}");
            assert!(error.contains("64 hex digits"), "{error}");
        }
    }
}

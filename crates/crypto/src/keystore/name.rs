//! Key names: the file stem of a key in the keystore.

use std::fmt;

use crate::signature::{KeyType, PublicKey};

use super::KeystoreError;

/// Longest name a user may choose.
pub const MAX_USER_NAME_LEN: usize = 64;

/// The name of a key in a keystore, which is also its file name (`<name>.json`).
///
/// Either chosen by the user — 1 to 64 characters from `a-z`, `0-9`, `_`, `-` — or derived
/// from the key: `<type>-<hex of the public key>` (`bls-` + 96 hex digits, `ed25519-` + 64).
/// Derived names are longer than 64 characters, so the two kinds never collide.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct KeyName(String);

impl KeyName {
    /// A user-chosen name.
    ///
    /// # Errors
    /// [`KeystoreError::InvalidName`] unless `name` is 1–64 characters of `[a-z0-9_-]`.
    pub fn user(name: &str) -> Result<Self, KeystoreError> {
        if is_user_name(name) {
            Ok(Self(name.to_owned()))
        } else {
            Err(invalid(name))
        }
    }

    /// The name derived from a public key: `<type>-<hex of the public key>`.
    pub fn for_public_key(pk: &PublicKey) -> Self {
        Self(format!("{}-{}", pk.key_type(), hex::encode(pk.to_bytes())))
    }

    /// Any valid name, user-chosen or derived.
    ///
    /// # Errors
    /// [`KeystoreError::InvalidName`].
    pub fn parse(name: &str) -> Result<Self, KeystoreError> {
        if is_user_name(name) || derived_type(name).is_some() {
            Ok(Self(name.to_owned()))
        } else {
            Err(invalid(name))
        }
    }

    /// The name as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// For a derived name, the key type and public key hex it names.
    pub(crate) fn derived_parts(&self) -> Option<(KeyType, &str)> {
        derived_type(&self.0)
    }
}

impl fmt::Display for KeyName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

fn is_user_name(name: &str) -> bool {
    (1..=MAX_USER_NAME_LEN).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-')
}

fn derived_type(name: &str) -> Option<(KeyType, &str)> {
    KeyType::ALL.into_iter().find_map(|t| {
        let hex_part = name.strip_prefix(t.as_str())?.strip_prefix('-')?;
        let hex_len = match t {
            KeyType::Bls => crate::bls::PUBLIC_KEY_LEN,
            KeyType::Ed25519 => crate::ed25519::PUBLIC_KEY_LEN,
        }
        .checked_mul(2)?;
        let is_hex = hex_part
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
        (hex_part.len() == hex_len && is_hex).then_some((t, hex_part))
    })
}

fn invalid(name: &str) -> KeystoreError {
    KeystoreError::InvalidName {
        name: name.chars().take(80).collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_names() {
        for ok in ["a", "worker", "owner-1", "my_key", &"x".repeat(64)] {
            KeyName::user(ok).unwrap();
        }
        for bad in [
            "",
            "Worker",
            "a b",
            "a.b",
            "../x",
            "é",
            &"x".repeat(65),
            "a/b",
        ] {
            assert!(matches!(
                KeyName::user(bad),
                Err(KeystoreError::InvalidName { .. })
            ));
        }
    }

    #[test]
    fn derived_names_parse_but_are_not_user_names() {
        let pk =
            crate::signature::SecretKey::Ed25519(crate::ed25519::SecretKey::from_seed(&[3; 32]))
                .public_key();
        let name = KeyName::for_public_key(&pk);
        assert_eq!(name.as_str().len(), "ed25519-".len() + 64);
        assert_eq!(KeyName::parse(name.as_str()).unwrap(), name);
        assert!(KeyName::user(name.as_str()).is_err());
        assert!(KeyName::parse(&name.as_str().to_uppercase()).is_err());
        assert_eq!(name.derived_parts().unwrap().0, KeyType::Ed25519);
    }
}

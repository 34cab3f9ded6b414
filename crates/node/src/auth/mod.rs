//! API tokens: permissions, the node's signing secret, and minting and checking tokens.
//!
//! A token is a JWT signed with HMAC-SHA256 (HS256) under the node's 32-byte secret
//! ([`JwtSecret`], stored in `<repo>/keystore/jwt-secret`). Its payload has Lotus's shape:
//!
//! ```json
//! {"Allow": ["read", "write"]}
//! ```
//!
//! Permissions are ordered `read < write < sign < admin`, and a token grants every permission
//! up to the highest one it lists: [`create_token`] writes the full list (as Lotus does, so a
//! Lotus-style client reads it the same way) and [`verify`] returns the highest. Tokens carry no
//! expiry; they stay valid until the secret file is replaced. A token that does carry an `exp`
//! claim is refused once it has passed.
//!
//! ```
//! use flowcoin_node::auth::{self, JwtSecret, Permission};
//!
//! let secret = JwtSecret::generate()?;
//! let token = auth::create_token(&secret, Permission::Write)?;
//! assert_eq!(auth::verify(&secret, &token)?, Permission::Write);
//! assert!(Permission::Write.grants(Permission::Read));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod secret;

use std::fmt;
use std::str::FromStr;

use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};

pub use secret::{JWT_SECRET_LEN, JwtSecret, MAX_SECRET_FILE_LEN, SecretError, secret_path};

/// Longest token [`verify`] looks at; real ones are under 200 bytes.
pub const MAX_TOKEN_LEN: usize = 4096;

/// What an API token allows, in increasing order: each permission includes the ones below it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Permission {
    /// Query the node's state.
    Read,
    /// Change the node's state (import data, make deals, push messages).
    Write,
    /// Sign with the node's keys.
    Sign,
    /// Manage the node itself (mint tokens, stop it).
    Admin,
}

impl Permission {
    /// Every permission, lowest first.
    pub const ALL: [Self; 4] = [Self::Read, Self::Write, Self::Sign, Self::Admin];

    /// The name used in tokens and on the command line.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Read => "read",
            Self::Write => "write",
            Self::Sign => "sign",
            Self::Admin => "admin",
        }
    }

    /// Whether holding `self` allows what `needed` allows.
    pub fn grants(self, needed: Self) -> bool {
        self >= needed
    }

    /// The permissions `self` grants, lowest first (`write` → `[read, write]`): the token's
    /// `Allow` list.
    pub fn granted(self) -> Vec<Self> {
        Self::ALL.into_iter().filter(|p| self.grants(*p)).collect()
    }
}

impl fmt::Display for Permission {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A permission name that is not `read`, `write`, `sign` or `admin`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown permission {name:?} (expected read, write, sign or admin)")]
pub struct ParsePermissionError {
    /// The rejected name (at most 64 characters of it).
    pub name: String,
}

impl FromStr for Permission {
    type Err = ParsePermissionError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|p| p.as_str() == s)
            .ok_or_else(|| ParsePermissionError {
                name: s.chars().take(64).collect(),
            })
    }
}

/// Why a token was refused. Every variant means the token grants nothing.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TokenError {
    /// Not a well-formed HS256 JWT with an `Allow` list.
    #[error("malformed API token: {reason}")]
    Malformed {
        /// What is wrong with it.
        reason: String,
    },
    /// Well-formed, but not signed with this node's secret (made by another node, or before
    /// the secret was replaced).
    #[error(
        "API token signature does not verify: it was not made with this node's secret \
         (create a new one with `flowcoin auth create-token`)"
    )]
    BadSignature,
    /// Signed by this node, but lists a permission this version does not know.
    #[error("API token grants unknown permission {name:?} (known: read, write, sign, admin)")]
    UnknownPermission {
        /// The unknown name (at most 64 characters of it).
        name: String,
    },
    /// Signed by this node, but its `Allow` list is empty.
    #[error("API token grants no permission (its Allow list is empty)")]
    NoPermission,
    /// Signed by this node, but its `exp` claim has passed.
    #[error("API token has expired (create a new one with `flowcoin auth create-token`)")]
    Expired,
}

/// Signing a token failed (the JWT library refused; not expected with HS256).
#[derive(Debug, Clone, thiserror::Error)]
#[error("cannot sign the API token: {0}")]
pub struct SigningError(String);

/// The token payload, field names as Lotus writes them.
#[derive(Debug, Serialize, Deserialize)]
struct Claims {
    #[serde(rename = "Allow")]
    allow: Vec<String>,
}

/// Mints a token that grants `permission` and everything below it.
///
/// # Errors
/// [`SigningError`] if the JWT library fails (it does not for HS256 keys).
pub fn create_token(secret: &JwtSecret, permission: Permission) -> Result<String, SigningError> {
    let claims = Claims {
        allow: permission
            .granted()
            .into_iter()
            .map(|p| p.as_str().to_owned())
            .collect(),
    };
    jsonwebtoken::encode(
        &Header::new(Algorithm::HS256),
        &claims,
        &EncodingKey::from_secret(secret.as_bytes()),
    )
    .map_err(|e| SigningError(e.to_string()))
}

/// Checks `token` against `secret` and returns the highest permission it grants.
///
/// # Errors
/// [`TokenError::Malformed`] (not an HS256 JWT, longer than [`MAX_TOKEN_LEN`], no `Allow`
/// list), [`TokenError::BadSignature`], [`TokenError::UnknownPermission`],
/// [`TokenError::NoPermission`] or [`TokenError::Expired`].
pub fn verify(secret: &JwtSecret, token: &str) -> Result<Permission, TokenError> {
    if token.len() > MAX_TOKEN_LEN {
        return Err(TokenError::Malformed {
            reason: format!(
                "{} bytes is longer than any token (at most {MAX_TOKEN_LEN})",
                token.len()
            ),
        });
    }
    let mut validation = Validation::new(Algorithm::HS256);
    // Lotus-style tokens carry no registered claims at all; `exp` is still checked if present.
    validation.required_spec_claims.clear();
    let claims = jsonwebtoken::decode::<Claims>(
        token,
        &DecodingKey::from_secret(secret.as_bytes()),
        &validation,
    )
    .map_err(|e| match e.kind() {
        ErrorKind::InvalidSignature => TokenError::BadSignature,
        ErrorKind::ExpiredSignature => TokenError::Expired,
        ErrorKind::InvalidAlgorithm | ErrorKind::MissingAlgorithm => TokenError::Malformed {
            reason: "not signed with HS256".to_owned(),
        },
        ErrorKind::Json(_) => TokenError::Malformed {
            reason: format!("its header or payload is not the expected JSON ({e})"),
        },
        _ => TokenError::Malformed {
            reason: format!("not a JWT ({e})"),
        },
    })?
    .claims;
    let mut highest = None;
    for name in &claims.allow {
        let permission = name
            .parse::<Permission>()
            .map_err(|e| TokenError::UnknownPermission { name: e.name })?;
        highest = highest.max(Some(permission));
    }
    highest.ok_or(TokenError::NoPermission)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secret(byte: u8) -> JwtSecret {
        JwtSecret::from_bytes([byte; JWT_SECRET_LEN])
    }

    fn sign_claims(secret: &JwtSecret, payload: &serde_json::Value) -> String {
        jsonwebtoken::encode(
            &Header::new(Algorithm::HS256),
            payload,
            &EncodingKey::from_secret(secret.as_bytes()),
        )
        .unwrap()
    }

    #[test]
    fn permissions_are_ordered_and_named() {
        assert!(Permission::Read < Permission::Write);
        assert!(Permission::Write < Permission::Sign);
        assert!(Permission::Sign < Permission::Admin);
        for p in Permission::ALL {
            assert_eq!(p.as_str().parse::<Permission>().unwrap(), p);
            assert_eq!(serde_json::to_string(&p).unwrap(), format!("\"{p}\""));
        }
        assert_eq!(
            Permission::Sign.granted(),
            [Permission::Read, Permission::Write, Permission::Sign]
        );
        let err = "Admin".parse::<Permission>().unwrap_err();
        assert!(
            err.to_string()
                .contains("expected read, write, sign or admin")
        );
    }

    #[test]
    fn tokens_round_trip_with_lotus_payload() {
        let s = secret(1);
        for p in Permission::ALL {
            let token = create_token(&s, p).unwrap();
            assert_eq!(verify(&s, &token).unwrap(), p);
            let claims: serde_json::Value = jsonwebtoken::dangerous::insecure_decode(&token)
                .unwrap()
                .claims;
            let expected: Vec<&str> = p.granted().iter().map(|p| p.as_str()).collect();
            assert_eq!(claims, serde_json::json!({ "Allow": expected }));
        }
    }

    #[test]
    fn a_token_grants_its_highest_listed_permission() {
        let s = secret(2);
        let token = sign_claims(&s, &serde_json::json!({"Allow": ["sign", "read"]}));
        assert_eq!(verify(&s, &token).unwrap(), Permission::Sign);
    }

    #[test]
    fn refusals_are_precise() {
        let s = secret(3);
        let other = create_token(&secret(4), Permission::Admin).unwrap();
        assert_eq!(verify(&s, &other), Err(TokenError::BadSignature));

        assert!(matches!(
            verify(&s, "not-a-jwt"),
            Err(TokenError::Malformed { .. })
        ));
        assert!(matches!(
            verify(&s, &"a".repeat(MAX_TOKEN_LEN + 1)),
            Err(TokenError::Malformed { .. })
        ));

        let unknown = sign_claims(&s, &serde_json::json!({"Allow": ["read", "root"]}));
        assert_eq!(
            verify(&s, &unknown),
            Err(TokenError::UnknownPermission {
                name: "root".into()
            })
        );
        let empty = sign_claims(&s, &serde_json::json!({"Allow": []}));
        assert_eq!(verify(&s, &empty), Err(TokenError::NoPermission));
        let no_allow = sign_claims(&s, &serde_json::json!({"sub": "x"}));
        assert!(matches!(
            verify(&s, &no_allow),
            Err(TokenError::Malformed { .. })
        ));
        let expired = sign_claims(&s, &serde_json::json!({"Allow": ["admin"], "exp": 1}));
        assert_eq!(verify(&s, &expired), Err(TokenError::Expired));
    }

    #[test]
    fn other_algorithms_are_refused() {
        let s = secret(5);
        let token = jsonwebtoken::encode(
            &Header::new(Algorithm::HS512),
            &serde_json::json!({"Allow": ["admin"]}),
            &EncodingKey::from_secret(s.as_bytes()),
        )
        .unwrap();
        assert_eq!(
            verify(&s, &token),
            Err(TokenError::Malformed {
                reason: "not signed with HS256".into()
            })
        );
    }

    #[test]
    fn every_bit_flip_of_a_token_is_refused() {
        let s = secret(6);
        let token = create_token(&s, Permission::Read).unwrap();
        let bytes = token.as_bytes();
        for i in 0..bytes.len() {
            for bit in 0..8 {
                let mut mutated = bytes.to_vec();
                mutated[i] ^= 1 << bit;
                let Ok(text) = String::from_utf8(mutated) else {
                    continue;
                };
                // A flip in base64url padding bits can decode to the same bytes; the token is
                // then the same token and must verify to the same permission, nothing more.
                if let Ok(p) = verify(&s, &text) {
                    assert_eq!(p, Permission::Read, "flip {i}:{bit}");
                }
            }
        }
    }
}

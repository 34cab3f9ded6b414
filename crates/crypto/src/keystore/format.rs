//! The key file format (version 1, described in the [`super`] module doc) and its passphrase
//! encryption.

use argon2::{Algorithm, Argon2, Params, Version};
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use rand_core::{OsRng, RngCore};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use zeroize::Zeroizing;

use crate::signature::{KeyType, PublicKey, SecretKey};

use super::KeystoreError;

/// The file format version this crate writes and reads.
pub const FORMAT_VERSION: u32 = 1;
/// `kind` of an unencrypted secret.
pub const KIND_PLAIN: &str = "plain";
/// `kind` of a passphrase-encrypted secret.
pub const KIND_ENCRYPTED: &str = "argon2id-xchacha20poly1305";

const SALT_LEN: usize = 16;
const NONCE_LEN: usize = 24;
const AAD_PREFIX: &[u8] = b"flowcoin-keystore-v1\0";

/// Argon2id cost parameters of an encrypted key.
///
/// Bounded so that a hostile file cannot make [`super::Keystore::load`] allocate more than
/// 1 GiB or run for minutes: `m_cost` ≤ 1 GiB (in KiB), `t_cost` ≤ 64, `p_cost` ≤ 16.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KdfParams {
    m_cost: u32,
    t_cost: u32,
    p_cost: u32,
}

impl KdfParams {
    /// The default for new keys: 64 MiB, 3 passes, 1 lane (under a second on a laptop in an
    /// optimised build; about 10× that in a debug build).
    pub const DEFAULT: KdfParams = KdfParams {
        m_cost: 64 * 1024,
        t_cost: 3,
        p_cost: 1,
    };
    /// Largest memory cost accepted, in KiB (1 GiB).
    pub const MAX_M_COST: u32 = 1024 * 1024;
    /// Largest number of passes accepted.
    pub const MAX_T_COST: u32 = 64;
    /// Largest number of lanes accepted.
    pub const MAX_P_COST: u32 = 16;

    /// Parameters: `m_cost` KiB of memory, `t_cost` passes, `p_cost` lanes. Cheap values are for
    /// tests only.
    ///
    /// # Errors
    /// [`KeystoreError::InvalidKdfParams`] outside Argon2's minimums (`m_cost` ≥ 8·`p_cost`,
    /// `t_cost` ≥ 1, `p_cost` ≥ 1) or this crate's maximums.
    pub fn new(m_cost: u32, t_cost: u32, p_cost: u32) -> Result<Self, KeystoreError> {
        let params = Self {
            m_cost,
            t_cost,
            p_cost,
        };
        params.argon2_params()?;
        Ok(params)
    }

    /// Memory cost in KiB.
    pub fn m_cost(&self) -> u32 {
        self.m_cost
    }
    /// Number of passes.
    pub fn t_cost(&self) -> u32 {
        self.t_cost
    }
    /// Number of lanes.
    pub fn p_cost(&self) -> u32 {
        self.p_cost
    }

    fn argon2_params(&self) -> Result<Params, KeystoreError> {
        let within_bounds = self.m_cost <= Self::MAX_M_COST
            && self.t_cost <= Self::MAX_T_COST
            && (1..=Self::MAX_P_COST).contains(&self.p_cost);
        let invalid = || KeystoreError::InvalidKdfParams {
            m_cost: self.m_cost,
            t_cost: self.t_cost,
            p_cost: self.p_cost,
        };
        if !within_bounds {
            return Err(invalid());
        }
        Params::new(self.m_cost, self.t_cost, self.p_cost, Some(32)).map_err(|_| invalid())
    }

    fn derive_key(
        &self,
        passphrase: &str,
        salt: &[u8],
    ) -> Result<Zeroizing<[u8; 32]>, KeystoreError> {
        let argon2 = Argon2::new(Algorithm::Argon2id, Version::V0x13, self.argon2_params()?);
        let mut key = Zeroizing::new([0u8; 32]);
        argon2
            .hash_password_into(passphrase.as_bytes(), salt, key.as_mut_slice())
            .map_err(|e| KeystoreError::Encryption(e.to_string()))?;
        Ok(key)
    }
}

impl Default for KdfParams {
    fn default() -> Self {
        Self::DEFAULT
    }
}

/// Hex of secret material, wiped on drop.
struct SecretHex(Zeroizing<String>);

impl Serialize for SecretHex {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for SecretHex {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        String::deserialize(deserializer).map(|s| SecretHex(Zeroizing::new(s)))
    }
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct KeyFileJson {
    version: u32,
    #[serde(rename = "type")]
    key_type: KeyType,
    public_key: String,
    secret: SecretJson,
}

#[derive(Serialize, Deserialize)]
#[serde(tag = "kind", deny_unknown_fields)]
enum SecretJson {
    #[serde(rename = "plain")]
    Plain { key: SecretHex },
    #[serde(rename = "argon2id-xchacha20poly1305")]
    Encrypted {
        salt: String,
        nonce: String,
        ciphertext: String,
        m_cost: u32,
        t_cost: u32,
        p_cost: u32,
    },
}

/// Only the version, read first so that a future format is reported as such, not as corrupt.
#[derive(Deserialize)]
struct VersionOnly {
    version: u32,
}

/// A parsed key file: the public part is checked, the secret not yet opened.
pub(super) struct KeyFile {
    pub(super) public_key: PublicKey,
    secret: SecretJson,
}

/// What went wrong opening a key file's secret, before the keystore adds the path.
pub(super) enum OpenError {
    PassphraseRequired,
    WrongPassphrase,
    Corrupt(String),
    KeyMismatch,
    Other(KeystoreError),
}

impl KeyFile {
    pub(super) fn is_encrypted(&self) -> bool {
        matches!(self.secret, SecretJson::Encrypted { .. })
    }

    /// Parses a file's bytes; the error is the reason it is corrupt (or unsupported).
    pub(super) fn parse(bytes: &[u8]) -> Result<Self, ParseError> {
        let version: VersionOnly = serde_json::from_slice(bytes)
            .map_err(|e| ParseError::Corrupt(format!("not a keystore JSON object: {e}")))?;
        if version.version != FORMAT_VERSION {
            return Err(ParseError::UnsupportedVersion(version.version));
        }
        let json: KeyFileJson = serde_json::from_slice(bytes)
            .map_err(|e| ParseError::Corrupt(format!("not a version 1 key file: {e}")))?;
        let pk_bytes = hex::decode(&json.public_key)
            .map_err(|e| ParseError::Corrupt(format!("public_key is not hex: {e}")))?;
        let public_key = PublicKey::from_parts(json.key_type, &pk_bytes)
            .map_err(|e| ParseError::Corrupt(format!("public_key: {e}")))?;
        Ok(Self {
            public_key,
            secret: json.secret,
        })
    }

    /// Serialises `secret`, encrypted under `passphrase` if given.
    pub(super) fn encode(
        secret: &SecretKey,
        passphrase: Option<&str>,
        kdf: &KdfParams,
    ) -> Result<Zeroizing<Vec<u8>>, KeystoreError> {
        let public_key = secret.public_key();
        let public_hex = hex::encode(public_key.to_bytes());
        let secret_json = match passphrase {
            None => SecretJson::Plain {
                key: SecretHex(Zeroizing::new(hex::encode(secret.to_bytes().as_slice()))),
            },
            Some(passphrase) => {
                let mut salt = [0u8; SALT_LEN];
                let mut nonce = [0u8; NONCE_LEN];
                OsRng
                    .try_fill_bytes(&mut salt)
                    .and_then(|()| OsRng.try_fill_bytes(&mut nonce))
                    .map_err(|e| KeystoreError::Rng(e.to_string()))?;
                let key = kdf.derive_key(passphrase, &salt)?;
                let cipher = XChaCha20Poly1305::new_from_slice(key.as_slice())
                    .map_err(|e| KeystoreError::Encryption(e.to_string()))?;
                let aad = associated_data(secret.key_type(), &public_hex);
                let plaintext = secret.to_bytes();
                let ciphertext = cipher
                    .encrypt(
                        &XNonce::from(nonce),
                        Payload {
                            msg: plaintext.as_slice(),
                            aad: &aad,
                        },
                    )
                    .map_err(|e| KeystoreError::Encryption(format!("encryption failed: {e}")))?;
                SecretJson::Encrypted {
                    salt: hex::encode(salt),
                    nonce: hex::encode(nonce),
                    ciphertext: hex::encode(ciphertext),
                    m_cost: kdf.m_cost,
                    t_cost: kdf.t_cost,
                    p_cost: kdf.p_cost,
                }
            }
        };
        let json = KeyFileJson {
            version: FORMAT_VERSION,
            key_type: secret.key_type(),
            public_key: public_hex,
            secret: secret_json,
        };
        let mut text = serde_json::to_vec_pretty(&json)
            .map_err(|e| KeystoreError::Serialize(e.to_string()))?;
        text.push(b'\n');
        Ok(Zeroizing::new(text))
    }

    /// The secret key, decrypted if need be, checked against the stored public key.
    pub(super) fn open(&self, passphrase: Option<&str>) -> Result<SecretKey, OpenError> {
        let key_type = self.public_key.key_type();
        let secret_bytes: Zeroizing<Vec<u8>> = match &self.secret {
            SecretJson::Plain { key } => Zeroizing::new(
                hex::decode(key.0.as_str())
                    .map_err(|e| OpenError::Corrupt(format!("secret key is not hex: {e}")))?,
            ),
            SecretJson::Encrypted {
                salt,
                nonce,
                ciphertext,
                m_cost,
                t_cost,
                p_cost,
            } => {
                let passphrase = passphrase.ok_or(OpenError::PassphraseRequired)?;
                let kdf = KdfParams::new(*m_cost, *t_cost, *p_cost).map_err(OpenError::Other)?;
                let salt = decode_field("salt", salt)?;
                let nonce: [u8; NONCE_LEN] = decode_field("nonce", nonce)?
                    .try_into()
                    .map_err(|_| OpenError::Corrupt(format!("nonce is not {NONCE_LEN} bytes")))?;
                let ciphertext = decode_field("ciphertext", ciphertext)?;
                let key = kdf
                    .derive_key(passphrase, &salt)
                    .map_err(OpenError::Other)?;
                let cipher = XChaCha20Poly1305::new_from_slice(key.as_slice())
                    .map_err(|e| OpenError::Other(KeystoreError::Encryption(e.to_string())))?;
                let aad = associated_data(key_type, &hex::encode(self.public_key.to_bytes()));
                let plaintext = cipher.decrypt(
                    &XNonce::from(nonce),
                    Payload {
                        msg: &ciphertext,
                        aad: &aad,
                    },
                );
                Zeroizing::new(plaintext.map_err(|_| OpenError::WrongPassphrase)?)
            }
        };
        let secret = SecretKey::from_parts(key_type, &secret_bytes)
            .map_err(|e| OpenError::Corrupt(format!("secret key: {e}")))?;
        if secret.public_key() != self.public_key {
            return Err(OpenError::KeyMismatch);
        }
        Ok(secret)
    }
}

/// Why a file could not be parsed.
pub(super) enum ParseError {
    UnsupportedVersion(u32),
    Corrupt(String),
}

fn decode_field(field: &str, value: &str) -> Result<Vec<u8>, OpenError> {
    hex::decode(value).map_err(|e| OpenError::Corrupt(format!("{field} is not hex: {e}")))
}

fn associated_data(key_type: KeyType, public_hex: &str) -> Vec<u8> {
    let mut aad = AAD_PREFIX.to_vec();
    aad.extend_from_slice(key_type.as_str().as_bytes());
    aad.push(0);
    aad.extend_from_slice(public_hex.as_bytes());
    aad
}

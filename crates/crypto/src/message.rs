//! Signing and verifying messages.
//!
//! A message is signed over the bytes of its CID (`Message::cid`), as Filecoin does. The
//! `signature` field of a [`SignedMessage`] holds:
//!
//! - BLS: the compact [`Signature`] encoding, `0x02 ‖ 96 bytes`; the public key is the sender's
//!   protocol-3 address itself;
//! - Ed25519: `0xED ‖ 64-byte signature ‖ 32-byte public key`; a protocol-1 address holds only
//!   the BLAKE2b-160 of the key, so the key travels with the signature and the verifier checks
//!   that it hashes to the address (Filecoin recovers secp256k1 keys from the signature
//!   instead; Ed25519 has no recovery).
//!
//! The sender of a message may be named by its ID address; the chain resolves it to the key
//! address (through the init actor) and passes that to [`verify_message`].
//!
//! ```
//! use flowcoin_crypto::message::{sign_message, verify_message};
//! use flowcoin_crypto::{SecretKey, ed25519};
//! use flowcoin_types::{Address, Message};
//!
//! let key = SecretKey::Ed25519(ed25519::SecretKey::from_seed(&[7; 32]));
//! let from = key.public_key().address();
//! let msg = Message { from, to: Address::Id(1001), ..Message::default() };
//! let signed = sign_message(&key, &msg)?;
//! verify_message(&signed, &from)?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use flowcoin_types::message::CborError;
use flowcoin_types::{Address, Message, SignedMessage};

use crate::signature::{KeyType, PublicKey, SecretKey, Signature, SignatureError};
use crate::{bls, ed25519};

/// Why a message could not be signed, or its signature does not hold.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum MessageSignatureError {
    /// The message could not be encoded (to compute its CID).
    #[error(transparent)]
    Encoding(#[from] CborError),
    /// The address given for the sender is not a key address (protocol 1 or 3).
    #[error("{0:?} is not a key address: resolve the sender's ID to its key address first")]
    NotKeyAddress(Address),
    /// The signature's scheme does not match the sender's address.
    #[error("a {sig} signature cannot sign for the {address:?} address")]
    SchemeMismatch {
        /// The signature's scheme.
        sig: KeyType,
        /// The sender's key address.
        address: Address,
    },
    /// The Ed25519 public key carried with the signature is not the sender's.
    #[error("the signature's public key does not hash to the sender's address {0:?}")]
    KeyMismatch(Address),
    /// The signature bytes are malformed or do not verify.
    #[error("bad message signature: {0}")]
    Signature(#[from] SignatureError),
}

/// Signs `message` with `key` (the sender's key; `message.from` is not checked here).
pub fn sign_message(
    key: &SecretKey,
    message: &Message,
) -> Result<SignedMessage, MessageSignatureError> {
    let cid = message.cid()?;
    let signature = key.sign(&cid.to_bytes());
    let mut bytes = signature.to_bytes();
    if let PublicKey::Ed25519(public) = key.public_key() {
        bytes.extend_from_slice(public.as_bytes());
    }
    Ok(SignedMessage {
        message: message.clone(),
        signature: bytes,
    })
}

/// Verifies that `signed` carries a valid signature by the key behind `sender`, the key address
/// of `signed.message.from`.
pub fn verify_message(
    signed: &SignedMessage,
    sender: &Address,
) -> Result<(), MessageSignatureError> {
    let cid = signed.message.cid()?.to_bytes();
    let (&code, rest) = signed
        .signature
        .split_first()
        .ok_or(SignatureError::Empty)?;
    let key_type = KeyType::from_code(code)?;
    match (key_type, sender) {
        (KeyType::Bls, Address::Bls(key)) => {
            let public =
                PublicKey::Bls(bls::PublicKey::from_bytes(key).map_err(SignatureError::from)?);
            Signature::from_parts(KeyType::Bls, rest)?.verify(&cid, &public)?;
        }
        (KeyType::Ed25519, Address::Ed25519(_)) => {
            let split = rest
                .len()
                .checked_sub(ed25519::PUBLIC_KEY_LEN)
                .ok_or(SignatureError::Empty)?;
            let (sig, key) = rest.split_at(split);
            let public = PublicKey::Ed25519(
                ed25519::PublicKey::from_bytes(key).map_err(SignatureError::from)?,
            );
            if public.address() != *sender {
                return Err(MessageSignatureError::KeyMismatch(*sender));
            }
            Signature::from_parts(KeyType::Ed25519, sig)?.verify(&cid, &public)?;
        }
        (_, Address::Bls(_) | Address::Ed25519(_)) => {
            return Err(MessageSignatureError::SchemeMismatch {
                sig: key_type,
                address: *sender,
            });
        }
        _ => return Err(MessageSignatureError::NotKeyAddress(*sender)),
    }
    Ok(())
}

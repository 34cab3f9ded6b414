//! Multihash functions the data layer can compute, and CID construction and checking.

use cid::Cid;
use multihash::Multihash;
use sha2::Digest as _;

/// Multicodec of raw binary blocks.
pub const RAW: u64 = 0x55;
/// Multicodec of dag-pb (UnixFS) blocks.
pub const DAG_PB: u64 = 0x70;
/// Multicodec of DAG-CBOR blocks.
pub const DAG_CBOR: u64 = 0x71;

/// Multihash code of the identity "hash" (the data inline in the CID).
pub const IDENTITY: u64 = 0x00;
/// Multihash code of SHA2-256.
pub const SHA2_256: u64 = 0x12;
/// Multihash code of SHA2-512.
pub const SHA2_512: u64 = 0x13;
/// Multihash code of BLAKE3 (32-byte output).
pub const BLAKE3: u64 = 0x1e;
/// Multihash code of BLAKE2b-256, the hash of Filecoin's (and Flowcoin's) chain objects.
pub const BLAKE2B_256: u64 = 0xb220;

/// Largest identity multihash we accept (Kubo's default limit for inlined CIDs is far lower).
pub const MAX_IDENTITY_LEN: usize = 128;

/// A hash function blocks can be addressed with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum HashFn {
    /// SHA2-256, the IPFS default.
    #[default]
    Sha2_256,
    /// SHA2-512.
    Sha2_512,
    /// BLAKE3 with a 32-byte digest.
    Blake3,
    /// BLAKE2b with a 32-byte digest (chain and state objects).
    Blake2b256,
}

impl HashFn {
    /// The multihash code of this function.
    pub fn code(self) -> u64 {
        match self {
            HashFn::Sha2_256 => SHA2_256,
            HashFn::Sha2_512 => SHA2_512,
            HashFn::Blake3 => BLAKE3,
            HashFn::Blake2b256 => BLAKE2B_256,
        }
    }

    /// Hashes `data` into a multihash.
    pub fn digest(self, data: &[u8]) -> Multihash<64> {
        self.digest_parts(&[data])
    }

    /// Hashes the concatenation of `parts` into a multihash without concatenating them.
    pub fn digest_parts(self, parts: &[&[u8]]) -> Multihash<64> {
        let wrapped = match self {
            HashFn::Sha2_256 => {
                let mut h = sha2::Sha256::new();
                parts.iter().for_each(|p| h.update(p));
                Multihash::wrap(SHA2_256, &h.finalize())
            }
            HashFn::Sha2_512 => {
                let mut h = sha2::Sha512::new();
                parts.iter().for_each(|p| h.update(p));
                Multihash::wrap(SHA2_512, &h.finalize())
            }
            HashFn::Blake3 => {
                let mut h = blake3::Hasher::new();
                parts.iter().for_each(|p| {
                    h.update(p);
                });
                Multihash::wrap(BLAKE3, h.finalize().as_bytes())
            }
            HashFn::Blake2b256 => {
                let mut h = blake2::Blake2b::<blake2::digest::consts::U32>::new();
                parts.iter().for_each(|p| h.update(p));
                Multihash::wrap(BLAKE2B_256, &h.finalize())
            }
        };
        // Every digest above is at most 64 bytes, the multihash capacity.
        wrapped.unwrap_or_default()
    }

    /// The function with multihash `code`, if we support it.
    pub fn from_code(code: u64) -> Option<Self> {
        match code {
            SHA2_256 => Some(HashFn::Sha2_256),
            SHA2_512 => Some(HashFn::Sha2_512),
            BLAKE3 => Some(HashFn::Blake3),
            BLAKE2B_256 => Some(HashFn::Blake2b256),
            _ => None,
        }
    }
}

impl std::fmt::Display for HashFn {
    /// The name [`FromStr`](std::str::FromStr) reads.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            HashFn::Sha2_256 => "sha2-256",
            HashFn::Sha2_512 => "sha2-512",
            HashFn::Blake3 => "blake3",
            HashFn::Blake2b256 => "blake2b-256",
        })
    }
}

impl std::str::FromStr for HashFn {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "sha2-256" => Ok(HashFn::Sha2_256),
            "sha2-512" => Ok(HashFn::Sha2_512),
            "blake3" => Ok(HashFn::Blake3),
            "blake2b-256" => Ok(HashFn::Blake2b256),
            other => Err(format!(
                "unknown hash function {other:?} (supported: sha2-256, sha2-512, blake3, blake2b-256)"
            )),
        }
    }
}

/// Why a block does not match its CID.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum VerifyError {
    /// The data hashes to something else.
    #[error("block {cid} does not match its data (hash mismatch)")]
    Mismatch {
        /// The CID the block claimed.
        cid: Cid,
    },
    /// The CID uses a hash function we cannot compute.
    #[error("block {cid} uses multihash code {code:#x}, which this node cannot verify")]
    UnsupportedHash {
        /// The CID the block claimed.
        cid: Cid,
        /// Its multihash code.
        code: u64,
    },
    /// The digest length is not the function's output length.
    #[error(
        "block {cid} has a {len}-byte digest, which is not a valid length for its hash function"
    )]
    DigestLength {
        /// The CID the block claimed.
        cid: Cid,
        /// The digest length in the CID.
        len: u8,
    },
}

/// Checks that `data` is the block `cid` names.
pub fn verify(cid: &Cid, data: &[u8]) -> Result<(), VerifyError> {
    let mh = cid.hash();
    if mh.code() == IDENTITY {
        return if mh.digest() == data {
            Ok(())
        } else {
            Err(VerifyError::Mismatch { cid: *cid })
        };
    }
    let f = HashFn::from_code(mh.code()).ok_or(VerifyError::UnsupportedHash {
        cid: *cid,
        code: mh.code(),
    })?;
    let expected = f.digest(data);
    if expected.size() != mh.size() {
        return Err(VerifyError::DigestLength {
            cid: *cid,
            len: mh.size(),
        });
    }
    if expected.digest() == mh.digest() {
        Ok(())
    } else {
        Err(VerifyError::Mismatch { cid: *cid })
    }
}

/// Why bytes are not a CID.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CidBytesError {
    /// The cid crate rejected the bytes.
    #[error("invalid CID bytes: {0}")]
    Invalid(String),
    /// Bytes follow the CID.
    #[error("{0} unexpected bytes after the CID")]
    Trailing(usize),
    /// The bytes decode to a CID but are not its canonical encoding (e.g. a padded varint),
    /// which would let one CID be written in several ways.
    #[error("CID bytes are not in canonical form (non-minimal varint)")]
    NotCanonical,
}

/// Parses a CID from a prefix of `bytes`; returns it and the number of bytes it took. Only
/// the canonical encoding is accepted (the cid crate alone would accept padded varints).
pub fn cid_from_prefix(bytes: &[u8]) -> Result<(Cid, usize), CidBytesError> {
    let mut cursor = bytes;
    let cid = Cid::read_bytes(&mut cursor).map_err(|e| CidBytesError::Invalid(e.to_string()))?;
    let used = bytes.len().saturating_sub(cursor.len());
    if bytes.get(..used) != Some(cid.to_bytes().as_slice()) {
        return Err(CidBytesError::NotCanonical);
    }
    Ok((cid, used))
}

/// Parses a CID that must take exactly all of `bytes`.
pub fn cid_from_bytes(bytes: &[u8]) -> Result<Cid, CidBytesError> {
    let (cid, used) = cid_from_prefix(bytes)?;
    match bytes.len().saturating_sub(used) {
        0 => Ok(cid),
        extra => Err(CidBytesError::Trailing(extra)),
    }
}

/// Parses a CID from its text form with a message that names the input.
pub fn parse_cid(text: &str) -> Result<Cid, String> {
    text.parse::<Cid>()
        .map_err(|e| format!("{text:?} is not a valid CID: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The digest is Python's `hashlib.blake2b(b"flowcoin", digest_size=32)`.
    #[test]
    fn blake2b_256_blocks_verify() {
        let digest = HashFn::Blake2b256.digest(b"flowcoin");
        assert_eq!(digest.code(), 0xb220);
        assert_eq!(
            hex::encode(digest.digest()),
            "6a9aee14674354aa078332b1a9456c0a9c813d20a6b6b39997eb0416951754f0"
        );
        let cid = Cid::new_v1(DAG_CBOR, digest);
        assert_eq!(verify(&cid, b"flowcoin"), Ok(()));
        assert_eq!(
            verify(&cid, b"flowcoim"),
            Err(VerifyError::Mismatch { cid })
        );
        assert_eq!("blake2b-256".parse(), Ok(HashFn::Blake2b256));
    }

    #[test]
    fn empty_raw_block_has_the_well_known_cid() {
        let cid = Cid::new_v1(RAW, HashFn::Sha2_256.digest(b""));
        assert_eq!(
            cid.to_string(),
            "bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku"
        );
        assert_eq!(verify(&cid, b""), Ok(()));
        assert_eq!(verify(&cid, b"x"), Err(VerifyError::Mismatch { cid }));
    }

    #[test]
    fn parts_hash_like_the_whole() {
        for f in [HashFn::Sha2_256, HashFn::Sha2_512, HashFn::Blake3] {
            assert_eq!(
                f.digest(b"hello world"),
                f.digest_parts(&[b"hello", b" ", b"world"])
            );
            let cid = Cid::new_v1(RAW, f.digest(b"abc"));
            assert_eq!(verify(&cid, b"abc"), Ok(()));
        }
    }

    #[test]
    fn cid_bytes_reject_trailing_and_garbage() {
        let cid = Cid::new_v1(RAW, HashFn::Sha2_256.digest(b"a"));
        let mut bytes = cid.to_bytes();
        assert_eq!(cid_from_bytes(&bytes), Ok(cid));
        bytes.push(0);
        assert_eq!(cid_from_bytes(&bytes), Err(CidBytesError::Trailing(1)));
        assert!(cid_from_bytes(&[0x01]).is_err());
        // The sha2-256 code 0x12 written as a 10-byte varint (found by the cid_bytes fuzzer).
        let padded = hex::decode(
            "017092808080808080808002202d711642b726b04401627ca9fbac32f5c8530fb1903cc4db02258717921a4881",
        )
        .unwrap();
        assert_eq!(cid_from_bytes(&padded), Err(CidBytesError::NotCanonical));
        assert!(cid_from_bytes(&[]).is_err());
        assert!(parse_cid("not-a-cid").unwrap_err().contains("not-a-cid"));
    }
}

//! Piece commitments and their CIDs: piece CID v1 (`baga6ea4seaq…`, size carried separately)
//! and piece CID v2 (`bafkzcib…`, FRC-0069, size and padding inside the CID).
//!
//! The decoders take untrusted text and bytes from peers and never panic; every rejection says
//! what was wrong.

use std::fmt;
use std::str::FromStr;

use cid::{Cid, Version};
use flowcoin_types::{PaddedPieceSize, UnpaddedPieceSize};
use multihash::Multihash;

use crate::hasher::{NODE_SIZE, Node};
use crate::merkle::MAX_LEVEL;

/// Multicodec `fil-commitment-unsealed`: the codec of a piece CID v1.
pub const FIL_COMMITMENT_UNSEALED: u64 = 0xf101;
/// Multihash `sha2-256-trunc254-padded`: the multihash of a piece CID v1.
pub const SHA2_256_TRUNC254_PADDED: u64 = 0x1012;
/// Multicodec `raw`: the codec of a piece CID v2.
pub const RAW: u64 = 0x55;
/// Multihash `fr32-sha256-trunc254-padbintree`: the multihash of a piece CID v2 (FRC-0069).
pub const FR32_SHA256_TRUNC254_PADBINTREE: u64 = 0x1011;

/// Multicodec `fil-commitment-sealed`: the codec of a sealed-sector CID (CommR).
pub const FIL_COMMITMENT_SEALED: u64 = 0xf102;
/// Multihash `poseidon-bls12_381-a2-fc1`: the multihash of a sealed-sector CID.
pub const POSEIDON_BLS12_381_A2_FC1: u64 = 0xb401;

/// The CID of a sealed sector's CommR (`bagboea4b5abc…`), as Filecoin writes it on chain.
pub fn sealed_cid(comm_r: &[u8; NODE_SIZE]) -> Cid {
    cid_of(FIL_COMMITMENT_SEALED, POSEIDON_BLS12_381_A2_FC1, comm_r)
}

/// The CID of a sector's CommD (a piece CID v1 over the whole sector).
pub fn unsealed_cid(comm_d: &[u8; NODE_SIZE]) -> Cid {
    cid_of(FIL_COMMITMENT_UNSEALED, SHA2_256_TRUNC254_PADDED, comm_d)
}

/// The longest text a piece CID decoder looks at; real ones are under 100 characters in
/// base32, and a bound keeps a hostile peer from making the decoder allocate.
pub const MAX_PIECE_CID_TEXT: usize = 512;
/// The longest binary CID a piece CID decoder looks at.
pub const MAX_PIECE_CID_BYTES: usize = 64;
/// The lowest tree height of a piece (128 B).
const MIN_HEIGHT: u8 = 2;
/// A multiformats unsigned varint has at most 9 bytes (63 bits).
const MAX_VARINT_BYTES: usize = 9;

/// Why a CID or commitment is not a valid piece CID.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PieceCidError {
    /// The input is not a CID at all.
    #[error("not a CID: {reason}")]
    Malformed {
        /// What the CID decoder said.
        reason: String,
    },
    /// The input is longer than any piece CID.
    #[error("a piece CID is at most {max} long, this one is {len}")]
    TooLong {
        /// Length of the input (characters or bytes).
        len: usize,
        /// The bound.
        max: usize,
    },
    /// A CIDv0 is never a piece CID.
    #[error("a CIDv0 is not a piece CID (piece CIDs start with baga6ea4seaq… or bafkzcib…)")]
    NotCidV1,
    /// The CID's codec is not the one expected.
    #[error(
        "codec 0x{found:x} is not a piece CID codec (expected 0x{expected:x}: 0xf101 \
         fil-commitment-unsealed for a piece CID v1, 0x55 raw for a piece CID v2)"
    )]
    WrongCodec {
        /// The codec in the CID.
        found: u64,
        /// The codec that was expected.
        expected: u64,
    },
    /// The CID's multihash is not the one its codec requires.
    #[error(
        "multihash 0x{found:x} does not make a piece CID (expected 0x{expected:x}: 0x1012 \
         sha2-256-trunc254-padded for v1, 0x1011 fr32-sha256-trunc254-padbintree for v2)"
    )]
    WrongMultihash {
        /// The multihash code in the CID.
        found: u64,
        /// The multihash code that was expected.
        expected: u64,
    },
    /// The digest has the wrong length.
    #[error("the digest is {found} bytes long: a piece CID v{version} digest is {expected}")]
    DigestLength {
        /// Which piece CID version was being decoded.
        version: u8,
        /// The length found.
        found: usize,
        /// The length expected, as text (v2 digests vary with the padding).
        expected: &'static str,
    },
    /// The padding varint of a v2 digest is truncated, longer than 9 bytes or not minimal.
    #[error("the padding in the piece CID v2 digest is not a minimal unsigned varint")]
    BadPaddingVarint,
    /// The v2 tree height is outside what a piece can be.
    #[error(
        "tree height {height} is out of range (pieces have heights {MIN_HEIGHT} (128 B) to \
         {MAX_LEVEL} (2^63 B))"
    )]
    HeightOutOfRange {
        /// The height found.
        height: u8,
    },
    /// More padding than the piece holds.
    #[error("padding of {padding} bytes is larger than the piece's {unpadded} unpadded bytes")]
    PaddingTooLarge {
        /// The padding in bytes.
        padding: u64,
        /// The piece's unpadded size in bytes.
        unpadded: u64,
    },
    /// The root has one of its top two bits set, so no sha256-trunc254 tree produced it.
    #[error("the root has its top two bits set: it is not a sha256-trunc254 node")]
    RootNotTruncated,
}

/// The commitment to a piece: the root of its tree, its padded size, and how many of its
/// unpadded bytes are payload (the rest is zero padding).
///
/// ```
/// use flowcoin_proofs::{PieceCommitment, commp_of_bytes};
///
/// let commp = commp_of_bytes(b"")?;
/// let v2 = commp.piece_cid_v2().to_string();
/// assert_eq!(v2, "bafkzcibcp4bdomn3tgwgrh3g532zopskstnbrd2n3sxfqbze7rxt7vqn7veigmy");
/// assert_eq!(v2.parse::<PieceCommitment>()?, commp);
/// let v1 = commp.piece_cid_v1();
/// assert_eq!(PieceCommitment::from_cid_v1(&v1, commp.padded_size())?.root(), commp.root());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct PieceCommitment {
    root: Node,
    padded_size: PaddedPieceSize,
    payload_size: u64,
}

impl PieceCommitment {
    /// A commitment from its parts; fails if the payload is larger than the piece holds or the
    /// root is not a sha256-trunc254 node.
    pub fn new(
        root: [u8; 32],
        padded_size: PaddedPieceSize,
        payload_size: u64,
    ) -> Result<Self, PieceCidError> {
        check_root(&root)?;
        let unpadded = padded_size.unpadded().bytes();
        if payload_size > unpadded {
            return Err(PieceCidError::PaddingTooLarge {
                padding: payload_size.saturating_sub(unpadded),
                unpadded,
            });
        }
        Ok(Self {
            root,
            padded_size,
            payload_size,
        })
    }

    /// The root of the piece's tree (commP).
    pub fn root(&self) -> &[u8; 32] {
        &self.root
    }

    /// The padded size of the piece.
    pub fn padded_size(&self) -> PaddedPieceSize {
        self.padded_size
    }

    /// The unpadded size of the piece (payload plus zero padding).
    pub fn unpadded_size(&self) -> UnpaddedPieceSize {
        self.padded_size.unpadded()
    }

    /// The payload bytes in the piece.
    pub fn payload_size(&self) -> u64 {
        self.payload_size
    }

    /// The zero bytes added after the payload before Fr32 padding.
    pub fn padding(&self) -> u64 {
        self.unpadded_size()
            .bytes()
            .saturating_sub(self.payload_size)
    }

    /// The height of the piece's tree: log2(padded size / 32).
    pub fn height(&self) -> u8 {
        let level = self
            .padded_size
            .log2()
            .saturating_sub(NODE_SIZE.trailing_zeros());
        u8::try_from(level).unwrap_or(u8::MAX)
    }

    /// Piece CID v1: codec `fil-commitment-unsealed`, multihash `sha2-256-trunc254-padded`
    /// over the root. The size must travel beside it.
    pub fn piece_cid_v1(&self) -> Cid {
        cid_of(
            FIL_COMMITMENT_UNSEALED,
            SHA2_256_TRUNC254_PADDED,
            &self.root,
        )
    }

    /// Piece CID v2 (FRC-0069): codec `raw`, multihash `fr32-sha256-trunc254-padbintree` over
    /// uvarint(padding) ‖ height ‖ root.
    pub fn piece_cid_v2(&self) -> Cid {
        let mut digest = Vec::with_capacity(MAX_VARINT_BYTES + 1 + NODE_SIZE);
        write_uvarint(&mut digest, self.padding());
        digest.push(self.height());
        digest.extend_from_slice(&self.root);
        cid_of(RAW, FR32_SHA256_TRUNC254_PADBINTREE, &digest)
    }

    /// Reads a piece CID v1 with the padded size that travels beside it. A v1 CID does not
    /// say how much of the piece is payload, so the result counts the whole unpadded size as
    /// payload (padding 0).
    pub fn from_cid_v1(cid: &Cid, padded_size: PaddedPieceSize) -> Result<Self, PieceCidError> {
        let root = root_of_v1(cid)?;
        Self::new(root, padded_size, padded_size.unpadded().bytes())
    }

    /// Reads a piece CID v1 from text (any multibase), with its padded size; see
    /// [`Self::from_cid_v1`].
    pub fn parse_v1(text: &str, padded_size: PaddedPieceSize) -> Result<Self, PieceCidError> {
        match parse_piece_cid(text)? {
            PieceCid::V1 { root } => Self::new(root, padded_size, padded_size.unpadded().bytes()),
            PieceCid::V2(_) => Err(PieceCidError::WrongCodec {
                found: RAW,
                expected: FIL_COMMITMENT_UNSEALED,
            }),
        }
    }

    /// Reads a piece CID v2.
    pub fn from_cid_v2(cid: &Cid) -> Result<Self, PieceCidError> {
        expect_v1_cid(cid)?;
        expect_codec(cid, RAW)?;
        decode_v2_multihash(cid.hash())
    }
}

/// Shows the piece CID v2, which carries everything in the commitment.
impl fmt::Display for PieceCommitment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.piece_cid_v2(), f)
    }
}

/// Reads a piece CID v2 (`bafkzcib…`); a v1 CID needs its size: see
/// [`PieceCommitment::from_cid_v1`].
impl FromStr for PieceCommitment {
    type Err = PieceCidError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match parse_piece_cid(text)? {
            PieceCid::V2(commitment) => Ok(commitment),
            PieceCid::V1 { .. } => Err(PieceCidError::WrongCodec {
                found: FIL_COMMITMENT_UNSEALED,
                expected: RAW,
            }),
        }
    }
}

/// A decoded piece CID of either version.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PieceCid {
    /// A piece CID v1: only the root (the size travels separately).
    V1 {
        /// The piece's root.
        root: [u8; 32],
    },
    /// A piece CID v2: the whole commitment.
    V2(PieceCommitment),
}

/// Decodes a piece CID of either version from text in any multibase. Never panics.
pub fn parse_piece_cid(text: &str) -> Result<PieceCid, PieceCidError> {
    if text.len() > MAX_PIECE_CID_TEXT {
        return Err(PieceCidError::TooLong {
            len: text.len(),
            max: MAX_PIECE_CID_TEXT,
        });
    }
    let cid = Cid::try_from(text).map_err(|e| malformed(&e))?;
    decode_cid(&cid)
}

/// Decodes a piece CID of either version from its binary form. Never panics.
pub fn decode_piece_cid(bytes: &[u8]) -> Result<PieceCid, PieceCidError> {
    if bytes.len() > MAX_PIECE_CID_BYTES {
        return Err(PieceCidError::TooLong {
            len: bytes.len(),
            max: MAX_PIECE_CID_BYTES,
        });
    }
    let cid = Cid::try_from(bytes).map_err(|e| malformed(&e))?;
    decode_cid(&cid)
}

/// Decodes a piece CID of either version from a parsed CID.
pub fn decode_cid(cid: &Cid) -> Result<PieceCid, PieceCidError> {
    expect_v1_cid(cid)?;
    match cid.codec() {
        FIL_COMMITMENT_UNSEALED => root_of_v1(cid).map(|root| PieceCid::V1 { root }),
        RAW => decode_v2_multihash(cid.hash()).map(PieceCid::V2),
        found => Err(PieceCidError::WrongCodec {
            found,
            expected: FIL_COMMITMENT_UNSEALED,
        }),
    }
}

fn malformed(error: &cid::Error) -> PieceCidError {
    PieceCidError::Malformed {
        reason: error.to_string(),
    }
}

fn expect_v1_cid(cid: &Cid) -> Result<(), PieceCidError> {
    match cid.version() {
        Version::V1 => Ok(()),
        Version::V0 => Err(PieceCidError::NotCidV1),
    }
}

fn expect_codec(cid: &Cid, expected: u64) -> Result<(), PieceCidError> {
    if cid.codec() == expected {
        Ok(())
    } else {
        Err(PieceCidError::WrongCodec {
            found: cid.codec(),
            expected,
        })
    }
}

fn expect_multihash(hash: &Multihash<64>, expected: u64) -> Result<(), PieceCidError> {
    if hash.code() == expected {
        Ok(())
    } else {
        Err(PieceCidError::WrongMultihash {
            found: hash.code(),
            expected,
        })
    }
}

fn root_of_v1(cid: &Cid) -> Result<Node, PieceCidError> {
    expect_v1_cid(cid)?;
    expect_codec(cid, FIL_COMMITMENT_UNSEALED)?;
    expect_multihash(cid.hash(), SHA2_256_TRUNC254_PADDED)?;
    let digest = cid.hash().digest();
    let root = Node::try_from(digest).map_err(|_| PieceCidError::DigestLength {
        version: 1,
        found: digest.len(),
        expected: "32",
    })?;
    check_root(&root)?;
    Ok(root)
}

fn decode_v2_multihash(hash: &Multihash<64>) -> Result<PieceCommitment, PieceCidError> {
    expect_multihash(hash, FR32_SHA256_TRUNC254_PADBINTREE)?;
    let digest = hash.digest();
    let (padding, rest) = read_uvarint(digest).ok_or(PieceCidError::BadPaddingVarint)?;
    let (height, root) = match rest.split_first() {
        Some((&height, root)) if root.len() == NODE_SIZE => (height, root),
        _ => {
            return Err(PieceCidError::DigestLength {
                version: 2,
                found: digest.len(),
                expected: "a padding varint, a height byte and a 32-byte root",
            });
        }
    };
    let root = Node::try_from(root).map_err(|_| PieceCidError::RootNotTruncated)?;
    let padded_size = (height >= MIN_HEIGHT)
        .then(|| PaddedPieceSize::from_log2(u32::from(height).saturating_add(5)))
        .flatten()
        .ok_or(PieceCidError::HeightOutOfRange { height })?;
    let unpadded = padded_size.unpadded().bytes();
    let payload = unpadded
        .checked_sub(padding)
        .ok_or(PieceCidError::PaddingTooLarge { padding, unpadded })?;
    PieceCommitment::new(root, padded_size, payload)
}

fn check_root(root: &Node) -> Result<(), PieceCidError> {
    match root.last() {
        Some(&last) if last & 0xc0 != 0 => Err(PieceCidError::RootNotTruncated),
        _ => Ok(()),
    }
}

fn cid_of(codec: u64, multihash_code: u64, digest: &[u8]) -> Cid {
    // Digests here are at most 42 bytes, below the 64 a `Cid` holds, so wrapping cannot fail;
    // the empty multihash stands in for the impossible case rather than a panic.
    let hash = Multihash::wrap(multihash_code, digest).unwrap_or_default();
    Cid::new_v1(codec, hash)
}

fn write_uvarint(out: &mut Vec<u8>, mut value: u64) {
    while value >= 0x80 {
        out.push((value as u8) | 0x80);
        value >>= 7;
    }
    out.push(value as u8);
}

/// Reads a minimal multiformats unsigned varint (at most 9 bytes) from the front of `bytes`.
fn read_uvarint(bytes: &[u8]) -> Option<(u64, &[u8])> {
    let mut value = 0u64;
    for (i, &byte) in bytes.iter().enumerate().take(MAX_VARINT_BYTES) {
        let shift = u32::try_from(i).ok()?.checked_mul(7)?;
        value |= u64::from(byte & 0x7f).checked_shl(shift)?;
        if byte & 0x80 == 0 {
            // A final zero byte after others means a longer encoding than needed.
            if byte == 0 && i > 0 {
                return None;
            }
            return Some((value, bytes.get(i.checked_add(1)?..)?));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const ZERO_128_V1: &str = "baga6ea4seaqdomn3tgwgrh3g532zopskstnbrd2n3sxfqbze7rxt7vqn7veigmy";
    const ZERO_128_ROOT: &str = "3731bb99ac689f66eef5973e4a94da188f4ddcae580724fc6f3fd60dfd488333";

    fn zero_128() -> PieceCommitment {
        let root = hex::decode(ZERO_128_ROOT).unwrap().try_into().unwrap();
        PieceCommitment::new(root, PaddedPieceSize::MIN, 0).unwrap()
    }

    #[test]
    fn v1_and_v2_encode_as_in_the_spec() {
        let commp = zero_128();
        assert_eq!(commp.piece_cid_v1().to_string(), ZERO_128_V1);
        assert_eq!(
            commp.piece_cid_v2().to_string(),
            "bafkzcibcp4bdomn3tgwgrh3g532zopskstnbrd2n3sxfqbze7rxt7vqn7veigmy"
        );
        assert_eq!(commp.padding(), 127);
        assert_eq!(commp.height(), 2);
    }

    #[test]
    fn decoders_name_what_is_wrong() {
        let v1 = zero_128().piece_cid_v1();
        let v2 = zero_128().piece_cid_v2();
        assert_eq!(
            PieceCommitment::from_cid_v2(&v1),
            Err(PieceCidError::WrongCodec {
                found: FIL_COMMITMENT_UNSEALED,
                expected: RAW
            })
        );
        assert_eq!(
            PieceCommitment::from_cid_v1(&v2, PaddedPieceSize::MIN),
            Err(PieceCidError::WrongCodec {
                found: RAW,
                expected: FIL_COMMITMENT_UNSEALED
            })
        );
        let dag_pb = "QmbFMke1KXqnYyBBWxB74N4c5SBnJMVAiMNRcGu6x1AwQH";
        assert_eq!(parse_piece_cid(dag_pb), Err(PieceCidError::NotCidV1));
        let raw_sha256 = "bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku";
        assert_eq!(
            parse_piece_cid(raw_sha256),
            Err(PieceCidError::WrongMultihash {
                found: 0x12,
                expected: 0x1011
            })
        );
        assert!(matches!(
            parse_piece_cid("not a cid"),
            Err(PieceCidError::Malformed { .. })
        ));
        assert!(matches!(
            parse_piece_cid(&"b".repeat(600)),
            Err(PieceCidError::TooLong { len: 600, .. })
        ));
        assert!("".parse::<PieceCommitment>().is_err());
        let from_text = PieceCommitment::parse_v1(ZERO_128_V1, PaddedPieceSize::MIN).unwrap();
        assert_eq!(
            (from_text.root(), from_text.padding()),
            (zero_128().root(), 0)
        );
        assert_eq!(
            PieceCommitment::parse_v1(&v2.to_string(), PaddedPieceSize::MIN),
            Err(PieceCidError::WrongCodec {
                found: RAW,
                expected: FIL_COMMITMENT_UNSEALED
            })
        );
        assert_eq!(
            ZERO_128_V1.parse::<PieceCommitment>(),
            Err(PieceCidError::WrongCodec {
                found: FIL_COMMITMENT_UNSEALED,
                expected: RAW
            })
        );
    }

    fn v2_with_digest(digest: &[u8]) -> Cid {
        Cid::new_v1(
            RAW,
            Multihash::wrap(FR32_SHA256_TRUNC254_PADBINTREE, digest).unwrap(),
        )
    }

    fn digest(padding: &[u8], height: u8, root: [u8; 32]) -> Vec<u8> {
        [padding, &[height], &root].concat()
    }

    #[test]
    fn v2_digests_are_checked_field_by_field() {
        let root = [7u8; 32];
        let ok = PieceCommitment::from_cid_v2(&v2_with_digest(&digest(&[5], 2, root))).unwrap();
        assert_eq!((ok.payload_size(), ok.padding(), ok.height()), (122, 5, 2));
        let err = |d: Vec<u8>| PieceCommitment::from_cid_v2(&v2_with_digest(&d)).unwrap_err();
        assert_eq!(
            err(digest(&[5], 1, root)),
            PieceCidError::HeightOutOfRange { height: 1 }
        );
        assert_eq!(
            err(digest(&[5], 59, root)),
            PieceCidError::HeightOutOfRange { height: 59 }
        );
        assert_eq!(
            err(digest(&[128, 1], 2, root)),
            PieceCidError::PaddingTooLarge {
                padding: 128,
                unpadded: 127
            }
        );
        assert_eq!(
            err(digest(&[0x85, 0x00], 2, root)),
            PieceCidError::BadPaddingVarint
        );
        assert_eq!(
            err(digest(&[0xff; 10], 2, root)),
            PieceCidError::BadPaddingVarint
        );
        assert_eq!(err(vec![0x80]), PieceCidError::BadPaddingVarint);
        assert!(matches!(
            err(vec![0, 2]),
            PieceCidError::DigestLength { version: 2, .. }
        ));
        assert!(matches!(
            err([digest(&[0], 2, root), vec![0]].concat()),
            PieceCidError::DigestLength { version: 2, .. }
        ));
        let mut high = root;
        high[31] = 0x40;
        assert_eq!(err(digest(&[0], 2, high)), PieceCidError::RootNotTruncated);
        // The largest piece and the largest padding it allows.
        let max = UnpaddedPieceSize::MAX.bytes();
        let mut padding = Vec::new();
        write_uvarint(&mut padding, max);
        let ok = PieceCommitment::from_cid_v2(&v2_with_digest(&digest(&padding, 58, root)));
        assert_eq!(ok.map(|c| (c.padding(), c.payload_size())), Ok((max, 0)));
    }

    #[test]
    fn v1_digest_must_be_a_truncated_32_byte_root() {
        let short = Cid::new_v1(
            FIL_COMMITMENT_UNSEALED,
            Multihash::wrap(SHA2_256_TRUNC254_PADDED, &[0; 31]).unwrap(),
        );
        assert!(matches!(
            decode_cid(&short),
            Err(PieceCidError::DigestLength { version: 1, .. })
        ));
        let wrong_hash = Cid::new_v1(
            FIL_COMMITMENT_UNSEALED,
            Multihash::wrap(0x12, &[0; 32]).unwrap(),
        );
        assert_eq!(
            decode_cid(&wrong_hash),
            Err(PieceCidError::WrongMultihash {
                found: 0x12,
                expected: 0x1012
            })
        );
        assert_eq!(
            PieceCommitment::new([0xff; 32], PaddedPieceSize::MIN, 0),
            Err(PieceCidError::RootNotTruncated)
        );
        assert_eq!(
            PieceCommitment::new([0; 32], PaddedPieceSize::MIN, 128),
            Err(PieceCidError::PaddingTooLarge {
                padding: 1,
                unpadded: 127
            })
        );
    }

    proptest! {
        #[test]
        fn v2_round_trips(root in any::<[u8; 32]>(), log2 in 7u32..=63, payload in any::<u64>()) {
            let mut root = root;
            root[31] &= 0x3f;
            let size = PaddedPieceSize::from_log2(log2).unwrap();
            let payload = payload % (size.unpadded().bytes() + 1);
            let commp = PieceCommitment::new(root, size, payload).unwrap();
            let text = commp.piece_cid_v2().to_string();
            prop_assert!(text.starts_with("bafkzcib"));
            prop_assert_eq!(text.parse::<PieceCommitment>(), Ok(commp));
            prop_assert_eq!(decode_piece_cid(&commp.piece_cid_v2().to_bytes()), Ok(PieceCid::V2(commp)));
            let v1 = commp.piece_cid_v1();
            prop_assert!(v1.to_string().starts_with("baga6ea4seaq"));
            prop_assert_eq!(parse_piece_cid(&v1.to_string()), Ok(PieceCid::V1 { root }));
            let back = PieceCommitment::from_cid_v1(&v1, size).unwrap();
            prop_assert_eq!((back.root(), back.padding()), (&root, 0));
        }

        #[test]
        fn varints_round_trip(value in 0u64..(1 << 63)) {
            let mut out = Vec::new();
            write_uvarint(&mut out, value);
            prop_assert_eq!(read_uvarint(&out), Some((value, &[][..])));
        }

        #[test]
        fn random_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..80)) {
            let _ = decode_piece_cid(&bytes);
            let _ = read_uvarint(&bytes);
        }

        #[test]
        fn random_text_never_panics(
            text in prop_oneof![
                "\\PC{0,120}",
                "b[a-z2-7]{0,100}",
                "f[0-9a-f]{0,120}",
                "z[1-9A-HJ-NP-Za-km-z]{0,80}",
                "Qm[1-9A-HJ-NP-Za-km-z]{44}",
            ],
        ) {
            let _ = parse_piece_cid(&text);
            let _ = text.parse::<PieceCommitment>();
        }

        #[test]
        fn mutated_piece_cid_text_never_panics(
            edits in proptest::collection::vec((0usize..80, "[a-z2-7]"), 1..4),
            cut in 0usize..80,
        ) {
            let mut text: Vec<char> = zero_128().piece_cid_v2().to_string().chars().collect();
            for (at, replacement) in edits {
                if let Some(c) = text.get_mut(at) {
                    *c = replacement.chars().next().unwrap();
                }
            }
            let text: String = text.into_iter().collect();
            let _ = parse_piece_cid(&text);
            let _ = parse_piece_cid(&text[..cut.min(text.len())]);
        }

        #[test]
        fn mutated_piece_cids_never_panic(
            flips in proptest::collection::vec((0usize..48, any::<u8>()), 1..4),
            cut in 0usize..48,
        ) {
            let mut bytes = zero_128().piece_cid_v2().to_bytes();
            for (at, xor) in flips {
                if let Some(b) = bytes.get_mut(at) {
                    *b ^= xor;
                }
            }
            let _ = decode_piece_cid(&bytes);
            bytes.truncate(cut);
            let _ = decode_piece_cid(&bytes);
        }
    }
}

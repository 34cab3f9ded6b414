//! The dag-pb codec (multicodec 0x70): the protobuf envelope of UnixFS.
//!
//! Encoding is canonical (links before data, fields in order). Decoding is strict in the way the
//! [dag-pb spec](https://ipld.io/specs/codecs/dag-pb/spec/) asks: only the known fields with
//! their wire types, each at most once, links before data, links' fields in order, a valid CID in
//! every link. Anything else is rejected with the offset and what was wrong.

use cid::Cid;

use crate::hash::cid_from_bytes;
use crate::varint;

/// Largest dag-pb block we decode (Kubo's and boxo's hard limit for a block is 2 MiB; bitswap
/// refuses larger blocks).
pub const MAX_BLOCK_SIZE: usize = 2 * 1024 * 1024;

/// A link of a dag-pb node.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PbLink {
    /// The linked block.
    pub cid: Cid,
    /// The link name; `None` when absent (distinct from an empty name, which is encoded).
    pub name: Option<String>,
    /// Cumulative size of the linked DAG, as the encoder recorded it.
    pub tsize: Option<u64>,
}

/// A dag-pb node.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PbNode {
    /// Links, in their stored order.
    pub links: Vec<PbLink>,
    /// The opaque data payload (UnixFS puts its protobuf here).
    pub data: Option<Vec<u8>>,
}

/// Why bytes are not a dag-pb node.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
#[error("invalid dag-pb at byte {offset}: {reason}")]
pub struct DecodeError {
    /// Offset into the block where the problem was found.
    pub offset: usize,
    /// What was wrong.
    pub reason: String,
}

const WIRE_VARINT: u64 = 0;
const WIRE_LEN: u64 = 2;

impl PbNode {
    /// Encodes the node canonically.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.encoded_len());
        self.encode_into(&mut out);
        out
    }

    /// Appends the canonical encoding to `out`.
    pub fn encode_into(&self, out: &mut Vec<u8>) {
        for link in &self.links {
            out.push(0x12); // field 2, length-delimited
            varint::encode(link.encoded_len() as u64, out);
            link.encode_into(out);
        }
        if let Some(data) = &self.data {
            out.push(0x0a); // field 1, length-delimited
            varint::encode(data.len() as u64, out);
            out.extend_from_slice(data);
        }
    }

    /// The length of the canonical encoding.
    pub fn encoded_len(&self) -> usize {
        let links: usize = self
            .links
            .iter()
            .map(|l| field_len(l.encoded_len()))
            .fold(0, usize::saturating_add);
        let data = self.data.as_ref().map_or(0, |d| field_len(d.len()));
        links.saturating_add(data)
    }

    /// Decodes a node, strictly.
    pub fn decode(bytes: &[u8]) -> Result<PbNode, DecodeError> {
        let (links, data) = Self::decode_borrowed(bytes)?;
        Ok(PbNode {
            links,
            data: data.map(<[u8]>::to_vec),
        })
    }

    /// Decodes a node, strictly, without copying its data field: the links and a slice of
    /// `bytes` holding the data.
    pub fn decode_borrowed(bytes: &[u8]) -> Result<(Vec<PbLink>, Option<&[u8]>), DecodeError> {
        if bytes.len() > MAX_BLOCK_SIZE {
            return Err(err(
                0,
                format!("block of {} bytes exceeds the 2 MiB limit", bytes.len()),
            ));
        }
        let mut links = Vec::new();
        let mut data: Option<&[u8]> = None;
        let mut r = Reader { bytes, pos: 0 };
        while !r.done() {
            let at = r.pos;
            let (field, wire) = r.key()?;
            match (field, wire) {
                (2, WIRE_LEN) => {
                    if data.is_some() {
                        return Err(err(at, "link after the data field"));
                    }
                    let start = r.pos;
                    let body = r.len_delimited()?;
                    links.push(PbLink::decode(body, start)?);
                }
                (1, WIRE_LEN) => {
                    if data.is_some() {
                        return Err(err(at, "duplicate data field"));
                    }
                    data = Some(r.len_delimited()?);
                }
                (1 | 2, w) => {
                    return Err(err(
                        at,
                        format!("field {field} has wire type {w}, expected 2"),
                    ));
                }
                (f, _) => return Err(err(at, format!("unknown field {f} in PBNode"))),
            }
        }
        Ok((links, data))
    }
}

impl PbLink {
    fn encoded_len(&self) -> usize {
        let mut n = field_len(self.cid.encoded_len());
        if let Some(name) = &self.name {
            n = n.saturating_add(field_len(name.len()));
        }
        if let Some(tsize) = self.tsize {
            n = n.saturating_add(varint::encoded_len(tsize).saturating_add(1));
        }
        n
    }

    fn encode_into(&self, out: &mut Vec<u8>) {
        let cid = self.cid.to_bytes();
        out.push(0x0a);
        varint::encode(cid.len() as u64, out);
        out.extend_from_slice(&cid);
        if let Some(name) = &self.name {
            out.push(0x12);
            varint::encode(name.len() as u64, out);
            out.extend_from_slice(name.as_bytes());
        }
        if let Some(tsize) = self.tsize {
            out.push(0x18);
            varint::encode(tsize, out);
        }
    }

    fn decode(bytes: &[u8], base: usize) -> Result<PbLink, DecodeError> {
        let mut r = Reader { bytes, pos: 0 };
        let mut cid = None;
        let mut name = None;
        let mut tsize = None;
        let mut last_field = 0;
        while !r.done() {
            let at = base.saturating_add(r.pos);
            let (field, wire) = r.key().map_err(|e| rebase(e, base))?;
            if field <= last_field && (1..=3).contains(&field) {
                return Err(err(
                    at,
                    format!("PBLink field {field} is repeated or out of order"),
                ));
            }
            match (field, wire) {
                (1, WIRE_LEN) => {
                    let b = r.len_delimited().map_err(|e| rebase(e, base))?;
                    let c = cid_from_bytes(b).map_err(|e| err(at, format!("link hash: {e}")))?;
                    cid = Some(c);
                }
                (2, WIRE_LEN) => {
                    let b = r.len_delimited().map_err(|e| rebase(e, base))?;
                    let s = std::str::from_utf8(b)
                        .map_err(|_| err(at, "link name is not valid UTF-8"))?;
                    name = Some(s.to_owned());
                }
                (3, WIRE_VARINT) => {
                    let v = r.varint().map_err(|e| rebase(e, base))?;
                    if v > i64::MAX as u64 {
                        return Err(err(at, "link Tsize exceeds 2^63-1"));
                    }
                    tsize = Some(v);
                }
                (1..=3, w) => {
                    return Err(err(
                        at,
                        format!("PBLink field {field} has wrong wire type {w}"),
                    ));
                }
                (f, _) => return Err(err(at, format!("unknown field {f} in PBLink"))),
            }
            last_field = field;
        }
        let cid = cid.ok_or_else(|| err(base, "link without a hash"))?;
        Ok(PbLink { cid, name, tsize })
    }
}

/// Bytes of a length-delimited field with a one-byte key and a `len`-byte body.
pub fn field_len(len: usize) -> usize {
    len.saturating_add(varint::encoded_len(len as u64))
        .saturating_add(1)
}

fn err(offset: usize, reason: impl Into<String>) -> DecodeError {
    DecodeError {
        offset,
        reason: reason.into(),
    }
}

fn rebase(mut e: DecodeError, base: usize) -> DecodeError {
    e.offset = e.offset.saturating_add(base);
    e
}

/// A bounds-checked protobuf reader (also used for bitswap messages by `flowcoin-net`).
/// Errors carry the offset into the bytes it reads.
pub struct Reader<'a> {
    pub(crate) bytes: &'a [u8],
    pub(crate) pos: usize,
}

impl<'a> Reader<'a> {
    /// A reader at the start of `bytes`.
    pub fn new(bytes: &'a [u8]) -> Self {
        Self { bytes, pos: 0 }
    }

    /// The offset of the next byte.
    pub fn pos(&self) -> usize {
        self.pos
    }

    /// Whether every byte has been read.
    pub fn done(&self) -> bool {
        self.pos >= self.bytes.len()
    }

    /// A varint.
    ///
    /// # Errors
    /// Truncated or over 64 bits.
    pub fn varint(&mut self) -> Result<u64, DecodeError> {
        let rest = self.bytes.get(self.pos..).unwrap_or_default();
        let (v, n) = varint::decode(rest).map_err(|e| err(self.pos, e.to_string()))?;
        self.pos = self.pos.saturating_add(n);
        Ok(v)
    }

    /// A field key: (field number, wire type).
    ///
    /// # Errors
    /// A bad varint or field number 0.
    pub fn key(&mut self) -> Result<(u64, u64), DecodeError> {
        let at = self.pos;
        let k = self.varint()?;
        if k >> 3 == 0 {
            return Err(err(at, "field number 0"));
        }
        Ok((k >> 3, k & 7))
    }

    /// A length-delimited field's body.
    ///
    /// # Errors
    /// A bad length, or one running past the end.
    pub fn len_delimited(&mut self) -> Result<&'a [u8], DecodeError> {
        let at = self.pos;
        let len = self.varint()?;
        self.advance(at, len)
    }

    /// Skips the value of a field of wire type `wire` (for decoders that ignore unknown
    /// fields, as protobuf allows; dag-pb refuses them).
    ///
    /// # Errors
    /// A value running past the end, or a group wire type (3, 4), which is not supported.
    pub fn skip(&mut self, wire: u64) -> Result<(), DecodeError> {
        let at = self.pos;
        match wire {
            WIRE_VARINT => self.varint().map(drop),
            1 => self.advance(at, 8).map(drop),
            WIRE_LEN => self.len_delimited().map(drop),
            5 => self.advance(at, 4).map(drop),
            other => Err(err(at, format!("unsupported wire type {other}"))),
        }
    }

    fn advance(&mut self, at: usize, len: u64) -> Result<&'a [u8], DecodeError> {
        let end = usize::try_from(len)
            .ok()
            .and_then(|l| self.pos.checked_add(l))
            .filter(|&e| e <= self.bytes.len())
            .ok_or_else(|| err(at, format!("length {len} runs past the end")))?;
        let out = self.bytes.get(self.pos..end).unwrap_or_default();
        self.pos = end;
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hash::{HashFn, RAW};
    use proptest::prelude::*;

    fn cid(i: u8) -> Cid {
        Cid::new_v1(RAW, HashFn::Sha2_256.digest(&[i]))
    }

    #[test]
    fn empty_directory_encodes_like_kubo() {
        // UnixFS Directory data is `08 01`; the empty directory CIDv0 is famous.
        let node = PbNode {
            links: vec![],
            data: Some(vec![0x08, 0x01]),
        };
        let bytes = node.encode();
        assert_eq!(bytes, [0x0a, 0x02, 0x08, 0x01]);
        let c = Cid::new_v0(HashFn::Sha2_256.digest(&bytes)).unwrap();
        assert_eq!(
            c.to_string(),
            "QmUNLLsPACCz1vLxQVkXqqLX5R1X345qqfHbsf67hvA3Nn"
        );
    }

    #[test]
    fn rejects_non_canonical_and_unknown() {
        let node = PbNode {
            links: vec![PbLink {
                cid: cid(1),
                name: Some("a".into()),
                tsize: Some(3),
            }],
            data: Some(vec![1, 2]),
        };
        let good = node.encode();
        assert_eq!(PbNode::decode(&good).unwrap(), node);
        // Data before links.
        let mut swapped = vec![0x0a, 0x02, 1, 2];
        swapped.extend_from_slice(&good[..good.len() - 4]);
        assert!(
            PbNode::decode(&swapped)
                .unwrap_err()
                .reason
                .contains("after the data")
        );
        // Unknown field 3.
        let e = PbNode::decode(&[0x18, 0x01]).unwrap_err();
        assert!(e.reason.contains("unknown field 3"), "{e}");
        // Truncated length.
        let e = PbNode::decode(&[0x0a, 0x05, 1]).unwrap_err();
        assert_eq!(e.offset, 1);
        // Link without hash.
        let e = PbNode::decode(&[0x12, 0x02, 0x18, 0x01]).unwrap_err();
        assert!(e.reason.contains("without a hash"), "{e}");
        // Link with a bad CID.
        let e = PbNode::decode(&[0x12, 0x03, 0x0a, 0x01, 0x01]).unwrap_err();
        assert!(e.reason.contains("link hash"), "{e}");
        // Duplicate data.
        let e = PbNode::decode(&[0x0a, 0x00, 0x0a, 0x00]).unwrap_err();
        assert!(e.reason.contains("duplicate"), "{e}");
    }

    #[test]
    fn absent_and_empty_names_differ() {
        let a = PbNode {
            links: vec![PbLink {
                cid: cid(1),
                name: None,
                tsize: None,
            }],
            data: None,
        };
        let b = PbNode {
            links: vec![PbLink {
                cid: cid(1),
                name: Some(String::new()),
                tsize: None,
            }],
            data: None,
        };
        assert_ne!(a.encode(), b.encode());
        assert_eq!(PbNode::decode(&a.encode()).unwrap(), a);
        assert_eq!(PbNode::decode(&b.encode()).unwrap(), b);
    }

    fn arb_link() -> impl Strategy<Value = PbLink> {
        (
            any::<u8>(),
            proptest::option::of("[a-zé ]{0,12}"),
            proptest::option::of(0..i64::MAX as u64),
        )
            .prop_map(|(i, name, tsize)| PbLink {
                cid: cid(i),
                name,
                tsize,
            })
    }

    proptest! {
        #[test]
        fn round_trip(links in proptest::collection::vec(arb_link(), 0..8),
                      data in proptest::option::of(proptest::collection::vec(any::<u8>(), 0..64))) {
            let node = PbNode { links, data };
            let bytes = node.encode();
            prop_assert_eq!(bytes.len(), node.encoded_len());
            prop_assert_eq!(PbNode::decode(&bytes).unwrap(), node);
        }

        #[test]
        fn decode_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..256)) {
            let _ = PbNode::decode(&bytes);
        }
    }
}

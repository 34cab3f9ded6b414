//! Bitswap messages (the protobuf of `/ipfs/bitswap/1.2.0`), written and read here.
//!
//! ```text
//! message Message {
//!   message Wantlist {
//!     enum WantType { Block = 0; Have = 1; }
//!     message Entry { bytes block = 1; int32 priority = 2; bool cancel = 3;
//!                     WantType wantType = 4; bool sendDontHave = 5; }
//!     repeated Entry entries = 1; bool full = 2;
//!   }
//!   message Block { bytes prefix = 1; bytes data = 2; }
//!   enum BlockPresenceType { Have = 0; DontHave = 1; }
//!   message BlockPresence { bytes cid = 1; BlockPresenceType type = 2; }
//!   Wantlist wantlist = 1;
//!   repeated bytes blocks = 2;          // bitswap 1.0.0: CIDv0 blocks, data only
//!   repeated Block payload = 3;         // 1.1.0: CID prefix and data
//!   repeated BlockPresence blockPresences = 4;   // 1.2.0
//!   int32 pendingBytes = 5;
//! }
//! ```
//!
//! On the wire each message is preceded by its length as an unsigned varint. Decoding is
//! lenient where protobuf is (unknown fields are skipped, fields may come in any order) and
//! strict about bounds: a message is at most [`MAX_MESSAGE_BYTES`] and its wantlist at most
//! [`MAX_WANTLIST`] entries. A received block is only a prefix and bytes; its CID is what the
//! bytes hash to ([`block_cid`]), so a peer cannot send a block under someone else's CID.

use cid::Cid;
use flowcoin_dag::dagpb::{DecodeError, Reader, field_len};
use flowcoin_dag::hash::HashFn;
use flowcoin_dag::varint;

/// Largest message sent or accepted, length prefix excluded: 4 MiB, the limit Kubo (boxo)
/// and Helia both use.
pub const MAX_MESSAGE_BYTES: usize = 4 << 20;
/// Most wantlist entries in one message.
pub const MAX_WANTLIST: usize = 8192;
/// Most block presences in one message.
pub const MAX_PRESENCES: usize = 16384;

/// What a wantlist entry asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum WantType {
    /// The block itself.
    Block,
    /// Only whether the peer has it.
    Have,
}

/// One wantlist entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WantEntry {
    /// The block.
    pub cid: Cid,
    /// Higher is more urgent.
    pub priority: i32,
    /// Withdraws an earlier want.
    pub cancel: bool,
    /// Block or have.
    pub want_type: WantType,
    /// Answer "don't have" rather than nothing.
    pub send_dont_have: bool,
}

impl WantEntry {
    /// A want for `cid`.
    pub fn want(cid: Cid, want_type: WantType) -> Self {
        Self {
            cid,
            priority: 1,
            cancel: false,
            want_type,
            send_dont_have: true,
        }
    }

    /// A cancel of any want for `cid`.
    pub fn cancel(cid: Cid) -> Self {
        Self {
            cid,
            priority: 0,
            cancel: true,
            want_type: WantType::Block,
            send_dont_have: false,
        }
    }
}

/// Whether a peer has a block.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Presence {
    /// It has it.
    Have,
    /// It does not.
    DontHave,
}

/// A block as it travels: the CID prefix (version, codec, hash function and length) and the
/// bytes. A bitswap 1.0.0 block (no prefix on the wire) gets CIDv0's: dag-pb, SHA2-256.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawBlock {
    /// CID prefix.
    pub prefix: Vec<u8>,
    /// Block bytes.
    pub data: Vec<u8>,
}

/// One bitswap message.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Message {
    /// Wantlist entries.
    pub wants: Vec<WantEntry>,
    /// Whether `wants` replaces the sender's whole wantlist.
    pub full: bool,
    /// Blocks.
    pub blocks: Vec<RawBlock>,
    /// Have / don't-have answers.
    pub presences: Vec<(Cid, Presence)>,
    /// Bytes the sender still has queued for us (informational).
    pub pending_bytes: i32,
}

/// Why a message could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum MessageError {
    /// Malformed protobuf or a field of the wrong kind.
    #[error("malformed bitswap message at byte {offset}: {reason}")]
    Malformed {
        /// Where.
        offset: usize,
        /// What.
        reason: String,
    },
    /// A bound was exceeded.
    #[error("bitswap message too large: {0}")]
    TooLarge(String),
    /// A CID or CID prefix that does not parse.
    #[error("bitswap message has an invalid CID: {0}")]
    Cid(String),
    /// A block hashed with a function this node cannot compute (not the sender's fault; the
    /// block cannot be checked, so it is not used).
    #[error("block hashed with multihash code {0:#x}, which this node cannot verify")]
    UnsupportedHash(u64),
}

impl Message {
    /// True when the message carries nothing.
    pub fn is_empty(&self) -> bool {
        self.wants.is_empty() && !self.full && self.blocks.is_empty() && self.presences.is_empty()
    }

    /// The protobuf encoding (without the length prefix).
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.encoded_len());
        self.encode_into(&mut out);
        out
    }

    /// The protobuf encoding preceded by its varint length, as it goes on a stream.
    pub fn encode_framed(&self) -> Vec<u8> {
        let len = self.encoded_len();
        let mut out = Vec::with_capacity(len.saturating_add(varint::MAX_LEN));
        varint::encode(len as u64, &mut out);
        self.encode_into(&mut out);
        out
    }

    /// The length of [`Message::encode`]'s output.
    pub fn encoded_len(&self) -> usize {
        let mut len = 0usize;
        let wantlist = self.wantlist_len();
        if wantlist > 0 || self.full {
            len = len.saturating_add(field_len(wantlist));
        }
        for b in &self.blocks {
            len = len.saturating_add(field_len(block_len(b)));
        }
        for (cid, p) in &self.presences {
            len = len.saturating_add(field_len(presence_len(cid, *p)));
        }
        if self.pending_bytes != 0 {
            len = len.saturating_add(1 + varint::encoded_len(int32_wire(self.pending_bytes)));
        }
        len
    }

    fn wantlist_len(&self) -> usize {
        let mut len = 0usize;
        for e in &self.wants {
            len = len.saturating_add(field_len(entry_len(e)));
        }
        if self.full {
            len = len.saturating_add(2);
        }
        len
    }

    fn encode_into(&self, out: &mut Vec<u8>) {
        let wantlist = self.wantlist_len();
        if wantlist > 0 || self.full {
            key(out, 1, LEN);
            varint::encode(wantlist as u64, out);
            for e in &self.wants {
                key(out, 1, LEN);
                varint::encode(entry_len(e) as u64, out);
                let cid = e.cid.to_bytes();
                bytes_field(out, 1, &cid);
                if e.priority != 0 {
                    key(out, 2, VARINT);
                    varint::encode(int32_wire(e.priority), out);
                }
                if e.cancel {
                    key(out, 3, VARINT);
                    out.push(1);
                }
                if e.want_type == WantType::Have {
                    key(out, 4, VARINT);
                    out.push(1);
                }
                if e.send_dont_have {
                    key(out, 5, VARINT);
                    out.push(1);
                }
            }
            if self.full {
                key(out, 2, VARINT);
                out.push(1);
            }
        }
        for b in &self.blocks {
            key(out, 3, LEN);
            varint::encode(block_len(b) as u64, out);
            bytes_field(out, 1, &b.prefix);
            bytes_field(out, 2, &b.data);
        }
        for (cid, p) in &self.presences {
            key(out, 4, LEN);
            varint::encode(presence_len(cid, *p) as u64, out);
            bytes_field(out, 1, &cid.to_bytes());
            if *p == Presence::DontHave {
                key(out, 2, VARINT);
                out.push(1);
            }
        }
        if self.pending_bytes != 0 {
            key(out, 5, VARINT);
            varint::encode(int32_wire(self.pending_bytes), out);
        }
    }

    /// Reads a message (without its length prefix).
    ///
    /// # Errors
    /// [`MessageError`] for malformed protobuf, unparsable CIDs, or exceeded bounds.
    pub fn decode(bytes: &[u8]) -> Result<Message, MessageError> {
        if bytes.len() > MAX_MESSAGE_BYTES {
            return Err(MessageError::TooLarge(format!(
                "{} bytes (at most {MAX_MESSAGE_BYTES})",
                bytes.len()
            )));
        }
        let mut m = Message::default();
        let mut r = Reader::new(bytes);
        while !r.done() {
            let (field, wire) = r.key()?;
            match (field, wire) {
                (1, LEN) => {
                    let base = r.pos();
                    let inner = r.len_delimited()?;
                    decode_wantlist(inner, base, &mut m)?;
                }
                (2, LEN) => {
                    let data = r.len_delimited()?.to_vec();
                    m.blocks.push(RawBlock {
                        prefix: CIDV0_PREFIX.to_vec(),
                        data,
                    });
                }
                (3, LEN) => {
                    let base = r.pos();
                    let inner = r.len_delimited()?;
                    m.blocks.push(decode_block(inner, base)?);
                }
                (4, LEN) => {
                    if m.presences.len() >= MAX_PRESENCES {
                        return Err(MessageError::TooLarge(format!(
                            "more than {MAX_PRESENCES} block presences"
                        )));
                    }
                    let base = r.pos();
                    let inner = r.len_delimited()?;
                    m.presences.push(decode_presence(inner, base)?);
                }
                (5, VARINT) => m.pending_bytes = r.varint()? as i32,
                (1..=5, _) => {
                    return Err(malformed(
                        r.pos(),
                        format!("field {field} has wire type {wire}"),
                    ));
                }
                _ => r.skip(wire)?,
            }
        }
        Ok(m)
    }
}

/// The CID a received block has: its prefix with the hash of its bytes.
///
/// # Errors
/// The prefix does not parse, names a hash function this node cannot compute, or a digest
/// length that is not that function's.
pub fn block_cid(block: &RawBlock) -> Result<Cid, MessageError> {
    let mut r = Reader::new(&block.prefix);
    let version = r.varint()?;
    let codec = r.varint()?;
    let code = r.varint()?;
    let len = r.varint()?;
    if !r.done() {
        return Err(MessageError::Cid(
            "trailing bytes after the CID prefix".into(),
        ));
    }
    let f = HashFn::from_code(code).ok_or(MessageError::UnsupportedHash(code))?;
    let mh = f.digest(&block.data);
    if u64::from(mh.size()) != len {
        return Err(MessageError::Cid(format!(
            "{len}-byte digest for multihash code {code:#x}"
        )));
    }
    match version {
        0 if codec == flowcoin_dag::hash::DAG_PB => Cid::new_v0(mh),
        0 => return Err(MessageError::Cid(format!("CIDv0 with codec {codec:#x}"))),
        1 => Ok(Cid::new_v1(codec, mh)),
        v => return Err(MessageError::Cid(format!("CID version {v}"))),
    }
    .map_err(|e| MessageError::Cid(e.to_string()))
}

/// The prefix that goes with `cid` in a block payload.
pub fn prefix_of(cid: &Cid) -> Vec<u8> {
    let mut out = Vec::with_capacity(8);
    varint::encode(cid.version().into(), &mut out);
    varint::encode(cid.codec(), &mut out);
    varint::encode(cid.hash().code(), &mut out);
    varint::encode(cid.hash().size().into(), &mut out);
    out
}

/// The prefix of every CIDv0: version 0, dag-pb, SHA2-256, 32 bytes.
const CIDV0_PREFIX: [u8; 4] = [0, 0x70, 0x12, 0x20];

const VARINT: u64 = 0;
const LEN: u64 = 2;

fn key(out: &mut Vec<u8>, field: u64, wire: u64) {
    varint::encode((field << 3) | wire, out);
}

fn bytes_field(out: &mut Vec<u8>, field: u64, bytes: &[u8]) {
    key(out, field, LEN);
    varint::encode(bytes.len() as u64, out);
    out.extend_from_slice(bytes);
}

/// int32 on the wire: negative values sign-extended to 64 bits, as protobuf does.
fn int32_wire(v: i32) -> u64 {
    i64::from(v) as u64
}

fn entry_len(e: &WantEntry) -> usize {
    let mut len = field_len(e.cid.encoded_len());
    if e.priority != 0 {
        len = len.saturating_add(1 + varint::encoded_len(int32_wire(e.priority)));
    }
    len.saturating_add(
        2 * (usize::from(e.cancel)
            + usize::from(e.want_type == WantType::Have)
            + usize::from(e.send_dont_have)),
    )
}

fn block_len(b: &RawBlock) -> usize {
    field_len(b.prefix.len()).saturating_add(field_len(b.data.len()))
}

fn presence_len(cid: &Cid, p: Presence) -> usize {
    field_len(cid.encoded_len()).saturating_add(if p == Presence::DontHave { 2 } else { 0 })
}

fn decode_wantlist(bytes: &[u8], base: usize, m: &mut Message) -> Result<(), MessageError> {
    let mut r = Reader::new(bytes);
    while !r.done() {
        let (field, wire) = r.key().map_err(|e| rebase(e, base))?;
        match (field, wire) {
            (1, LEN) => {
                if m.wants.len() >= MAX_WANTLIST {
                    return Err(MessageError::TooLarge(format!(
                        "more than {MAX_WANTLIST} wantlist entries"
                    )));
                }
                let at = base.saturating_add(r.pos());
                let inner = r.len_delimited().map_err(|e| rebase(e, base))?;
                m.wants.push(decode_entry(inner, at)?);
            }
            (2, VARINT) => m.full = r.varint().map_err(|e| rebase(e, base))? != 0,
            (1 | 2, _) => {
                return Err(rebase(
                    malformed(
                        r.pos(),
                        format!("wantlist field {field} has wire type {wire}"),
                    ),
                    base,
                ));
            }
            _ => r.skip(wire).map_err(|e| rebase(e, base))?,
        }
    }
    Ok(())
}

fn decode_entry(bytes: &[u8], base: usize) -> Result<WantEntry, MessageError> {
    let mut r = Reader::new(bytes);
    let mut cid = None;
    // Protobuf defaults: priority 0, no cancel, want-block, no don't-have.
    let mut e = WantEntry {
        cid: Cid::default(),
        priority: 0,
        cancel: false,
        want_type: WantType::Block,
        send_dont_have: false,
    };
    while !r.done() {
        let (field, wire) = r.key().map_err(|e| rebase(e, base))?;
        match (field, wire) {
            (1, LEN) => {
                let raw = r.len_delimited().map_err(|e| rebase(e, base))?;
                cid = Some(parse_cid(raw)?);
            }
            (2, VARINT) => e.priority = r.varint().map_err(|e| rebase(e, base))? as i32,
            (3, VARINT) => e.cancel = r.varint().map_err(|e| rebase(e, base))? != 0,
            (4, VARINT) => {
                e.want_type = match r.varint().map_err(|e| rebase(e, base))? {
                    0 => WantType::Block,
                    1 => WantType::Have,
                    other => {
                        return Err(rebase(
                            malformed(r.pos(), format!("unknown want type {other}")),
                            base,
                        ));
                    }
                }
            }
            (5, VARINT) => e.send_dont_have = r.varint().map_err(|e| rebase(e, base))? != 0,
            (1..=5, _) => {
                return Err(rebase(
                    malformed(r.pos(), format!("entry field {field} has wire type {wire}")),
                    base,
                ));
            }
            _ => r.skip(wire).map_err(|e| rebase(e, base))?,
        }
    }
    e.cid = cid.ok_or_else(|| MessageError::Malformed {
        offset: base,
        reason: "wantlist entry without a CID".into(),
    })?;
    Ok(e)
}

fn decode_block(bytes: &[u8], base: usize) -> Result<RawBlock, MessageError> {
    let mut r = Reader::new(bytes);
    let mut prefix = None;
    let mut data = None;
    while !r.done() {
        let (field, wire) = r.key().map_err(|e| rebase(e, base))?;
        match (field, wire) {
            (1, LEN) => prefix = Some(r.len_delimited().map_err(|e| rebase(e, base))?),
            (2, LEN) => data = Some(r.len_delimited().map_err(|e| rebase(e, base))?),
            (1 | 2, _) => {
                return Err(rebase(
                    malformed(r.pos(), format!("block field {field} has wire type {wire}")),
                    base,
                ));
            }
            _ => r.skip(wire).map_err(|e| rebase(e, base))?,
        }
    }
    let prefix = prefix.ok_or_else(|| MessageError::Malformed {
        offset: base,
        reason: "block without a CID prefix".into(),
    })?;
    if prefix.is_empty() {
        // Empty means "CIDv0" only in the 1.0.0 field; here it is an error.
        return Err(MessageError::Malformed {
            offset: base,
            reason: "block with an empty CID prefix".into(),
        });
    }
    Ok(RawBlock {
        prefix: prefix.to_vec(),
        data: data.unwrap_or_default().to_vec(),
    })
}

fn decode_presence(bytes: &[u8], base: usize) -> Result<(Cid, Presence), MessageError> {
    let mut r = Reader::new(bytes);
    let mut cid = None;
    let mut presence = Presence::Have;
    while !r.done() {
        let (field, wire) = r.key().map_err(|e| rebase(e, base))?;
        match (field, wire) {
            (1, LEN) => cid = Some(parse_cid(r.len_delimited().map_err(|e| rebase(e, base))?)?),
            (2, VARINT) => {
                presence = match r.varint().map_err(|e| rebase(e, base))? {
                    0 => Presence::Have,
                    1 => Presence::DontHave,
                    other => {
                        return Err(rebase(
                            malformed(r.pos(), format!("unknown presence type {other}")),
                            base,
                        ));
                    }
                }
            }
            (1 | 2, _) => {
                return Err(rebase(
                    malformed(
                        r.pos(),
                        format!("presence field {field} has wire type {wire}"),
                    ),
                    base,
                ));
            }
            _ => r.skip(wire).map_err(|e| rebase(e, base))?,
        }
    }
    let cid = cid.ok_or_else(|| MessageError::Malformed {
        offset: base,
        reason: "block presence without a CID".into(),
    })?;
    Ok((cid, presence))
}

fn parse_cid(bytes: &[u8]) -> Result<Cid, MessageError> {
    flowcoin_dag::hash::cid_from_bytes(bytes).map_err(|e| MessageError::Cid(e.to_string()))
}

impl From<DecodeError> for MessageError {
    fn from(e: DecodeError) -> Self {
        MessageError::Malformed {
            offset: e.offset,
            reason: e.reason,
        }
    }
}

fn malformed(offset: usize, reason: impl Into<String>) -> MessageError {
    MessageError::Malformed {
        offset,
        reason: reason.into(),
    }
}

/// `e` with its offset moved from a nested field's bytes to the message's.
fn rebase(e: impl Into<MessageError>, base: usize) -> MessageError {
    match e.into() {
        MessageError::Malformed { offset, reason } => MessageError::Malformed {
            offset: offset.saturating_add(base),
            reason,
        },
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn cid(i: u8) -> Cid {
        Cid::new_v1(0x55, HashFn::Sha2_256.digest(&[i]))
    }

    fn sample() -> Message {
        Message {
            wants: vec![
                WantEntry::want(cid(1), WantType::Block),
                WantEntry::want(cid(2), WantType::Have),
                WantEntry {
                    priority: -7,
                    ..WantEntry::cancel(cid(3))
                },
            ],
            full: true,
            blocks: vec![RawBlock {
                prefix: prefix_of(&cid(4)),
                data: vec![4],
            }],
            presences: vec![(cid(5), Presence::Have), (cid(6), Presence::DontHave)],
            pending_bytes: 12345,
        }
    }

    #[test]
    fn round_trip_and_length() {
        let m = sample();
        let bytes = m.encode();
        assert_eq!(bytes.len(), m.encoded_len());
        assert_eq!(Message::decode(&bytes), Ok(m.clone()));
        let framed = m.encode_framed();
        let (len, used) = varint::decode(&framed).unwrap();
        assert_eq!(len as usize, bytes.len());
        assert_eq!(&framed[used..], &bytes[..]);
        assert!(Message::default().is_empty());
        assert_eq!(Message::default().encode(), Vec::<u8>::new());
    }

    /// A message as protobuf writes it for go/js peers: a want-have for a CIDv0 with
    /// sendDontHave, bytes built by hand from the schema.
    #[test]
    fn reads_hand_built_protobuf() {
        let c = Cid::new_v0(HashFn::Sha2_256.digest(b"x")).unwrap();
        let cb = c.to_bytes();
        let mut entry = vec![0x0a, cb.len() as u8];
        entry.extend_from_slice(&cb);
        entry.extend_from_slice(&[0x10, 0x01, 0x20, 0x01, 0x28, 0x01]);
        let mut wantlist = vec![0x0a, entry.len() as u8];
        wantlist.extend_from_slice(&entry);
        let mut msg = vec![0x0a, wantlist.len() as u8];
        msg.extend_from_slice(&wantlist);
        // An unknown field (number 9, varint) is skipped.
        msg.extend_from_slice(&[0x48, 0x05]);
        let m = Message::decode(&msg).unwrap();
        assert_eq!(m.wants, vec![WantEntry::want(c, WantType::Have)]);
        assert!(!m.full);
    }

    #[test]
    fn block_cids_come_from_the_bytes() {
        let data = b"hello".to_vec();
        let v1 = Cid::new_v1(0x55, HashFn::Sha2_256.digest(&data));
        let b = RawBlock {
            prefix: prefix_of(&v1),
            data: data.clone(),
        };
        assert_eq!(block_cid(&b).unwrap(), v1);
        let v0 = Cid::new_v0(HashFn::Sha2_256.digest(&data)).unwrap();
        assert_eq!(prefix_of(&v0), vec![0, 0x70, 0x12, 0x20]);
        let b0 = RawBlock {
            prefix: prefix_of(&v0),
            data: data.clone(),
        };
        assert_eq!(block_cid(&b0).unwrap(), v0);
        // A bitswap 1.0.0 block (field 2: bytes only) is a CIDv0 block.
        let mut legacy = vec![0x12, data.len() as u8];
        legacy.extend_from_slice(&data);
        let m = Message::decode(&legacy).unwrap();
        assert_eq!(block_cid(&m.blocks[0]).unwrap(), v0);
        assert_eq!(Message::decode(&m.encode()), Ok(m));
        let b3 = Cid::new_v1(0x55, HashFn::Blake3.digest(&data));
        assert_eq!(
            block_cid(&RawBlock {
                prefix: prefix_of(&b3),
                data: data.clone()
            })
            .unwrap(),
            b3
        );
        // A hash we cannot compute, a wrong digest length, trailing bytes: refused.
        for prefix in [
            vec![1, 0x55, 0x14, 0x20],
            vec![1, 0x55, 0x12, 0x10],
            vec![1, 0x55, 0x12, 0x20, 0],
            vec![0, 0x55, 0x12, 0x20],
            vec![2, 0x55, 0x12, 0x20],
            vec![1, 0x55],
        ] {
            let e = block_cid(&RawBlock {
                prefix: prefix.clone(),
                data: data.clone(),
            });
            assert!(e.is_err(), "{prefix:?} accepted");
        }
    }

    #[test]
    fn rejects_malformed() {
        // Truncated length, wrong wire type for a known field, a wantlist entry without CID,
        // an unparsable CID, a block without prefix, an unknown want type.
        let cases: Vec<Vec<u8>> = vec![
            vec![0x0a, 0x05, 0x0a],
            vec![0x08, 0x01],
            vec![0x0a, 0x04, 0x0a, 0x02, 0x18, 0x01],
            vec![0x0a, 0x06, 0x0a, 0x04, 0x0a, 0x02, 0xff, 0xff],
            vec![0x1a, 0x03, 0x12, 0x01, 0x00],
            vec![0x22, 0x02, 0x10, 0x05],
        ];
        for bytes in cases {
            assert!(Message::decode(&bytes).is_err(), "{bytes:02x?} accepted");
        }
        let too_big = vec![0u8; MAX_MESSAGE_BYTES + 1];
        assert!(matches!(
            Message::decode(&too_big),
            Err(MessageError::TooLarge(_))
        ));
    }

    #[test]
    fn wantlist_is_bounded() {
        let m = Message {
            wants: (0..=MAX_WANTLIST)
                .map(|i| WantEntry::want(cid((i % 251) as u8), WantType::Block))
                .collect(),
            ..Message::default()
        };
        assert!(matches!(
            Message::decode(&m.encode()),
            Err(MessageError::TooLarge(_))
        ));
    }

    proptest! {
        #[test]
        fn decode_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
            let _ = Message::decode(&bytes);
        }

        #[test]
        fn round_trips(ids in proptest::collection::vec(any::<u8>(), 0..16),
                       prio in any::<i32>(), full in any::<bool>(), pending in any::<i32>()) {
            let m = Message {
                wants: ids.iter().map(|i| WantEntry { priority: prio,
                    ..WantEntry::want(cid(*i), WantType::Block) }).collect(),
                full,
                blocks: ids.iter().map(|i| RawBlock { prefix: prefix_of(&cid(*i)), data: vec![*i; 3] }).collect(),
                presences: ids.iter().map(|i| (cid(*i), Presence::DontHave)).collect(),
                pending_bytes: pending,
            };
            let bytes = m.encode();
            prop_assert_eq!(bytes.len(), m.encoded_len());
            prop_assert_eq!(Message::decode(&bytes), Ok(m));
        }
    }
}

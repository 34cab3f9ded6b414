//! The UnixFS `Data` protobuf carried in a dag-pb node's data field.
//!
//! ```text
//! message Data {
//!   required DataType Type = 1;   // Raw=0 Directory=1 File=2 Metadata=3 Symlink=4 HAMTShard=5
//!   optional bytes Data = 2;
//!   optional uint64 filesize = 3;
//!   repeated uint64 blocksizes = 4;
//!   optional uint64 hashType = 5;
//!   optional uint64 fanout = 6;
//!   optional uint32 mode = 7;
//!   optional UnixTime mtime = 8;
//! }
//! ```
//! Encoding follows Go's proto2 output (fields in number order, `blocksizes` unpacked), which is
//! what makes our CIDs equal Kubo's. Decoding also accepts packed `blocksizes`.

use crate::dagpb::{DecodeError, Reader};
use crate::varint;

/// The kind of a UnixFS node.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum DataType {
    /// Legacy raw data leaf.
    Raw,
    /// A directory whose links are its entries.
    Directory,
    /// A file (leaf with data, or node whose links are chunks).
    File,
    /// Legacy metadata node.
    Metadata,
    /// A symbolic link; `data` holds the target.
    Symlink,
    /// A node of a HAMT-sharded directory.
    HamtShard,
}

impl DataType {
    fn code(self) -> u64 {
        match self {
            DataType::Raw => 0,
            DataType::Directory => 1,
            DataType::File => 2,
            DataType::Metadata => 3,
            DataType::Symlink => 4,
            DataType::HamtShard => 5,
        }
    }

    fn from_code(code: u64) -> Option<Self> {
        Some(match code {
            0 => DataType::Raw,
            1 => DataType::Directory,
            2 => DataType::File,
            3 => DataType::Metadata,
            4 => DataType::Symlink,
            5 => DataType::HamtShard,
            _ => return None,
        })
    }
}

/// Hash function id of UnixFS HAMTs: murmur3-x64-64.
pub const HAMT_HASH_MURMUR3: u64 = 0x22;

/// A decoded (or to-be-encoded) UnixFS `Data` message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnixFsData {
    /// Node kind.
    pub kind: DataType,
    /// Inline bytes: file data, symlink target, or HAMT bitfield.
    pub data: Option<Vec<u8>>,
    /// Total file size under this node.
    pub filesize: Option<u64>,
    /// File bytes under each link, in link order.
    pub blocksizes: Vec<u64>,
    /// HAMT hash function.
    pub hash_type: Option<u64>,
    /// HAMT fanout.
    pub fanout: Option<u64>,
    /// Unix permission bits, if recorded.
    pub mode: Option<u32>,
}

impl UnixFsData {
    /// A message of `kind` with every optional field absent.
    pub fn new(kind: DataType) -> Self {
        UnixFsData {
            kind,
            data: None,
            filesize: None,
            blocksizes: Vec::new(),
            hash_type: None,
            fanout: None,
            mode: None,
        }
    }

    /// Encodes the message as Go's proto2 marshaller does.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.data.as_ref().map_or(0, Vec::len).saturating_add(16));
        out.push(0x08);
        varint::encode(self.kind.code(), &mut out);
        if let Some(d) = &self.data {
            out.push(0x12);
            varint::encode(d.len() as u64, &mut out);
            out.extend_from_slice(d);
        }
        if let Some(s) = self.filesize {
            out.push(0x18);
            varint::encode(s, &mut out);
        }
        for b in &self.blocksizes {
            out.push(0x20);
            varint::encode(*b, &mut out);
        }
        if let Some(h) = self.hash_type {
            out.push(0x28);
            varint::encode(h, &mut out);
        }
        if let Some(f) = self.fanout {
            out.push(0x30);
            varint::encode(f, &mut out);
        }
        if let Some(m) = self.mode {
            out.push(0x38);
            varint::encode(u64::from(m), &mut out);
        }
        out
    }

    /// Decodes a message; unknown fields (such as `mtime`) are skipped.
    pub fn decode(bytes: &[u8]) -> Result<Self, DecodeError> {
        let (mut out, data) = Self::decode_borrowed(bytes)?;
        out.data = data.map(<[u8]>::to_vec);
        Ok(out)
    }

    /// Decodes a message without copying its `Data` field: the message (with `data: None`) and
    /// a slice of `bytes` holding the data.
    pub fn decode_borrowed(bytes: &[u8]) -> Result<(Self, Option<&[u8]>), DecodeError> {
        let mut data = None;
        let mut r = Reader { bytes, pos: 0 };
        let mut kind = None;
        let mut out = UnixFsData::new(DataType::Raw);
        while !r.done() {
            let at = r.pos;
            let (field, wire) = r.key()?;
            match (field, wire) {
                (1, 0) => {
                    let code = r.varint()?;
                    kind = Some(DataType::from_code(code).ok_or_else(|| DecodeError {
                        offset: at,
                        reason: format!("unknown UnixFS type {code}"),
                    })?);
                }
                (2, 2) => data = Some(r.len_delimited()?),
                (3, 0) => out.filesize = Some(r.varint()?),
                (4, 0) => out.blocksizes.push(r.varint()?),
                (4, 2) => {
                    let packed = r.len_delimited()?;
                    let mut inner = Reader {
                        bytes: packed,
                        pos: 0,
                    };
                    while !inner.done() {
                        out.blocksizes.push(inner.varint()?);
                    }
                }
                (5, 0) => out.hash_type = Some(r.varint()?),
                (6, 0) => out.fanout = Some(r.varint()?),
                (7, 0) => out.mode = u32::try_from(r.varint()?).ok(),
                (_, 0) => {
                    r.varint()?;
                }
                (_, 2) => {
                    r.len_delimited()?;
                }
                (f, w) => {
                    return Err(DecodeError {
                        offset: at,
                        reason: format!("UnixFS field {f} has unsupported wire type {w}"),
                    });
                }
            }
        }
        out.kind = kind.ok_or(DecodeError {
            offset: 0,
            reason: "UnixFS data without a Type".into(),
        })?;
        Ok((out, data))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn known_encodings() {
        assert_eq!(UnixFsData::new(DataType::Directory).encode(), [0x08, 0x01]);
        let mut empty_file = UnixFsData::new(DataType::File);
        empty_file.filesize = Some(0);
        assert_eq!(empty_file.encode(), [0x08, 0x02, 0x18, 0x00]);
    }

    #[test]
    fn packed_blocksizes_decode() {
        let bytes = [0x08, 0x02, 0x22, 0x03, 0x01, 0xac, 0x02];
        let d = UnixFsData::decode(&bytes).unwrap();
        assert_eq!(d.blocksizes, [1, 300]);
    }

    #[test]
    fn missing_type_and_bad_type_are_errors() {
        assert!(UnixFsData::decode(&[0x18, 0x00]).is_err());
        assert!(
            UnixFsData::decode(&[0x08, 0x09])
                .unwrap_err()
                .reason
                .contains("unknown UnixFS type")
        );
    }

    proptest! {
        #[test]
        fn round_trip(kind in 0u64..6, data in proptest::option::of(proptest::collection::vec(any::<u8>(), 0..32)),
                      filesize: Option<u64>, blocksizes in proptest::collection::vec(any::<u64>(), 0..5),
                      hash_type: Option<u64>, fanout: Option<u64>, mode: Option<u32>) {
            let d = UnixFsData { kind: DataType::from_code(kind).unwrap(), data, filesize, blocksizes, hash_type, fanout, mode };
            prop_assert_eq!(UnixFsData::decode(&d.encode()).unwrap(), d);
        }

        #[test]
        fn decode_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..128)) {
            let _ = UnixFsData::decode(&bytes);
        }
    }
}

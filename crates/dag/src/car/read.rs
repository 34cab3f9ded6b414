//! Reading CARv1 and CARv2 streams, verifying every block.

use std::io::{BufReader, Read};

use cid::Cid;

use crate::cbor::{self, Value};
use crate::hash::{cid_from_prefix, verify};
use crate::varint;

/// Largest section (CID + block) accepted by default: 8 MiB, four times the largest block IPFS
/// peers exchange.
pub const DEFAULT_MAX_SECTION: u64 = 8 * 1024 * 1024;
/// Largest CARv1 header accepted.
const MAX_HEADER: u64 = 1024 * 1024;
/// The CARv2 pragma: a CARv1-style header `{version: 2}`.
const V2_PRAGMA: [u8; 11] = [
    0x0a, 0xa1, 0x67, b'v', b'e', b'r', b's', b'i', b'o', b'n', 0x02,
];
/// Size of the CARv2 header that follows the pragma.
const V2_HEADER_LEN: u64 = 40;

/// CAR format version.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CarVersion {
    /// CARv1.
    V1,
    /// CARv2 (a CARv1 payload plus an optional index).
    V2,
}

/// A CAR's header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CarHeader {
    /// The format version of the file.
    pub version: CarVersion,
    /// The roots listed in the (inner) CARv1 header.
    pub roots: Vec<Cid>,
    /// For CARv2: offset and size of the CARv1 payload.
    pub data_range: Option<(u64, u64)>,
}

/// Why a CAR was rejected; always carries the byte offset of the problem.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
#[error("invalid CAR at byte {offset}: {reason}")]
pub struct CarError {
    /// Offset in the file where the problem starts.
    pub offset: u64,
    /// What is wrong.
    pub reason: String,
    /// The I/O error, if reading failed.
    #[source]
    pub source: Option<std::io::Error>,
}

fn bad(offset: u64, reason: impl Into<String>) -> CarError {
    CarError {
        offset,
        reason: reason.into(),
        source: None,
    }
}

/// A streaming CAR reader.
#[derive(Debug)]
pub struct CarReader<R: Read> {
    inner: BufReader<R>,
    pos: u64,
    end: Option<u64>,
    header: CarHeader,
    max_section: u64,
}

impl<R: Read> CarReader<R> {
    /// Reads and checks the header.
    pub fn new(inner: R) -> Result<Self, CarError> {
        Self::with_max_section(inner, DEFAULT_MAX_SECTION)
    }

    /// Like [`CarReader::new`] with a different section size limit.
    pub fn with_max_section(inner: R, max_section: u64) -> Result<Self, CarError> {
        let mut r = CarReader {
            inner: BufReader::with_capacity(1 << 20, inner),
            pos: 0,
            end: None,
            header: CarHeader {
                version: CarVersion::V1,
                roots: Vec::new(),
                data_range: None,
            },
            max_section,
        };
        let (version, roots) = r.read_v1_header()?;
        match version {
            1 => r.header.roots = roots,
            2 => r.read_v2()?,
            v => {
                return Err(bad(
                    0,
                    format!("unsupported CAR version {v} (1 and 2 are supported)"),
                ));
            }
        }
        Ok(r)
    }

    /// The header.
    pub fn header(&self) -> &CarHeader {
        &self.header
    }

    /// Bytes consumed so far.
    pub fn position(&self) -> u64 {
        self.pos
    }

    fn read_v2(&mut self) -> Result<(), CarError> {
        let start = self.pos;
        if start != V2_PRAGMA.len() as u64 {
            return Err(bad(0, "CARv2 pragma has unexpected length"));
        }
        let mut h = [0u8; V2_HEADER_LEN as usize];
        self.read_exact(&mut h, "CARv2 header")?;
        let field = |i: usize| {
            let mut b = [0u8; 8];
            for (dst, src) in b.iter_mut().zip(h.iter().skip(i)) {
                *dst = *src;
            }
            u64::from_le_bytes(b)
        };
        let (data_offset, data_size) = (field(16), field(24));
        // The pragma is 11 bytes and the header 40: offsets 11+16 and 11+24 name the fields.
        let min = start.saturating_add(V2_HEADER_LEN);
        if data_offset < min {
            return Err(bad(
                27,
                format!("CARv2 data offset {data_offset} points into the header"),
            ));
        }
        let end = data_offset
            .checked_add(data_size)
            .ok_or_else(|| bad(35, "CARv2 data size overflows"))?;
        self.skip_to(data_offset)?;
        self.end = Some(end);
        let (version, roots) = self.read_v1_header()?;
        if version != 1 {
            return Err(bad(
                data_offset,
                format!("CARv2 payload has version {version}, expected 1"),
            ));
        }
        self.header = CarHeader {
            version: CarVersion::V2,
            roots,
            data_range: Some((data_offset, data_size)),
        };
        Ok(())
    }

    fn skip_to(&mut self, offset: u64) -> Result<(), CarError> {
        let n = offset.saturating_sub(self.pos);
        let copied =
            std::io::copy(&mut (&mut self.inner).take(n), &mut std::io::sink()).map_err(|e| {
                CarError {
                    offset: self.pos,
                    reason: "read failed".into(),
                    source: Some(e),
                }
            })?;
        if copied != n {
            return Err(bad(
                self.pos.saturating_add(copied),
                format!("file ends before the CARv2 data offset {offset}"),
            ));
        }
        self.pos = offset;
        Ok(())
    }

    /// Reads a CARv1-style header; returns (version, roots).
    fn read_v1_header(&mut self) -> Result<(u64, Vec<Cid>), CarError> {
        let at = self.pos;
        let len = self
            .read_varint()?
            .ok_or_else(|| bad(at, "empty file: no CAR header"))?;
        if len == 0 || len > MAX_HEADER {
            return Err(bad(
                at,
                format!("header length {len} is out of range (1..{MAX_HEADER})"),
            ));
        }
        let body_at = self.pos;
        let mut body = vec![0u8; len as usize];
        self.read_exact(&mut body, "header")?;
        if body.as_slice() == V2_PRAGMA.get(1..).unwrap_or_default() {
            return Ok((2, Vec::new()));
        }
        let value = cbor::decode(&body).map_err(|e| {
            bad(
                body_at.saturating_add(e.offset as u64),
                format!("header: {}", e.reason),
            )
        })?;
        let Value::Map(entries) = value else {
            return Err(bad(body_at, "header is not a CBOR map"));
        };
        let mut version = None;
        let mut roots = None;
        for (k, v) in entries {
            match (k, v) {
                (Value::Text(k), Value::Uint(v)) if k == "version" => version = Some(v),
                (Value::Text(k), Value::Array(items)) if k == "roots" => {
                    let mut cids = Vec::with_capacity(items.len());
                    for item in items {
                        match item {
                            Value::Link(c) => cids.push(c),
                            _ => return Err(bad(body_at, "header root is not a CID link")),
                        }
                    }
                    roots = Some(cids);
                }
                (Value::Text(k), _) if k == "version" || k == "roots" => {
                    return Err(bad(
                        body_at,
                        format!("header field {k:?} has the wrong type"),
                    ));
                }
                _ => {}
            }
        }
        let version = version.ok_or_else(|| bad(body_at, "header has no version"))?;
        if version == 1 && roots.is_none() {
            return Err(bad(body_at, "CARv1 header has no roots field"));
        }
        Ok((version, roots.unwrap_or_default()))
    }

    fn read_varint(&mut self) -> Result<Option<u64>, CarError> {
        let at = self.pos;
        match varint::read(&mut self.inner) {
            Ok(Some((v, n))) => {
                self.pos = self.pos.saturating_add(n as u64);
                Ok(Some(v))
            }
            Ok(None) => Ok(None),
            Err(e) => Err(CarError {
                offset: at,
                reason: format!("bad varint: {e}"),
                source: None,
            }),
        }
    }

    fn read_exact(&mut self, buf: &mut [u8], what: &str) -> Result<(), CarError> {
        let at = self.pos;
        let mut got = 0usize;
        while got < buf.len() {
            match self.inner.read(buf.get_mut(got..).unwrap_or_default()) {
                Ok(0) => {
                    return Err(bad(
                        at,
                        format!(
                            "truncated {what}: expected {} bytes, file ends after {got}",
                            buf.len()
                        ),
                    ));
                }
                Ok(n) => got = got.saturating_add(n),
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => {
                    let offset = at.saturating_add(got as u64);
                    return Err(CarError {
                        offset,
                        reason: format!("reading {what} failed"),
                        source: Some(e),
                    });
                }
            }
        }
        self.pos = self.pos.saturating_add(buf.len() as u64);
        Ok(())
    }

    /// The next block, verified against its CID, with the offset of its section; `None` at
    /// the end of the data.
    pub fn next_block(&mut self) -> Result<Option<(Cid, Vec<u8>, u64)>, CarError> {
        let at = self.pos;
        if self.end.is_some_and(|end| at >= end) {
            return Ok(None);
        }
        let Some(len) = self.read_varint()? else {
            if let Some(end) = self.end {
                return Err(bad(
                    at,
                    format!("file ends before the CARv2 data end at byte {end}"),
                ));
            }
            return Ok(None);
        };
        if len == 0 {
            return Err(bad(at, "zero-length section"));
        }
        if len > self.max_section {
            return Err(bad(
                at,
                format!(
                    "section of {len} bytes exceeds the {} byte limit",
                    self.max_section
                ),
            ));
        }
        if let Some(end) = self.end
            && self.pos.saturating_add(len) > end
        {
            return Err(bad(at, "section runs past the end of the CARv2 data"));
        }
        let body_at = self.pos;
        let mut body = vec![0u8; len as usize];
        self.read_exact(&mut body, "block section")
            .map_err(|mut e| {
                e.offset = at;
                e
            })?;
        let (cid, cid_len) =
            cid_from_prefix(&body).map_err(|e| bad(body_at, format!("section CID: {e}")))?;
        body.drain(..cid_len);
        verify(&cid, &body).map_err(|e| bad(at, e.to_string()))?;
        Ok(Some((cid, body, at)))
    }
}

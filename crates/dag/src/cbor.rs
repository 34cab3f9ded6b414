//! A small, strict-enough CBOR reader for what the data layer must understand of DAG-CBOR: CAR
//! headers and the links (tag 42) of blocks. It never panics, bounds nesting, and never
//! allocates more than the input can justify.

use cid::Cid;

use crate::hash::cid_from_bytes;

/// Deepest nesting accepted.
const MAX_DEPTH: usize = 64;

/// A decoded CBOR item (floats and simple values are kept opaque).
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// Major type 0.
    Uint(u64),
    /// Major type 1: the value is −1 − n.
    Neg(u64),
    /// Major type 2.
    Bytes(Vec<u8>),
    /// Major type 3.
    Text(String),
    /// Major type 4.
    Array(Vec<Value>),
    /// Major type 5, in stored order.
    Map(Vec<(Value, Value)>),
    /// Tag 42: an IPLD link.
    Link(Cid),
    /// Any other tag.
    Tag(u64, Box<Value>),
    /// Simple values and floats (true, false, null, numbers).
    Simple(u64),
}

/// Why bytes are not the CBOR we expected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
#[error("invalid CBOR at byte {offset}: {reason}")]
pub struct CborError {
    /// Offset of the problem.
    pub offset: usize,
    /// What is wrong.
    pub reason: String,
}

/// Decodes one CBOR item that must fill `bytes` exactly.
pub fn decode(bytes: &[u8]) -> Result<Value, CborError> {
    let mut p = Parser { bytes, pos: 0 };
    let v = p.item(0)?;
    if p.pos != bytes.len() {
        return Err(p.err("trailing bytes after the CBOR item"));
    }
    Ok(v)
}

/// Every link (tag 42) anywhere in a DAG-CBOR block, in encounter order.
pub fn links(bytes: &[u8]) -> Result<Vec<Cid>, CborError> {
    let v = decode(bytes)?;
    let mut out = Vec::new();
    collect_links(&v, &mut out);
    Ok(out)
}

fn collect_links(v: &Value, out: &mut Vec<Cid>) {
    match v {
        Value::Link(c) => out.push(*c),
        Value::Array(items) => items.iter().for_each(|i| collect_links(i, out)),
        Value::Map(entries) => entries.iter().for_each(|(k, v)| {
            collect_links(k, out);
            collect_links(v, out);
        }),
        Value::Tag(_, inner) => collect_links(inner, out),
        _ => {}
    }
}

/// Appends a CBOR head (major type and argument) in canonical (shortest) form.
pub fn write_head(major: u8, arg: u64, out: &mut Vec<u8>) {
    let m = major << 5;
    match arg {
        0..=23 => out.push(m | arg as u8),
        24..=0xff => out.extend_from_slice(&[m | 24, arg as u8]),
        0x100..=0xffff => {
            out.push(m | 25);
            out.extend_from_slice(&(arg as u16).to_be_bytes());
        }
        0x1_0000..=0xffff_ffff => {
            out.push(m | 26);
            out.extend_from_slice(&(arg as u32).to_be_bytes());
        }
        _ => {
            out.push(m | 27);
            out.extend_from_slice(&arg.to_be_bytes());
        }
    }
}

/// Appends a DAG-CBOR link (tag 42, bytes 0x00 ‖ CID).
pub fn write_link(cid: &Cid, out: &mut Vec<u8>) {
    let bytes = cid.to_bytes();
    write_head(6, 42, out);
    write_head(2, (bytes.len() as u64).saturating_add(1), out);
    out.push(0);
    out.extend_from_slice(&bytes);
}

struct Parser<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl Parser<'_> {
    fn err(&self, reason: impl Into<String>) -> CborError {
        CborError {
            offset: self.pos,
            reason: reason.into(),
        }
    }

    fn byte(&mut self) -> Result<u8, CborError> {
        let b = *self
            .bytes
            .get(self.pos)
            .ok_or_else(|| self.err("unexpected end of input"))?;
        self.pos = self.pos.saturating_add(1);
        Ok(b)
    }

    fn take(&mut self, n: u64) -> Result<&[u8], CborError> {
        let end = usize::try_from(n)
            .ok()
            .and_then(|n| self.pos.checked_add(n))
            .filter(|&e| e <= self.bytes.len())
            .ok_or_else(|| self.err(format!("length {n} runs past the end")))?;
        let s = self.bytes.get(self.pos..end).unwrap_or_default();
        self.pos = end;
        Ok(s)
    }

    fn arg(&mut self, info: u8) -> Result<u64, CborError> {
        let n = match info {
            0..=23 => return Ok(u64::from(info)),
            24 => 1,
            25 => 2,
            26 => 4,
            27 => 8,
            _ => {
                return Err(self.err(format!(
                    "unsupported additional info {info} (indefinite lengths are not DAG-CBOR)"
                )));
            }
        };
        let b = self.take(n)?;
        Ok(b.iter().fold(0u64, |acc, &x| (acc << 8) | u64::from(x)))
    }

    /// A count of items that each take at least one byte cannot exceed the bytes left.
    fn count(&self, n: u64) -> Result<usize, CborError> {
        let left = self.bytes.len().saturating_sub(self.pos);
        usize::try_from(n)
            .ok()
            .filter(|&n| n <= left)
            .ok_or_else(|| self.err(format!("{n} items cannot fit in {left} bytes")))
    }

    fn item(&mut self, depth: usize) -> Result<Value, CborError> {
        if depth > MAX_DEPTH {
            return Err(self.err("nesting deeper than 64"));
        }
        let inner = depth.saturating_add(1);
        let start = self.pos;
        let ib = self.byte()?;
        let (major, info) = (ib >> 5, ib & 0x1f);
        if major == 7 {
            // Simple values and floats: skip their payload.
            let n = match info {
                0..=23 => 0,
                24 => 1,
                25 => 2,
                26 => 4,
                27 => 8,
                _ => return Err(self.err("unsupported simple value")),
            };
            let payload = self.take(n)?;
            let v = payload
                .iter()
                .fold(u64::from(info), |acc, &x| (acc << 8) | u64::from(x));
            return Ok(Value::Simple(v));
        }
        let arg = self.arg(info)?;
        Ok(match major {
            0 => Value::Uint(arg),
            1 => Value::Neg(arg),
            2 => Value::Bytes(self.take(arg)?.to_vec()),
            3 => {
                let s = self.take(arg)?;
                Value::Text(
                    std::str::from_utf8(s)
                        .map_err(|_| CborError {
                            offset: start,
                            reason: "text is not UTF-8".into(),
                        })?
                        .to_owned(),
                )
            }
            4 => {
                let n = self.count(arg)?;
                let mut items = Vec::with_capacity(n);
                for _ in 0..n {
                    items.push(self.item(inner)?);
                }
                Value::Array(items)
            }
            5 => {
                let n = self.count(arg)?;
                let mut entries = Vec::with_capacity(n);
                for _ in 0..n {
                    let k = self.item(inner)?;
                    let v = self.item(inner)?;
                    entries.push((k, v));
                }
                Value::Map(entries)
            }
            6 if arg == 42 => {
                let at = self.pos;
                match self.item(inner)? {
                    Value::Bytes(b) => match b.split_first() {
                        Some((0, cid)) => {
                            Value::Link(cid_from_bytes(cid).map_err(|e| CborError {
                                offset: at,
                                reason: format!("link: {e}"),
                            })?)
                        }
                        _ => {
                            return Err(CborError {
                                offset: at,
                                reason: "link bytes must start with 0x00".into(),
                            });
                        }
                    },
                    _ => {
                        return Err(CborError {
                            offset: at,
                            reason: "tag 42 must wrap a byte string".into(),
                        });
                    }
                }
            }
            6 => Value::Tag(arg, Box::new(self.item(inner)?)),
            _ => return Err(self.err("invalid major type")),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hash::{HashFn, RAW};
    use proptest::prelude::*;

    #[test]
    fn links_are_found_anywhere() {
        let c = Cid::new_v1(RAW, HashFn::Sha2_256.digest(b"x"));
        let mut b = Vec::new();
        write_head(5, 1, &mut b);
        write_head(3, 1, &mut b);
        b.push(b'a');
        write_head(4, 2, &mut b);
        write_link(&c, &mut b);
        write_head(0, 500, &mut b);
        assert_eq!(links(&b).unwrap(), vec![c]);
        b.push(0);
        assert!(decode(&b).unwrap_err().reason.contains("trailing"));
    }

    #[test]
    fn hostile_inputs_are_errors() {
        // Array claiming 2^32 items.
        assert!(decode(&[0x9a, 0xff, 0xff, 0xff, 0xff]).is_err());
        // Deep nesting.
        assert!(decode(&[0x81; 100]).is_err());
        // Indefinite length.
        assert!(decode(&[0x9f, 0xff]).is_err());
        // Tag 42 around text.
        assert!(decode(&[0xd8, 0x2a, 0x61, b'a']).is_err());
    }

    proptest! {
        #[test]
        fn never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
            let _ = decode(&bytes);
        }
    }
}

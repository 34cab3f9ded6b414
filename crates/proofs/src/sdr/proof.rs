//! Vanilla proofs and their binary encoding (format version 1, little-endian).
//!
//! ```text
//! proof      = magic "FLWP" ‖ u8 version (1) ‖ u8 kind (1 seal, 2 winning PoSt, 3 window PoSt) ‖ body
//! seal body  = comm_c[32] ‖ comm_r_last[32] ‖ u16 n ‖ n × challenge
//! challenge  = u64 node ‖ opening(data, TreeD) ‖ opening(replica, TreeR) ‖ column(node)
//!              ‖ u8 p ‖ p × column(parent)            (p = 14: 6 base then 8 expander parents)
//! post body  = u16 s ‖ s × sector ‖ u16 f ‖ f × u64 skipped sector number
//! sector     = u64 sector_number ‖ comm_c[32] ‖ comm_r_last[32] ‖ u16 n ‖ n × opening(replica, TreeR)
//! opening    = u64 index ‖ node[32] ‖ path
//! column     = u64 index ‖ u8 l ‖ l × label[32] ‖ path
//! path       = u8 levels ‖ levels × (u8 position ‖ u8 k ‖ k × sibling[32])
//! ```
//!
//! Every count is bounded (paths ≤ 64 levels of ≤ 15 siblings, ≤ 16 labels, ≤ 4096 challenges
//! or sectors) and trailing bytes are refused, so decoding hostile bytes allocates at most
//! what the input could hold and never panics.

use super::tree_file::PathLevel;
use crate::hasher::{NODE_SIZE, Node};

const MAGIC: &[u8; 4] = b"FLWP";
/// Version of the encoding written by [`SealProof::encode`] and the PoSt proofs.
pub const PROOF_FORMAT_VERSION: u8 = 1;
const KIND_SEAL: u8 = 1;
/// Kind byte of a Winning PoSt proof.
pub const KIND_WINNING_POST: u8 = 2;
/// Kind byte of a Window PoSt proof.
pub const KIND_WINDOW_POST: u8 = 3;
const MAX_LEVELS: usize = 64;
const MAX_SIBLINGS: usize = 15;
const MAX_LABELS: usize = 16;
const MAX_ITEMS: usize = 4096;

/// A leaf of a tree and its inclusion path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Opening {
    /// The leaf index.
    pub index: u64,
    /// The leaf.
    pub node: Node,
    /// The path from the leaf to the root.
    pub path: Vec<PathLevel>,
}

/// A node's column (its label in every layer) and the TreeC path of the column hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ColumnOpening {
    /// The node.
    pub index: u64,
    /// Its label in layers 1..=L.
    pub labels: Vec<Node>,
    /// TreeC path of the column hash.
    pub path: Vec<PathLevel>,
}

/// Everything that proves one challenged node of a sealed sector (filecoin-spec §2.8).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChallengeProof {
    /// The challenged node.
    pub node: u64,
    /// Its data node in TreeD (under CommD).
    pub data: Opening,
    /// Its replica node in TreeR (under CommRLast).
    pub replica: Opening,
    /// Its column in TreeC (under CommC).
    pub column: ColumnOpening,
    /// The columns of its 14 parents, base then expander.
    pub parents: Vec<ColumnOpening>,
}

/// A vanilla proof of replication for one sector.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SealProof {
    /// CommC (with CommRLast it must hash to CommR).
    pub comm_c: Node,
    /// CommRLast.
    pub comm_r_last: Node,
    /// One proof per challenge, in challenge order.
    pub challenges: Vec<ChallengeProof>,
}

/// Why bytes are not a proof.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
#[error("invalid proof encoding at byte {offset}: {reason}")]
pub struct DecodeError {
    /// Where the problem is.
    pub offset: usize,
    /// What is wrong.
    pub reason: String,
}

/// Appends encodings.
#[derive(Debug, Default)]
pub(crate) struct Writer {
    pub(crate) out: Vec<u8>,
}

impl Writer {
    pub(crate) fn header(kind: u8) -> Self {
        let mut w = Writer::default();
        w.out.extend_from_slice(MAGIC);
        w.out.push(PROOF_FORMAT_VERSION);
        w.out.push(kind);
        w
    }
    pub(crate) fn u8(&mut self, v: u8) {
        self.out.push(v);
    }
    pub(crate) fn u16(&mut self, v: usize) {
        self.out
            .extend_from_slice(&u16::try_from(v).unwrap_or(u16::MAX).to_le_bytes());
    }
    pub(crate) fn u64(&mut self, v: u64) {
        self.out.extend_from_slice(&v.to_le_bytes());
    }
    pub(crate) fn node(&mut self, n: &Node) {
        self.out.extend_from_slice(n);
    }
    pub(crate) fn path(&mut self, path: &[PathLevel]) {
        self.u8(u8::try_from(path.len()).unwrap_or(u8::MAX));
        for level in path {
            self.u8(level.position);
            self.u8(u8::try_from(level.siblings.len()).unwrap_or(u8::MAX));
            level.siblings.iter().for_each(|s| self.node(s));
        }
    }
    pub(crate) fn opening(&mut self, o: &Opening) {
        self.u64(o.index);
        self.node(&o.node);
        self.path(&o.path);
    }
    fn column(&mut self, c: &ColumnOpening) {
        self.u64(c.index);
        self.u8(u8::try_from(c.labels.len()).unwrap_or(u8::MAX));
        c.labels.iter().for_each(|l| self.node(l));
        self.path(&c.path);
    }
}

/// Reads encodings, bounds-checked.
pub(crate) struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    pub(crate) fn header(bytes: &'a [u8], kind: u8) -> Result<Self, DecodeError> {
        let mut r = Reader { bytes, pos: 0 };
        if r.take(4)? != MAGIC {
            return Err(r.err_at(0, "not a Flowcoin proof (bad magic)"));
        }
        let version = r.u8()?;
        if version != PROOF_FORMAT_VERSION {
            return Err(r.err_at(4, format!("proof format version {version} is not supported (this node reads {PROOF_FORMAT_VERSION})")));
        }
        let got = r.u8()?;
        if got != kind {
            return Err(r.err_at(5, format!("proof kind {got}, expected {kind}")));
        }
        Ok(r)
    }
    fn err_at(&self, offset: usize, reason: impl Into<String>) -> DecodeError {
        DecodeError {
            offset,
            reason: reason.into(),
        }
    }
    fn take(&mut self, n: usize) -> Result<&'a [u8], DecodeError> {
        let end = self.pos.checked_add(n).filter(|&e| e <= self.bytes.len());
        let Some(end) = end else {
            return Err(self.err_at(self.pos, format!("truncated: {n} more bytes needed")));
        };
        let s = self.bytes.get(self.pos..end).unwrap_or_default();
        self.pos = end;
        Ok(s)
    }
    pub(crate) fn u8(&mut self) -> Result<u8, DecodeError> {
        Ok(self.take(1)?.first().copied().unwrap_or(0))
    }
    pub(crate) fn u16(&mut self) -> Result<usize, DecodeError> {
        let b = self.take(2)?;
        Ok(usize::from(u16::from_le_bytes([
            b.first().copied().unwrap_or(0),
            b.get(1).copied().unwrap_or(0),
        ])))
    }
    pub(crate) fn u64(&mut self) -> Result<u64, DecodeError> {
        let mut a = [0u8; 8];
        a.copy_from_slice(self.take(8)?);
        Ok(u64::from_le_bytes(a))
    }
    pub(crate) fn node(&mut self) -> Result<Node, DecodeError> {
        let mut a = [0u8; NODE_SIZE];
        a.copy_from_slice(self.take(NODE_SIZE)?);
        Ok(a)
    }
    pub(crate) fn count(&mut self, max: usize, what: &str) -> Result<usize, DecodeError> {
        let at = self.pos;
        let n = self.u16()?;
        if n > max {
            return Err(self.err_at(at, format!("{n} {what} exceed the limit of {max}")));
        }
        Ok(n)
    }
    pub(crate) fn path(&mut self) -> Result<Vec<PathLevel>, DecodeError> {
        let at = self.pos;
        let levels = usize::from(self.u8()?);
        if levels > MAX_LEVELS {
            return Err(self.err_at(at, format!("path of {levels} levels exceeds {MAX_LEVELS}")));
        }
        let mut path = Vec::with_capacity(levels);
        for _ in 0..levels {
            let position = self.u8()?;
            let at = self.pos;
            let k = usize::from(self.u8()?);
            if k > MAX_SIBLINGS {
                return Err(self.err_at(at, format!("{k} siblings exceed {MAX_SIBLINGS}")));
            }
            let mut siblings = Vec::with_capacity(k);
            for _ in 0..k {
                siblings.push(self.node()?);
            }
            path.push(PathLevel { position, siblings });
        }
        Ok(path)
    }
    pub(crate) fn opening(&mut self) -> Result<Opening, DecodeError> {
        Ok(Opening {
            index: self.u64()?,
            node: self.node()?,
            path: self.path()?,
        })
    }
    fn column(&mut self) -> Result<ColumnOpening, DecodeError> {
        let index = self.u64()?;
        let at = self.pos;
        let l = usize::from(self.u8()?);
        if l > MAX_LABELS {
            return Err(self.err_at(at, format!("{l} labels exceed {MAX_LABELS}")));
        }
        let mut labels = Vec::with_capacity(l);
        for _ in 0..l {
            labels.push(self.node()?);
        }
        Ok(ColumnOpening {
            index,
            labels,
            path: self.path()?,
        })
    }
    pub(crate) fn finish(&self) -> Result<(), DecodeError> {
        if self.pos != self.bytes.len() {
            return Err(self.err_at(
                self.pos,
                format!(
                    "{} trailing bytes",
                    self.bytes.len().saturating_sub(self.pos)
                ),
            ));
        }
        Ok(())
    }
}

impl SealProof {
    /// The binary encoding.
    pub fn encode(&self) -> Vec<u8> {
        let mut w = Writer::header(KIND_SEAL);
        w.node(&self.comm_c);
        w.node(&self.comm_r_last);
        w.u16(self.challenges.len());
        for c in &self.challenges {
            w.u64(c.node);
            w.opening(&c.data);
            w.opening(&c.replica);
            w.column(&c.column);
            w.u8(u8::try_from(c.parents.len()).unwrap_or(u8::MAX));
            c.parents.iter().for_each(|p| w.column(p));
        }
        w.out
    }

    /// Decodes a proof; never panics on any input.
    pub fn decode(bytes: &[u8]) -> Result<SealProof, DecodeError> {
        let mut r = Reader::header(bytes, KIND_SEAL)?;
        let comm_c = r.node()?;
        let comm_r_last = r.node()?;
        let n = r.count(MAX_ITEMS, "challenges")?;
        let mut challenges = Vec::with_capacity(n);
        for _ in 0..n {
            let node = r.u64()?;
            let data = r.opening()?;
            let replica = r.opening()?;
            let column = r.column()?;
            let p = usize::from(r.u8()?);
            let mut parents = Vec::with_capacity(p.min(super::label::DEGREE));
            for _ in 0..p {
                parents.push(r.column()?);
            }
            challenges.push(ChallengeProof {
                node,
                data,
                replica,
                column,
                parents,
            });
        }
        r.finish()?;
        Ok(SealProof {
            comm_c,
            comm_r_last,
            challenges,
        })
    }
}

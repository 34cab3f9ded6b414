//! Writing CARv1: header, sections, and DAG export in depth-first pre-order.

use std::collections::HashSet;
use std::io::Write;

use cid::Cid;

use crate::cbor::{write_head, write_link};
use crate::links::links;
use crate::store::{Blockstore, StoreError};
use crate::varint;

/// The CARv1 header for `roots`: `varint(len) ‖ {roots: [...], version: 1}` in canonical
/// DAG-CBOR (keys sorted by length, so `roots` before `version`).
pub fn header_bytes(roots: &[Cid]) -> Vec<u8> {
    let mut cbor = Vec::new();
    write_head(5, 2, &mut cbor);
    write_head(3, 5, &mut cbor);
    cbor.extend_from_slice(b"roots");
    write_head(4, roots.len() as u64, &mut cbor);
    for r in roots {
        write_link(r, &mut cbor);
    }
    write_head(3, 7, &mut cbor);
    cbor.extend_from_slice(b"version");
    write_head(0, 1, &mut cbor);
    let mut out = Vec::with_capacity(cbor.len().saturating_add(varint::MAX_LEN));
    varint::encode(cbor.len() as u64, &mut out);
    out.extend_from_slice(&cbor);
    out
}

/// Streams a CARv1 to a writer.
#[derive(Debug)]
pub struct CarWriter<W: Write> {
    out: W,
    bytes: u64,
    blocks: u64,
}

impl<W: Write> CarWriter<W> {
    /// Writes the header and returns a writer ready for blocks.
    pub fn new(mut out: W, roots: &[Cid]) -> std::io::Result<Self> {
        let header = header_bytes(roots);
        out.write_all(&header)?;
        Ok(CarWriter {
            out,
            bytes: header.len() as u64,
            blocks: 0,
        })
    }

    /// The size of the section `write_block` would write for this block.
    pub fn section_len(cid: &Cid, data_len: usize) -> u64 {
        let body = cid.encoded_len().saturating_add(data_len) as u64;
        body.saturating_add(varint::encoded_len(body) as u64)
    }

    /// Appends one block section.
    pub fn write_block(&mut self, cid: &Cid, data: &[u8]) -> std::io::Result<()> {
        let cid_bytes = cid.to_bytes();
        let body = cid_bytes.len().saturating_add(data.len()) as u64;
        let mut head = Vec::with_capacity(varint::MAX_LEN.saturating_add(cid_bytes.len()));
        varint::encode(body, &mut head);
        head.extend_from_slice(&cid_bytes);
        self.out.write_all(&head)?;
        self.out.write_all(data)?;
        self.bytes = self
            .bytes
            .saturating_add(head.len() as u64)
            .saturating_add(data.len() as u64);
        self.blocks = self.blocks.saturating_add(1);
        Ok(())
    }

    /// Bytes written so far, header included.
    pub fn bytes_written(&self) -> u64 {
        self.bytes
    }

    /// Blocks written so far.
    pub fn blocks_written(&self) -> u64 {
        self.blocks
    }

    /// Flushes and returns the inner writer.
    pub fn finish(mut self) -> std::io::Result<W> {
        self.out.flush()?;
        Ok(self.out)
    }
}

/// What an export wrote.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExportStats {
    /// Blocks written.
    pub blocks: u64,
    /// Bytes written, header included.
    pub bytes: u64,
}

/// Why an export failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ExportCarError {
    /// A block is missing or the store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A block's links could not be decoded.
    #[error(transparent)]
    Links(#[from] crate::links::LinksError),
    /// Writing failed.
    #[error("writing the CAR failed: {0}")]
    Io(#[from] std::io::Error),
}

/// What [`walk_dag`] calls for each block, in order.
pub type Visit<'a> = dyn FnMut(&Cid, &[u8]) -> Result<(), ExportCarError> + 'a;

/// Walks the DAG under `root` in depth-first pre-order (links in order, each block once, as
/// `ipfs dag export` does) and calls `visit` for each block.
pub fn walk_dag<B: Blockstore + ?Sized>(
    store: &B,
    root: &Cid,
    visit: &mut Visit<'_>,
) -> Result<(), ExportCarError> {
    let mut seen = HashSet::new();
    // Marking on pop gives exactly the recursive pre-order with a seen set.
    let mut stack = vec![*root];
    while let Some(cid) = stack.pop() {
        if !seen.insert(cid) {
            continue;
        }
        let data = store.get_required(&cid)?;
        visit(&cid, &data)?;
        let children = links(&cid, &data)?;
        stack.extend(children.into_iter().rev().filter(|c| !seen.contains(c)));
    }
    Ok(())
}

/// Writes the DAG under `root` as a CARv1 with that single root.
pub fn export_car<B: Blockstore + ?Sized, W: Write>(
    store: &B,
    root: &Cid,
    out: W,
) -> Result<ExportStats, ExportCarError> {
    let mut w = CarWriter::new(out, &[*root])?;
    walk_dag(store, root, &mut |cid, data| Ok(w.write_block(cid, data)?))?;
    let stats = ExportStats {
        blocks: w.blocks_written(),
        bytes: w.bytes_written(),
    };
    w.finish()?;
    Ok(stats)
}

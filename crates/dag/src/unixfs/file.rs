//! Files: fixed-size chunks under a balanced tree of dag-pb nodes, exactly as Kubo's balanced
//! layout (boxo `importer/balanced`) builds them.
//!
//! The tree is built in one streaming pass with one pending list of links per level. A level that
//! reaches `max_links` entries is wrapped into a node one level up at once; at the end the pending
//! levels are wrapped bottom-up, and the first level that holds a single entry with nothing above
//! it is the root. This yields Kubo's shape: a one-chunk file is its leaf; otherwise every node but
//! the rightmost on each level is full, and the root's depth is the smallest that fits.
//!
//! The work runs as a three-stage pipeline over batches of chunks: while the calling thread
//! stores the leaves of batch k and reads batch k+2, the leaves of batch k+1 are hashed on every
//! core (rayon). CID computation therefore runs at the speed of SHA-256 on all cores, and a
//! dag-pb leaf is never copied: it is hashed and stored as (header, chunk, trailer).

use std::io::Read;

use cid::Cid;
use rayon::prelude::*;

use super::data::{DataType, UnixFsData};
use super::{Entry, EntryKind, ImportError, ImportOptions, pb_cid_of, put_pb};
use crate::dagpb::{PbLink, PbNode};
use crate::hash::RAW;
use crate::store::BlockSink;
use crate::varint;

/// Bytes read per batch of leaves hashed in parallel. Three batches are in flight.
const BATCH_BYTES: usize = 4 * 1024 * 1024;

/// A child of a file node: what the parent's link and blocksizes entry need.
#[derive(Debug, Clone, Copy)]
struct Child {
    cid: Cid,
    /// Cumulative DAG size (the link's Tsize).
    tsize: u64,
    /// File bytes under the child (the parent's blocksizes entry).
    filesize: u64,
}

/// Imports one file's bytes as a UnixFS DAG and returns its root.
///
/// `progress` is called with the number of bytes consumed since the previous call.
pub fn import_reader<R: Read, S: BlockSink + ?Sized>(
    mut reader: R,
    opts: &ImportOptions,
    sink: &mut S,
    progress: &mut dyn FnMut(u64),
) -> Result<Entry, ImportError> {
    opts.validate()?;
    let chunk = opts.chunk_size;
    let per_batch = BATCH_BYTES.checked_div(chunk).unwrap_or(1).max(1);
    let mut tree = Tree {
        opts,
        levels: Vec::new(),
    };
    let mut current = Batch::new(per_batch, chunk);
    current.fill(&mut reader)?;
    if current.count == 0 {
        // Empty file: one empty leaf, as Kubo writes it.
        let leaf = make_leaf(opts, &[]);
        let parts = leaf.parts(&[]);
        sink.put_parts(&leaf.cid, &parts, Some(&[]))?;
        return Ok(entry(leaf.child()));
    }
    let mut next = Batch::new(per_batch, chunk);
    let mut hashed: Option<(Batch, Vec<Leaf>)> = None;
    loop {
        // Hash `current` on the pool while this thread stores the previous batch and reads the
        // next one.
        let to_hash = (current.count > 0).then_some(&current);
        let (stored, leaves) = std::thread::scope(|scope| {
            let hasher = to_hash.map(|b| scope.spawn(move || b.leaves(opts)));
            let mut stored = Ok(());
            if let Some((batch, leaves)) = hashed.take() {
                stored = store_leaves(&batch, &leaves, sink, &mut tree, progress);
                next.recycle(batch);
            }
            if stored.is_ok() && !current.eof {
                stored = next.fill(&mut reader);
            } else {
                next.clear();
            }
            let leaves = hasher.map(|h| h.join());
            (stored, leaves)
        });
        stored?;
        let Some(leaves) = leaves else { break };
        let leaves = leaves.map_err(|_| ImportError::Io {
            path: "input".into(),
            source: std::io::Error::other("the hashing thread panicked"),
        })?;
        let batch = std::mem::replace(&mut current, std::mem::take(&mut next));
        hashed = Some((batch, leaves));
    }
    let root = tree.finish(sink)?;
    Ok(entry(root))
}

fn store_leaves<S: BlockSink + ?Sized>(
    batch: &Batch,
    leaves: &[Leaf],
    sink: &mut S,
    tree: &mut Tree<'_>,
    progress: &mut dyn FnMut(u64),
) -> Result<(), ImportError> {
    for leaf in leaves {
        let chunk = batch.bufs.get(leaf.index).map_or(&[][..], Vec::as_slice);
        sink.put_parts(&leaf.cid, &leaf.parts(chunk), Some(&[]))?;
        progress(leaf.filesize);
        tree.push(leaf.child(), sink)?;
    }
    Ok(())
}

fn entry(c: Child) -> Entry {
    Entry {
        cid: c.cid,
        tsize: c.tsize,
        size: c.filesize,
        kind: EntryKind::File,
    }
}

/// A batch of chunks read from the source; its buffers are reused from batch to batch.
#[derive(Default)]
struct Batch {
    bufs: Vec<Vec<u8>>,
    count: usize,
    eof: bool,
}

impl Batch {
    fn new(chunks: usize, chunk_size: usize) -> Self {
        Batch {
            bufs: (0..chunks)
                .map(|_| Vec::with_capacity(chunk_size))
                .collect(),
            count: 0,
            eof: false,
        }
    }

    /// Takes over the buffers of a batch that has been stored.
    fn recycle(&mut self, other: Batch) {
        if self.bufs.is_empty() {
            self.bufs = other.bufs;
        }
        self.clear();
    }

    fn clear(&mut self) {
        self.count = 0;
        self.eof = true;
    }

    /// Reads up to a batch of full chunks; the last chunk of the file may be short.
    fn fill<R: Read>(&mut self, reader: &mut R) -> Result<(), ImportError> {
        self.count = 0;
        self.eof = false;
        for buf in &mut self.bufs {
            let cap = buf.capacity();
            buf.clear();
            let n = reader
                .by_ref()
                .take(cap as u64)
                .read_to_end(buf)
                .map_err(|source| ImportError::Io {
                    path: "input".into(),
                    source,
                })?;
            if n == 0 {
                self.eof = true;
                return Ok(());
            }
            self.count = self.count.saturating_add(1);
            if n < cap {
                self.eof = true;
                return Ok(());
            }
        }
        Ok(())
    }

    fn leaves(&self, opts: &ImportOptions) -> Vec<Leaf> {
        let chunks: Vec<&[u8]> = self
            .bufs
            .iter()
            .take(self.count)
            .map(Vec::as_slice)
            .collect();
        chunks
            .par_iter()
            .enumerate()
            .map(|(i, c)| Leaf {
                index: i,
                ..make_leaf(opts, c)
            })
            .collect()
    }
}

/// A hashed leaf. Raw leaves are their chunk; dag-pb leaves are `head ‖ chunk ‖ tail`.
struct Leaf {
    cid: Cid,
    index: usize,
    head: Vec<u8>,
    tail: Vec<u8>,
    filesize: u64,
}

impl Leaf {
    fn child(&self) -> Child {
        let framing = self.head.len().saturating_add(self.tail.len()) as u64;
        Child {
            cid: self.cid,
            tsize: self.filesize.saturating_add(framing),
            filesize: self.filesize,
        }
    }

    fn parts<'a>(&'a self, chunk: &'a [u8]) -> [&'a [u8]; 3] {
        [&self.head, chunk, &self.tail]
    }
}

fn make_leaf(opts: &ImportOptions, chunk: &[u8]) -> Leaf {
    let filesize = chunk.len() as u64;
    let (head, tail) = if opts.raw_leaves {
        (Vec::new(), Vec::new())
    } else {
        leaf_framing(chunk.len())
    };
    let digest = opts.hash.digest_parts(&[&head, chunk, &tail]);
    let cid = if opts.raw_leaves {
        Cid::new_v1(RAW, digest)
    } else {
        pb_cid_of(opts, digest)
    };
    Leaf {
        cid,
        index: 0,
        head,
        tail,
        filesize,
    }
}

/// The bytes around the chunk of a dag-pb UnixFS File leaf
/// `PBNode{Data: Data{Type: File, Data: chunk, filesize: n}}`: (header, trailer).
fn leaf_framing(n: usize) -> (Vec<u8>, Vec<u8>) {
    let len = n as u64;
    // Type (2 bytes) and filesize (key + varint), plus Data (key + varint + bytes) if any.
    let filesize_field = varint::encoded_len(len).saturating_add(3);
    let data_field = if n == 0 {
        0
    } else {
        n.saturating_add(varint::encoded_len(len)).saturating_add(1)
    };
    let unixfs_len = filesize_field.saturating_add(data_field);
    let mut head = Vec::with_capacity(16);
    head.push(0x0a);
    varint::encode(unixfs_len as u64, &mut head);
    head.extend_from_slice(&[0x08, 0x02]);
    if n > 0 {
        head.push(0x12);
        varint::encode(len, &mut head);
    }
    let mut tail = Vec::with_capacity(11);
    tail.push(0x18);
    varint::encode(len, &mut tail);
    (head, tail)
}

/// Pending links per level of the balanced tree.
struct Tree<'o> {
    opts: &'o ImportOptions,
    levels: Vec<Vec<Child>>,
}

impl Tree<'_> {
    /// Adds a child at level 0, wrapping every level that fills up into a node one level up.
    fn push<S: BlockSink + ?Sized>(
        &mut self,
        child: Child,
        sink: &mut S,
    ) -> Result<(), ImportError> {
        let mut carry = Some(child);
        let mut level = 0usize;
        while let Some(c) = carry.take() {
            if self.levels.len() <= level {
                self.levels.push(Vec::new());
            }
            let Some(pending) = self.levels.get_mut(level) else {
                break;
            };
            pending.push(c);
            if pending.len() >= self.opts.max_links {
                let children = std::mem::take(pending);
                carry = Some(self.node(&children, sink)?);
                level = level.saturating_add(1);
            }
        }
        Ok(())
    }

    /// Wraps the pending levels bottom-up; the first single entry with nothing above is the root.
    fn finish<S: BlockSink + ?Sized>(mut self, sink: &mut S) -> Result<Child, ImportError> {
        let mut level = 0usize;
        loop {
            let top = self.levels.iter().rposition(|l| !l.is_empty()).unwrap_or(0);
            let pending = self
                .levels
                .get_mut(level)
                .map(std::mem::take)
                .unwrap_or_default();
            if level >= top
                && let [root] = pending.as_slice()
            {
                return Ok(*root);
            }
            if level >= self.levels.len() {
                // Unreachable for a non-empty file; an internal invariant, not an input error.
                return Err(ImportError::Io {
                    path: "input".into(),
                    source: std::io::Error::other("file tree has no root"),
                });
            }
            if !pending.is_empty() {
                let node = self.node(&pending, sink)?;
                let up = level.saturating_add(1);
                if self.levels.len() <= up {
                    self.levels.push(Vec::new());
                }
                if let Some(l) = self.levels.get_mut(up) {
                    l.push(node);
                }
            }
            level = level.saturating_add(1);
        }
    }

    /// Builds and stores an internal file node over `children`.
    fn node<S: BlockSink + ?Sized>(
        &self,
        children: &[Child],
        sink: &mut S,
    ) -> Result<Child, ImportError> {
        let filesize = children
            .iter()
            .map(|c| c.filesize)
            .fold(0u64, u64::saturating_add);
        let mut data = UnixFsData::new(DataType::File);
        data.filesize = Some(filesize);
        data.blocksizes = children.iter().map(|c| c.filesize).collect();
        let node = PbNode {
            links: children
                .iter()
                .map(|c| PbLink {
                    cid: c.cid,
                    name: Some(String::new()),
                    tsize: Some(c.tsize),
                })
                .collect(),
            data: Some(data.encode()),
        };
        let bytes = node.encode();
        let cid = put_pb(self.opts, sink, &bytes)?;
        let tsize = children
            .iter()
            .map(|c| c.tsize)
            .fold(bytes.len() as u64, u64::saturating_add);
        Ok(Child {
            cid,
            tsize,
            filesize,
        })
    }
}

//! Files: fixed-size chunks under a balanced tree of dag-pb nodes, exactly as Kubo's balanced
//! layout (boxo `importer/balanced`) builds them.
//!
//! The tree is built in one streaming pass with one pending list of links per level. A level that
//! reaches `max_links` entries is wrapped into a node one level up at once; at the end the pending
//! levels are wrapped bottom-up, and the first level that holds a single entry with nothing above
//! it is the root. This yields Kubo's shape: a one-chunk file is its leaf; otherwise every node but
//! the rightmost on each level is full, and the root's depth is the smallest that fits.
//!
//! Chunks are read and hashed on every core by the pipeline in [`super::pipeline`] while the
//! calling thread stores the leaves in order and builds the tree, so CID computation runs at the
//! speed of SHA-256 on all cores. A dag-pb leaf is never copied: it is hashed and stored as
//! (header, chunk, trailer).

use std::io::Read;

use cid::Cid;

use super::data::{DataType, UnixFsData};
use super::pipeline::{self, Source, read_chunk};
use super::{Entry, EntryKind, ImportError, ImportOptions, pb_cid_of, put_pb};
use crate::dagpb::{PbLink, PbNode};
use crate::hash::RAW;
use crate::store::BlockSink;
use crate::varint;

/// A child of a file node: what the parent's link and blocksizes entry need.
#[derive(Debug, Clone, Copy)]
struct Child {
    cid: Cid,
    /// Cumulative DAG size (the link's Tsize).
    tsize: u64,
    /// File bytes under the child (the parent's blocksizes entry).
    filesize: u64,
}

/// Imports one file's bytes, read from a stream, as a UnixFS DAG and returns its root.
///
/// `progress` is called with the number of bytes consumed since the previous call. For files
/// on disk [`import_file`] is faster: it reads chunks in parallel.
pub fn import_reader<R: Read, S: BlockSink + ?Sized>(
    mut reader: R,
    opts: &ImportOptions,
    sink: &mut S,
    progress: &mut dyn FnMut(u64),
) -> Result<Entry, ImportError> {
    opts.validate()?;
    let chunk = opts.chunk_size;
    let mut first = Vec::with_capacity(chunk);
    let n = read_chunk(&mut reader, &mut first, chunk)?;
    if n < chunk {
        // The whole file is one chunk (or empty): no pipeline needed.
        return single_leaf(&first, opts, sink, progress);
    }
    let source = Source::Stream {
        reader: (&first[..]).chain(reader),
        eof: false,
    };
    import(source, opts, sink, progress)
}

/// Imports an open file as a UnixFS DAG and returns its root. Chunks are read with positional
/// reads by the threads that hash them, so each chunk is hashed while it is still in cache.
/// The file must not change during the import; if it shrinks, the import fails.
pub fn import_file<S: BlockSink + ?Sized>(
    file: &std::fs::File,
    opts: &ImportOptions,
    sink: &mut S,
    progress: &mut dyn FnMut(u64),
) -> Result<Entry, ImportError> {
    opts.validate()?;
    let io = |source| ImportError::Io {
        path: "input".into(),
        source,
    };
    let len = file.metadata().map_err(io)?.len();
    if len <= opts.chunk_size as u64 {
        let mut data = Vec::with_capacity(len as usize);
        let n = read_chunk(&mut &*file, &mut data, opts.chunk_size)?;
        if n as u64 != len {
            return Err(io(std::io::Error::other(
                "the file changed size while it was being imported",
            )));
        }
        return single_leaf(&data, opts, sink, progress);
    }
    let source: Source<'_, std::io::Empty> = Source::File { file, len, pos: 0 };
    import(source, opts, sink, progress)
}

/// A file of at most one chunk is its leaf.
fn single_leaf<S: BlockSink + ?Sized>(
    data: &[u8],
    opts: &ImportOptions,
    sink: &mut S,
    progress: &mut dyn FnMut(u64),
) -> Result<Entry, ImportError> {
    let leaf = make_leaf(opts, data);
    sink.put_parts(&leaf.cid, &leaf.parts(data), Some(&[]))?;
    progress(leaf.filesize);
    Ok(entry(leaf.child()))
}

fn import<R: Read, S: BlockSink + ?Sized>(
    source: Source<'_, R>,
    opts: &ImportOptions,
    sink: &mut S,
    progress: &mut dyn FnMut(u64),
) -> Result<Entry, ImportError> {
    let mut tree = Tree {
        opts,
        levels: Vec::new(),
    };
    pipeline::run(source, opts, &mut |leaf, chunk| {
        sink.put_parts(&leaf.cid, &leaf.parts(chunk), Some(&[]))?;
        progress(leaf.filesize);
        tree.push(leaf.child(), sink)
    })?;
    let root = tree.finish(sink)?;
    Ok(entry(root))
}

fn entry(c: Child) -> Entry {
    Entry {
        cid: c.cid,
        tsize: c.tsize,
        size: c.filesize,
        kind: EntryKind::File,
    }
}

/// A hashed leaf. Raw leaves are their chunk; dag-pb leaves are `head ‖ chunk ‖ tail`.
pub(crate) struct Leaf {
    pub(crate) cid: Cid,
    head: Vec<u8>,
    tail: Vec<u8>,
    pub(crate) filesize: u64,
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

pub(crate) fn make_leaf(opts: &ImportOptions, chunk: &[u8]) -> Leaf {
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

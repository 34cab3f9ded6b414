//! Reading UnixFS DAGs back: path resolution (including HAMT directories), byte ranges of
//! files, directory listings, and writing trees to disk.
//!
//! Blocks come from a [`Blockstore`] and are treated as untrusted: every decode is checked,
//! sizes are cross-checked, depth is bounded, and names that could escape the output
//! directory are refused.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use cid::Cid;

use super::data::{DataType, UnixFsData};
use super::hamt::{bit_is_set, slot_of};
use crate::dagpb::{PbLink, PbNode};
use crate::hash::{DAG_PB, RAW};
use crate::store::{Blockstore, StoreError};

/// Deepest DAG we follow (a balanced file of 2-link nodes over 1-byte chunks of 1 TiB is 40 deep).
const MAX_DEPTH: usize = 128;

/// Why reading a DAG failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ExportError {
    /// The store failed or lacks a block.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A path component does not exist.
    #[error("no entry {name:?} in directory {dir}")]
    NoSuchEntry {
        /// The directory searched.
        dir: Cid,
        /// The missing name.
        name: String,
    },
    /// A path goes through something that is not a directory.
    #[error("{cid} is not a directory, so it has no entry {name:?}")]
    NotADirectory {
        /// The node reached.
        cid: Cid,
        /// The component that could not be resolved.
        name: String,
    },
    /// A file operation on something that is not a file.
    #[error("{cid} is a {kind}, not a file")]
    NotAFile {
        /// The node.
        cid: Cid,
        /// What it is.
        kind: NodeKind,
    },
    /// A block is not valid UnixFS.
    #[error("{cid} is not valid UnixFS: {reason}")]
    Invalid {
        /// The block.
        cid: Cid,
        /// What is wrong.
        reason: String,
    },
    /// A codec we cannot read as UnixFS.
    #[error("{cid} has codec {codec:#x}; only dag-pb and raw blocks can be read as files")]
    UnsupportedCodec {
        /// The block.
        cid: Cid,
        /// Its codec.
        codec: u64,
    },
    /// The DAG is deeper than we follow.
    #[error("DAG under {0} is deeper than {MAX_DEPTH} levels")]
    TooDeep(Cid),
    /// A directory entry name would escape the output directory.
    #[error("refusing to write entry {name:?} of directory {dir}: not a plain file name")]
    UnsafeName {
        /// The directory.
        dir: Cid,
        /// The name.
        name: String,
    },
    /// Writing output failed.
    #[error("cannot write {path}: {source}")]
    Io {
        /// Where.
        path: String,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// The output path exists already.
    #[error("{0} exists already (choose another output path or remove it)")]
    OutputExists(String),
    /// The requested range starts past the end of the file.
    #[error("offset {offset} is past the end of the file ({size} bytes)")]
    OffsetPastEnd {
        /// Requested offset.
        offset: u64,
        /// File size.
        size: u64,
    },
}

/// What a UnixFS node is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NodeKind {
    /// A file (dag-pb File/Raw node or raw block).
    File,
    /// A basic directory.
    Directory,
    /// A HAMT-sharded directory.
    ShardedDirectory,
    /// A symbolic link.
    Symlink,
}

impl std::fmt::Display for NodeKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            NodeKind::File => "file",
            NodeKind::Directory => "directory",
            NodeKind::ShardedDirectory => "sharded directory",
            NodeKind::Symlink => "symlink",
        })
    }
}

/// Facts about a node.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stat {
    /// The node.
    pub cid: Cid,
    /// What it is.
    pub kind: NodeKind,
    /// File size in bytes (0 for directories; target length for symlinks).
    pub size: u64,
}

/// A decoded UnixFS node.
enum Node {
    Raw(Vec<u8>),
    Pb {
        links: Vec<PbLink>,
        /// The UnixFS message; for files its inline bytes are left in `block` (see `inline`).
        data: UnixFsData,
        /// The whole block, and where a file node's inline bytes are in it (not copied out).
        block: Vec<u8>,
        inline: Option<(usize, usize)>,
    },
}

/// Reads UnixFS DAGs out of a blockstore.
#[derive(Debug)]
pub struct Exporter<B> {
    store: B,
}

impl<B: Blockstore> Exporter<B> {
    /// An exporter reading from `store`.
    pub fn new(store: B) -> Self {
        Exporter { store }
    }

    fn load(&self, cid: &Cid) -> Result<Node, ExportError> {
        let bytes = self.store.get_required(cid)?;
        match cid.codec() {
            RAW => Ok(Node::Raw(bytes)),
            DAG_PB => {
                let (links, pb_data) =
                    PbNode::decode_borrowed(&bytes).map_err(|e| invalid(cid, e.to_string()))?;
                let pb_data =
                    pb_data.ok_or_else(|| invalid(cid, "dag-pb node without UnixFS data"))?;
                let (mut data, payload) = UnixFsData::decode_borrowed(pb_data)
                    .map_err(|e| invalid(cid, e.to_string()))?;
                let mut inline = None;
                if let Some(payload) = payload {
                    if matches!(data.kind, DataType::File | DataType::Raw) {
                        // File bytes stay in the block: locate them instead of copying them.
                        let start =
                            (payload.as_ptr() as usize).saturating_sub(bytes.as_ptr() as usize);
                        inline = Some((start, start.saturating_add(payload.len())));
                    } else {
                        data.data = Some(payload.to_vec());
                    }
                }
                Ok(Node::Pb {
                    links,
                    data,
                    block: bytes,
                    inline,
                })
            }
            codec => Err(ExportError::UnsupportedCodec { cid: *cid, codec }),
        }
    }

    /// Resolves `path` (components separated by `/`) below `root`.
    pub fn resolve(&self, root: &Cid, path: &str) -> Result<Cid, ExportError> {
        let mut cid = *root;
        for name in path.split('/').filter(|c| !c.is_empty()) {
            cid = self.lookup(&cid, name)?;
        }
        Ok(cid)
    }

    /// Resolves `CID[/path]` text.
    pub fn resolve_str(&self, text: &str) -> Result<Cid, ExportError> {
        let text = text.strip_prefix("/ipfs/").unwrap_or(text);
        let (root, path) = text.split_once('/').unwrap_or((text, ""));
        let root: Cid = root.parse().map_err(|e| ExportError::Invalid {
            cid: Cid::default(),
            reason: format!("{root:?} is not a valid CID: {e}"),
        })?;
        self.resolve(&root, path)
    }

    fn lookup(&self, dir: &Cid, name: &str) -> Result<Cid, ExportError> {
        match self.load(dir)? {
            Node::Pb { links, data, .. } if data.kind == DataType::Directory => links
                .iter()
                .find(|l| l.name.as_deref() == Some(name))
                .map(|l| l.cid)
                .ok_or_else(|| ExportError::NoSuchEntry {
                    dir: *dir,
                    name: name.to_owned(),
                }),
            Node::Pb { links, data, .. } if data.kind == DataType::HamtShard => {
                self.hamt_lookup(*dir, dir, links, &data, name, 0)
            }
            _ => Err(ExportError::NotADirectory {
                cid: *dir,
                name: name.to_owned(),
            }),
        }
    }

    fn hamt_lookup(
        &self,
        root: Cid,
        shard: &Cid,
        links: Vec<PbLink>,
        data: &UnixFsData,
        name: &str,
        depth: usize,
    ) -> Result<Cid, ExportError> {
        check_shard(shard, data)?;
        let missing = || ExportError::NoSuchEntry {
            dir: root,
            name: name.to_owned(),
        };
        let slot = slot_of(name, depth).ok_or_else(missing)?;
        if !bit_is_set(data.data.as_deref().unwrap_or_default(), slot) {
            return Err(missing());
        }
        let prefix = format!("{slot:02X}");
        for link in links {
            let Some(link_name) = link.name.as_deref() else {
                continue;
            };
            let Some(rest) = link_name.strip_prefix(prefix.as_str()) else {
                continue;
            };
            if rest == name {
                return Ok(link.cid);
            }
            if rest.is_empty() {
                let depth = depth.saturating_add(1);
                if depth >= 8 {
                    return Err(ExportError::TooDeep(root));
                }
                match self.load(&link.cid)? {
                    Node::Pb { links, data, .. } if data.kind == DataType::HamtShard => {
                        return self.hamt_lookup(root, &link.cid, links, &data, name, depth);
                    }
                    _ => return Err(invalid(&link.cid, "HAMT slot link is not a shard")),
                }
            }
        }
        Err(missing())
    }

    /// What the node at `cid` is, and its size.
    pub fn stat(&self, cid: &Cid) -> Result<Stat, ExportError> {
        let (kind, size) = match self.load(cid)? {
            Node::Raw(b) => (NodeKind::File, b.len() as u64),
            Node::Pb { data, inline, .. } => match data.kind {
                DataType::File | DataType::Raw => {
                    let inline_len = inline.map_or(0, |(s, e)| e.saturating_sub(s) as u64);
                    (NodeKind::File, file_size(&data, inline_len))
                }
                DataType::Directory => (NodeKind::Directory, 0),
                DataType::HamtShard => (NodeKind::ShardedDirectory, 0),
                DataType::Symlink => (
                    NodeKind::Symlink,
                    data.data.as_ref().map_or(0, |d| d.len() as u64),
                ),
                DataType::Metadata => {
                    return Err(invalid(cid, "UnixFS metadata nodes are not supported"));
                }
            },
        };
        Ok(Stat {
            cid: *cid,
            kind,
            size,
        })
    }

    /// Writes `length` bytes (all if `None`) of the file at `cid`, from `offset`, to `out`.
    /// Returns the number of bytes written.
    pub fn read_file(
        &self,
        cid: &Cid,
        offset: u64,
        length: Option<u64>,
        out: &mut dyn Write,
    ) -> Result<u64, ExportError> {
        let stat = self.stat(cid)?;
        if stat.kind != NodeKind::File {
            return Err(ExportError::NotAFile {
                cid: *cid,
                kind: stat.kind,
            });
        }
        if offset > stat.size {
            return Err(ExportError::OffsetPastEnd {
                offset,
                size: stat.size,
            });
        }
        let available = stat.size.saturating_sub(offset);
        let want = length.map_or(available, |l| l.min(available));
        let mut range = Range {
            skip: offset,
            left: want,
            written: 0,
        };
        self.read_node(cid, &mut range, out, 0)?;
        if range.left != 0 {
            return Err(invalid(
                cid,
                format!(
                    "file is {} bytes shorter than its recorded size",
                    range.left
                ),
            ));
        }
        Ok(range.written)
    }

    fn read_node(
        &self,
        cid: &Cid,
        range: &mut Range,
        out: &mut dyn Write,
        depth: usize,
    ) -> Result<(), ExportError> {
        if depth > MAX_DEPTH {
            return Err(ExportError::TooDeep(*cid));
        }
        match self.load(cid)? {
            Node::Raw(bytes) => range.emit(&bytes, out),
            Node::Pb {
                links,
                data,
                block,
                inline,
            } => {
                if !matches!(data.kind, DataType::File | DataType::Raw) {
                    return Err(invalid(
                        cid,
                        format!("file contains a {:?} node", data.kind),
                    ));
                }
                if let Some((start, end)) = inline {
                    range.emit(block.get(start..end).unwrap_or_default(), out)?;
                }
                if links.is_empty() {
                    return Ok(());
                }
                if data.blocksizes.len() != links.len() {
                    return Err(invalid(
                        cid,
                        format!(
                            "{} links but {} blocksizes",
                            links.len(),
                            data.blocksizes.len()
                        ),
                    ));
                }
                for (link, &size) in links.iter().zip(&data.blocksizes) {
                    if range.left == 0 {
                        break;
                    }
                    if range.skip >= size {
                        range.skip = range.skip.saturating_sub(size);
                        continue;
                    }
                    self.read_node(&link.cid, range, out, depth.saturating_add(1))?;
                }
                Ok(())
            }
        }
    }

    /// The entries of the directory at `cid` (basic or sharded), as (name, cid, tsize), in
    /// name order for basic directories and hash order for sharded ones.
    pub fn list(&self, cid: &Cid) -> Result<Vec<(String, Cid, u64)>, ExportError> {
        let mut out = Vec::new();
        match self.load(cid)? {
            Node::Pb { links, data, .. } if data.kind == DataType::Directory => {
                for l in links {
                    let name = l
                        .name
                        .ok_or_else(|| invalid(cid, "directory link without a name"))?;
                    out.push((name, l.cid, l.tsize.unwrap_or(0)));
                }
            }
            Node::Pb { links, data, .. } if data.kind == DataType::HamtShard => {
                self.list_shard(cid, links, &data, &mut out, 0)?;
            }
            _ => {
                return Err(ExportError::NotADirectory {
                    cid: *cid,
                    name: String::new(),
                });
            }
        }
        Ok(out)
    }

    fn list_shard(
        &self,
        cid: &Cid,
        links: Vec<PbLink>,
        data: &UnixFsData,
        out: &mut Vec<(String, Cid, u64)>,
        depth: usize,
    ) -> Result<(), ExportError> {
        check_shard(cid, data)?;
        if depth >= 8 {
            return Err(ExportError::TooDeep(*cid));
        }
        for link in links {
            let name = link
                .name
                .ok_or_else(|| invalid(cid, "HAMT link without a name"))?;
            let entry = name
                .get(2..)
                .ok_or_else(|| invalid(cid, format!("HAMT link name {name:?} too short")))?;
            if entry.is_empty() {
                match self.load(&link.cid)? {
                    Node::Pb { links, data, .. } if data.kind == DataType::HamtShard => {
                        self.list_shard(&link.cid, links, &data, out, depth.saturating_add(1))?;
                    }
                    _ => return Err(invalid(&link.cid, "HAMT slot link is not a shard")),
                }
            } else {
                out.push((entry.to_owned(), link.cid, link.tsize.unwrap_or(0)));
            }
        }
        Ok(())
    }

    /// Writes the file, directory tree or symlink at `cid` to `out`, which must not exist.
    /// The tree is written under `out` with a `.partial` suffix and renamed when complete.
    pub fn get(&self, cid: &Cid, out: &Path) -> Result<(), ExportError> {
        if fs::symlink_metadata(out).is_ok() {
            return Err(ExportError::OutputExists(out.display().to_string()));
        }
        let mut partial = out.as_os_str().to_owned();
        partial.push(".partial");
        let partial = PathBuf::from(partial);
        if fs::symlink_metadata(&partial).is_ok() {
            remove_any(&partial)?;
        }
        self.write_tree(cid, &partial, 0)?;
        fs::rename(&partial, out).map_err(|e| io_err(out, e))
    }

    fn write_tree(&self, cid: &Cid, dest: &Path, depth: usize) -> Result<(), ExportError> {
        if depth > MAX_DEPTH {
            return Err(ExportError::TooDeep(*cid));
        }
        let stat = self.stat(cid)?;
        match stat.kind {
            NodeKind::File => {
                let file = fs::OpenOptions::new()
                    .write(true)
                    .create_new(true)
                    .open(dest)
                    .map_err(|e| io_err(dest, e))?;
                let mut w = std::io::BufWriter::with_capacity(1 << 20, file);
                self.read_file(cid, 0, None, &mut w)?;
                let file = w.into_inner().map_err(|e| io_err(dest, e.into_error()))?;
                file.sync_all().map_err(|e| io_err(dest, e))?;
            }
            NodeKind::Symlink => {
                let Node::Pb { data, .. } = self.load(cid)? else {
                    return Err(invalid(cid, "symlink is not dag-pb"));
                };
                let target = String::from_utf8(data.data.unwrap_or_default())
                    .map_err(|_| invalid(cid, "symlink target is not UTF-8"))?;
                std::os::unix::fs::symlink(&target, dest).map_err(|e| io_err(dest, e))?;
            }
            NodeKind::Directory | NodeKind::ShardedDirectory => {
                fs::create_dir(dest).map_err(|e| io_err(dest, e))?;
                for (name, child, _) in self.list(cid)? {
                    if name.is_empty() || name == "." || name == ".." || name.contains(['/', '\0'])
                    {
                        return Err(ExportError::UnsafeName { dir: *cid, name });
                    }
                    self.write_tree(&child, &dest.join(&name), depth.saturating_add(1))?;
                }
            }
        }
        Ok(())
    }
}

fn check_shard(cid: &Cid, data: &UnixFsData) -> Result<(), ExportError> {
    if data.fanout != Some(256) || data.hash_type != Some(super::data::HAMT_HASH_MURMUR3) {
        return Err(invalid(
            cid,
            format!(
                "unsupported HAMT (fanout {:?}, hash {:?}; only 256 and murmur3 are read)",
                data.fanout, data.hash_type
            ),
        ));
    }
    Ok(())
}

fn file_size(data: &UnixFsData, inline_len: u64) -> u64 {
    data.filesize.unwrap_or_else(|| {
        data.blocksizes
            .iter()
            .fold(inline_len, |a, b| a.saturating_add(*b))
    })
}

/// The part of a file still to be written.
struct Range {
    skip: u64,
    left: u64,
    written: u64,
}

impl Range {
    fn emit(&mut self, bytes: &[u8], out: &mut dyn Write) -> Result<(), ExportError> {
        let len = bytes.len() as u64;
        if self.skip >= len {
            self.skip = self.skip.saturating_sub(len);
            return Ok(());
        }
        let start = usize::try_from(self.skip).unwrap_or(usize::MAX);
        let take =
            usize::try_from(self.left.min(len.saturating_sub(self.skip))).unwrap_or(usize::MAX);
        let slice = bytes
            .get(start..start.saturating_add(take))
            .unwrap_or_default();
        out.write_all(slice).map_err(|e| ExportError::Io {
            path: "output".into(),
            source: e,
        })?;
        self.skip = 0;
        self.left = self.left.saturating_sub(slice.len() as u64);
        self.written = self.written.saturating_add(slice.len() as u64);
        Ok(())
    }
}

fn invalid(cid: &Cid, reason: impl Into<String>) -> ExportError {
    ExportError::Invalid {
        cid: *cid,
        reason: reason.into(),
    }
}

fn io_err(path: &Path, source: std::io::Error) -> ExportError {
    ExportError::Io {
        path: path.display().to_string(),
        source,
    }
}

fn remove_any(path: &Path) -> Result<(), ExportError> {
    let meta = fs::symlink_metadata(path).map_err(|e| io_err(path, e))?;
    if meta.is_dir() {
        fs::remove_dir_all(path)
    } else {
        fs::remove_file(path)
    }
    .map_err(|e| io_err(path, e))
}

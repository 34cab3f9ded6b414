//! Directories: one dag-pb node with links sorted by name, or a HAMT above Kubo's threshold.

use cid::Cid;

use super::data::{DataType, UnixFsData};
use super::{Entry, EntryKind, ImportError, ImportOptions, hamt, put_pb};
use crate::dagpb::{PbLink, PbNode};
use crate::store::BlockSink;

/// One entry of a directory being built.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct DirEntry {
    pub(crate) name: String,
    pub(crate) cid: Cid,
    pub(crate) tsize: u64,
    pub(crate) size: u64,
}

/// Collects a directory's entries and writes its node(s).
#[derive(Debug)]
pub struct DirectoryBuilder {
    path: String,
    entries: Vec<DirEntry>,
}

impl DirectoryBuilder {
    /// A builder for the directory at `path` (used in error messages only).
    pub fn new(path: impl Into<String>) -> Self {
        DirectoryBuilder {
            path: path.into(),
            entries: Vec::new(),
        }
    }

    /// Adds an entry named `name` pointing at an imported root.
    pub fn add(&mut self, name: impl Into<String>, entry: &Entry) {
        self.entries.push(DirEntry {
            name: name.into(),
            cid: entry.cid,
            tsize: entry.tsize,
            size: entry.size,
        });
    }

    /// Number of entries added.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether no entry was added.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Kubo's size estimate of the directory block: Σ (len(name) + len(cid bytes)).
    fn estimated_size(&self) -> usize {
        self.entries
            .iter()
            .map(|e| e.name.len().saturating_add(e.cid.encoded_len()))
            .fold(0, usize::saturating_add)
    }

    /// Writes the directory's blocks to `sink` and returns its root.
    pub fn finish<S: BlockSink + ?Sized>(
        mut self,
        opts: &ImportOptions,
        sink: &mut S,
    ) -> Result<Entry, ImportError> {
        // dag-pb orders links by name bytes; a stable sort keeps duplicates detectable.
        self.entries
            .sort_by(|a, b| a.name.as_bytes().cmp(b.name.as_bytes()));
        if let Some(w) = self
            .entries
            .windows(2)
            .find(|w| w.first().map(|e| &e.name) == w.get(1).map(|e| &e.name))
        {
            let name = w.first().map(|e| e.name.clone()).unwrap_or_default();
            return Err(ImportError::DuplicateName {
                path: self.path,
                name,
            });
        }
        let size = self
            .entries
            .iter()
            .map(|e| e.size)
            .fold(0u64, u64::saturating_add);
        let (cid, tsize) = if self.estimated_size() >= opts.hamt_threshold {
            hamt::build(&self.path, &self.entries, opts, sink)?
        } else {
            let node = PbNode {
                links: self
                    .entries
                    .iter()
                    .map(|e| PbLink {
                        cid: e.cid,
                        name: Some(e.name.clone()),
                        tsize: Some(e.tsize),
                    })
                    .collect(),
                data: Some(UnixFsData::new(DataType::Directory).encode()),
            };
            let bytes = node.encode();
            let cid = put_pb(opts, sink, &bytes)?;
            let children = self
                .entries
                .iter()
                .map(|e| e.tsize)
                .fold(0u64, u64::saturating_add);
            (cid, children.saturating_add(bytes.len() as u64))
        };
        Ok(Entry {
            cid,
            tsize,
            size,
            kind: EntryKind::Directory,
        })
    }
}

/// Writes a symlink node pointing at `target`.
pub(crate) fn symlink<S: BlockSink + ?Sized>(
    target: &str,
    opts: &ImportOptions,
    sink: &mut S,
) -> Result<Entry, ImportError> {
    let mut data = UnixFsData::new(DataType::Symlink);
    data.data = Some(target.as_bytes().to_vec());
    let bytes = PbNode {
        links: Vec::new(),
        data: Some(data.encode()),
    }
    .encode();
    let cid = put_pb(opts, sink, &bytes)?;
    Ok(Entry {
        cid,
        tsize: bytes.len() as u64,
        size: 0,
        kind: EntryKind::Symlink,
    })
}

//! UnixFS: files and directories as dag-pb DAGs, built exactly as Kubo builds them, and read
//! back.
//!
//! - [`import_reader`] and [`import_path`] build DAGs (balanced file layout, fixed-size chunks,
//!   sorted directories, HAMT sharding above Kubo's threshold) and hand every block to a
//!   [`BlockSink`](crate::store::BlockSink).
//! - [`Exporter`] resolves paths, reads byte ranges and writes trees back to disk.

mod data;
mod dir;
mod exporter;
mod file;
mod hamt;
mod murmur3;
mod options;
mod path;
mod pipeline;

pub use data::{DataType, HAMT_HASH_MURMUR3, UnixFsData};
pub use dir::DirectoryBuilder;
pub use exporter::{ExportError, Exporter, NodeKind, Stat};
pub use file::{import_file, import_reader};
pub use options::{
    CidVersion, DEFAULT_CHUNK_SIZE, DEFAULT_HAMT_THRESHOLD, DEFAULT_MAX_LINKS, HAMT_FANOUT,
    ImportOptions, MAX_CHUNK_SIZE, OptionsError,
};
pub use path::{ImportProgress, content_size, import_path};

use cid::Cid;

use crate::hash::DAG_PB;
use crate::store::{BlockSink, PinInfo, PinKind, StoreError, now_secs};

/// What an import produced: the root of a file, directory or symlink DAG.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Entry {
    /// The root CID.
    pub cid: Cid,
    /// Cumulative size of the DAG (every block's bytes, as dag-pb `Tsize` counts it).
    pub tsize: u64,
    /// Content bytes: the file size, or the sum of file sizes under a directory.
    pub size: u64,
    /// What the root is.
    pub kind: EntryKind,
}

/// The kind of an imported root.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EntryKind {
    /// A file.
    File,
    /// A directory (basic or HAMT-sharded).
    Directory,
    /// A symbolic link.
    Symlink,
}

impl EntryKind {
    /// Its name in command and API output: `file`, `directory` or `symlink`.
    pub fn name(self) -> &'static str {
        match self {
            EntryKind::File => "file",
            EntryKind::Directory => "directory",
            EntryKind::Symlink => "symlink",
        }
    }
}

impl Entry {
    /// The pin recording this root, imported from `path` with `opts`: named after the path's
    /// last component (the whole path when it has none), or unnamed when `opts.wrap` put it
    /// in a directory that names it.
    pub fn pin_info(&self, path: &std::path::Path, opts: &ImportOptions) -> PinInfo {
        let name = if opts.wrap {
            String::new()
        } else {
            path.file_name().map_or_else(
                || path.display().to_string(),
                |n| n.to_string_lossy().into_owned(),
            )
        };
        let kind = match self.kind {
            EntryKind::File => PinKind::File,
            EntryKind::Directory => PinKind::Directory,
            EntryKind::Symlink => PinKind::Symlink,
        };
        PinInfo {
            name,
            kind,
            size: self.size,
            dag_size: self.tsize,
            created: now_secs(),
        }
    }
}

/// Why an import failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ImportError {
    /// The source could not be read.
    #[error("cannot read {path}: {source}")]
    Io {
        /// The file or directory being read.
        path: String,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// Blocks could not be stored.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The options are inconsistent.
    #[error(transparent)]
    Options(#[from] OptionsError),
    /// A file name cannot be a UnixFS link name.
    #[error("{path}: file name is not valid UTF-8 (UnixFS link names are text; rename the file)")]
    NonUtf8Name {
        /// The offending path.
        path: String,
    },
    /// The source is neither file, directory nor symlink.
    #[error("{path}: unsupported file type (only files, directories and symlinks can be imported)")]
    UnsupportedFileType {
        /// The offending path.
        path: String,
    },
    /// Two names of a sharded directory hash identically on all 64 bits.
    #[error("directory {path}: names {a:?} and {b:?} collide on the whole 64-bit HAMT hash")]
    HamtCollision {
        /// The directory.
        path: String,
        /// One name.
        a: String,
        /// The other.
        b: String,
    },
    /// The same name was added twice to one directory.
    #[error("directory {path}: duplicate entry {name:?}")]
    DuplicateName {
        /// The directory.
        path: String,
        /// The name.
        name: String,
    },
    /// The import was cancelled by the caller.
    #[error("import cancelled")]
    Cancelled,
}

/// Hashes and stores a dag-pb node; returns its CID.
pub(crate) fn put_pb<S: BlockSink + ?Sized>(
    opts: &ImportOptions,
    sink: &mut S,
    bytes: &[u8],
) -> Result<Cid, StoreError> {
    let cid = pb_cid(opts, bytes);
    sink.put(&cid, bytes)?;
    Ok(cid)
}

/// The CID of a dag-pb node under `opts`.
pub(crate) fn pb_cid(opts: &ImportOptions, bytes: &[u8]) -> Cid {
    pb_cid_of(opts, opts.hash.digest(bytes))
}

/// The CID of a dag-pb node with multihash `digest` under `opts`.
pub(crate) fn pb_cid_of(opts: &ImportOptions, digest: multihash::Multihash<64>) -> Cid {
    match opts.cid_version {
        // validate() guarantees sha2-256 with v0, so new_v0 cannot fail; fall back to v1.
        CidVersion::V0 => Cid::new_v0(digest).unwrap_or_else(|_| Cid::new_v1(DAG_PB, digest)),
        CidVersion::V1 => Cid::new_v1(DAG_PB, digest),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hash::{HashFn, RAW};

    #[test]
    fn an_entry_is_pinned_under_its_file_name_or_unnamed_when_wrapped() {
        let entry = Entry {
            cid: Cid::new_v1(RAW, HashFn::Sha2_256.digest(b"x")),
            tsize: 20,
            size: 10,
            kind: EntryKind::Directory,
        };
        let opts = ImportOptions::default();
        let pin = entry.pin_info(std::path::Path::new("/data/photos"), &opts);
        assert_eq!(pin.name, "photos");
        assert_eq!(pin.kind, PinKind::Directory);
        assert_eq!((pin.size, pin.dag_size), (10, 20));
        assert_eq!(entry.pin_info(std::path::Path::new("/"), &opts).name, "/");
        let wrapped = ImportOptions {
            wrap: true,
            ..ImportOptions::default()
        };
        assert_eq!(
            entry
                .pin_info(std::path::Path::new("/data/photos"), &wrapped)
                .name,
            ""
        );
        assert_eq!(EntryKind::Symlink.name(), "symlink");
    }
}

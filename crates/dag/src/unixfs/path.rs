//! Importing files, directories and symlinks from the local file system, as `ipfs add -r` does.

use std::fs;
use std::path::Path;

use super::dir::{DirectoryBuilder, symlink};
use super::{Entry, ImportError, ImportOptions, import_file};
use crate::store::BlockSink;

/// Deepest directory nesting we follow (guards the recursion against pathological trees).
const MAX_DEPTH: usize = 512;

/// Receives progress while a path is imported.
pub trait ImportProgress {
    /// `n` more content bytes were imported.
    fn bytes(&mut self, n: u64);
    /// Whether the caller wants the import to stop (checked between chunks and files).
    fn cancelled(&self) -> bool {
        false
    }
}

impl<F: FnMut(u64)> ImportProgress for F {
    fn bytes(&mut self, n: u64) {
        self(n);
    }
}

/// Imports a file, directory (recursively) or symlink at `path` and returns the root.
///
/// Hidden entries (names starting with `.`) inside directories are skipped unless
/// `opts.hidden`; with `opts.wrap` the result is wrapped in a directory naming it.
pub fn import_path<S: BlockSink + ?Sized>(
    path: &Path,
    opts: &ImportOptions,
    sink: &mut S,
    progress: &mut dyn ImportProgress,
) -> Result<Entry, ImportError> {
    opts.validate()?;
    let entry = import_any(path, opts, sink, progress, 0)?;
    if !opts.wrap {
        return Ok(entry);
    }
    let name = file_name(path)?;
    let mut wrapper = DirectoryBuilder::new(path.display().to_string());
    wrapper.add(name, &entry);
    wrapper.finish(opts, sink)
}

/// Total content bytes `import_path` will read (for progress bars).
pub fn content_size(path: &Path, opts: &ImportOptions) -> Result<u64, ImportError> {
    fn walk(path: &Path, hidden: bool, depth: usize) -> Result<u64, ImportError> {
        let meta = fs::symlink_metadata(path).map_err(|e| io(path, e))?;
        if meta.is_file() {
            return Ok(meta.len());
        }
        if !meta.is_dir() || depth > MAX_DEPTH {
            return Ok(0);
        }
        let mut total = 0u64;
        for entry in fs::read_dir(path).map_err(|e| io(path, e))? {
            let entry = entry.map_err(|e| io(path, e))?;
            if !hidden && entry.file_name().as_encoded_bytes().first() == Some(&b'.') {
                continue;
            }
            total = total.saturating_add(walk(&entry.path(), hidden, depth.saturating_add(1))?);
        }
        Ok(total)
    }
    walk(path, opts.hidden, 0)
}

fn import_any<S: BlockSink + ?Sized>(
    path: &Path,
    opts: &ImportOptions,
    sink: &mut S,
    progress: &mut dyn ImportProgress,
    depth: usize,
) -> Result<Entry, ImportError> {
    if progress.cancelled() {
        return Err(ImportError::Cancelled);
    }
    let meta = fs::symlink_metadata(path).map_err(|e| io(path, e))?;
    let ft = meta.file_type();
    if ft.is_file() {
        let file = fs::File::open(path).map_err(|e| io(path, e))?;
        return import_file(&file, opts, sink, &mut |n| progress.bytes(n)).map_err(|e| match e {
            ImportError::Io { source, .. } => io(path, source),
            other => other,
        });
    }
    if ft.is_symlink() {
        let target = fs::read_link(path).map_err(|e| io(path, e))?;
        let target = target.to_str().ok_or_else(|| ImportError::NonUtf8Name {
            path: path.display().to_string(),
        })?;
        return symlink(target, opts, sink);
    }
    if !ft.is_dir() {
        return Err(ImportError::UnsupportedFileType {
            path: path.display().to_string(),
        });
    }
    if depth >= MAX_DEPTH {
        return Err(ImportError::Io {
            path: path.display().to_string(),
            source: std::io::Error::other(format!(
                "directories nested deeper than {MAX_DEPTH} levels"
            )),
        });
    }
    let mut children = Vec::new();
    for entry in fs::read_dir(path).map_err(|e| io(path, e))? {
        let entry = entry.map_err(|e| io(path, e))?;
        let name = entry.file_name();
        let name = name.into_string().map_err(|_| ImportError::NonUtf8Name {
            path: entry.path().display().to_string(),
        })?;
        if !opts.hidden && name.starts_with('.') {
            continue;
        }
        children.push(name);
    }
    // Sorted, so blocks reach the sink in a deterministic order.
    children.sort_unstable();
    let mut dir = DirectoryBuilder::new(path.display().to_string());
    for name in children {
        let child = import_any(
            &path.join(&name),
            opts,
            sink,
            progress,
            depth.saturating_add(1),
        )?;
        dir.add(name, &child);
    }
    dir.finish(opts, sink)
}

fn file_name(path: &Path) -> Result<String, ImportError> {
    let canonical;
    let name = match path.file_name() {
        Some(n) => n,
        None => {
            canonical = fs::canonicalize(path).map_err(|e| io(path, e))?;
            canonical.file_name().unwrap_or_default()
        }
    };
    name.to_str()
        .map(str::to_owned)
        .ok_or_else(|| ImportError::NonUtf8Name {
            path: path.display().to_string(),
        })
}

fn io(path: &Path, source: std::io::Error) -> ImportError {
    ImportError::Io {
        path: path.display().to_string(),
        source,
    }
}

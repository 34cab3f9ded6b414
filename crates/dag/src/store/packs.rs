//! Pack files: append-only files holding block records.
//!
//! A record is `varint(len(cid) + len(data)) ‖ cid ‖ data`: exactly a CARv1 section, so a pack
//! file is a CARv1 body and can be salvaged with standard tools by prefixing a header. Packs are
//! only appended to; space of deleted blocks is returned to the file system by punching holes
//! (`fallocate(PUNCH_HOLE)`), and a pack whose blocks are all dead is deleted. Pack ids are never
//! reused.

use std::collections::HashMap;
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::os::unix::fs::FileExt;
use std::path::PathBuf;
use std::sync::{Arc, RwLock};

use cid::Cid;

use super::StoreError;
use crate::varint;

/// A pack stops growing once it reaches this size.
pub(crate) const PACK_TARGET: u64 = 256 * 1024 * 1024;

/// Where a block's data is: pack id, offset of the data (after the record header), data
/// length, and the length of the record header before it.
pub(crate) type Loc = (u32, u64, u32, u16);

/// The pack directory and cached read handles.
#[derive(Debug)]
pub(crate) struct Packs {
    dir: PathBuf,
    readers: RwLock<HashMap<u32, Arc<File>>>,
}

impl Packs {
    pub(crate) fn open(dir: PathBuf) -> Result<Self, StoreError> {
        std::fs::create_dir_all(&dir).map_err(|e| StoreError::io(&dir, e))?;
        Ok(Packs {
            dir,
            readers: RwLock::new(HashMap::new()),
        })
    }

    pub(crate) fn path(&self, id: u32) -> PathBuf {
        self.dir.join(format!("{id:08}.pack"))
    }

    /// Pack ids present on disk.
    pub(crate) fn list(&self) -> Result<Vec<u32>, StoreError> {
        let mut ids = Vec::new();
        for entry in std::fs::read_dir(&self.dir).map_err(|e| StoreError::io(&self.dir, e))? {
            let entry = entry.map_err(|e| StoreError::io(&self.dir, e))?;
            let name = entry.file_name();
            let Some(stem) = name.to_str().and_then(|n| n.strip_suffix(".pack")) else {
                continue;
            };
            if let Ok(id) = stem.parse::<u32>() {
                ids.push(id);
            }
        }
        ids.sort_unstable();
        Ok(ids)
    }

    fn reader(&self, id: u32) -> Result<Arc<File>, StoreError> {
        if let Some(f) = self.readers.read().ok().and_then(|r| r.get(&id).cloned()) {
            return Ok(f);
        }
        let path = self.path(id);
        let file = Arc::new(File::open(&path).map_err(|e| StoreError::io(&path, e))?);
        if let Ok(mut r) = self.readers.write() {
            r.insert(id, file.clone());
        }
        Ok(file)
    }

    /// Forgets the cached handle of a pack (after it was truncated or deleted).
    pub(crate) fn forget(&self, id: u32) {
        if let Ok(mut r) = self.readers.write() {
            r.remove(&id);
        }
    }

    pub(crate) fn read(&self, loc: Loc) -> Result<Vec<u8>, StoreError> {
        let (id, offset, len, _) = loc;
        let file = self.reader(id)?;
        let mut buf = vec![0u8; len as usize];
        file.read_exact_at(&mut buf, offset).map_err(|e| {
            if e.kind() == std::io::ErrorKind::UnexpectedEof {
                StoreError::Corrupt(format!(
                    "pack {id} is shorter than its index says (block at {offset}+{len})"
                ))
            } else {
                StoreError::io(self.path(id), e)
            }
        })?;
        Ok(buf)
    }

    /// Returns the bytes of a dead range to the file system. File systems without hole punching
    /// keep the bytes until the whole pack is dead and deleted.
    pub(crate) fn punch(&self, id: u32, offset: u64, len: u64) -> Result<(), StoreError> {
        use rustix::fs::FallocateFlags;
        let path = self.path(id);
        let file = match OpenOptions::new().write(true).open(&path) {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
            Err(e) => return Err(StoreError::io(&path, e)),
        };
        match rustix::fs::fallocate(
            &file,
            FallocateFlags::PUNCH_HOLE | FallocateFlags::KEEP_SIZE,
            offset,
            len,
        ) {
            Ok(()) => Ok(()),
            Err(rustix::io::Errno::OPNOTSUPP | rustix::io::Errno::NOSYS) => Ok(()),
            Err(e) => Err(StoreError::io(&path, e.into())),
        }
    }

    pub(crate) fn remove(&self, id: u32) -> Result<(), StoreError> {
        self.forget(id);
        let path = self.path(id);
        match std::fs::remove_file(&path) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(StoreError::io(&path, e)),
        }
    }

    /// Cuts a pack back to `len` bytes (rolling back uncommitted appends).
    pub(crate) fn truncate(&self, id: u32, len: u64) -> Result<(), StoreError> {
        self.forget(id);
        let path = self.path(id);
        let file = OpenOptions::new()
            .write(true)
            .open(&path)
            .map_err(|e| StoreError::io(&path, e))?;
        file.set_len(len).map_err(|e| StoreError::io(&path, e))?;
        file.sync_all().map_err(|e| StoreError::io(&path, e))
    }

    pub(crate) fn sync_dir(&self) -> Result<(), StoreError> {
        File::open(&self.dir)
            .and_then(|d| d.sync_all())
            .map_err(|e| StoreError::io(&self.dir, e))
    }
}

/// Appends records to one pack.
#[derive(Debug)]
pub(crate) struct Appender {
    pub(crate) id: u32,
    file: std::io::BufWriter<File>,
    pub(crate) len: u64,
    pub(crate) start_len: u64,
    pub(crate) created: bool,
    path: PathBuf,
}

impl Appender {
    /// Opens pack `id` for appending at `len` (its committed length).
    pub(crate) fn open(packs: &Packs, id: u32, len: u64) -> Result<Self, StoreError> {
        let path = packs.path(id);
        let created = !path.exists();
        let file = OpenOptions::new()
            .create(true)
            .write(true)
            .truncate(false)
            .open(&path)
            .map_err(|e| StoreError::io(&path, e))?;
        // Anything past the committed length is an aborted append: drop it.
        file.set_len(len).map_err(|e| StoreError::io(&path, e))?;
        let mut file = std::io::BufWriter::with_capacity(1 << 20, file);
        std::io::Seek::seek(file.get_mut(), std::io::SeekFrom::Start(len))
            .map_err(|e| StoreError::io(&path, e))?;
        Ok(Appender {
            id,
            file,
            len,
            start_len: len,
            created,
            path,
        })
    }

    /// Appends a record whose data is the concatenation of `parts`; returns its location.
    pub(crate) fn append(&mut self, cid: &Cid, parts: &[&[u8]]) -> Result<Loc, StoreError> {
        let total = parts
            .iter()
            .map(|p| p.len() as u64)
            .fold(0u64, u64::saturating_add);
        let data_len = u32::try_from(total)
            .map_err(|_| StoreError::Corrupt("block larger than 4 GiB".into()))?;
        let cid_bytes = cid.to_bytes();
        let mut head = Vec::with_capacity(varint::MAX_LEN.saturating_add(cid_bytes.len()));
        varint::encode((cid_bytes.len() as u64).saturating_add(total), &mut head);
        head.extend_from_slice(&cid_bytes);
        for part in std::iter::once(head.as_slice()).chain(parts.iter().copied()) {
            self.file
                .write_all(part)
                .map_err(|e| StoreError::io(&self.path, e))?;
        }
        let head_len =
            u16::try_from(head.len()).map_err(|_| StoreError::Corrupt("CID too long".into()))?;
        let offset = self.len.saturating_add(head.len() as u64);
        self.len = offset.saturating_add(total);
        Ok((self.id, offset, data_len, head_len))
    }

    /// Flushes and fsyncs the pack's data.
    pub(crate) fn sync(&mut self) -> Result<(), StoreError> {
        self.file
            .flush()
            .map_err(|e| StoreError::io(&self.path, e))?;
        self.file
            .get_ref()
            .sync_data()
            .map_err(|e| StoreError::io(&self.path, e))
    }
}

//! Piece commitments (commP) of arbitrary payloads, streamed and hashed on every core.
//!
//! The payload is zero-padded to the next 127·2^k bytes (at least 127), Fr32-padded to
//! 128·2^k bytes, and merkleized with the sha256-trunc254 node hash. Instead of materialising
//! that, the payload is cut into chunks of [`CHUNK_PAYLOAD`] bytes (127·2^11, 256 KiB once
//! padded); the chunks of a batch are padded and hashed to their subtree roots in parallel
//! (each subtree stays in a core's cache), and the roots are folded left to right by a
//! frontier of at most 59 nodes. The zero tail is never hashed: it is filled with the
//! precomputed zero-subtree roots. Memory is the current batch (about 8 MiB; 16 MiB for
//! [`commp_of_reader`], which reads the next batch while hashing this one; two chunk buffers
//! per thread for [`commp_of_file`], whose threads read their own chunks) plus 128 KiB of
//! scratch per thread, whatever the payload size.

use std::fs::File;
use std::io::{self, ErrorKind, Read, Write};
use std::path::{Path, PathBuf};

use flowcoin_types::{PaddedPieceSize, UnpaddedPieceSize};
use rayon::prelude::*;

use crate::fr32::{QUAD_PADDED, QUAD_UNPADDED, pad_quad, round_down};
use crate::hasher::{NODE_SIZE, Node, hash_pairs};
use crate::merkle::{Frontier, FrontierOverflow, root_in_place};
use crate::piece_cid::PieceCommitment;

/// Fr32 quads per chunk: a chunk is one subtree hashed by one thread.
const CHUNK_QUADS: usize = 2048;
/// Payload bytes per chunk (127·2^11 = 260,096; 256 KiB once padded).
pub const CHUNK_PAYLOAD: usize = CHUNK_QUADS * QUAD_UNPADDED;
/// Tree level of a chunk's root: 4 leaves per quad, so log2(4·2048).
const CHUNK_LEVEL: u32 = CHUNK_QUADS.trailing_zeros() + 2;
/// Chunks hashed per parallel batch; with two cores, 32 chunks keep both busy to the end.
const BATCH_CHUNKS: usize = 32;
/// Payload bytes buffered before a batch is hashed (about 7.9 MiB).
pub const BATCH_PAYLOAD: usize = CHUNK_PAYLOAD * BATCH_CHUNKS;

/// Why a piece commitment could not be computed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CommpError {
    /// The payload is larger than the largest piece.
    #[error(
        "a payload of {len} bytes is larger than the largest piece ({} bytes): split it into \
         several pieces",
        UnpaddedPieceSize::MAX.bytes()
    )]
    PayloadTooLarge {
        /// The payload length in bytes (saturated at `u64::MAX`).
        len: u64,
    },
    /// Reading the payload failed.
    #[error("cannot read the payload: {0}")]
    Read(#[source] io::Error),
    /// Opening or reading a file failed.
    #[error("cannot read {}: {source}", path.display())]
    File {
        /// The file.
        path: PathBuf,
        /// What went wrong.
        #[source]
        source: io::Error,
    },
}

/// Computes the piece commitment of everything written to it.
///
/// Bytes may arrive in any slicing; large writes are hashed in place without copying.
///
/// ```
/// use std::io::Write;
/// use flowcoin_proofs::CommpWriter;
///
/// let mut writer = CommpWriter::new();
/// writer.write_all(&[0xcc; 100])?;
/// writer.write_all(&[0xcc; 27])?;
/// let commp = writer.finish()?;
/// assert_eq!(commp.padded_size().bytes(), 128);
/// assert_eq!(
///     commp.piece_cid_v1().to_string(),
///     "baga6ea4seaqmfldjtozgne6adk7eve2vdxte7vzlivae7nzsbrawobo546zkijq"
/// );
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Default)]
pub struct CommpWriter {
    /// Payload not yet hashed: always shorter than [`BATCH_PAYLOAD`].
    pending: Vec<u8>,
    /// Roots of the chunks hashed so far.
    frontier: Frontier,
    /// Payload bytes written so far.
    payload_len: u64,
}

impl CommpWriter {
    /// An empty writer.
    pub fn new() -> Self {
        Self::default()
    }

    /// Payload bytes written so far.
    pub fn payload_len(&self) -> u64 {
        self.payload_len
    }

    /// Pads and merkleizes what was written and returns the commitment.
    pub fn finish(mut self) -> Result<PieceCommitment, CommpError> {
        let len = self.payload_len;
        let too_large = || CommpError::PayloadTooLarge { len };
        let padded = PaddedPieceSize::for_payload(len).map_err(|_| too_large())?;
        let pending = std::mem::take(&mut self.pending);
        let whole = round_down(pending.len(), CHUNK_PAYLOAD);
        let (chunks, tail) = pending.split_at_checked(whole).unwrap_or((&[], &[]));
        self.push_chunk_roots(chunks).map_err(|_| too_large())?;
        if !tail.is_empty() {
            let (level, root) = tail_root(tail);
            self.frontier.push(level, root).map_err(|_| too_large())?;
        }
        let root = self
            .frontier
            .finish(piece_level(padded))
            .map_err(|_| too_large())?;
        PieceCommitment::new(root, padded, len).map_err(|_| too_large())
    }

    /// Hashes whole chunks and appends their roots; `data` is a multiple of [`CHUNK_PAYLOAD`].
    fn push_chunk_roots(&mut self, data: &[u8]) -> Result<(), FrontierOverflow> {
        self.push_roots(chunk_roots(data))
    }

    /// Appends the roots of consecutive whole chunks.
    fn push_roots(&mut self, roots: Vec<Node>) -> Result<(), FrontierOverflow> {
        roots
            .into_iter()
            .try_for_each(|root| self.frontier.push(CHUNK_LEVEL, root))
    }

    /// Appends to the pending payload; the callers never let it reach [`BATCH_PAYLOAD`], and
    /// growth is capped there, so the buffer never holds more than one batch.
    fn buffer(&mut self, bytes: &[u8]) {
        let want = self.pending.len().saturating_add(bytes.len());
        if want > self.pending.capacity() {
            let target = want
                .checked_next_power_of_two()
                .unwrap_or(want)
                .min(BATCH_PAYLOAD);
            self.pending
                .reserve_exact(target.saturating_sub(self.pending.len()));
        }
        self.pending.extend_from_slice(bytes);
    }

    fn count(&mut self, len: usize) -> io::Result<()> {
        let len = u64::try_from(len).unwrap_or(u64::MAX);
        let total = self.payload_len.saturating_add(len);
        if total > UnpaddedPieceSize::MAX.bytes() {
            return Err(io::Error::new(
                ErrorKind::InvalidInput,
                CommpError::PayloadTooLarge { len: total },
            ));
        }
        self.payload_len = total;
        Ok(())
    }
}

/// Shows the progress, not the buffered payload.
impl std::fmt::Debug for CommpWriter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CommpWriter")
            .field("payload_len", &self.payload_len)
            .field("pending_len", &self.pending.len())
            .field("frontier", &self.frontier)
            .finish()
    }
}

impl Write for CommpWriter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.count(buf.len())?;
        let overflow = |_| io::Error::new(ErrorKind::InvalidInput, "piece tree overflow");
        let mut input = buf;
        if !self.pending.is_empty() {
            let take = BATCH_PAYLOAD
                .saturating_sub(self.pending.len())
                .min(input.len());
            let (head, rest) = input.split_at_checked(take).unwrap_or((input, &[]));
            self.buffer(head);
            input = rest;
            if self.pending.len() < BATCH_PAYLOAD {
                return Ok(buf.len());
            }
            let batch = std::mem::take(&mut self.pending);
            self.push_chunk_roots(&batch).map_err(overflow)?;
            self.pending = batch;
            self.pending.clear();
        }
        // Hash large writes straight from the caller's buffer, and keep only the remainder.
        if input.len() >= BATCH_PAYLOAD {
            let whole = round_down(input.len(), CHUNK_PAYLOAD);
            let (chunks, rest) = input.split_at_checked(whole).unwrap_or((&[], input));
            self.push_chunk_roots(chunks).map_err(overflow)?;
            input = rest;
        }
        self.buffer(input);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// The commitment of a payload in memory, hashed on every core.
pub fn commp_of_bytes(data: &[u8]) -> Result<PieceCommitment, CommpError> {
    let mut writer = CommpWriter::new();
    writer
        .write_all(data)
        .map_err(|e| into_commp_error(e, data.len()))?;
    writer.finish()
}

/// The commitment of everything `reader` yields. The next batch is read while the current one
/// is hashed.
pub fn commp_of_reader(mut reader: impl Read) -> Result<PieceCommitment, CommpError> {
    let mut writer = CommpWriter::new();
    let mut current = vec![0u8; BATCH_PAYLOAD];
    let mut next = vec![0u8; BATCH_PAYLOAD];
    let mut filled = read_full(&mut reader, &mut current).map_err(CommpError::Read)?;
    while filled == BATCH_PAYLOAD {
        writer
            .count(filled)
            .map_err(|e| into_commp_error(e, filled))?;
        // The reader stays on this thread (it need not be `Send`) while the pool hashes.
        let mut roots = Vec::new();
        let read = rayon::in_place_scope(|scope| {
            scope.spawn(|_| roots = chunk_roots(&current));
            read_full(&mut reader, &mut next)
        });
        let len = writer.payload_len;
        writer
            .push_roots(roots)
            .map_err(|_| CommpError::PayloadTooLarge { len })?;
        filled = read.map_err(CommpError::Read)?;
        std::mem::swap(&mut current, &mut next);
    }
    let tail = current.get(..filled).unwrap_or_default();
    writer
        .write_all(tail)
        .map_err(|e| into_commp_error(e, filled))?;
    writer.finish()
}

/// The commitment of a file's content.
pub fn commp_of_file(path: &Path) -> Result<PieceCommitment, CommpError> {
    commp_of_file_with_progress(path, &|_| {})
}

/// [`commp_of_file`], reporting each chunk's bytes to `progress` as it is hashed (from any
/// thread, in no particular order).
///
/// The chunks are read with positional reads by the threads that hash them, each into its own
/// buffer that stays in its cache: the copy out of the page cache is spread over every core and
/// memory stays at two chunk-sized buffers per thread. The file must not shrink meanwhile.
pub fn commp_of_file_with_progress(
    path: &Path,
    progress: &(dyn Fn(u64) + Sync),
) -> Result<PieceCommitment, CommpError> {
    use std::os::unix::fs::FileExt;
    let file_error = |source| CommpError::File {
        path: path.to_owned(),
        source,
    };
    let file = File::open(path).map_err(file_error)?;
    let len = file.metadata().map_err(file_error)?.len();
    let too_large = || CommpError::PayloadTooLarge { len };
    let padded = PaddedPieceSize::for_payload(len).map_err(|_| too_large())?;
    let chunk = CHUNK_PAYLOAD as u64;
    let whole = len.checked_div(chunk).unwrap_or(0);
    let read_at = |buf: &mut [u8], at: u64| {
        file.read_exact_at(buf, at).map_err(|e| {
            file_error(if e.kind() == ErrorKind::UnexpectedEof {
                io::Error::other("the file shrank while its commP was computed")
            } else {
                e
            })
        })
    };
    let roots: Vec<Result<Node, CommpError>> = (0..whole)
        .into_par_iter()
        .map_init(
            || (vec![0u8; CHUNK_PAYLOAD], Vec::new()),
            |(buf, scratch), i| {
                read_at(buf, i.saturating_mul(chunk))?;
                progress(chunk);
                Ok(subtree_root(buf, scratch))
            },
        )
        .collect();
    let mut frontier = Frontier::default();
    for root in roots {
        frontier.push(CHUNK_LEVEL, root?).map_err(|_| too_large())?;
    }
    let tail_len = len.saturating_sub(whole.saturating_mul(chunk));
    if tail_len > 0 {
        let mut tail = vec![0u8; usize::try_from(tail_len).unwrap_or(CHUNK_PAYLOAD)];
        read_at(&mut tail, whole.saturating_mul(chunk))?;
        progress(tail_len);
        let (level, root) = tail_root(&tail);
        frontier.push(level, root).map_err(|_| too_large())?;
    }
    let root = frontier
        .finish(piece_level(padded))
        .map_err(|_| too_large())?;
    PieceCommitment::new(root, padded, len).map_err(|_| too_large())
}

fn read_full(reader: &mut impl Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut filled = 0usize;
    while let Some(rest) = buf.get_mut(filled..).filter(|rest| !rest.is_empty()) {
        match reader.read(rest) {
            Ok(0) => break,
            Ok(n) => filled = filled.saturating_add(n),
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(filled)
}

fn into_commp_error(error: io::Error, len: usize) -> CommpError {
    if error.kind() == ErrorKind::InvalidInput {
        CommpError::PayloadTooLarge {
            len: u64::try_from(len).unwrap_or(u64::MAX),
        }
    } else {
        CommpError::Read(error)
    }
}

/// The level of a piece's root.
pub(crate) fn piece_level(padded: PaddedPieceSize) -> u32 {
    padded.log2().saturating_sub(NODE_SIZE.trailing_zeros())
}

/// Subtree roots of consecutive whole chunks, hashed in parallel.
fn chunk_roots(data: &[u8]) -> Vec<Node> {
    data.par_chunks_exact(CHUNK_PAYLOAD)
        .map_init(Vec::new, |scratch, chunk| subtree_root(chunk, scratch))
        .collect()
}

/// The root of the last, partial chunk: zero-padded to the smallest 127·2^t bytes that hold
/// it, so that no more zeros are hashed than needed. Returns the root's level and the root.
fn tail_root(tail: &[u8]) -> (u32, Node) {
    let quads = tail
        .len()
        .div_ceil(QUAD_UNPADDED)
        .max(1)
        .next_power_of_two();
    let mut padded_tail = tail.to_vec();
    padded_tail.resize(quads.saturating_mul(QUAD_UNPADDED), 0);
    let level = quads.trailing_zeros().saturating_add(2);
    (level, subtree_root(&padded_tail, &mut Vec::new()))
}

/// The root of the subtree over `data`, 127·2^t payload bytes. Each quad is padded on the
/// stack and its two leaf pairs hashed at once, so the leaves are never stored: `scratch`
/// holds the first layer of parents (half the padded size).
fn subtree_root(data: &[u8], scratch: &mut Vec<u8>) -> Node {
    let quads = data.len() / QUAD_UNPADDED;
    scratch.clear();
    scratch.resize(quads.saturating_mul(QUAD_PADDED / 2), 0);
    let mut leaves = [0u8; QUAD_PADDED];
    for (quad, parents) in data
        .chunks_exact(QUAD_UNPADDED)
        .zip(scratch.chunks_exact_mut(QUAD_PADDED / 2))
    {
        if let Ok(quad) = quad.try_into() {
            pad_quad(quad, &mut leaves);
            hash_pairs(&leaves, parents);
        }
    }
    root_in_place(scratch).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fr32::pad;
    use crate::hasher::node_hash;

    /// commP straight from the definition: pad everything, hash every layer.
    fn naive_commp(data: &[u8]) -> Node {
        let mut size = 127;
        while size < data.len() {
            size *= 2;
        }
        let mut payload = data.to_vec();
        payload.resize(size, 0);
        let mut layer: Vec<Node> = pad(&payload)
            .unwrap()
            .chunks(32)
            .map(|c| c.try_into().unwrap())
            .collect();
        while layer.len() > 1 {
            layer = layer.chunks(2).map(|p| node_hash(&p[0], &p[1])).collect();
        }
        layer[0]
    }

    fn data(len: usize) -> Vec<u8> {
        (0..len)
            .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
            .collect()
    }

    #[test]
    fn matches_the_naive_definition_around_chunk_boundaries() {
        let lens = [
            0,
            1,
            126,
            127,
            128,
            1000,
            CHUNK_PAYLOAD - 1,
            CHUNK_PAYLOAD,
            CHUNK_PAYLOAD + 1,
            2 * CHUNK_PAYLOAD + 5000,
            3 * CHUNK_PAYLOAD,
        ];
        for len in lens {
            let data = data(len);
            let commp = commp_of_bytes(&data).unwrap();
            assert_eq!(*commp.root(), naive_commp(&data), "len {len}");
            assert_eq!(commp.payload_size(), len as u64);
            assert_eq!(
                commp.padded_size(),
                PaddedPieceSize::for_payload(len as u64).unwrap()
            );
        }
    }

    #[test]
    fn any_slicing_and_readers_give_the_same_commitment() {
        let data = data(BATCH_PAYLOAD + 3 * CHUNK_PAYLOAD + 777);
        let whole = commp_of_bytes(&data).unwrap();
        let mut writer = CommpWriter::new();
        let mut rest = &data[..];
        let mut step = 1usize;
        while !rest.is_empty() {
            let (head, tail) = rest.split_at(step.min(rest.len()));
            writer.write_all(head).unwrap();
            rest = tail;
            step = step * 7 + 3;
        }
        assert_eq!(writer.payload_len(), data.len() as u64);
        assert!(
            writer.pending.capacity() <= BATCH_PAYLOAD,
            "the buffer stays within a batch"
        );
        assert_eq!(writer.finish().unwrap(), whole);
        assert_eq!(commp_of_reader(&data[..]).unwrap(), whole);
        // A reader that hands out a few bytes at a time.
        let slow = SlowReader(&data[..]);
        assert_eq!(commp_of_reader(slow).unwrap(), whole);
    }

    #[test]
    fn works_inside_a_one_thread_pool() {
        // A caller already on the pool (here its only thread) must not deadlock.
        let data = data(BATCH_PAYLOAD * 2 + 99);
        let expected = commp_of_bytes(&data).unwrap();
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(1)
            .build()
            .unwrap();
        assert_eq!(
            pool.install(|| commp_of_reader(&data[..]).unwrap()),
            expected
        );
        assert_eq!(pool.install(|| commp_of_bytes(&data).unwrap()), expected);
    }

    struct SlowReader<'a>(&'a [u8]);

    impl Read for SlowReader<'_> {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            let n = buf.len().min(self.0.len()).min(4093);
            buf[..n].copy_from_slice(&self.0[..n]);
            self.0 = &self.0[n..];
            Ok(n)
        }
    }

    #[test]
    fn reader_and_file_errors_are_reported() {
        struct Broken;
        impl Read for Broken {
            fn read(&mut self, _: &mut [u8]) -> io::Result<usize> {
                Err(io::Error::other("disk on fire"))
            }
        }
        assert!(matches!(commp_of_reader(Broken), Err(CommpError::Read(_))));
        let err = commp_of_file(Path::new("/nonexistent/flowcoin-commp")).unwrap_err();
        assert!(matches!(err, CommpError::File { .. }));
        assert!(
            err.to_string().contains("/nonexistent/flowcoin-commp"),
            "{err}"
        );
    }

    #[test]
    fn oversized_payloads_are_refused() {
        let mut writer = CommpWriter::new();
        writer.payload_len = UnpaddedPieceSize::MAX.bytes() - 2;
        assert!(writer.write_all(&[0; 2]).is_ok());
        let err = writer.write_all(&[0; 1]).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidInput);
        assert!(
            err.to_string().contains("split it into several pieces"),
            "{err}"
        );
    }

    #[test]
    fn file_commitment_matches_bytes() {
        // Empty, tiny, around one chunk, and more chunks than one batch.
        for len in [
            0,
            1,
            126,
            127,
            CHUNK_PAYLOAD - 1,
            CHUNK_PAYLOAD,
            CHUNK_PAYLOAD * 2 + 17,
            BATCH_PAYLOAD + CHUNK_PAYLOAD * 3 + 5,
        ] {
            let data = data(len);
            let mut file = tempfile::NamedTempFile::new().unwrap();
            file.write_all(&data).unwrap();
            let seen = std::sync::atomic::AtomicU64::new(0);
            let from_file = commp_of_file_with_progress(file.path(), &|n| {
                seen.fetch_add(n, std::sync::atomic::Ordering::Relaxed);
            })
            .unwrap();
            assert_eq!(from_file, commp_of_bytes(&data).unwrap(), "{len} bytes");
            assert_eq!(seen.into_inner(), len as u64);
        }
    }
}

//! The parallel chunk pipeline behind file imports.
//!
//! Worker threads (one per core) take chunk jobs from a queue: for a file they read the chunk
//! with a positional read and hash it while it is still in cache; for a stream the calling
//! thread reads the chunk and the worker only hashes it. The calling thread hands out jobs, keeps
//! a bounded number in flight (each with its own buffer), and consumes the hashed leaves strictly
//! in order, storing them and building the tree while the workers continue. There is no barrier
//! between batches and memory stays at `SLOTS_PER_WORKER × workers` chunk buffers.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::Read;
use std::os::unix::fs::FileExt;
use std::sync::{Mutex, mpsc};

use super::ImportError;
use super::ImportOptions;
use super::file::{Leaf, make_leaf};

/// Job buffers in flight per worker.
const SLOTS_PER_WORKER: usize = 4;
/// Bytes per job: several small chunks go together, so that threads wake up once per MiB
/// rather than once per chunk.
const JOB_BYTES: usize = 1 << 20;
/// Most worker threads, whatever the machine.
const MAX_WORKERS: usize = 16;

/// Where chunks come from.
pub(crate) enum Source<'f, R> {
    /// A stream, read sequentially by the calling thread.
    Stream { reader: R, eof: bool },
    /// A file of `len` bytes, read at offsets by the workers; `pos` is the next offset.
    File { file: &'f File, len: u64, pos: u64 },
}

/// Consecutive chunks to hash (and, for files, to read first), in one buffer.
struct Job {
    index: usize,
    buf: Vec<u8>,
    read: Option<(u64, usize)>,
}

/// The hashed chunks of a job, with its buffer.
struct Done {
    index: usize,
    buf: Vec<u8>,
    leaves: Result<Vec<Leaf>, ImportError>,
}

impl<'f, R: Read> Source<'f, R> {
    fn file(&self) -> Option<&'f File> {
        match self {
            Source::Stream { .. } => None,
            Source::File { file, .. } => Some(file),
        }
    }

    /// The next `span` bytes as a job using `buf`, or `Err(buf)` at the end.
    fn next_job(
        &mut self,
        mut buf: Vec<u8>,
        index: usize,
        span: usize,
    ) -> Result<Result<Job, Vec<u8>>, ImportError> {
        match self {
            Source::Stream { reader, eof } => {
                if *eof {
                    return Ok(Err(buf));
                }
                let n = read_chunk(reader, &mut buf, span)?;
                if n < span {
                    *eof = true;
                }
                if n == 0 {
                    return Ok(Err(buf));
                }
                Ok(Ok(Job {
                    index,
                    buf,
                    read: None,
                }))
            }
            Source::File { len, pos, .. } => {
                let n = len.saturating_sub(*pos).min(span as u64);
                if n == 0 {
                    return Ok(Err(buf));
                }
                let at = *pos;
                *pos = pos.saturating_add(n);
                Ok(Ok(Job {
                    index,
                    buf,
                    read: Some((at, n as usize)),
                }))
            }
        }
    }
}

/// What [`run`] calls with each hashed leaf and its chunk, in order.
pub(crate) type Consume<'a> = dyn FnMut(&Leaf, &[u8]) -> Result<(), ImportError> + 'a;

/// Reads up to `chunk` bytes (fewer only at the end of the stream) into `buf`.
pub(crate) fn read_chunk<R: Read>(
    reader: &mut R,
    buf: &mut Vec<u8>,
    chunk: usize,
) -> Result<usize, ImportError> {
    buf.clear();
    reader
        .by_ref()
        .take(chunk as u64)
        .read_to_end(buf)
        .map_err(|source| ImportError::Io {
            path: "input".into(),
            source,
        })
}

/// Runs the pipeline over `source`, calling `consume` with each leaf and its chunk in file
/// order. Returns the number of jobs.
pub(crate) fn run<R: Read>(
    mut source: Source<'_, R>,
    opts: &ImportOptions,
    consume: &mut Consume<'_>,
) -> Result<usize, ImportError> {
    let chunk = opts.chunk_size;
    let workers = std::thread::available_parallelism()
        .map_or(2, |n| n.get())
        .clamp(1, MAX_WORKERS);
    let slots = workers.saturating_mul(SLOTS_PER_WORKER);
    let span = chunk.saturating_mul(JOB_BYTES.checked_div(chunk).unwrap_or(1).max(1));
    let file = source.file();
    let (job_tx, job_rx) = mpsc::channel::<Job>();
    let job_rx = Mutex::new(job_rx);
    let (done_tx, done_rx) = mpsc::channel::<Done>();
    std::thread::scope(|scope| {
        // Owned by this closure, so every way out of it closes the queue and lets the workers
        // finish before the scope joins them.
        let job_tx = job_tx;
        for _ in 0..workers {
            let (jobs, done) = (&job_rx, done_tx.clone());
            scope.spawn(move || worker(jobs, &done, file, opts));
        }
        drop(done_tx);
        let mut free: Vec<Vec<u8>> = (0..slots).map(|_| Vec::with_capacity(span)).collect();
        let mut issued = 0usize;
        let mut stored = 0usize;
        let mut finished = false;
        let mut ready: BTreeMap<usize, Done> = BTreeMap::new();
        loop {
            while !finished && let Some(buf) = free.pop() {
                match source.next_job(buf, issued, span)? {
                    Ok(job) => {
                        job_tx.send(job).map_err(|_| worker_gone())?;
                        issued = issued.saturating_add(1);
                    }
                    Err(buf) => {
                        free.push(buf);
                        finished = true;
                    }
                }
            }
            if finished && stored == issued {
                return Ok(issued);
            }
            let done = loop {
                if let Some(d) = ready.remove(&stored) {
                    break d;
                }
                let d = done_rx.recv().map_err(|_| worker_gone())?;
                ready.insert(d.index, d);
            };
            for (leaf, data) in done.leaves?.iter().zip(done.buf.chunks(chunk)) {
                consume(leaf, data)?;
            }
            free.push(done.buf);
            stored = stored.saturating_add(1);
        }
    })
}

fn worker(
    jobs: &Mutex<mpsc::Receiver<Job>>,
    done: &mpsc::Sender<Done>,
    file: Option<&File>,
    opts: &ImportOptions,
) {
    loop {
        let job = match jobs.lock() {
            Ok(rx) => match rx.recv() {
                Ok(job) => job,
                Err(_) => return,
            },
            Err(_) => return,
        };
        let mut buf = job.buf;
        // A panic here must not leave the caller waiting for this chunk forever.
        let leaves = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            read_job(file, job.read, &mut buf).map(|()| {
                buf.chunks(opts.chunk_size)
                    .map(|c| make_leaf(opts, c))
                    .collect()
            })
        }))
        .unwrap_or_else(|_| Err(worker_gone()));
        if done
            .send(Done {
                index: job.index,
                buf,
                leaves,
            })
            .is_err()
        {
            return;
        }
    }
}

fn read_job(
    file: Option<&File>,
    read: Option<(u64, usize)>,
    buf: &mut Vec<u8>,
) -> Result<(), ImportError> {
    let (Some(file), Some((at, n))) = (file, read) else {
        return Ok(());
    };
    buf.resize(n, 0);
    file.read_exact_at(buf, at)
        .map_err(|source| ImportError::Io {
            path: "input".into(),
            source: if source.kind() == std::io::ErrorKind::UnexpectedEof {
                std::io::Error::other("the file shrank while it was being imported")
            } else {
                source
            },
        })
}

fn worker_gone() -> ImportError {
    ImportError::Io {
        path: "input".into(),
        source: std::io::Error::other("an import worker thread stopped"),
    }
}

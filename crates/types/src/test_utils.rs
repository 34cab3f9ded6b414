//! Deterministic inputs for known-answer tests, shared by every crate's tests.
//!
//! The known-answer files in `testdata/vectors/import-vectors.json` are not stored: each is
//! defined by `testdata/vectors/gen.py` as either SIZE zero bytes or the first SIZE bytes of
//! `SHAKE128(b"fil-import-vectors/v1 seed=" ‖ decimal SEED)`. This module regenerates them in
//! Rust so that no Python is needed at test time.

// Test helpers only (behind `test-utils`): a panic here is a failed test, not a crashed node, so
// the crate's panic-free lints do not apply.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects
)]

use std::io::Read;
use std::path::PathBuf;

use sha3::Shake128;
use sha3::digest::{ExtendableOutput, Update, XofReader};

/// Domain prefix of the SHAKE128 stream (see `gen.py`).
const DOMAIN: &[u8] = b"fil-import-vectors/v1 seed=";

/// A reader over the `random` vector stream for `seed`, limited to `size` bytes.
pub fn vector_reader(seed: u64, size: u64) -> impl Read {
    VectorReader {
        xof: xof(seed),
        remaining: size,
    }
}

/// The first `size` bytes of the `random` vector stream for `seed`, in memory.
pub fn vector_bytes(seed: u64, size: usize) -> Vec<u8> {
    let mut out = vec![0u8; size];
    xof(seed).read(&mut out);
    out
}

/// The content of a vector entry of `import-vectors.json` (`kind` `random` or `zeros`).
pub fn vector_entry_reader(entry: &serde_json::Value) -> Box<dyn Read + Send> {
    let size = entry["size"].as_u64().expect("vector entry has a size");
    match entry["kind"].as_str() {
        Some("zeros") => Box::new(std::io::repeat(0).take(size)),
        Some("random") => {
            let seed = entry["seed"]
                .as_u64()
                .expect("random vector entry has a seed");
            Box::new(vector_reader(seed, size))
        }
        other => panic!("unknown vector kind {other:?}"),
    }
}

/// The content described by an `external_known_answers` `content` object: `text`, `fill`+`size`
/// or `lcg`+`size` (see the `about` field of that object).
pub fn known_answer_content(content: &serde_json::Value) -> Vec<u8> {
    if let Some(text) = content["text"].as_str() {
        return text.as_bytes().to_vec();
    }
    let size = content["size"].as_u64().expect("content has a size") as usize;
    if let Some(fill) = content["fill"].as_u64() {
        return vec![u8::try_from(fill).expect("fill is a byte"); size];
    }
    if let Some(mut s) = content["lcg"].as_u64() {
        return (0..size)
            .map(|_| {
                s = s
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                (s >> 56) as u8
            })
            .collect();
    }
    panic!("unknown content description {content}");
}

/// The repository's `testdata/` directory.
pub fn testdata_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../testdata")
}

/// `testdata/vectors/import-vectors.json`, parsed.
pub fn import_vectors() -> serde_json::Value {
    let path = testdata_dir().join("vectors/import-vectors.json");
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    serde_json::from_str(&text).expect("import-vectors.json is JSON")
}

fn xof(seed: u64) -> impl XofReader {
    let mut h = Shake128::default();
    h.update(DOMAIN);
    h.update(seed.to_string().as_bytes());
    h.finalize_xof()
}

struct VectorReader<X> {
    xof: X,
    remaining: u64,
}

impl<X: XofReader> Read for VectorReader<X> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = usize::try_from(self.remaining)
            .unwrap_or(usize::MAX)
            .min(buf.len());
        self.xof.read(&mut buf[..n]);
        self.remaining -= n as u64;
        Ok(n)
    }
}

/// Domain prefix of the seal-vector streams (`testdata/vectors/seal-vectors.json`, `generator`).
const SEAL_DOMAIN: &[u8] = b"flowcoin-seal-vectors/v1 seed=";

/// The first `n` bytes of the seal-vector stream `label` for `seed`:
/// SHAKE128(`"flowcoin-seal-vectors/v1 seed=" ‖ decimal seed ‖ " " ‖ label`).
pub fn seal_stream(seed: u64, label: &str, n: usize) -> Vec<u8> {
    let mut h = Shake128::default();
    h.update(SEAL_DOMAIN);
    h.update(seed.to_string().as_bytes());
    h.update(b" ");
    h.update(label.as_bytes());
    let mut out = vec![0u8; n];
    XofReader::read(&mut h.finalize_xof(), &mut out);
    out
}

/// A 32-byte seal-vector input (`prover_id`, `ticket`, `seed`, `post_randomness`): the first 32
/// bytes of its stream with byte 31 masked by 0x3F.
pub fn seal_input32(seed: u64, label: &str) -> [u8; 32] {
    let mut out = [0u8; 32];
    out.copy_from_slice(&seal_stream(seed, label, 32));
    out[31] &= 0x3f;
    out
}

/// The seal-vector sector number: the first 8 bytes of its stream as u64 LE, masked to 40 bits.
pub fn seal_sector_number(seed: u64) -> u64 {
    let mut b = [0u8; 8];
    b.copy_from_slice(&seal_stream(seed, "sector_number", 8));
    u64::from_le_bytes(b) & ((1 << 40) - 1)
}

/// `testdata/vectors/seal-vectors.json`, parsed.
pub fn seal_vectors() -> serde_json::Value {
    let path = testdata_dir().join("vectors/seal-vectors.json");
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    serde_json::from_str(&text).expect("seal-vectors.json is JSON")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reader_and_bytes_agree_and_prefix_property_holds() {
        let a = vector_bytes(3, 10_000);
        let b = vector_bytes(3, 4_000);
        assert_eq!(&a[..4_000], &b[..]);
        let mut c = Vec::new();
        vector_reader(3, 10_000).read_to_end(&mut c).unwrap();
        assert_eq!(a, c);
        assert_ne!(vector_bytes(4, 100), a[..100]);
    }

    #[test]
    fn random_stream_matches_gen_py() {
        // First bytes of SHAKE128(b"fil-import-vectors/v1 seed=1"), from Python's hashlib.
        assert_eq!(vector_bytes(1, 8), [91, 47, 54, 73, 46, 222, 48, 141]);
    }

    #[test]
    fn seal_inputs_match_the_vectors() {
        let doc = seal_vectors();
        for v in doc["vectors"].as_array().unwrap() {
            let seed = v["seed"].as_u64().unwrap();
            let inputs = &v["inputs"];
            let hex = |b: &[u8]| b.iter().map(|x| format!("{x:02x}")).collect::<String>();
            for label in ["prover_id", "ticket", "seed", "post_randomness"] {
                assert_eq!(
                    hex(&seal_input32(seed, label)),
                    inputs[label].as_str().unwrap(),
                    "{label}"
                );
            }
            assert_eq!(
                seal_sector_number(seed),
                inputs["sector_number"].as_u64().unwrap()
            );
        }
    }

    #[test]
    fn lcg_content_matches_its_definition() {
        let c = known_answer_content(&serde_json::json!({"lcg": 1, "size": 2}));
        let s1 = 1u64
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        let s2 = s1
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        assert_eq!(c, vec![(s1 >> 56) as u8, (s2 >> 56) as u8]);
    }
}

//! Times commP (best of 5 runs) of a payload in memory or, with `--file PATH`, of a file.
//!
//! ```text
//! cargo run --release -p flowcoin-proofs --example commp_time            # 100 MiB in memory
//! cargo run --release -p flowcoin-proofs --example commp_time -- 1048576 # other size
//! cargo run --release -p flowcoin-proofs --example commp_time -- --file some.car
//! cargo run --release -p flowcoin-proofs --example commp_time -- --copy some.car # io::copy
//! ```

use std::path::Path;
use std::time::Instant;

use flowcoin_proofs::{CommpWriter, commp_of_bytes, commp_of_file};

/// Each measurement is the best of this many runs.
const RUNS: usize = 5;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if let [flag, path] = args.as_slice()
        && flag == "--copy"
    {
        // What a caller that streams into the writer (e.g. `std::io::copy`) gets.
        let (mut best, mut last) = (f64::INFINITY, None);
        for _ in 0..RUNS {
            let start = Instant::now();
            let mut writer = CommpWriter::new();
            std::io::copy(&mut std::fs::File::open(path)?, &mut writer)?;
            last = Some(writer.finish()?);
            best = best.min(start.elapsed().as_secs_f64());
        }
        if let Some(commp) = last {
            report(commp.payload_size(), best, &commp.to_string());
        }
        return Ok(());
    }
    if let [flag, path] = args.as_slice()
        && flag == "--file"
    {
        let (mut best, mut last) = (f64::INFINITY, None);
        for _ in 0..RUNS {
            let start = Instant::now();
            last = Some(commp_of_file(Path::new(path))?);
            best = best.min(start.elapsed().as_secs_f64());
        }
        if let Some(commp) = last {
            report(commp.payload_size(), best, &commp.to_string());
        }
        return Ok(());
    }
    let len: usize = args.first().map_or(Ok(100 << 20), |a| a.parse())?;
    let data = payload(len);
    let mut best = f64::INFINITY;
    let mut cid = String::new();
    for _ in 0..RUNS {
        let start = Instant::now();
        let commp = commp_of_bytes(&data)?;
        best = best.min(start.elapsed().as_secs_f64());
        cid = commp.to_string();
    }
    report(len as u64, best, &cid);
    Ok(())
}

fn report(len: u64, seconds: f64, cid: &str) {
    let mib = len as f64 / f64::from(1 << 20);
    println!(
        "{mib:.1} MiB in {seconds:.3} s ({:.0} MiB/s): {cid}",
        mib / seconds
    );
}

/// Deterministic, incompressible-looking payload (xorshift64*).
fn payload(len: usize) -> Vec<u8> {
    let mut state = 0x9e37_79b9_7f4a_7c15u64;
    let mut out = Vec::with_capacity(len + 8);
    while out.len() < len {
        state ^= state >> 12;
        state ^= state << 25;
        state ^= state >> 27;
        out.extend_from_slice(&state.wrapping_mul(0x2545_f491_4f6c_dd1d).to_le_bytes());
    }
    out.truncate(len);
    out
}

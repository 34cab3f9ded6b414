//! A CAR file from a peer or a user: the streaming reader (header, then every section until the
//! end) and the whole-file check `inspect` must never panic, and must agree with each other.
#![no_main]

use flowcoin_dag::car::{CarError, CarReader, CarVersion, inspect};
use flowcoin_dag::hash::verify;
use libfuzzer_sys::fuzz_target;

/// What the streaming reader saw in a CAR it read to the end.
struct Streamed {
    version: CarVersion,
    roots: Vec<cid::Cid>,
    blocks: u64,
    block_bytes: u64,
    end: u64,
}

fn stream(data: &[u8]) -> Result<Streamed, CarError> {
    let mut reader = CarReader::new(data)?;
    let header = reader.header().clone();
    let mut seen = Streamed {
        version: header.version,
        roots: header.roots,
        blocks: 0,
        block_bytes: 0,
        end: 0,
    };
    let mut last_offset = None;
    while let Some((cid, block, offset)) = reader.next_block()? {
        // The reader promises verified blocks, at increasing offsets inside what it consumed.
        assert!(verify(&cid, &block).is_ok(), "unverified block {cid}");
        assert!(last_offset < Some(offset), "section offsets not increasing");
        assert!(
            offset < reader.position(),
            "section offset past the read position"
        );
        last_offset = Some(offset);
        seen.blocks += 1;
        seen.block_bytes += block.len() as u64;
    }
    seen.end = reader.position();
    assert!(
        seen.end <= data.len() as u64,
        "read past the end of the input"
    );
    Ok(seen)
}

fuzz_target!(|data: &[u8]| {
    let streamed = stream(data);
    let inspected = inspect(data);
    match (&streamed, &inspected) {
        (Ok(s), Ok(report)) => {
            let version = match s.version {
                CarVersion::V1 => 1,
                CarVersion::V2 => 2,
            };
            assert_eq!(report.version, version);
            assert_eq!(report.roots, s.roots);
            assert_eq!(report.blocks, s.blocks);
            assert_eq!(report.block_bytes, s.block_bytes);
            assert_eq!(report.file_bytes, s.end);
            assert!(report.distinct_blocks <= report.blocks);
            assert!(report.missing.len() <= 100);
        }
        // inspect also decodes every block's links, so it may reject what the reader accepts.
        (Ok(_), Err(_)) | (Err(_), Err(_)) => {}
        (Err(e), Ok(_)) => panic!("inspect accepted a CAR the reader rejects: {e}"),
    }
});

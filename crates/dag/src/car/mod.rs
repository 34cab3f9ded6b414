//! CAR (Content Addressable aRchive) files: CARv1 writing, CARv1 and CARv2 reading.
//!
//! Format (<https://ipld.io/specs/transport/car/>):
//! - CARv1: `varint(len) ‖ DAG-CBOR {roots: [CID…], version: 1}`, then sections
//!   `varint(len) ‖ CID ‖ block bytes` until the end.
//! - CARv2: the 11-byte pragma `0a a1 67 "version" 02`, a 40-byte header (16 bytes of
//!   characteristics, then data offset, data size and index offset as little-endian u64), and a
//!   CARv1 payload at the data offset. We read the payload and ignore the index.
//!
//! The reader treats its input as hostile: every length is bounded, every block is hashed
//! against its CID, and every error names the byte offset where it was found.

mod import;
mod read;
mod write;

pub use import::{CarImportError, CarImportReport, InspectReport, import_cars, inspect};
pub use read::{CarError, CarHeader, CarReader, CarVersion, DEFAULT_MAX_SECTION};
pub use write::{
    CarWriter, ExportCarError, ExportStats, Visit, export_car, header_bytes, walk_dag,
};

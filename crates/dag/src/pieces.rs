//! Splitting a DAG into CAR pieces that each fit a sector.
//!
//! The DAG is walked in the same depth-first pre-order as a whole-DAG CAR export and cut into
//! consecutive CARs whose total size (header included) stays within the limit. Each piece is a
//! valid CARv1 whose header names the DAG root, so any piece identifies the DAG it belongs to;
//! together the pieces hold every block exactly once, and importing all of them restores the
//! DAG. Concatenating the pieces' blocks in order gives exactly the blocks of the single CAR.

use std::io::Write;

use cid::Cid;

use crate::car::{CarWriter, ExportCarError, header_bytes, walk_dag};
use crate::store::Blockstore;

/// One piece written by [`split_dag`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PieceStats {
    /// Position of the piece, from 0.
    pub index: usize,
    /// Bytes of the CAR, header included.
    pub car_bytes: u64,
    /// Blocks in the piece.
    pub blocks: u64,
}

/// Why a DAG could not be split.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SplitError {
    /// Reading or writing failed.
    #[error(transparent)]
    Export(#[from] ExportCarError),
    /// A single block does not fit into a piece of the requested size.
    #[error(
        "block {cid} needs a {needed}-byte CAR, more than the {limit} bytes a piece can hold (choose a larger piece size)"
    )]
    BlockTooLarge {
        /// The block.
        cid: Cid,
        /// CAR bytes it needs (header plus its section).
        needed: u64,
        /// The limit.
        limit: u64,
    },
}

/// Writes the DAG under `root` as consecutive CARs of at most `max_car_bytes` each. `open`
/// is called to get the writer for piece `i`; `close` receives each finished writer with the
/// piece's stats (to flush, fsync, or finish a hash).
pub fn split_dag<B, W, O, C>(
    store: &B,
    root: &Cid,
    max_car_bytes: u64,
    mut open: O,
    mut close: C,
) -> Result<Vec<PieceStats>, SplitError>
where
    B: Blockstore + ?Sized,
    W: Write,
    O: FnMut(usize) -> std::io::Result<W>,
    C: FnMut(W, &PieceStats) -> std::io::Result<()>,
{
    let header_len = header_bytes(&[*root]).len() as u64;
    let mut pieces: Vec<PieceStats> = Vec::new();
    let mut current: Option<CarWriter<W>> = None;
    let mut too_large = None;
    let mut finish =
        |w: CarWriter<W>, pieces: &mut Vec<PieceStats>| -> Result<(), ExportCarError> {
            let stats = PieceStats {
                index: pieces.len(),
                car_bytes: w.bytes_written(),
                blocks: w.blocks_written(),
            };
            let inner = w.finish()?;
            close(inner, &stats)?;
            pieces.push(stats);
            Ok(())
        };
    walk_dag(store, root, &mut |cid, data| {
        let section = CarWriter::<W>::section_len(cid, data.len());
        if header_len.saturating_add(section) > max_car_bytes {
            too_large = Some((*cid, header_len.saturating_add(section)));
            return Err(ExportCarError::Io(std::io::Error::other("block too large")));
        }
        if let Some(w) =
            current.take_if(|w| w.bytes_written().saturating_add(section) > max_car_bytes)
        {
            finish(w, &mut pieces)?;
        }
        let w = match current.as_mut() {
            Some(w) => w,
            None => current.insert(CarWriter::new(open(pieces.len())?, &[*root])?),
        };
        w.write_block(cid, data)?;
        Ok(())
    })
    .map_err(|e| match too_large {
        Some((cid, needed)) => SplitError::BlockTooLarge {
            cid,
            needed,
            limit: max_car_bytes,
        },
        None => SplitError::Export(e),
    })?;
    if let Some(w) = current.take() {
        finish(w, &mut pieces)?;
    }
    Ok(pieces)
}

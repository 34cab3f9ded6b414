//! CommD: the commitment to a sector's unsealed data, from the commitments of the pieces in it
//! (filecoin-spec §1.4, rust-fil-proofs `compute_comm_d`).
//!
//! Pieces are laid out in order; each starts at an offset that is a multiple of its own
//! padded size, gaps are zero pieces, and the space after the last piece is zeros. CommD is
//! then the root of the sector's tree (TreeD), computed from the piece roots alone.

use flowcoin_types::PaddedPieceSize;

use crate::commp::piece_level;
use crate::hasher::Node;
use crate::merkle::Frontier;

/// Why a CommD could not be computed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CommDError {
    /// One piece alone is larger than the sector.
    #[error("piece {index} of {piece} does not fit in a sector of {sector}")]
    PieceLargerThanSector {
        /// Position of the piece in the list.
        index: usize,
        /// The piece's padded size.
        piece: PaddedPieceSize,
        /// The sector size.
        sector: PaddedPieceSize,
    },
    /// The pieces, each aligned to its own size, run past the end of the sector.
    #[error(
        "the pieces need {needed} bytes once each is aligned to its size, but the sector holds \
         {sector} (remove pieces, or order them largest first to avoid alignment gaps)"
    )]
    PiecesDoNotFit {
        /// Bytes the aligned pieces need (saturated at `u64::MAX`).
        needed: u64,
        /// The sector size.
        sector: PaddedPieceSize,
    },
    /// A piece root has one of its top two bits set, so no sha256-trunc254 tree produced it.
    #[error("the root of piece {index} has its top two bits set: it is not a piece commitment")]
    RootNotTruncated {
        /// Position of the piece in the list.
        index: usize,
    },
}

/// The CommD of a sector of `sector_size` (a [`flowcoin_types::SectorSize`] or any
/// [`PaddedPieceSize`]) holding `pieces` (padded size and commP root each), in order.
///
/// With no pieces this is the zero commitment of the sector size.
///
/// ```
/// use flowcoin_proofs::comm_d;
/// use flowcoin_types::SectorSize;
///
/// let empty = comm_d(SectorSize::Size2KiB, &[])?;
/// assert_eq!(hex::encode(empty), "fc7e928296e516faade986b28f92d44a4f24b935485223376a799027bc18f833");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn comm_d(
    sector_size: impl Into<PaddedPieceSize>,
    pieces: &[(PaddedPieceSize, [u8; 32])],
) -> Result<[u8; 32], CommDError> {
    let sector = sector_size.into();
    let needed = check_layout(sector, pieces)?;
    let overflow = |_| CommDError::PiecesDoNotFit { needed, sector };
    let mut frontier = Frontier::default();
    for (size, root) in pieces {
        frontier
            .push_aligned(piece_level(*size), *root)
            .map_err(overflow)?;
    }
    frontier.finish(piece_level(sector)).map_err(overflow)
}

/// Checks every piece and returns the bytes the aligned layout takes.
fn check_layout(
    sector: PaddedPieceSize,
    pieces: &[(PaddedPieceSize, Node)],
) -> Result<u64, CommDError> {
    let mut end = 0u64;
    for (index, (piece, root)) in pieces.iter().enumerate() {
        if *piece > sector {
            return Err(CommDError::PieceLargerThanSector {
                index,
                piece: *piece,
                sector,
            });
        }
        if root.last().is_some_and(|&b| b & 0xc0 != 0) {
            return Err(CommDError::RootNotTruncated { index });
        }
        let size = piece.bytes();
        // Sizes are powers of two, so rounding up to a multiple is exact and cannot exceed
        // the sector size unless the end already did.
        let start = end.checked_next_multiple_of(size);
        let next = start.and_then(|start| start.checked_add(size));
        match next {
            Some(next) if next <= sector.bytes() => end = next,
            _ => {
                let needed = next.unwrap_or(u64::MAX);
                return Err(CommDError::PiecesDoNotFit { needed, sector });
            }
        }
    }
    Ok(end)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hasher::node_hash;
    use crate::merkle::zero_commitment;
    use flowcoin_types::SectorSize;

    fn size(bytes: u64) -> PaddedPieceSize {
        PaddedPieceSize::new(bytes).unwrap()
    }

    fn z(level: u32) -> Node {
        *zero_commitment(level).unwrap()
    }

    #[test]
    fn empty_sectors_are_zero_commitments() {
        let hex = |s| hex::encode(comm_d(s, &[]).unwrap());
        assert_eq!(
            hex(SectorSize::Size2KiB.into()),
            "fc7e928296e516faade986b28f92d44a4f24b935485223376a799027bc18f833"
        );
        assert_eq!(
            hex(PaddedPieceSize::MIN),
            "3731bb99ac689f66eef5973e4a94da188f4ddcae580724fc6f3fd60dfd488333"
        );
    }

    #[test]
    fn a_full_size_piece_is_its_own_comm_d() {
        let root = [9u8; 32];
        assert_eq!(
            comm_d(SectorSize::Size8MiB, &[(size(8 << 20), root)]),
            Ok(root)
        );
    }

    #[test]
    fn small_then_larger_piece_is_aligned_with_a_zero_gap() {
        // Sector 1 KiB: [A 128 data][zero 128][B 256 data][zero 512].
        let (a, b) = ([1u8; 32], [2u8; 32]);
        let left = node_hash(&node_hash(&a, &z(2)), &b);
        let expected = node_hash(&left, &z(4));
        assert_eq!(
            comm_d(size(1024), &[(size(128), a), (size(256), b)]),
            Ok(expected)
        );
    }

    #[test]
    fn pieces_follow_the_reference_layouts() {
        // rust-fil-proofs test_verify_padded_pieces: A(1) B(4) C(2) D(8) in a 32-leaf sector
        // of 128-byte units.
        let (a, b, c, d) = ([1u8; 32], [2u8; 32], [3u8; 32], [4u8; 32]);
        let pieces = [
            (size(128), a),
            (size(512), b),
            (size(256), c),
            (size(1024), d),
        ];
        // Units of 128 B: A P P P | B B B B | C C P P | P P P P | D ×8 | P ×8.
        let h = node_hash;
        let first_4 = h(&h(&a, &z(2)), &z(3));
        let third_4 = h(&c, &z(3));
        let left = h(&h(&first_4, &b), &h(&third_4, &z(4)));
        let expected = h(&left, &h(&d, &z(5)));
        assert_eq!(comm_d(size(32 * 128), &pieces), Ok(expected));
    }

    #[test]
    fn bad_layouts_are_refused() {
        let root = [1u8; 32];
        assert_eq!(
            comm_d(size(1024), &[(size(2048), root)]),
            Err(CommDError::PieceLargerThanSector {
                index: 0,
                piece: size(2048),
                sector: size(1024)
            })
        );
        // 128 + gap + 512 + 512 does not fit in 1 KiB although 128 + 512 + 256 would.
        let err = comm_d(
            size(1024),
            &[(size(128), root), (size(512), root), (size(512), root)],
        );
        assert_eq!(
            err,
            Err(CommDError::PiecesDoNotFit {
                needed: 1536,
                sector: size(1024)
            })
        );
        assert!(
            err.unwrap_err()
                .to_string()
                .contains("order them largest first")
        );
        assert_eq!(
            comm_d(size(1024), &[(size(128), root), (size(128), [0xff; 32])]),
            Err(CommDError::RootNotTruncated { index: 1 })
        );
        let many = vec![(size(128), root); 9];
        assert!(matches!(
            comm_d(size(1024), &many),
            Err(CommDError::PiecesDoNotFit { .. })
        ));
    }
}

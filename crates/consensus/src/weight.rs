//! Chain weight (filecoin-spec §4.4, Lotus `chain/consensus/filcns/weight.go`): the fork
//! choice picks the heaviest tipset.
//!
//! ```text
//! log2P = bitlen(P) − 1            (0 when P = 0)
//! w(ts) = w(parent) + 256·log2P + ⌊256·log2P · ΣWinCount(ts) / (2·E)⌋
//! ```
//!
//! with P the network's total raw power in the parent state (the state `ts` is built on:
//! the power actor's `total_raw_power` at `ts.parent_state_root`), ΣWinCount the sum of the
//! win counts of the tipset's blocks and E the expected leaders per epoch. The second term is
//! Lotus's `256·log2P·ΣWinCount·wRatio_num / (E·wRatio_den)` with `wRatio = 1/2`.
//!
//! The fork choice ([`compare_tipsets`]) takes the heavier tipset, and between equal weights
//! the one with the smaller tickets.
//!
//! Every epoch with a tipset adds 256·log2P, and a tipset with more wins adds more, so
//! the chain with more blocks and more power behind it is heavier.
//!
//! Departures from Lotus: raw power instead of quality-adjusted power; a network with no
//! power weighs log2P = 0 (Lotus refuses to compute a weight then); E = 0 adds no election
//! term (Lotus divides by zero); the result saturates at `u128::MAX` instead of growing
//! without bound (it cannot get there: an epoch adds 256·log2P·(1 + ΣWinCount/2E) ≤
//! 256·127·(1 + blocks·3/2)).

use std::cmp::Ordering;

use flowcoin_dag::store::Blockstore;
use flowcoin_state::actor::power::power_state;
use flowcoin_state::state_tree::{StateError, StateTree};
use flowcoin_types::StoragePower;
use flowcoin_types::block::ChainWeight;
use flowcoin_types::tipset::{Tipset, ticket_digest};

/// ⌊log₂ P⌋ = bitlen(P) − 1, and 0 for P = 0.
pub fn log2_power(total_power: StoragePower) -> u32 {
    total_power.0.checked_ilog2().unwrap_or(0)
}

/// What a tipset adds to its parent's weight: `256·log2P + ⌊256·log2P·wins / (2·E)⌋` for
/// `total_power` P, `total_win_count` wins and `expected_leaders` E.
pub fn weight_increment(
    total_power: StoragePower,
    total_win_count: u64,
    expected_leaders: u64,
) -> u128 {
    // 256·log2P ≤ 256·127 fits easily; the product with a u64 count fits a u128.
    let base = u128::from(log2_power(total_power)).saturating_mul(256);
    let election = base
        .saturating_mul(u128::from(total_win_count))
        .checked_div(u128::from(expected_leaders).saturating_mul(2))
        .unwrap_or(0);
    base.saturating_add(election)
}

/// w(ts) = w(parent) + [`weight_increment`], from the parent's weight.
pub fn weight(
    parent_weight: ChainWeight,
    total_power: StoragePower,
    total_win_count: u64,
    expected_leaders: u64,
) -> ChainWeight {
    ChainWeight(parent_weight.0.saturating_add(weight_increment(
        total_power,
        total_win_count,
        expected_leaders,
    )))
}

/// The weight of `tipset`: its blocks' parent weight plus [`weight_increment`] with the
/// blocks' total win count. `total_power` is [`weight_power`] of the tipset's parent state.
pub fn tipset_weight(
    tipset: &Tipset,
    total_power: StoragePower,
    expected_leaders: u64,
) -> ChainWeight {
    weight(
        tipset.parent_weight(),
        total_power,
        tipset.total_win_count(),
        expected_leaders,
    )
}

/// The power the weight of a tipset is computed with: the power actor's `total_raw_power`
/// in `parent_state`, the state the tipset's blocks name as `parent_state_root`.
///
/// # Errors
/// [`StateError`] when the power actor's state cannot be read.
pub fn weight_power<S: Blockstore>(
    parent_state: &StateTree<S>,
) -> Result<StoragePower, StateError> {
    Ok(power_state(parent_state)?.total_raw_power)
}

/// Fork choice between two tipsets of known weights: [`Ordering::Greater`] when `a` should be
/// the head rather than `b`. The heavier wins; between equal weights, the tipset whose ticket
/// digests, smallest first, are smaller (Lotus compares the smallest ticket, then the next).
pub fn compare_tipsets(
    a_weight: ChainWeight,
    a: &Tipset,
    b_weight: ChainWeight,
    b: &Tipset,
) -> Ordering {
    a_weight.cmp(&b_weight).then_with(|| {
        // Blocks are in ticket-digest order already.
        let digests = |t: &Tipset| t.blocks().iter().map(ticket_digest).collect::<Vec<_>>();
        digests(b).cmp(&digests(a))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log2_power_is_bit_length_minus_one() {
        assert_eq!(log2_power(StoragePower(0)), 0);
        assert_eq!(log2_power(StoragePower(1)), 0);
        assert_eq!(log2_power(StoragePower(2)), 1);
        assert_eq!(log2_power(StoragePower(3)), 1);
        assert_eq!(log2_power(StoragePower(2048)), 11);
        assert_eq!(log2_power(StoragePower(4095)), 11);
        assert_eq!(log2_power(StoragePower(1 << 40)), 40);
        assert_eq!(log2_power(StoragePower(u128::MAX)), 127);
    }

    #[test]
    fn hand_computed_weights() {
        // P = 2048 (one 2 KiB sector): log2P = 11, 256·11 = 2816.
        // ΣWinCount = 1, E = 5: ⌊2816·1/10⌋ = 281 → +3097.
        assert_eq!(weight_increment(StoragePower(2048), 1, 5), 2816 + 281);
        // ΣWinCount = 5: ⌊2816·5/10⌋ = 1408 → +4224.
        assert_eq!(weight_increment(StoragePower(2048), 5, 5), 4224);
        // ΣWinCount = 0 (cannot happen in a valid tipset, still defined): +2816.
        assert_eq!(weight_increment(StoragePower(2048), 0, 5), 2816);
        // P = 10 TiB = 2^43 + 2^41: log2P = 43, 256·43 = 11008; wins 3, E 5:
        // ⌊11008·3/10⌋ = ⌊3302.4⌋ = 3302 → 14310, on top of a parent weight of 1000.
        assert_eq!(
            weight(ChainWeight(1000), StoragePower((1 << 43) + (1 << 41)), 3, 5),
            ChainWeight(1000 + 11008 + 3302)
        );
        // E = 1, wins 1: ⌊2816/2⌋ = 1408.
        assert_eq!(weight_increment(StoragePower(2048), 1, 1), 2816 + 1408);
        // No power: nothing added.
        assert_eq!(weight_increment(StoragePower(0), 4, 5), 0);
        // E = 0: no election term.
        assert_eq!(weight_increment(StoragePower(2048), 4, 0), 2816);
    }

    #[test]
    fn the_heavier_tipset_wins_and_equal_weights_go_to_the_smaller_tickets() {
        use flowcoin_types::Address;
        use flowcoin_types::TokenAmount;
        use flowcoin_types::block::{BlockHeader, ElectionProof, Ticket};
        use flowcoin_types::message::{Bytes, cbor_cid};

        let block = |ticket: u8| BlockHeader {
            miner: Address::Id(1000 + u64::from(ticket)),
            ticket: Ticket {
                vrf_proof: Bytes(vec![ticket; 96]),
            },
            election_proof: ElectionProof {
                win_count: 1,
                vrf_proof: Bytes(Vec::new()),
            },
            win_post_proof: Bytes(Vec::new()),
            parents: vec![cbor_cid(b"p")],
            parent_weight: ChainWeight(0),
            height: 1,
            parent_state_root: cbor_cid(b"s"),
            parent_message_receipts: cbor_cid(b"r"),
            messages: cbor_cid(b"m"),
            timestamp: 0,
            parent_base_fee: TokenAmount::ZERO,
            block_sig: Bytes(Vec::new()),
        };
        let tipset = |tickets: &[u8]| Tipset::new(tickets.iter().map(|&t| block(t)).collect());
        // Three ticket bytes in the order of their digests: t[0] < t[1] < t[2].
        let mut t = [1u8, 2, 3];
        t.sort_by_key(|&b| ticket_digest(&block(b)));
        let (first, second) = (tipset(&[t[0]]).unwrap(), tipset(&[t[1]]).unwrap());
        let w = ChainWeight(5);
        assert_eq!(compare_tipsets(w, &first, w, &second), Ordering::Greater);
        assert_eq!(compare_tipsets(w, &second, w, &first), Ordering::Less);
        assert_eq!(compare_tipsets(w, &first, w, &first), Ordering::Equal);
        // Weight first, whatever the tickets.
        assert_eq!(
            compare_tipsets(ChainWeight(6), &second, w, &first),
            Ordering::Greater
        );
        // Same smallest ticket: the next smallest decides.
        let with_second = tipset(&[t[0], t[1]]).unwrap();
        let with_third = tipset(&[t[0], t[2]]).unwrap();
        assert_eq!(
            compare_tipsets(w, &with_second, w, &with_third),
            Ordering::Greater
        );
    }

    #[test]
    fn weights_saturate() {
        assert_eq!(
            weight(
                ChainWeight(u128::MAX - 1),
                StoragePower(u128::MAX),
                u64::MAX,
                1
            ),
            ChainWeight(u128::MAX)
        );
        // 256·127·(2^64 − 1) / 2: no overflow, exact.
        let base = 256u128 * 127;
        assert_eq!(
            weight_increment(StoragePower(u128::MAX), u64::MAX, 1),
            base + base * u128::from(u64::MAX) / 2
        );
    }
}

//! Gas: the price of each step of applying a message ([`GasSchedule`]), how the fee of a
//! message is split ([`GasOutputs`]), and the base fee's evolution ([`next_base_fee`]).

use flowcoin_types::{NetworkParams, TokenAmount};

/// Gas prices of the steps of applying a message. One unit of gas is Filecoin's (about a
/// nanosecond of reference-machine time); where Filecoin has the same step the price is its.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct GasSchedule {
    /// Fixed compute cost of any message on chain (validation, sender read and update, fee
    /// accounting). Filecoin's `OnChainMessageComputeBase`: 38,863.
    pub on_chain_message_compute_base: u64,
    /// Storage bytes counted for any message on top of its own size (receipt and indexes).
    /// Filecoin's `OnChainMessageStorageBase`: 36.
    pub on_chain_message_storage_base: u64,
    /// Storage units per byte of the encoded message. Filecoin's
    /// `OnChainMessageStoragePerByte`: 1.
    pub on_chain_message_storage_per_byte: u64,
    /// Gas per storage unit. Filecoin's `StorageGasMulti`: 1,300.
    pub storage_gas_multiplier: u64,
    /// Dispatching a message to its receiver. Filecoin's `SendBase`: 29,233.
    pub send_base: u64,
    /// Looking up the receiver in the state tree (a HAMT read of a few nodes). Flowcoin's own
    /// figure: 21,000.
    pub actor_lookup: u64,
    /// Writing the receiver's changed state back to the tree (a HAMT path rewrite at the next
    /// flush). Flowcoin's own figure: 25,000.
    pub actor_update: u64,
    /// Moving a non-zero value. Filecoin's `SendTransferFunds`: 27,500.
    pub transfer_funds: u64,
    /// Creating an account actor for a new key address (init actor map write, new actor,
    /// its state object). Filecoin's `CreateActorCompute` 1,108,454 plus
    /// `CreateActorStorage` (36 + 40 bytes × 1,300 = 98,800): 1,207,254.
    pub create_account: u64,
    /// Verifying a vanilla seal proof in `ProveCommitSector`. Flowcoin's own figure (a 2 KiB
    /// proof verifies in about a millisecond, a 32 GiB one in tens): 50,000,000.
    pub verify_seal: u64,
    /// Verifying one sector's 10 Window PoSt openings. Flowcoin's own figure: 500,000.
    pub verify_post_per_sector: u64,
    /// Whether gas reserved far beyond what was used is partly burnt (Filecoin's
    /// over-estimation burn: of the gas above 110 % of the gas used, a share growing with
    /// the over-estimation is burnt at the base fee instead of refunded). On by default.
    pub overestimation_burn: bool,
}

impl Default for GasSchedule {
    fn default() -> Self {
        Self {
            on_chain_message_compute_base: 38_863,
            on_chain_message_storage_base: 36,
            on_chain_message_storage_per_byte: 1,
            storage_gas_multiplier: 1_300,
            send_base: 29_233,
            actor_lookup: 21_000,
            actor_update: 25_000,
            transfer_funds: 27_500,
            create_account: 1_207_254,
            verify_seal: 50_000_000,
            verify_post_per_sector: 500_000,
            overestimation_burn: true,
        }
    }
}

impl GasSchedule {
    /// The gas of merely including a message of `encoded_len` bytes: the least gas limit a
    /// message can have. `None` on overflow (no such message fits a block).
    pub fn on_chain_message(&self, encoded_len: usize) -> Option<u64> {
        let len = u64::try_from(encoded_len).ok()?;
        let storage = self.on_chain_message_storage_per_byte.checked_mul(len)?;
        let units = self.on_chain_message_storage_base.checked_add(storage)?;
        self.storage_gas_multiplier
            .checked_mul(units)?
            .checked_add(self.on_chain_message_compute_base)
    }
}

/// How the gas fee of an applied message is split. The sender pays
/// `base_fee_burn + over_estimation_burn + miner_tip`, which never exceeds
/// `gas_limit × gas_fee_cap`; `refund` is the rest of that reservation.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct GasOutputs {
    /// `gas_used × base_fee`, burnt.
    pub base_fee_burn: TokenAmount,
    /// `gas_burned × base_fee`, burnt (zero without over-estimation).
    pub over_estimation_burn: TokenAmount,
    /// `gas_used × min(gas_premium, gas_fee_cap − base_fee)`, to the block producer.
    pub miner_tip: TokenAmount,
    /// What the sender gets back of `gas_limit × gas_fee_cap`.
    pub refund: TokenAmount,
    /// Gas units refunded.
    pub gas_refund: u64,
    /// Gas units burnt for over-estimation.
    pub gas_burned: u64,
}

impl GasOutputs {
    /// Everything burnt: base fee and over-estimation. `None` on overflow.
    pub fn total_burn(&self) -> Option<TokenAmount> {
        self.base_fee_burn.checked_add(self.over_estimation_burn)
    }

    /// What the sender pays in gas: burn plus tip. `None` on overflow.
    pub fn sender_cost(&self) -> Option<TokenAmount> {
        self.total_burn()?.checked_add(self.miner_tip)
    }
}

/// Splits the fee of a message that used `gas_used` of `gas_limit` gas. Requires
/// `base_fee ≤ fee_cap` and `gas_used ≤ gas_limit`; `None` otherwise or on overflow.
///
/// Departure from Filecoin: the tip is paid on the gas *used* (EIP-1559), where Filecoin pays
/// it on the gas limit.
pub fn compute_gas_outputs(
    gas_used: u64,
    gas_limit: u64,
    base_fee: TokenAmount,
    fee_cap: TokenAmount,
    premium: TokenAmount,
    overestimation_burn: bool,
) -> Option<GasOutputs> {
    if gas_used > gas_limit {
        return None;
    }
    let tip_rate = premium.min(fee_cap.checked_sub(base_fee)?);
    let (gas_refund, gas_burned) = if overestimation_burn {
        overestimation(gas_used, gas_limit)
    } else {
        (gas_limit.checked_sub(gas_used)?, 0)
    };
    let base_fee_burn = base_fee.checked_mul(u128::from(gas_used))?;
    let over_estimation_burn = base_fee.checked_mul(u128::from(gas_burned))?;
    let miner_tip = tip_rate.checked_mul(u128::from(gas_used))?;
    let reserved = fee_cap.checked_mul(u128::from(gas_limit))?;
    let outputs = GasOutputs {
        base_fee_burn,
        over_estimation_burn,
        miner_tip,
        refund: TokenAmount::ZERO,
        gas_refund,
        gas_burned,
    };
    Some(GasOutputs {
        refund: reserved.checked_sub(outputs.sender_cost()?)?,
        ..outputs
    })
}

/// Filecoin's over-estimation rule: returns (gas refunded, gas burnt) of the
/// `gas_limit − gas_used` unused. Nothing is burnt up to 110 % of the gas used; beyond, the
/// burnt share of the unused gas is `min(gas_limit − 1.1 × gas_used, gas_used) / gas_used`.
/// A message that used no gas burns all of it.
fn overestimation(gas_used: u64, gas_limit: u64) -> (u64, u64) {
    const NUMERATOR: u128 = 11;
    const DENOMINATOR: u128 = 10;
    let unused = gas_limit.saturating_sub(gas_used);
    if gas_used == 0 {
        return (0, gas_limit);
    }
    let (used, limit) = (u128::from(gas_used), u128::from(gas_limit));
    let allowed = used.saturating_mul(NUMERATOR) / DENOMINATOR;
    let over = limit.saturating_sub(allowed).min(used);
    if over == 0 {
        return (unused, 0);
    }
    let burned = u128::from(unused)
        .saturating_mul(over)
        .checked_div(used)
        .unwrap_or(0);
    // burned ≤ unused since over ≤ used.
    let burned = u64::try_from(burned).unwrap_or(unused).min(unused);
    (unused.saturating_sub(burned), burned)
}

/// The base fee of the next epoch, Filecoin's EIP-1559-like rule: with target =
/// block_gas_limit / 2, the fee moves by `current × (gas_used − target) / target /
/// base_fee_max_change_denom` (at most ±1/denom), rounded toward zero, and never falls below
/// `min_base_fee`. `gas_used` above the block limit counts as the limit.
///
/// ```
/// use flowcoin_state::gas::next_base_fee;
/// use flowcoin_types::{NetworkParams, TokenAmount};
///
/// let params = NetworkParams::mainnet();
/// let fee = TokenAmount::from_atto(800);
/// let full = params.block_gas_limit;
/// assert_eq!(next_base_fee(fee, full, &params), TokenAmount::from_atto(900));
/// assert_eq!(next_base_fee(fee, full / 2, &params), fee);
/// assert_eq!(next_base_fee(fee, 0, &params), TokenAmount::from_atto(700));
/// ```
pub fn next_base_fee(current: TokenAmount, gas_used: u64, params: &NetworkParams) -> TokenAmount {
    let target = params.block_gas_limit / 2;
    let denom = u128::from(params.base_fee_max_change_denom);
    let change = |delta: u64| {
        current
            .mul_div_floor(delta, target)
            .and_then(|c| c.checked_div(denom))
            .unwrap_or(TokenAmount::ZERO)
    };
    let used = gas_used.min(params.block_gas_limit);
    let next = if used >= target {
        current
            .checked_add(change(used.saturating_sub(target)))
            .unwrap_or(TokenAmount::MAX)
    } else {
        current.saturating_sub(change(target.saturating_sub(used)))
    };
    next.max(params.min_base_fee)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn atto(a: u128) -> TokenAmount {
        TokenAmount::from_atto(a)
    }

    #[test]
    fn base_fee_rises_falls_and_floors() {
        let p = NetworkParams::mainnet();
        let fee = atto(100_000_000);
        // Full block: +12.5 %.
        assert_eq!(next_base_fee(fee, p.block_gas_limit, &p), atto(112_500_000));
        // Three quarters full: +6.25 %.
        assert_eq!(
            next_base_fee(fee, p.block_gas_limit / 4 * 3, &p),
            atto(106_250_000)
        );
        // At target: unchanged.
        assert_eq!(next_base_fee(fee, p.block_gas_limit / 2, &p), fee);
        // Empty: −12.5 %.
        assert_eq!(next_base_fee(fee, 0, &p), atto(87_500_000));
        // Above the block limit counts as the limit.
        assert_eq!(next_base_fee(fee, u64::MAX, &p), atto(112_500_000));
        // Floor.
        assert_eq!(next_base_fee(atto(101), 0, &p), p.min_base_fee);
        assert_eq!(next_base_fee(atto(0), 0, &p), p.min_base_fee);
        // Rounds toward zero both ways: 7 × 1/8 = 0.875 → no change.
        assert_eq!(next_base_fee(atto(107), p.block_gas_limit, &p), atto(120));
        assert_eq!(next_base_fee(atto(107), 0, &p), atto(100));
        // No overflow at the top.
        assert_eq!(
            next_base_fee(TokenAmount::MAX, p.block_gas_limit, &p),
            TokenAmount::MAX
        );
    }

    #[test]
    fn gas_outputs_split_the_reservation_exactly() {
        let o = compute_gas_outputs(1_000, 1_000, atto(100), atto(150), atto(20), true).unwrap();
        assert_eq!(o.base_fee_burn, atto(100_000));
        assert_eq!(o.miner_tip, atto(20_000));
        assert_eq!(o.over_estimation_burn, atto(0));
        assert_eq!(o.refund, atto(150_000 - 120_000));
        // Premium above the headroom is capped at fee_cap − base_fee.
        let o = compute_gas_outputs(1_000, 1_000, atto(100), atto(110), atto(50), true).unwrap();
        assert_eq!(o.miner_tip, atto(10_000));
        assert_eq!(o.refund, atto(0));
        // Fee cap below base fee, or more gas used than the limit: refused.
        assert!(compute_gas_outputs(1, 1, atto(100), atto(99), atto(0), true).is_none());
        assert!(compute_gas_outputs(2, 1, atto(1), atto(1), atto(0), true).is_none());
    }

    #[test]
    fn overestimation_matches_filecoins_rule() {
        // Within 110 %: nothing burnt.
        assert_eq!(overestimation(1000, 1100), (100, 0));
        // limit 2000, used 1000: over = min(2000 − 1100, 1000) = 900; burn 1000 × 900/1000.
        assert_eq!(overestimation(1000, 2000), (100, 900));
        // Far over: over capped at used, so all unused is burnt.
        assert_eq!(overestimation(1000, 10_000), (0, 9_000));
        assert_eq!(overestimation(0, 500), (0, 500));
        assert_eq!(overestimation(500, 500), (0, 0));
        let o = compute_gas_outputs(1000, 2000, atto(3), atto(5), atto(1), true).unwrap();
        assert_eq!(o.over_estimation_burn, atto(2700));
        assert_eq!(o.refund, atto(10_000 - 3000 - 2700 - 1000));
        let o = compute_gas_outputs(1000, 2000, atto(3), atto(5), atto(1), false).unwrap();
        assert_eq!((o.gas_refund, o.gas_burned), (1000, 0));
    }

    #[test]
    fn on_chain_message_cost_is_filecoins() {
        let s = GasSchedule::default();
        assert_eq!(s.on_chain_message(100), Some(38_863 + 1_300 * 136));
        assert_eq!(s.on_chain_message(usize::MAX), None);
    }
}

//! Choosing the messages of a block: each sender's includable run, cut into segments of
//! non-increasing average premium, taken greedily best first (Lotus's message chains).

use std::cmp::Ordering;
use std::collections::BinaryHeap;

use flowcoin_types::{SignedMessage, TokenAmount};

use super::{Queue, SenderState};

/// A message of an includable run with what selection needs of it.
#[derive(Debug, Clone, Copy)]
pub(super) struct Item<'a> {
    signed: &'a SignedMessage,
    /// The message's gas limit (what it takes of the block).
    gas: u64,
    /// The effective premium per gas at the base fee.
    tip: TokenAmount,
}

/// The sender's pending messages a block on the current head could include, in nonce order:
/// from the state nonce, without a gap, each with a fee cap of at least `base_fee`, all
/// together within the balance, at most `max_len` of them.
pub(super) fn includable_run(
    queue: &Queue,
    sender: SenderState,
    base_fee: TokenAmount,
    max_len: usize,
) -> Vec<Item<'_>> {
    let mut run = Vec::new();
    let mut expected = Some(sender.nonce);
    let mut funds = TokenAmount::ZERO;
    for (nonce, entry) in queue.range(sender.nonce..) {
        if expected != Some(*nonce) || run.len() >= max_len {
            break;
        }
        let message = &entry.signed.message;
        let Some(room) = message.gas_fee_cap.checked_sub(base_fee) else {
            break;
        };
        match funds.checked_add(entry.required) {
            Some(total) if total <= sender.balance => funds = total,
            _ => break,
        }
        run.push(Item {
            signed: &entry.signed,
            gas: message.gas_limit,
            tip: message.gas_premium.min(room),
        });
        expected = nonce.checked_add(1);
    }
    run
}

/// A range of a run: its gas and its gas-weighted tip.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Segment {
    start: usize,
    end: usize,
    /// Σ gas limit.
    gas: u128,
    /// Σ tip × gas limit (within the sender's balance, so it fits; saturating anyway).
    weighted: u128,
}

impl Segment {
    /// The segment of `items` from `start` to `end`.
    fn of(items: &[Item<'_>], start: usize, end: usize) -> Self {
        let slice = items.get(start..end).unwrap_or_default();
        let (gas, weighted) = slice.iter().fold((0u128, 0u128), |(gas, weighted), item| {
            let item_gas = u128::from(item.gas);
            (
                gas.saturating_add(item_gas),
                weighted.saturating_add(item.tip.atto().saturating_mul(item_gas)),
            )
        });
        Self {
            start,
            end,
            gas,
            weighted,
        }
    }

    /// The average tip per gas, rounded down.
    fn average_tip(&self) -> u128 {
        self.weighted.checked_div(self.gas).unwrap_or(0)
    }

    /// This segment followed by `next`.
    fn join(self, next: Self) -> Self {
        Self {
            start: self.start,
            end: next.end,
            gas: self.gas.saturating_add(next.gas),
            weighted: self.weighted.saturating_add(next.weighted),
        }
    }
}

/// Cuts a run into segments whose average tips do not increase: a message that pays more
/// than the segment before it can only be had with that segment, so they are ranked together.
fn segments(items: &[Item<'_>]) -> Vec<Segment> {
    let mut segments: Vec<Segment> = Vec::new();
    for index in 0..items.len() {
        let mut segment = Segment::of(items, index, index.saturating_add(1));
        while let Some(previous) = segments.last().copied() {
            if segment.average_tip() <= previous.average_tip() {
                break;
            }
            segments.pop();
            segment = previous.join(segment);
        }
        segments.push(segment);
    }
    segments
}

/// A sender's next segment waiting to be taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Candidate {
    /// Which run.
    run: usize,
    segment: Segment,
}

impl Ord for Candidate {
    /// Higher average tip first; on a tie the earlier run (lower sender address).
    fn cmp(&self, other: &Self) -> Ordering {
        self.segment
            .average_tip()
            .cmp(&other.segment.average_tip())
            .then_with(|| other.run.cmp(&self.run))
            .then_with(|| other.segment.start.cmp(&self.segment.start))
            .then_with(|| other.segment.end.cmp(&self.segment.end))
    }
}

impl PartialOrd for Candidate {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// Picks from `runs` (one per sender, each in nonce order) the messages of a block: at most
/// `gas_limit` gas and `max_count` messages, best average tip first, each run's messages a
/// prefix of it in order.
pub(super) fn select<'a>(
    runs: &[Vec<Item<'a>>],
    gas_limit: u64,
    max_count: usize,
) -> Vec<&'a SignedMessage> {
    let cut: Vec<Vec<Segment>> = runs.iter().map(|run| segments(run)).collect();
    let mut queue: BinaryHeap<Candidate> = cut
        .iter()
        .enumerate()
        .filter_map(|(run, segments)| {
            Some(Candidate {
                run,
                segment: *segments.first()?,
            })
        })
        .collect();
    let mut chosen = Vec::new();
    let mut gas_left = u128::from(gas_limit);
    let mut count_left = max_count;
    while let Some(Candidate { run, segment }) = queue.pop() {
        if count_left == 0 {
            break;
        }
        let (Some(items), Some(segments)) = (runs.get(run), cut.get(run)) else {
            continue;
        };
        let len = segment.end.saturating_sub(segment.start);
        if segment.gas <= gas_left && len <= count_left {
            chosen.extend(
                items
                    .get(segment.start..segment.end)
                    .unwrap_or_default()
                    .iter()
                    .map(|item| item.signed),
            );
            gas_left = gas_left.saturating_sub(segment.gas);
            count_left = count_left.saturating_sub(len);
            // The run's next segment starts where this one ended; a cut segment ends inside
            // one, so a sender whose segment was cut offers nothing more.
            if let Ok(next) = segments.binary_search_by_key(&segment.end, |s| s.start)
                && let Some(next) = segments.get(next)
            {
                queue.push(Candidate {
                    run,
                    segment: *next,
                });
            }
        } else if let Some(prefix) = fitting_prefix(items, segment, gas_left, count_left) {
            // Ranked again: the prefix's average differs from the whole segment's.
            queue.push(Candidate {
                run,
                segment: prefix,
            });
        }
    }
    chosen
}

/// The longest non-empty prefix of `segment` within `gas_left` and `count_left`, if any;
/// always shorter than `segment`, which did not fit.
fn fitting_prefix(
    items: &[Item<'_>],
    segment: Segment,
    gas_left: u128,
    count_left: usize,
) -> Option<Segment> {
    let mut gas = 0u128;
    let mut end = segment.start;
    for item in items.get(segment.start..segment.end).unwrap_or_default() {
        let with = gas.saturating_add(u128::from(item.gas));
        if with > gas_left || end.saturating_sub(segment.start) >= count_left {
            break;
        }
        gas = with;
        end = end.saturating_add(1);
    }
    (end > segment.start && end < segment.end).then(|| Segment::of(items, segment.start, end))
}

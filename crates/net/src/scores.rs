//! Peer scoring: what a peer did wrong lowers its score; at [`BAN_SCORE`] it is disconnected
//! and refused for [`BAN_DURATION`].
//!
//! A peer that has not misbehaved for [`FORGIVE_AFTER`] (and is not banned) is forgotten: its
//! score is back to 0. The table holds only peers that misbehaved (a well-behaved peer has no
//! entry) and at most
//! [`MAX_TRACKED`] of them: when full, the entry whose ban ends first (or, without bans, the
//! best-scored one) makes room.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use libp2p::PeerId;

/// The score at or below which a peer is banned.
pub const BAN_SCORE: i32 = -100;
/// How long a ban lasts.
pub const BAN_DURATION: Duration = Duration::from_secs(10 * 60);
/// How long after its last offence an unbanned peer's score is forgotten.
pub const FORGIVE_AFTER: Duration = Duration::from_secs(10 * 60);
/// Most peers the table tracks.
pub const MAX_TRACKED: usize = 4096;

/// What a peer did wrong, and what it costs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Misbehaviour {
    /// A block that breaks a consensus rule (banned at once).
    InvalidBlock,
    /// A message that fails its checks (bad signature, malformed).
    InvalidMessage,
    /// A response or gossip payload that does not decode, or does not match the request.
    MalformedData,
    /// A hello for another network (other genesis).
    WrongNetwork,
    /// A request that failed or timed out.
    FailedRequest,
}

impl Misbehaviour {
    /// The score it costs.
    pub fn penalty(self) -> i32 {
        match self {
            Self::InvalidBlock | Self::WrongNetwork => 100,
            Self::MalformedData => 50,
            Self::InvalidMessage => 20,
            Self::FailedRequest => 5,
        }
    }
}

#[derive(Debug, Clone, Copy)]
struct Entry {
    score: i32,
    banned_until: Option<Instant>,
    last_offence: Instant,
}

/// The scores of peers that misbehaved.
#[derive(Debug, Default)]
pub struct Scores {
    entries: HashMap<PeerId, Entry>,
}

impl Scores {
    /// Records `what` against `peer`; returns `true` if the peer is now banned (and was not).
    pub fn penalize(&mut self, peer: PeerId, what: Misbehaviour, now: Instant) -> bool {
        if !self.entries.contains_key(&peer) && self.entries.len() >= MAX_TRACKED {
            self.evict_one();
        }
        let entry = self.entries.entry(peer).or_insert(Entry {
            score: 0,
            banned_until: None,
            last_offence: now,
        });
        entry.score = entry.score.saturating_sub(what.penalty());
        entry.last_offence = now;
        if entry.score <= BAN_SCORE && entry.banned_until.is_none() {
            entry.banned_until = now.checked_add(BAN_DURATION);
            return true;
        }
        false
    }

    /// The peer's score (0 if it never misbehaved).
    pub fn score(&self, peer: &PeerId) -> i32 {
        self.entries.get(peer).map_or(0, |e| e.score)
    }

    /// Whether the peer is banned now.
    pub fn is_banned(&self, peer: &PeerId, now: Instant) -> bool {
        self.entries
            .get(peer)
            .and_then(|e| e.banned_until)
            .is_some_and(|until| until > now)
    }

    /// Forgets the bans that ended (and the peers' scores); returns those peers. Unbanned
    /// peers quiet for [`FORGIVE_AFTER`] are forgotten too.
    pub fn expire(&mut self, now: Instant) -> Vec<PeerId> {
        self.entries.retain(|_, e| {
            e.banned_until.is_some()
                || now.saturating_duration_since(e.last_offence) < FORGIVE_AFTER
        });
        let ended: Vec<PeerId> = self
            .entries
            .iter()
            .filter(|(_, e)| e.banned_until.is_some_and(|until| until <= now))
            .map(|(p, _)| *p)
            .collect();
        for peer in &ended {
            self.entries.remove(peer);
        }
        ended
    }

    /// Number of peers tracked.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether no peer is tracked.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    fn evict_one(&mut self) {
        // Unbanned peers first (best score first), then the ban that ends soonest.
        let victim = self
            .entries
            .iter()
            .min_by_key(|(_, e)| match e.banned_until {
                None => (0u8, -i64::from(e.score), None),
                Some(until) => (1u8, 0, Some(until)),
            })
            .map(|(p, _)| *p);
        if let Some(peer) = victim {
            self.entries.remove(&peer);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_invalid_block_bans_at_once_and_the_ban_expires() {
        let mut s = Scores::default();
        let p = PeerId::random();
        let now = Instant::now();
        assert!(s.penalize(p, Misbehaviour::InvalidBlock, now));
        assert!(s.is_banned(&p, now));
        assert_eq!(s.score(&p), -100);
        // Banned already: a second offence does not ban "again".
        assert!(!s.penalize(p, Misbehaviour::InvalidMessage, now));
        assert!(s.expire(now).is_empty());
        let later = now + BAN_DURATION;
        assert!(!s.is_banned(&p, later));
        assert_eq!(s.expire(later), vec![p]);
        assert_eq!(s.score(&p), 0);
    }

    #[test]
    fn small_offences_add_up() {
        let mut s = Scores::default();
        let p = PeerId::random();
        let now = Instant::now();
        for _ in 0..4 {
            assert!(!s.penalize(p, Misbehaviour::InvalidMessage, now));
        }
        assert!(!s.is_banned(&p, now));
        assert!(s.penalize(p, Misbehaviour::InvalidMessage, now));
        assert!(s.is_banned(&p, now));
    }

    #[test]
    fn a_quiet_peer_is_forgiven() {
        let mut s = Scores::default();
        let p = PeerId::random();
        let now = Instant::now();
        s.penalize(p, Misbehaviour::MalformedData, now);
        assert_eq!(s.score(&p), -50);
        s.expire(now + FORGIVE_AFTER / 2);
        assert_eq!(s.score(&p), -50);
        s.expire(now + FORGIVE_AFTER);
        assert_eq!(s.score(&p), 0);
        // So a second offence much later does not ban it.
        assert!(!s.penalize(p, Misbehaviour::MalformedData, now + FORGIVE_AFTER));
    }

    #[test]
    fn the_table_is_bounded() {
        let mut s = Scores::default();
        let now = Instant::now();
        let banned = PeerId::random();
        s.penalize(banned, Misbehaviour::InvalidBlock, now);
        for _ in 0..MAX_TRACKED + 10 {
            s.penalize(PeerId::random(), Misbehaviour::FailedRequest, now);
        }
        assert_eq!(s.len(), MAX_TRACKED);
        // The ban survives: unbanned peers are evicted first.
        assert!(s.is_banned(&banned, now));
    }
}

//! Garbage collection: mark every block reachable from a pin (through the link index, without
//! reading block data), delete the rest from the index, and return their space to the file
//! system.
//!
//! Every step is a committed transaction, so a crash at any point leaves a consistent store:
//! deleted records are listed in the `dead` table in the same transaction that removes them
//! from the index, and their space is reclaimed (again, harmlessly) after a restart.

use std::collections::{BTreeSet, HashSet};

use cid::Cid;
use redb::{ReadableDatabase, ReadableTable};
use serde::Serialize;

use super::StoreError;
use super::disk::{BLOCKS, DEAD, DiskStore, PACKS, PINS, REFS, db_err, decode_refs, key};

/// Blocks deleted per transaction.
const SWEEP_CHUNK: usize = 20_000;
/// Dead ranges reclaimed per transaction.
const RECLAIM_CHUNK: usize = 50_000;

/// What a collection did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct GcReport {
    /// Blocks removed from the store.
    pub blocks_removed: u64,
    /// Bytes of block records removed.
    pub bytes_removed: u64,
    /// Pack files deleted because nothing live remained in them.
    pub packs_deleted: u64,
    /// Blocks kept because a pin reaches them.
    pub blocks_kept: u64,
}

impl DiskStore {
    /// Deletes every block no pin reaches and returns its space to the file system.
    ///
    /// Works on a full disk: a reserve file set aside at open is released first when free
    /// space is low, and sweeping proceeds in small transactions that each free space before
    /// the next one needs it.
    pub fn gc(&self) -> Result<GcReport, StoreError> {
        let _w = self.lock();
        self.release_reserve_if_low();
        let mut report = GcReport::default();
        let reachable = self.mark()?;
        report.blocks_kept = reachable.len() as u64;
        let mut resume: Option<Vec<u8>> = None;
        loop {
            let victims = self.collect_victims(&reachable, resume.as_deref())?;
            let Some(last) = victims.last().map(|(k, _)| k.clone()) else {
                break;
            };
            let (removed, bytes) = self.delete(&victims)?;
            report.blocks_removed = report.blocks_removed.saturating_add(removed);
            report.bytes_removed = report.bytes_removed.saturating_add(bytes);
            report.packs_deleted = report.packs_deleted.saturating_add(self.reclaim_dead()?);
            resume = Some(last);
        }
        report.packs_deleted = report.packs_deleted.saturating_add(self.reclaim_dead()?);
        self.ensure_reserve();
        Ok(report)
    }

    /// Keys (multihashes) of every block reachable from a pin.
    fn mark(&self) -> Result<HashSet<Vec<u8>>, StoreError> {
        let txn = self.db.begin_read().map_err(db_err)?;
        let pins = txn.open_table(PINS).map_err(db_err)?;
        let refs = txn.open_table(REFS).map_err(db_err)?;
        let mut reachable = HashSet::new();
        let mut stack: Vec<Cid> = Vec::new();
        for row in pins.iter().map_err(db_err)? {
            let (k, _) = row.map_err(db_err)?;
            stack.push(
                crate::hash::cid_from_bytes(k.value())
                    .map_err(|e| StoreError::Corrupt(format!("pin key: {e}")))?,
            );
        }
        while let Some(cid) = stack.pop() {
            let k = key(&cid);
            if reachable.contains(&k) {
                continue;
            }
            if let Some(v) = refs.get(k.as_slice()).map_err(db_err)? {
                stack.extend(decode_refs(v.value())?);
            }
            reachable.insert(k);
        }
        Ok(reachable)
    }

    /// Up to a chunk of unreachable blocks after `resume`, with their locations.
    fn collect_victims(
        &self,
        reachable: &HashSet<Vec<u8>>,
        resume: Option<&[u8]>,
    ) -> Result<Vec<(Vec<u8>, super::packs::Loc)>, StoreError> {
        let txn = self.db.begin_read().map_err(db_err)?;
        let blocks = txn.open_table(BLOCKS).map_err(db_err)?;
        let iter = match resume {
            Some(r) => {
                blocks.range::<&[u8]>((std::ops::Bound::Excluded(r), std::ops::Bound::Unbounded))
            }
            None => blocks.range::<&[u8]>(..),
        }
        .map_err(db_err)?;
        let mut out = Vec::new();
        for row in iter {
            let (k, v) = row.map_err(db_err)?;
            if !reachable.contains(k.value()) {
                out.push((k.value().to_vec(), v.value()));
                if out.len() >= SWEEP_CHUNK {
                    break;
                }
            }
        }
        Ok(out)
    }

    /// Removes blocks from the index and records their ranges as dead, in one transaction.
    fn delete(&self, victims: &[(Vec<u8>, super::packs::Loc)]) -> Result<(u64, u64), StoreError> {
        let txn = self.db.begin_write().map_err(db_err)?;
        let mut bytes = 0u64;
        {
            let mut blocks = txn.open_table(BLOCKS).map_err(db_err)?;
            let mut refs = txn.open_table(REFS).map_err(db_err)?;
            let mut dead = txn.open_table(DEAD).map_err(db_err)?;
            let mut packs = txn.open_table(PACKS).map_err(db_err)?;
            for (k, (pack, data_off, len, head)) in victims {
                blocks.remove(k.as_slice()).map_err(db_err)?;
                refs.remove(k.as_slice()).map_err(db_err)?;
                let start = data_off.saturating_sub(u64::from(*head));
                let record = u64::from(*len).saturating_add(u64::from(*head));
                dead.insert((*pack, start), record).map_err(db_err)?;
                let current = packs.get(*pack).map_err(db_err)?.map(|v| v.value());
                if let Some((plen, live)) = current {
                    packs
                        .insert(*pack, (plen, live.saturating_sub(record)))
                        .map_err(db_err)?;
                }
                bytes = bytes.saturating_add(record);
            }
        }
        txn.commit().map_err(db_err)?;
        Ok((victims.len() as u64, bytes))
    }

    /// Punches holes for dead ranges, deletes packs with nothing live, and forgets both.
    /// Returns the number of packs deleted.
    pub(crate) fn reclaim_dead(&self) -> Result<u64, StoreError> {
        let mut deleted = 0;
        loop {
            let (ranges, empty_packs) = {
                let txn = self.db.begin_read().map_err(db_err)?;
                let dead = txn.open_table(DEAD).map_err(db_err)?;
                let mut ranges = Vec::new();
                for row in dead.iter().map_err(db_err)?.take(RECLAIM_CHUNK) {
                    let (k, v) = row.map_err(db_err)?;
                    ranges.push((k.value(), v.value()));
                }
                let packs = txn.open_table(PACKS).map_err(db_err)?;
                let mut empty = BTreeSet::new();
                for row in packs.iter().map_err(db_err)? {
                    let (k, v) = row.map_err(db_err)?;
                    if v.value().1 == 0 {
                        empty.insert(k.value());
                    }
                }
                (ranges, empty)
            };
            if ranges.is_empty() && empty_packs.is_empty() {
                return Ok(deleted);
            }
            for &((pack, offset), len) in &ranges {
                if !empty_packs.contains(&pack) {
                    self.packs.punch(pack, offset, len)?;
                }
            }
            let txn = self.db.begin_write().map_err(db_err)?;
            {
                let mut dead = txn.open_table(DEAD).map_err(db_err)?;
                for &(k, _) in &ranges {
                    dead.remove(k).map_err(db_err)?;
                }
                let mut packs = txn.open_table(PACKS).map_err(db_err)?;
                for &id in &empty_packs {
                    packs.remove(id).map_err(db_err)?;
                }
            }
            txn.commit().map_err(db_err)?;
            // Deleted only after the index forgot them; a crash in between leaves files that
            // recovery removes as unknown.
            for &id in &empty_packs {
                self.packs.remove(id)?;
                deleted = deleted.saturating_add(1);
            }
            if ranges.len() < RECLAIM_CHUNK {
                return Ok(deleted);
            }
        }
    }
}

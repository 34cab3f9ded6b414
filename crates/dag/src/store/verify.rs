//! Checking a store from end to end: every pinned DAG complete, every block matching its CID.

use std::collections::HashSet;

use rayon::prelude::*;

use cid::Cid;

use super::{Blockstore, DiskStore, StoreError};
use crate::hash::verify;
use crate::links::links;

/// What [`DiskStore::verify`] found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct VerifyReport {
    /// Pinned roots checked.
    pub pins: u64,
    /// Distinct blocks read and hashed.
    pub blocks: u64,
    /// Bytes read.
    pub bytes: u64,
    /// Problems found: the block and what is wrong (missing, hash mismatch, undecodable).
    pub problems: Vec<(Cid, String)>,
}

/// What checking one block found: its size, its links, or a problem.
type Checked = Result<(u64, Vec<Cid>), String>;

impl DiskStore {
    /// Reads every block of every pinned DAG, checks it against its CID and follows its links.
    /// Problems are collected (up to 1000), not returned as errors, so one bad block does not
    /// hide the others; store failures (I/O, database) are errors. Blocks of one level of the
    /// walk are read and hashed in parallel.
    pub fn verify(&self, progress: &mut dyn FnMut(u64)) -> Result<VerifyReport, StoreError> {
        let mut report = VerifyReport::default();
        let mut seen = HashSet::new();
        let mut level: Vec<Cid> = Vec::new();
        for (root, _) in self.pins()? {
            report.pins = report.pins.saturating_add(1);
            if seen.insert(root.hash().to_bytes()) {
                level.push(root);
            }
        }
        while !level.is_empty() {
            let checked: Vec<Result<Checked, StoreError>> =
                level.par_iter().map(|cid| self.check_block(cid)).collect();
            let mut next = Vec::new();
            for (cid, result) in level.iter().zip(checked) {
                match result? {
                    Ok((len, children)) => {
                        report.blocks = report.blocks.saturating_add(1);
                        report.bytes = report.bytes.saturating_add(len);
                        progress(len);
                        for child in children {
                            if seen.insert(child.hash().to_bytes()) {
                                next.push(child);
                            }
                        }
                    }
                    Err(problem) => {
                        if report.problems.len() < 1000 {
                            report.problems.push((*cid, problem));
                        }
                    }
                }
            }
            level = next;
        }
        Ok(report)
    }

    /// Reads and hashes one block and decodes its links.
    fn check_block(&self, cid: &Cid) -> Result<Checked, StoreError> {
        let data = match self.get(cid) {
            Ok(Some(data)) => data,
            Ok(None) => return Ok(Err("missing".to_owned())),
            Err(StoreError::Corrupt(e)) => return Ok(Err(e)),
            Err(e) => return Err(e),
        };
        if let Err(e) = verify(cid, &data) {
            return Ok(Err(e.to_string()));
        }
        Ok(links(cid, &data)
            .map(|children| (data.len() as u64, children))
            .map_err(|e| e.to_string()))
    }
}

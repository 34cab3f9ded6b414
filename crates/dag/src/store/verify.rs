//! Checking a store from end to end: every pinned DAG complete, every block matching its CID.

use std::collections::HashSet;

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

impl DiskStore {
    /// Reads every block of every pinned DAG, checks it against its CID and follows its links.
    /// Problems are collected (up to 1000), not returned as errors, so one bad block does not
    /// hide the others; store failures (I/O, database) are errors.
    pub fn verify(&self, progress: &mut dyn FnMut(u64)) -> Result<VerifyReport, StoreError> {
        let mut report = VerifyReport::default();
        let mut seen = HashSet::new();
        for (root, _) in self.pins()? {
            report.pins = report.pins.saturating_add(1);
            let mut stack = vec![root];
            while let Some(cid) = stack.pop() {
                if !seen.insert(cid.hash().to_bytes()) {
                    continue;
                }
                let problem = match self.get(&cid) {
                    Ok(None) => Some("missing".to_owned()),
                    Err(StoreError::Corrupt(e)) => Some(e),
                    Err(e) => return Err(e),
                    Ok(Some(data)) => {
                        report.blocks = report.blocks.saturating_add(1);
                        report.bytes = report.bytes.saturating_add(data.len() as u64);
                        progress(data.len() as u64);
                        match verify(&cid, &data) {
                            Err(e) => Some(e.to_string()),
                            Ok(()) => match links(&cid, &data) {
                                Ok(children) => {
                                    stack.extend(children);
                                    None
                                }
                                Err(e) => Some(e.to_string()),
                            },
                        }
                    }
                };
                if let Some(p) = problem
                    && report.problems.len() < 1000
                {
                    report.problems.push((cid, p));
                }
            }
        }
        Ok(report)
    }
}

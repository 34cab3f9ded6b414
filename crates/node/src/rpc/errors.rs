//! The JSON-RPC errors the chain, state, pool and miner methods answer with.
//!
//! | code | when |
//! |---|---|
//! | [`INVALID_PARAMS_CODE`] (-32602) | a parameter is malformed: not a CID, not an address of this network, not hex of a signed message |
//! | [`NOT_FOUND_CODE`] (404) | no such block, message, actor or miner; a height above the head |
//! | [`REFUSED_CODE`] (400) | the message pool refused a pushed message (the message says why) |
//! | [`UNAVAILABLE_CODE`] (503) | the node runs no chain, or does not mine |
//! | `INTERNAL_ERROR_CODE` (-32603) | a fault of the node (its store or state cannot be read) |

use cid::Cid;
use flowcoin_types::{Address, Network};
use jsonrpsee::types::ErrorObjectOwned;
pub use jsonrpsee::types::error::{INTERNAL_ERROR_CODE, INVALID_PARAMS_CODE};

/// JSON-RPC error code: the block, message, actor, miner or height asked for does not exist.
pub const NOT_FOUND_CODE: i32 = 404;
/// JSON-RPC error code: the message pool refused a message.
pub const REFUSED_CODE: i32 = 400;
/// JSON-RPC error code: the node does not run the service the method needs (no chain, no
/// miner).
pub const UNAVAILABLE_CODE: i32 = 503;

/// An error with `code` and `message`.
pub(crate) fn error(code: i32, message: impl Into<String>) -> ErrorObjectOwned {
    ErrorObjectOwned::owned(code, message.into(), None::<()>)
}

/// A fault of the node.
pub(crate) fn internal(message: impl std::fmt::Display) -> ErrorObjectOwned {
    error(INTERNAL_ERROR_CODE, message.to_string())
}

/// A malformed parameter.
pub(crate) fn invalid(message: impl Into<String>) -> ErrorObjectOwned {
    error(INVALID_PARAMS_CODE, message)
}

/// Something asked for that does not exist.
pub(crate) fn not_found(message: impl Into<String>) -> ErrorObjectOwned {
    error(NOT_FOUND_CODE, message)
}

/// The node runs no chain.
pub(crate) fn no_chain() -> ErrorObjectOwned {
    error(
        UNAVAILABLE_CODE,
        "this node runs no chain (it was started with --no-chain; start the daemon with a chain)",
    )
}

/// The node does not mine.
pub(crate) fn no_miner() -> ErrorObjectOwned {
    error(
        UNAVAILABLE_CODE,
        "this node does not mine (start the daemon with --miner ID and the miner's keys)",
    )
}

/// Reads a CID parameter.
pub(crate) fn parse_cid(text: &str) -> Result<Cid, ErrorObjectOwned> {
    text.trim()
        .parse()
        .map_err(|e| invalid(format!("{:?} is not a CID: {e}", bounded(text))))
}

/// Reads an address parameter written for `network`.
pub(crate) fn parse_address(text: &str, network: Network) -> Result<Address, ErrorObjectOwned> {
    Address::from_str_checked(text.trim(), network).map_err(|e| invalid(e.to_string()))
}

/// `text`, cut to a length fit for an error message.
fn bounded(text: &str) -> String {
    const MAX: usize = 100;
    match text.char_indices().nth(MAX) {
        Some((end, _)) => format!("{}…", text.get(..end).unwrap_or_default()),
        None => text.to_owned(),
    }
}

//! The Flowcoin node: configuration, service wiring, the JSON-RPC API and its auth tokens.

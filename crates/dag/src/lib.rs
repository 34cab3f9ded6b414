//! Flowcoin dag (placeholder).

//! The SDR parent graph and its on-disk cache (being written).

//! Elements of the BLS12-381 scalar field as 32-byte little-endian nodes (being written).

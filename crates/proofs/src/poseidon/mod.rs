//! Poseidon over the BLS12-381 scalar field, compatible with neptune (being written).

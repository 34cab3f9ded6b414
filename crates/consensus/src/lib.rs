//! Expected Consensus: election (VRF + power), win count, weight, block validation.

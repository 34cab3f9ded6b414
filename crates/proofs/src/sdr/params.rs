//! SDR parameters per sector size, porep_id and replica_id (being written).

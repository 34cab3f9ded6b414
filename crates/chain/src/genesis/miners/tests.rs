//! Genesis miners: template → state → inspect, the JSON form, and every refusal.

use flowcoin_dag::store::MemoryBlockstore;
use flowcoin_proofs::{sealed_cid, unsealed_cid};
use flowcoin_state::actor::miner::{miner_state, sectors};
use flowcoin_state::state_tree::StateTree;
use flowcoin_types::address::AddressParseError;
use flowcoin_types::{Address, Network, NetworkParams, SectorSize, StoragePower, TokenAmount};

use super::super::tests::template;
use super::super::*;

/// A made-up but well-formed sector: the commitments are `[n; 32]`.
fn sector(n: u8) -> GenesisSectorTemplate {
    GenesisSectorTemplate {
        sector_number: u64::from(n),
        comm_r: sealed_cid(&[n; 32]),
        comm_d: unsealed_cid(&[n; 32]),
        expiration: NetworkParams::devnet().miner.max_sector_lifetime,
    }
}

fn bls(n: u8) -> Address {
    Address::from_bls_public_key([n; 48])
}

/// Two miners: 1000 with new owner and worker accounts and two 2 KiB sectors; 1001 owned by
/// the premine, sharing 1000's worker, with one 8 MiB sector.
fn with_miners() -> GenesisTemplate {
    let mut t = template();
    t.miners = vec![
        GenesisMinerTemplate {
            id: 1000,
            owner: Address::from_ed25519_public_key(&[9; 32]),
            worker: bls(7),
            sector_size: SectorSize::Size2KiB,
            peer_id: vec![0x00, 0x03, 1, 2, 3],
            sectors: vec![sector(1), sector(2)],
        },
        GenesisMinerTemplate {
            id: 1001,
            owner: t.premine,
            worker: bls(7),
            sector_size: SectorSize::Size8MiB,
            peer_id: Vec::new(),
            sectors: vec![sector(5)],
        },
    ];
    t
}

fn no_miners() -> GenesisTemplate {
    template()
}

fn build(template: &GenesisTemplate) -> Result<(Genesis, MemoryBlockstore), GenesisError> {
    let mut store = MemoryBlockstore::new();
    let genesis = build_genesis(template, &NetworkParams::devnet(), &mut store)?;
    Ok((genesis, store))
}

fn refused(template: &GenesisTemplate) -> GenesisError {
    match build(template) {
        Ok(_) => panic!("the template should be refused"),
        Err(e) => e,
    }
}

#[test]
fn genesis_miners_start_with_the_power_of_their_sectors() {
    let template = with_miners();
    let (genesis, store) = build(&template).unwrap();
    assert_eq!(genesis.actors.miners, [1000, 1001]);
    // The same template gives the same genesis; without miners it is another one.
    assert_eq!(build(&template).unwrap().0.cid, genesis.cid);
    assert_ne!(build(&no_miners()).unwrap().0.cid, genesis.cid);

    let report = inspect_store(&store, &genesis.cid).unwrap();
    assert_eq!(report.total, TokenAmount::TOTAL_SUPPLY);
    assert_eq!(report.premine.id, 100);
    assert_eq!(report.premine.address, template.premine);
    let ids: Vec<_> = report.miners.iter().map(|m| m.id).collect();
    assert_eq!(ids, [1000, 1001]);
    let [first, second] = &report.miners[..] else {
        panic!("two miners expected")
    };
    // Owner and worker accounts are created after the allocations, with nothing.
    assert_eq!(first.owner.id, 154);
    assert_eq!(first.owner.address, template.miners[0].owner);
    assert_eq!(first.owner.amount, TokenAmount::ZERO);
    assert_eq!(first.worker.id, 155);
    assert_eq!(first.worker.address, bls(7));
    assert_eq!((first.sectors, first.sector_size), (2, 2048));
    assert_eq!(first.raw_power, StoragePower(4096));
    assert_eq!(first.balance, TokenAmount::ZERO);
    // The second reuses the premine account and the first's worker.
    assert_eq!(second.owner.id, 100);
    assert_eq!(second.worker.id, 155);
    assert_eq!(second.raw_power, StoragePower(8 << 20));
    assert_eq!(report.power.total_raw_power, StoragePower(4096 + (8 << 20)));
    assert_eq!(
        report.power.total_eligible_power,
        report.power.total_raw_power
    );
    assert_eq!(
        (report.power.miner_count, report.power.miners_above_min),
        (2, 2)
    );
    // Miners and their empty accounts are reported as miners, not as other actors.
    for other in &report.others {
        assert!(![154, 155, 1000, 1001].contains(&other.id), "{other:?}");
    }

    // The sectors are on chain as the template gave them, the miner under its actor address.
    let tree = StateTree::load(&store, &genesis.block.state_root).unwrap();
    let (_, state) = miner_state(&tree, 1000).unwrap().unwrap();
    assert_eq!(state.info.worker_key, bls(7));
    assert_eq!(state.info.peer_id.0, [0x00, 0x03, 1, 2, 3]);
    let on_chain = sectors(&tree, &state).unwrap();
    let numbers: Vec<_> = on_chain.iter().map(|s| s.sector_number).collect();
    assert_eq!(numbers, [1, 2]);
    assert_eq!(on_chain[1].sealed_cid, sealed_cid(&[2; 32]));
    assert_eq!(on_chain[1].unsealed_cid, unsealed_cid(&[2; 32]));
    assert_eq!(on_chain[1].expiration, sector(2).expiration);
    let robust = Address::new_actor(&miner_address_seed(1001));
    assert_eq!(tree.lookup_id(&robust).unwrap(), Some(1001));
}

#[test]
fn a_genesis_with_miners_round_trips_through_the_car() {
    let template = with_miners();
    let (genesis, store) = build(&template).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("genesis.car");
    write_car(&genesis, &store, &path).unwrap();
    let report = inspect(&path).unwrap();
    assert_eq!(report.genesis_cid, genesis.cid);
    assert_eq!(report.miners.len(), 2);
    assert_eq!(report.power.total_raw_power, StoragePower(4096 + (8 << 20)));
}

#[test]
fn templates_round_trip_through_json() {
    let template = with_miners();
    let json = template.to_json().unwrap();
    assert!(json.contains("\"id\": \"t01000\""), "{json}");
    assert!(json.contains("\"sector_size\": 2048"), "{json}");
    assert!(json.contains(&sealed_cid(&[1; 32]).to_string()), "{json}");
    assert_eq!(GenesisTemplate::from_json(&json).unwrap(), template);

    // A template from before miners existed still loads, with none.
    let mut old: serde_json::Value = serde_json::from_str(&template.to_json().unwrap()).unwrap();
    old.as_object_mut().unwrap().remove("miners");
    let loaded = GenesisTemplate::from_json(&old.to_string()).unwrap();
    assert!(loaded.miners.is_empty());
    assert_eq!(loaded.next_miner_id(), Some(1000));

    // Written atomically, read back.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("t.json");
    write_template(&path, &template).unwrap();
    assert_eq!(read_template(&path).unwrap(), template);
    let names: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
    assert_eq!(names.len(), 1, "no temporary file is left");
}

/// `template`'s JSON with `edit` applied to its first miner.
fn edited_json(edit: impl FnOnce(&mut serde_json::Value)) -> String {
    let mut value: serde_json::Value =
        serde_json::from_str(&with_miners().to_json().unwrap()).unwrap();
    edit(&mut value["miners"][0]);
    value.to_string()
}

#[test]
fn bad_miner_texts_are_refused_when_read() {
    // A mainnet address in a devnet template: the prefix is wrong.
    let mainnet_owner = Address::from_ed25519_public_key(&[9; 32])
        .display(Network::Mainnet)
        .to_string();
    let err = GenesisTemplate::from_json(&edited_json(|m| m["owner"] = mainnet_owner.into()))
        .unwrap_err();
    assert!(
        matches!(
            &err,
            TemplateError::Address {
                source: AddressParseError::WrongNetwork { .. },
                ..
            }
        ),
        "{err:?}"
    );
    let text = err.to_string();
    assert!(
        text.contains("miner 0's owner") && text.contains("mainnet"),
        "{text}"
    );

    let err = GenesisTemplate::from_json(&edited_json(|m| m["id"] = "f01000".into())).unwrap_err();
    assert!(err.to_string().contains("devnet"), "{err}");
    let key = bls(7).display(Network::Devnet).to_string();
    let err = GenesisTemplate::from_json(&edited_json(|m| m["id"] = key.into())).unwrap_err();
    assert!(
        matches!(err, TemplateError::NotAnIdAddress { .. }),
        "{err:?}"
    );
    assert!(err.to_string().contains("t01000"), "{err}");
    let err =
        GenesisTemplate::from_json(&edited_json(|m| m["sector_size"] = 3000.into())).unwrap_err();
    assert!(
        matches!(err, TemplateError::SectorSize { bytes: 3000, .. }),
        "{err:?}"
    );
    let err = GenesisTemplate::from_json(&edited_json(|m| {
        m["sectors"][0]["comm_r"] = "not-a-cid".into();
    }))
    .unwrap_err();
    assert!(matches!(err, TemplateError::Cid { .. }), "{err:?}");
    assert!(err.to_string().contains("sector 1 comm_r"), "{err}");
    let err =
        GenesisTemplate::from_json(&edited_json(|m| m["peer_id"] = "0OIl".into())).unwrap_err();
    assert!(matches!(err, TemplateError::PeerId { .. }), "{err:?}");
    let err = GenesisTemplate::from_json(&edited_json(|m| m["extra"] = 1.into())).unwrap_err();
    assert!(matches!(err, TemplateError::Json(_)), "{err:?}");
    let huge = " ".repeat(usize::try_from(MAX_TEMPLATE_BYTES).unwrap() + 1);
    assert!(matches!(
        GenesisTemplate::from_json(&huge),
        Err(TemplateError::TooLarge)
    ));
}

#[test]
fn bad_miners_are_refused_clearly() {
    let mut t = with_miners();
    t.miners[0].worker = Address::from_ed25519_public_key(&[3; 32]);
    let err = refused(&t);
    assert!(matches!(err, GenesisError::WorkerNotBls { .. }), "{err:?}");
    assert!(err.to_string().contains("--type bls"), "{err}");

    let mut t = with_miners();
    t.miners[0].sectors.push(sector(1));
    let err = refused(&t);
    assert!(
        matches!(
            err,
            GenesisError::DuplicateSector {
                sector_number: 1,
                ..
            }
        ),
        "{err:?}"
    );
    assert!(err.to_string().contains("t01000"), "{err}");

    let mut t = with_miners();
    t.miners[1].sector_size = SectorSize::Size32GiB;
    let err = refused(&t);
    assert!(
        matches!(
            err,
            GenesisError::SectorSizeNotAllowed {
                size: SectorSize::Size32GiB,
                ..
            }
        ),
        "{err:?}"
    );
    assert!(err.to_string().contains("2KiB"), "{err}");

    // CommR and CommD swapped: neither is the commitment its field holds.
    let mut t = with_miners();
    t.miners[0].sectors[1].comm_r = unsealed_cid(&[2; 32]);
    let err = refused(&t);
    assert!(
        matches!(
            err,
            GenesisError::NotACommitment {
                field: "comm_r",
                sector_number: 2,
                ..
            }
        ),
        "{err:?}"
    );
    let mut t = with_miners();
    t.miners[0].sectors[0].comm_d = sealed_cid(&[1; 32]);
    let err = refused(&t);
    assert!(
        matches!(
            err,
            GenesisError::NotACommitment {
                field: "comm_d",
                ..
            }
        ),
        "{err:?}"
    );
    assert!(err.to_string().contains("sector.json"), "{err}");

    // IDs follow template order from 1000.
    let mut t = with_miners();
    t.miners.swap(0, 1);
    let err = refused(&t);
    assert!(
        matches!(&err, GenesisError::MinerIdOutOfSequence { index: 0, expected, found }
            if expected == "t01000" && found == "t01001"),
        "{err:?}"
    );
    assert!(err.to_string().contains("--miner t01000"), "{err}");
    let mut t = with_miners();
    t.miners[1].id = 1000;
    assert!(matches!(
        refused(&t),
        GenesisError::MinerIdOutOfSequence { index: 1, .. }
    ));

    let mut t = with_miners();
    t.miners[0].owner = Address::Id(100);
    let err = refused(&t);
    assert!(
        matches!(
            err,
            GenesisError::NotAKeyAddress {
                role: GenesisRole::MinerOwner(1000),
                ..
            }
        ),
        "{err:?}"
    );

    let params = NetworkParams::devnet();
    for expiration in [
        params.miner.min_sector_lifetime,
        params.miner.max_sector_lifetime + 1,
    ] {
        let mut t = with_miners();
        t.miners[0].sectors[0].expiration = expiration;
        let err = refused(&t);
        assert!(
            matches!(err, GenesisError::SectorExpiration { .. }),
            "{err:?}"
        );
    }

    let mut t = with_miners();
    t.miners[0].peer_id = vec![0; 129];
    assert!(matches!(refused(&t), GenesisError::PeerIdTooLong { .. }));

    let mut t = with_miners();
    t.miners[0].sectors = (0..=MAX_GENESIS_SECTORS_PER_MINER as u64)
        .map(|n| GenesisSectorTemplate {
            sector_number: n,
            ..sector(1)
        })
        .collect();
    assert!(matches!(refused(&t), GenesisError::TooManySectors { .. }));

    // A miner may hold no sector yet: it exists, without power.
    let mut t = with_miners();
    t.miners[1].sectors.clear();
    let (genesis, store) = build(&t).unwrap();
    let report = inspect_store(&store, &genesis.cid).unwrap();
    assert_eq!(report.miners[1].raw_power, StoragePower::ZERO);
    assert_eq!(report.power.miners_above_min, 1);
}

#[test]
fn a_genesis_whose_miners_cannot_win_is_refused() {
    let mut params = NetworkParams::devnet();
    params.min_miner_power = 1 << 40;
    let template = with_miners();
    let mut store = MemoryBlockstore::new();
    assert!(matches!(
        build_genesis(&template, &params, &mut store),
        Err(GenesisError::NoEligibleMiner { .. })
    ));
}

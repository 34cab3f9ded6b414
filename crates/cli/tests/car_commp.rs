//! The piece commitment of the CAR of every vector file, under both profiles, equals the
//! vectors' `car_piece_cid_v1`/`car_piece_cid_v2`/`car_padded_piece_size` (computed outside by
//! @ipld/car + data-segment): the data layer and the piece commitments agree end to end. The
//! CAR is streamed straight into the commP hasher, as `client pieces` does.

use flowcoin_dag::car::export_car;
use flowcoin_dag::store::MemoryBlockstore;
use flowcoin_dag::unixfs::{ImportOptions, import_reader};
use flowcoin_proofs::CommpWriter;
use flowcoin_types::test_utils::{import_vectors, vector_entry_reader};

#[test]
fn car_piece_cids_of_every_vector() {
    let doc = import_vectors();
    let mut checked = 0;
    for v in doc["vectors"].as_array().unwrap() {
        for (prof, opts) in [
            ("kubo-default", ImportOptions::default()),
            (
                "cidv1-raw",
                ImportOptions {
                    chunk_size: 1_048_576,
                    max_links: 1024,
                    ..ImportOptions::cid_v1()
                },
            ),
        ] {
            let expect = &v[prof];
            let mut store = MemoryBlockstore::new();
            let root =
                import_reader(vector_entry_reader(v), &opts, &mut store, &mut |_| {}).unwrap();
            let mut hasher = CommpWriter::new();
            let stats = export_car(&store, &root.cid, &mut hasher).unwrap();
            let c = hasher.finish().unwrap();
            let what = format!("{} {prof}", v["name"]);
            assert_eq!(c.payload_size(), stats.bytes, "{what}");
            assert_eq!(
                c.piece_cid_v1().to_string(),
                expect["car_piece_cid_v1"].as_str().unwrap(),
                "{what}"
            );
            assert_eq!(
                c.piece_cid_v2().to_string(),
                expect["car_piece_cid_v2"].as_str().unwrap(),
                "{what}"
            );
            assert_eq!(
                c.padded_size().bytes(),
                expect["car_padded_piece_size"].as_u64().unwrap(),
                "{what}"
            );
            checked += 1;
        }
    }
    assert_eq!(checked, 92);
}

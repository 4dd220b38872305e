//! Every record kind survives encode and decode unchanged, inside an entry
//! that verifies, and its JSON form round-trips too.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    clippy::cast_possible_truncation,
    clippy::std_instead_of_core
)]

mod common;

use lotledger::chain::{Anchor, Verifier, Writer};
use lotledger::entry::{self, FORMAT_VERSION, Header, PrevLink};
use lotledger::frame::MAX_FRAME_LEN;
use lotledger::model::{Digest, LedgerId, Record, RecordKind};
use proptest::prelude::*;

fn round_trip(stamp: &lotledger::entry::Stamp, record: &Record) {
    let ledger = LedgerId([3; 16]);
    let mut w = Writer::new(Vec::new(), vec![0u8; MAX_FRAME_LEN], Anchor::genesis(&ledger));
    let receipt = w.append(stamp, record).unwrap();
    let bytes = w.storage().clone();
    let entries: Vec<_> =
        Verifier::new(&bytes, Anchor::genesis(&ledger)).collect::<Result<_, _>>().unwrap();
    assert_eq!(entries.len(), 1);
    let e = &entries[0];
    assert_eq!(e.hash, receipt.hash);
    assert_eq!(e.header.time, stamp.time);
    assert_eq!(e.header.actor, stamp.actor);
    assert_eq!(e.header.station, stamp.station);
    assert_eq!(&e.record().unwrap(), record);
    assert_eq!(e.kind().unwrap(), record.kind());
    // The stored record bytes are postcard's, whichever encoder wrote them
    // (the hot kinds have their own, `entry::encode_parts` the rest).
    let mut body = vec![0u8; MAX_FRAME_LEN];
    let len = entry::encode(&e.header, record, &mut body).unwrap();
    let (_, record_bytes) = entry::decode_header_ref(&body[..len]).unwrap();
    assert_eq!(record_bytes, postcard::to_allocvec(record).unwrap(), "{record:?}");
    // The JSON form carries the same record.
    let json = serde_json::to_string(record).unwrap();
    let back: Record = serde_json::from_str(&json).unwrap();
    assert_eq!(&back, record, "{json}");
}

macro_rules! kind_tests {
    ($($name:ident => $kind:ident,)*) => {
        proptest! {
            #![proptest_config(ProptestConfig::with_cases(256))]
            $(
                #[test]
                fn $name(stamp in common::stamp(), record in common::record_of(RecordKind::$kind)) {
                    round_trip(&stamp, &record);
                }
            )*
        }
    };
}

kind_tests! {
    material_received => MaterialReceived,
    inspected => Inspected,
    produced => Produced,
    disposition_set => DispositionSet,
    packed => Packed,
    shipped => Shipped,
    delivered => Delivered,
    returned => Returned,
    complaint_registered => ComplaintRegistered,
    complaint_progress => ComplaintProgress,
    recall_opened => RecallOpened,
    recall_action => RecallAction,
    destroyed => Destroyed,
    corrected => Corrected,
    attached => Attached,
    checkpointed => Checkpointed,
    complaint_registered_v1 => ComplaintRegisteredV1,
    party_described => PartyDescribed,
    location_described => LocationDescribed,
    product_described => ProductDescribed,
    commissioned => Commissioned,
    aggregated => Aggregated,
    goods_shipped => GoodsShipped,
    goods_returned => GoodsReturned,
    decommissioned => Decommissioned,
    personal_data_erased => PersonalDataErased,
    retention_applied => RetentionApplied,
}

#[test]
fn every_kind_has_a_round_trip_test() {
    // The macro above lists one test per kind; this fails when a kind is added without one.
    assert_eq!(RecordKind::ALL.len(), 27);
}

#[test]
fn unknown_kind_is_reported_but_the_chain_verifies() {
    let ledger = LedgerId([9; 16]);
    let genesis = Anchor::genesis(&ledger);
    let header = Header {
        version: FORMAT_VERSION,
        seq: 0,
        time: lotledger::model::Timestamp(0),
        link: PrevLink::of(&genesis.head),
        actor: "a".parse().unwrap(),
        station: "s".parse().unwrap(),
    };
    // Encode a header, then a record of kind 99 that this version does not know.
    let mut body = postcard::to_allocvec(&header).unwrap();
    body.extend_from_slice(&[99, 1, 2, 3]);
    let mut frame = vec![0u8; MAX_FRAME_LEN];
    frame[2..2 + body.len()].copy_from_slice(&body);
    let r = lotledger::frame::seal(&mut frame, body.len()).unwrap();
    let bytes = frame[r].to_vec();
    let v: Vec<_> = Verifier::new(&bytes, genesis).collect::<Result<_, _>>().unwrap();
    assert_eq!(v[0].record(), Err(entry::DecodeError::UnknownKind(99)));
    assert_eq!(v[0].hash, entry::hash(&genesis.head, &body));
    let report = lotledger::chain::verify_records(&bytes, genesis).unwrap();
    assert_eq!(report.unknown_kinds, 1);
    let _ = Digest::default();
}

//! Master data in the reports, on the hand-built plant of `query_plant`
//! with party, location and product descriptions added on the sales ledger.
//! Every expected answer is worked out by hand from the records below.
//!
//! ```text
//! h41 party_described gln:7612345000008 aka C-2, "Apotheke am Markt",
//!     Marktgasse 1, 3011 Bern, CH; contact recall coordinator Anna Muster
//! h42 F1 100 -> gln:7612345000008 (SO-6)   (so C-2's party holds 200 + 100)
//! h43 party_described, same party: address Bahnhofplatz 2, 3011 Bern
//! h45 party_described own site "Muster Pharma AG" (V-OWN, role own_site)
//! h46 location_described LOC-1 "Spitalapotheke Nord", Spitalstrasse 5, 4000 Basel
//! h47 product_described gtin 09506000134352 "Paracetamol 500 mg tablets"
//! ```
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    clippy::std_instead_of_core
)]

mod query_plant;

use lotledger::chain::Receipt;
use lotledger::interop::fsma;
use lotledger::model::*;
use lotledger::query;
use query_plant::*;

fn gln_party() -> PartyId {
    serde_json::from_str(r#"{"gln":"7612345000008"}"#).unwrap()
}

fn describe_party(p: &mut Plant, h: i64, json: &str) -> Receipt {
    let d: PartyDescribed = serde_json::from_str(json).unwrap();
    p.put(SALES, t(h), "s.okafor", "QA-OFFICE", Record::PartyDescribed(d))
}

const MARKT: &str = r#"{"party":{"gln":"7612345000008"},"also_known_as":[{"internal":"C-2"}],
    "name":"Apotheke am Markt","roles":["customer"],
    "addresses":[{"street":"Marktgasse 1","city":"Bern","postal_code":"3011","country":"CH"}],
    "contacts":[{"function":"recall coordinator","person":"Anna Muster","phone":"+41 31 000 00 00","email":"recall@markt.example"}]}"#;

const BAHNHOF: &str = r#"{"party":{"gln":"7612345000008"},"also_known_as":[{"internal":"C-2"}],
    "name":"Apotheke am Markt","roles":["customer"],
    "addresses":[{"street":"Bahnhofplatz 2","city":"Bern","postal_code":"3011","country":"CH"}],
    "contacts":[{"function":"recall coordinator","person":"Anna Muster","phone":"+41 31 000 00 00"}]}"#;

/// The standard plant with the master data of the module documentation;
/// returns the plant and the receipt of the address update (h43).
fn described() -> (Plant, Receipt) {
    let mut p = standard();
    describe_party(&mut p, 41, MARKT);
    p.put(
        SALES,
        t(42),
        "t.yilmaz",
        "SHIP-1",
        Record::Shipped(Shipped {
            lot: fg("F1"),
            quantity: pcs(100),
            customer: gln_party(),
            ship_to: None,
            order: r("SO-6"),
        }),
    );
    let update = describe_party(&mut p, 43, BAHNHOF);
    describe_party(
        &mut p,
        45,
        r#"{"party":{"internal":"V-OWN"},"name":"Muster Pharma AG","roles":["own_site"],
            "addresses":[{"street":"Industriestrasse 9","city":"Basel","postal_code":"4057","country":"CH"}],
            "contacts":[{"function":"QA recall desk","phone":"+41 61 000 11 22"}]}"#,
    );
    let loc: LocationDescribed = serde_json::from_str(
        r#"{"location":{"internal":"LOC-1"},"kind":"ship_to","name":"Spitalapotheke Nord",
            "address":{"street":"Spitalstrasse 5","city":"Basel","postal_code":"4000","country":"CH"},
            "owner":{"internal":"C-1"}}"#,
    )
    .unwrap();
    p.put(SALES, t(46), "s.okafor", "QA-OFFICE", Record::LocationDescribed(loc));
    let product: ProductDescribed = serde_json::from_str(
        r#"{"item":{"gtin":"09506000134352"},"description":"Paracetamol 500 mg tablets",
            "form":"tablet","strength":"500 mg","pack_size":"30 H87","shelf_life_days":1095,
            "storage":"below 25 °C"}"#,
    )
    .unwrap();
    p.put(SALES, t(47), "s.okafor", "QA-OFFICE", Record::ProductDescribed(product));
    (p, update)
}

/// Guards item 1 and the recall report: a party known by its GLN and by
/// its code C-2 is ONE customer, shown by its GLN, with its name, the
/// address in force and its first contact; C-1 has no master data and is
/// counted as such.
#[test]
fn one_party_by_gln_and_code_is_one_customer_with_name_address_and_contact() {
    let (p, _) = described();
    let ix = p.index();
    let rep = query::recall(&ix, &[lot("RM-A", "A1")]).unwrap();
    let names: Vec<&str> = rep.customers.iter().map(|c| c.customer.as_str()).collect();
    // C-1 first shipped at h30, the GLN party (as C-2) at h31.
    assert_eq!(names, ["C-1", "gln:7612345000008"]);
    let markt = &rep.customers[1];
    // 200 of F1 to C-2 (h31) + 100 of F1 to its GLN (h42).
    assert_eq!(markt.shipped.to_string(), "300 H87");
    assert_eq!(markt.shipments.len(), 2);
    let d = &markt.customer_details;
    assert!(d.master_data);
    assert_eq!(d.name.as_deref(), Some("Apotheke am Markt"));
    assert_eq!(d.identities, ["gln:7612345000008", "C-2"]);
    // The update at h43 replaced the address.
    assert_eq!(query::address_line(d.address.as_ref().unwrap()), "Bahnhofplatz 2, 3011 Bern, CH");
    let contact = d.contact.as_ref().unwrap();
    assert_eq!(contact.function.as_str(), "recall coordinator");
    assert_eq!(contact.person.as_plain(), Some("Anna Muster"));
    assert!(contact.email.is_empty(), "the update has no e-mail");
    // C-1 is described by nothing.
    assert!(!rep.customers[0].customer_details.master_data);
    assert_eq!(rep.without_master_data, ["C-1"]);
    // The per-lot line of the party sums both identities too.
    let line = rep.customer_lots.iter().find(|l| l.customer == "gln:7612345000008").unwrap();
    assert_eq!(line.shipped.to_string(), "300");
    assert_eq!(line.customer_name.as_deref(), Some("Apotheke am Markt"));
    assert!(rep.customer_lots.iter().all(|l| l.customer != "C-2"));
    // The JSON form carries the contact's personal fields in their JSON form.
    let json = serde_json::to_value(&rep).unwrap();
    assert_eq!(json["customers"][1]["customer_details"]["contact"]["person"], "Anna Muster");
    assert_eq!(json["without_master_data"][0], "C-1");
}

/// Guards the audit history and corrections: the update replaces the
/// address, both versions are listed; voiding the update brings the first
/// one back in force.
#[test]
fn an_update_replaces_the_address_and_a_voided_update_falls_back() {
    let (mut p, update) = described();
    let gln = gln_party();
    let history = query::party_history(&p.index(), &party("C-2"));
    assert_eq!(history.len(), 2);
    assert_eq!(
        history.iter().map(|v| (v.time, v.current, v.void)).collect::<Vec<_>>(),
        [(t(41), false, false), (t(43), true, false)]
    );
    assert_eq!(history[1].record.addresses[0].street.as_str(), "Bahnhofplatz 2");

    p.correct(SALES, 48, lotledger::model::EntryRef { seq: update.seq, hash: update.hash }, "x");
    let ix = p.index();
    let d = query::party(&ix, &gln).unwrap();
    assert_eq!(query::address_line(d.address.as_ref().unwrap()), "Marktgasse 1, 3011 Bern, CH");
    assert_eq!(d.contact.unwrap().email.as_plain(), Some("recall@markt.example"));
    let history = query::party_history(&ix, &gln);
    assert_eq!(
        history.iter().map(|v| (v.time, v.current, v.void)).collect::<Vec<_>>(),
        [(t(41), true, false), (t(43), false, true)]
    );
}

/// Guards the union-find across records: a later description can add an
/// identity, which then joins the same party.
#[test]
fn a_later_record_adds_an_identity() {
    let (mut p, _) = described();
    p.ship(49, &fg("F1"), pcs(10), "C-22", None, "SO-7");
    let ix = p.index();
    assert!(!query::party(&ix, &party("C-22")).unwrap().master_data);
    describe_party(
        &mut p,
        50,
        r#"{"party":{"internal":"C-2"},"also_known_as":[{"internal":"C-22"}],"name":"Apotheke am Markt (Filiale)"}"#,
    );
    let ix = p.index();
    let rep = query::recall(&ix, &[lot("RM-A", "A1")]).unwrap();
    // C-22 joins the GLN party through C-2: still two customers, the latest
    // description (h50, which names C-2 first) in force.
    let names: Vec<&str> = rep.customers.iter().map(|c| c.customer.as_str()).collect();
    assert_eq!(names, ["C-1", "C-2"]);
    assert_eq!(rep.customers[1].shipped.to_string(), "310 H87");
    assert_eq!(
        rep.customers[1].customer_details.name.as_deref(),
        Some("Apotheke am Markt (Filiale)")
    );
    assert_eq!(rep.customers[1].customer_details.identities, ["C-2", "gln:7612345000008", "C-22"]);
}

/// Guards the names in the other reports: expiring, complaints filter by
/// any identity, trace shipments and receipts.
#[test]
fn names_in_expiring_and_trace() {
    let (p, _) = described();
    let ix = p.index();
    let rep = query::expiring(&ix, date(2027, 2, 1), None);
    // F1 (expiry 2027-01-31): C-1 holds 300 - 20 = 280; the GLN party 300.
    let held: Vec<(&str, Option<&str>, String)> = rep
        .customers
        .iter()
        .map(|c| {
            (c.customer.as_str(), c.customer_details.name.as_deref(), c.outstanding.to_string())
        })
        .collect();
    assert_eq!(
        held,
        [
            ("C-1", None, "280".into()),
            ("gln:7612345000008", Some("Apotheke am Markt"), "300".into())
        ]
    );
    let f = query::trace_forward(&ix, &lot("RM-A", "A1")).unwrap();
    let s = f.shipments.iter().find(|s| s.order() == "SO-2").unwrap();
    assert_eq!((s.customer(), s.customer_name()), ("gln:7612345000008", Some("Apotheke am Markt")));
    let b = query::trace_backward(&ix, &fg("F1")).unwrap();
    assert!(b.receipts.iter().all(|r| r.supplier_name.is_none()));
}

/// Guards the FSMA 204 description columns: the product's description,
/// our own site, the described ship-to location, and empty when unknown.
#[test]
fn fsma_rows_carry_product_and_location_descriptions() {
    let (p, _) = described();
    let ix = p.index();
    let d = fsma::Descriptions::from_index(&ix);
    let header = lotledger::entry::Header {
        version: lotledger::entry::FORMAT_VERSION,
        seq: 0,
        time: t(30),
        actor: "t.yilmaz".parse().unwrap(),
        station: "SHIP-1".parse().unwrap(),
        link: lotledger::entry::PrevLink::of(&Digest([0; 32])),
    };
    let ship = |customer: &str, to: Option<&str>| {
        Record::Shipped(Shipped {
            lot: fg("F1"),
            quantity: pcs(1),
            customer: party(customer),
            ship_to: to.map(|x| LocationId::Internal(x.parse().unwrap())),
            order: r("SO-1"),
        })
    };
    let id = p.id(SALES);
    let record = ship("C-1", Some("LOC-1"));
    let mut rows = fsma::entry_rows(&id, &header, &Digest([0; 32]), &record);
    d.describe(&record, &mut rows);
    assert_eq!(rows[0].product_description, "Paracetamol 500 mg tablets");
    assert_eq!(
        rows[0].location_description,
        "Muster Pharma AG, Industriestrasse 9, 4057 Basel, CH"
    );
    assert_eq!(rows[0].ship_from_description, rows[0].location_description);
    assert_eq!(rows[0].ship_to_description, "Spitalapotheke Nord, Spitalstrasse 5, 4000 Basel, CH");
    // Without a ship-to, the customer's main address; by its code C-2.
    let record = ship("C-2", None);
    let mut rows = fsma::entry_rows(&id, &header, &Digest([0; 32]), &record);
    d.describe(&record, &mut rows);
    assert_eq!(rows[0].ship_to_description, "Apotheke am Markt, Bahnhofplatz 2, 3011 Bern, CH");
    // Unknown party and item: empty.
    let record = Record::MaterialReceived(MaterialReceived {
        lot: lot("RM-A", "A9"),
        quantity: kg(1),
        supplier: party("V-ACME"),
        supplier_lot: None,
        order: None,
    });
    let mut rows = fsma::entry_rows(&id, &header, &Digest([0; 32]), &record);
    d.describe(&record, &mut rows);
    assert_eq!(
        (rows[0].product_description.as_str(), rows[0].ship_from_description.as_str()),
        ("", "")
    );
    let cells = rows[0].cells();
    assert_eq!(cells.len(), fsma::COLUMNS.len());
    assert_eq!(
        fsma::COLUMNS[17..21],
        [
            "product_description",
            "location_description",
            "ship_from_description",
            "ship_to_description"
        ]
    );
}

/// Guards the notices query: one notice per customer of the recall scope,
/// lines hand-counted, our own site as the contact, the class template.
#[test]
fn recall_notices_per_customer() {
    let (mut p, _) = described();
    let mut lots = heapless::Vec::new();
    lots.push(lot("RM-A", "A1")).unwrap();
    p.put(
        SALES,
        t(60),
        "s.okafor",
        "QA-OFFICE",
        Record::RecallOpened(RecallOpened {
            recall: r("RC-1"),
            class: RecallClass::II,
            lots,
            reason: "supplier reported contamination".parse().unwrap(),
        }),
    );
    let ix = p.index();
    let batch = query::recall_notices(&ix, &r("RC-1")).unwrap();
    assert_eq!(batch.reference, "RC-1");
    assert!(batch.what_to_do.starts_with("Stop distributing the lots listed below."));
    assert!(batch.what_to_do.ends_with("Reason: supplier reported contamination."));
    assert_eq!(batch.contact.as_ref().unwrap().name.as_deref(), Some("Muster Pharma AG"));
    let who: Vec<(&str, usize, String)> = batch
        .notices
        .iter()
        .map(|n| (n.customer.as_str(), n.lines.len(), n.outstanding.to_string()))
        .collect();
    // C-1: F1 300 (SO-1) and F2 100 (SO-3), 20 of F1 back: 380 held.
    // The GLN party: F1 200 (SO-2, as C-2) and 100 (SO-6): 300 held.
    assert_eq!(who, [("C-1", 2, "380 H87".into()), ("gln:7612345000008", 2, "300 H87".into())]);
    let l = &batch.notices[1].lines[0];
    assert_eq!((l.lot.as_str(), l.order.as_str()), ("F1", "SO-2"));
    assert_eq!(l.product.as_deref(), Some("Paracetamol 500 mg tablets"));
    assert_eq!(l.expiry, Some(date(2027, 1, 31)));
    // Expiry notices before 2027-02-01: only F1, only its holders.
    let e = query::expiry_notices(&ix, date(2027, 2, 1), None);
    assert_eq!(e.reference, "EXPIRY-2027-02-01");
    let lines: Vec<usize> = e.notices.iter().map(|n| n.lines.len()).collect();
    assert_eq!(lines, [1, 2]);
}

/// Guards the demo's master data (issue 14 item 6) and its persistence in
/// the index cache: the demo recall names every customer with a name, a
/// main address and a contact, and an index read back from its cache
/// answers the same, versions and all.
#[test]
fn the_demo_recall_names_every_customer_and_the_cache_keeps_master_data() {
    use lotledger::demo::{Plant, PlantConfig};
    let id = LedgerId(*b"lotledger-demo-1");
    let mut w = lotledger::chain::Writer::new(
        Vec::new(),
        vec![0u8; lotledger::frame::MAX_FRAME_LEN],
        lotledger::chain::Anchor::genesis(&id),
    );
    let mut plant = Plant::new(&PlantConfig { master_data: true, ..PlantConfig::default() });
    for _ in 0..14_000 {
        let (stamp, record) = plant.next().unwrap();
        let receipt = w.append(&stamp, &record).unwrap();
        if receipt.seq % 97 == 0 {
            plant.note_receipt(receipt);
        }
    }
    let bytes = w.into_parts().0;
    let ix = lotledger::index::Index::from_ledgers([(id, bytes.as_slice())]).unwrap();
    let rep = query::recall_by_number(&ix, &r("RC-2026-001")).unwrap();
    assert!(!rep.customers.is_empty());
    assert!(rep.without_master_data.is_empty(), "{:?}", rep.without_master_data);
    for c in &rep.customers {
        let d = &c.customer_details;
        assert!(d.name.as_deref().is_some_and(|n| !n.is_empty()), "{}", c.customer);
        assert!(d.address.is_some() && d.contact.is_some(), "{}", c.customer);
    }
    let mut cached = Vec::new();
    lotledger::index::cache::write_to(&ix, &mut cached).unwrap();
    let back = lotledger::index::cache::read_from(cached.as_slice(), cached.len() as u64).unwrap();
    assert_eq!(query::recall_by_number(&back, &r("RC-2026-001")).unwrap(), rep);
    let first = party(&rep.customers[0].customer);
    let first = if rep.customers[0].customer.starts_with("gln:") {
        serde_json::from_value(serde_json::json!({"gln": &rep.customers[0].customer[4..]})).unwrap()
    } else {
        first
    };
    let history = query::party_history(&ix, &first);
    assert!(!history.is_empty());
    assert_eq!(query::party_history(&back, &first), history);
}

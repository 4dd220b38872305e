//! `lotledger show LEDGER SEQ` (issue 12 item 8): one entry whole, in a
//! table and in JSON, with its hash, link, place and the corrections around
//! it; not found is exit 6; a record this version cannot read is shown as
//! such with its body, not an error.
#![cfg(feature = "cli")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

mod cli_common;

use cli_common::{run, run_with};

use lotledger::chain::Anchor;
use lotledger::entry::{self, FORMAT_VERSION, Header, PrevLink};
use lotledger::file::{FileLedger, Options, segment};
use lotledger::frame::{self, MAX_LEN_PREFIX};
use lotledger::model::{Digest, LedgerId, Timestamp};

const RECEIPT: &str = r#"{"time": "2026-03-02T06:00:00Z", "actor": "k.huber", "station": "WH-DOCK-1", "record": {"material_received": {"lot": {"item": {"internal": "RM-A"}, "lot": "R1"}, "quantity": "100 KGM", "supplier": {"internal": "V-ACME"}, "supplier_lot": "S-4711", "order": "PO-1"}}}"#;
const SHIPMENT: &str = r#"{"time": "2026-03-04T06:00:00Z", "actor": "r.fischer", "station": "SHIP-1", "record": {"shipped": {"lot": {"item": {"internal": "RM-A"}, "lot": "R1"}, "quantity": "60 KGM", "customer": {"internal": "C-1"}, "order": "SO-1"}}}"#;

fn json(args: &[&str]) -> serde_json::Value {
    let (code, out, err) = run(args);
    assert_eq!(code, 0, "{args:?}: {err}");
    serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}"))
}

/// A ledger of a receipt (0), a shipment (1) keyed by mistake and its
/// correction (2); returns the append answers' hashes.
fn corrected_ledger(dir: &str) -> Vec<String> {
    let (code, _, err) = run(&["init", dir, "--ledger-id", "0123456789abcdef0123456789abcdef"]);
    assert_eq!(code, 0, "{err}");
    let (code, out, err) = run_with(&["append", dir], &format!("{RECEIPT}\n{SHIPMENT}\n"));
    assert_eq!(code, 0, "{err}");
    let mut hashes: Vec<String> = out
        .lines()
        .map(|l| {
            serde_json::from_str::<serde_json::Value>(l).unwrap()["hash"].as_str().unwrap().into()
        })
        .collect();
    let correction = format!(
        r#"{{"time": "2026-03-04T07:00:00Z", "actor": "s.okafor", "station": "QA-OFFICE", "record": {{"corrected": {{"target": {{"seq": 1, "hash": "{}"}}, "reason": "wrong customer", "replacements": []}}}}}}"#,
        hashes[1]
    );
    let (code, out, err) = run_with(&["append", dir], &format!("{correction}\n"));
    assert_eq!(code, 0, "{err}");
    let answer: serde_json::Value = serde_json::from_str(out.lines().next().unwrap()).unwrap();
    hashes.push(answer["hash"].as_str().unwrap().into());
    hashes
}

fn hex_bytes(hex: &str) -> Vec<u8> {
    (0..hex.len()).step_by(2).map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap()).collect()
}

// Guards the fields: the hash is the one `append` answered, the link and
// previous hash are entry 0's, the body shown is what the hash covers
// (recomputed here), the record is the JSON form `export` gives, and the
// frame sits at its offset in the named segment file, right after entry 0's.
#[test]
fn show_prints_one_entry_whole() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("l");
    let dir = dir.to_str().unwrap();
    let hashes = corrected_ledger(dir);

    let first = json(&["show", dir, "0", "--json"]);
    assert_eq!(first["offset"], segment::HEADER_LEN as u64);
    let e = json(&["show", dir, "1", "--json"]);
    assert_eq!(e["ledger"], "0123456789abcdef0123456789abcdef");
    assert_eq!(e["seq"], 1);
    assert_eq!(e["time"], "2026-03-04T06:00:00.000Z");
    assert_eq!((e["actor"].as_str(), e["station"].as_str()), (Some("r.fischer"), Some("SHIP-1")));
    assert_eq!(e["kind"], "shipped");
    assert_eq!(e["kind_number"], 5);
    assert_eq!(e["hash"], hashes[1].as_str());
    assert_eq!(e["prev_hash"], hashes[0].as_str());
    assert_eq!(e["link"], &hashes[0][..16]);
    let prev = Digest::from_hex(&hashes[0]).unwrap();
    let body = hex_bytes(e["body"].as_str().unwrap());
    assert_eq!(entry::hash(&prev, &body).to_string(), hashes[1]);
    // The frame: right after entry 0's, in the segment file named.
    assert_eq!(
        e["offset"].as_u64().unwrap(),
        first["offset"].as_u64().unwrap() + first["frame_bytes"].as_u64().unwrap()
    );
    let seg = std::fs::read(e["segment"].as_str().unwrap()).unwrap();
    let at = usize::try_from(e["offset"].as_u64().unwrap()).unwrap();
    let parsed = frame::parse(&seg[at..]).unwrap();
    assert_eq!(parsed.body, body.as_slice());
    assert_eq!(parsed.len as u64, e["frame_bytes"].as_u64().unwrap());
    // The record in the form `export --format json` prints.
    let (_, export, _) = run(&["export", dir, "--format", "json"]);
    let line: serde_json::Value = serde_json::from_str(export.lines().nth(1).unwrap()).unwrap();
    assert_eq!(e["record"], line["record"]);
    assert_eq!(e["decode_error"], serde_json::Value::Null);

    // The correction around it: entry 1 is void, named by entry 2.
    assert_eq!(e["corrections"]["void"], true);
    let by = &e["corrections"]["corrected_by"][0];
    assert_eq!(
        (by["correction"]["seq"].as_u64(), by["status"].as_str()),
        (Some(2), Some("applied"))
    );
    let c = json(&["show", dir, "2", "--json"]);
    assert_eq!(c["corrections"]["void"], false);
    assert_eq!(c["corrections"]["correction"]["target_seq"], 1);
    assert_eq!(c["corrections"]["correction"]["in_force"], true);
    assert_eq!(first["corrections"]["corrected_by"], serde_json::json!([]));

    // The table: one row per field.
    let (code, table, err) = run(&["show", dir, "1"]);
    assert_eq!(code, 0, "{err}");
    let value = |field: &str| {
        table
            .lines()
            .find_map(|l| l.strip_prefix(field).filter(|rest| rest.starts_with("  ")))
            .map(str::trim)
            .unwrap_or_else(|| panic!("no {field} row: {table}"))
            .to_owned()
    };
    assert_eq!(value("hash"), hashes[1]);
    assert_eq!(value("kind"), "shipped");
    assert_eq!(
        value("status"),
        "VOID; named by correction entry 2 (applied, in force: wrong customer)"
    );
    assert!(value("record").starts_with(r#"{"shipped":{"lot":"#), "{table}");
    let (_, table2, _) = run(&["show", dir, "2"]);
    assert!(table2.contains("in force; a correction of entry 1 (applied, in force)"), "{table2}");
}

// Guards "not found": beyond the head, and in an empty ledger, exit 6
// naming the head; a bad SEQ is a usage error.
#[test]
fn an_entry_beyond_the_head_is_not_found() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("l");
    let dir = dir.to_str().unwrap();
    let (code, _, _) = run(&["init", dir]);
    assert_eq!(code, 0);
    let (code, _, err) = run(&["show", dir, "0"]);
    assert_eq!(code, 6, "{err}");
    assert!(err.contains("the ledger holds no entries"), "{err}");
    corrected_ledger(tmp.path().join("m").to_str().unwrap());
    let m = tmp.path().join("m");
    let (code, _, err) = run(&["show", m.to_str().unwrap(), "3"]);
    assert_eq!(code, 6, "{err}");
    assert!(err.contains("entry 3 is not in") && err.contains("its last entry is 2"), "{err}");
    let (code, _, _) = run(&["show", m.to_str().unwrap(), "x"]);
    assert_eq!(code, 2);
    let (code, _, _) = run(&["show", "/nonexistent/ledger", "0"]);
    assert_eq!(code, 4);
}

/// A frame holding entry `seq` after `prev`, with `record` as its record
/// bytes (kind number first), as a newer version might write it.
fn raw_frame(seq: u64, prev: &Digest, record: &[u8]) -> Vec<u8> {
    let header = Header {
        version: FORMAT_VERSION,
        seq,
        time: Timestamp(1_772_409_600_000),
        link: PrevLink::of(prev),
        actor: "newer".parse().unwrap(),
        station: "DEVICE-9".parse().unwrap(),
    };
    let mut body = postcard::to_allocvec(&header).unwrap();
    body.extend_from_slice(record);
    let mut buf = vec![0u8; MAX_LEN_PREFIX];
    buf.extend_from_slice(&body);
    buf.extend_from_slice(&[0; 4]);
    let range = frame::seal(&mut buf, body.len()).unwrap();
    buf[range].to_vec()
}

// Guards records this version cannot read: an unknown kind (99) and a
// known kind whose bytes do not decode are shown as such, with the body
// whose hash the chain holds, exit 0.
#[test]
fn an_unreadable_record_is_shown_with_its_body() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("l");
    let id = LedgerId([7; 16]);
    let mut ledger = FileLedger::create(&dir, id, Options::new()).unwrap();
    let genesis = Anchor::genesis(&id).head;
    let a = ledger.append_frame(&raw_frame(0, &genesis, &[99, 1, 2, 3])).unwrap();
    let b = ledger.append_frame(&raw_frame(1, &a.receipt.hash, &[5, 0xff, 0xff])).unwrap();
    ledger.close().unwrap();
    let dir = dir.to_str().unwrap();

    let unknown = json(&["show", dir, "0", "--json"]);
    assert_eq!(unknown["kind"], "unknown");
    assert_eq!(unknown["kind_number"], 99);
    assert_eq!(unknown["record"], serde_json::Value::Null);
    assert!(unknown["decode_error"].as_str().unwrap().contains("99"), "{unknown}");
    assert_eq!(unknown["hash"], a.receipt.hash.to_string());
    let body = hex_bytes(unknown["body"].as_str().unwrap());
    assert!(body.ends_with(&[99, 1, 2, 3]));
    assert_eq!(entry::hash(&genesis, &body), a.receipt.hash);

    let bad = json(&["show", dir, "1", "--json"]);
    assert_eq!((bad["kind"].as_str(), bad["kind_number"].as_u64()), (Some("undecodable"), Some(5)));
    assert_eq!(bad["hash"], b.receipt.hash.to_string());
    assert!(bad["decode_error"].is_string());

    let (code, table, err) = run(&["show", dir, "0"]);
    assert_eq!(code, 0, "{err}");
    assert!(table.contains("unknown (kind 99, written by a newer version?)"), "{table}");
    assert!(table.contains("cannot be decoded: "), "{table}");
}

//! Personal data through the CLI (issue 15, docs/PRIVACY.md): sealed at
//! append, erased by `lotledger erase`, checked by `verify --personal-data`,
//! listed by `audit --personal-data`.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    reason = "tests"
)]

mod cli_common;

use std::fs;
use std::path::{Path, PathBuf};

use cli_common::{run, run_with};

const NAME: &str = "Jane Q Complainant";
const PHONE: &str = "+41 79 555 01 23";
const STORY: &str = "Bought at Zweifel corner shop, stored in the fridge";

fn complaint_line(number: &str, name: &str, phone: &str) -> String {
    format!(
        r#"{{"time": "2026-01-04T03:07:31.253Z", "actor": "d.moreau", "station": "CS-DESK", "record": {{"complaint_registered": {{"complaint": "{number}", "received_at": "2026-01-04T02:27:01.487Z", "channel": "phone", "complainant": {{"person": "{name}", "contact": "{phone}"}}, "product": "Lidocaine 5% patch", "story": "{STORY}", "severity": "general", "kind": "product_quality"}}}}}}"#
    )
}

const PARTY_LINE: &str = r#"{"time": "2026-01-02T07:00:00Z", "actor": "s.okafor", "station": "QA-OFFICE", "record": {"party_described": {"party": {"gln": "4012345000009"}, "also_known_as": [{"internal": "C10417"}], "name": "Charite Apotheke", "roles": ["customer"], "contacts": [{"function": "recall coordinator", "person": "Annegret Schmidtbauer", "phone": "+49 30 450 777", "email": "annegret@example.org"}]}}}"#;

fn ledger(lines: &[String], extra: &[&str]) -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("l");
    let d = dir.to_str().unwrap();
    assert_eq!(run(&["init", d, "--ledger-id", "000102030405060708090a0b0c0d0e0f"]).0, 0);
    let mut args = vec!["append", d];
    args.extend_from_slice(extra);
    let (code, _, err) = run_with(&args, &(lines.join("\n") + "\n"));
    assert_eq!(code, 0, "{err}");
    (tmp, dir)
}

/// Every file under `dir` (recursively), except those under `skip`.
fn files(dir: &Path, skip: Option<&str>) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            if skip.is_some_and(|s| p.file_name().unwrap() == s) {
                continue;
            }
            out.extend(files(&p, skip));
        } else {
            out.push(p);
        }
    }
    out
}

/// The files under `dir` (not under `skip`) whose bytes contain `needle`.
fn holding(dir: &Path, skip: Option<&str>, needle: &str) -> Vec<PathBuf> {
    files(dir, skip)
        .into_iter()
        .filter(|p| fs::read(p).unwrap().windows(needle.len()).any(|w| w == needle.as_bytes()))
        .collect()
}

fn json(out: &str) -> serde_json::Value {
    serde_json::from_str(out).unwrap_or_else(|e| panic!("{e}: {out}"))
}

fn complainant(dir: &str) -> serde_json::Value {
    let (code, out, err) = run(&["complaints", dir, "--json"]);
    assert_eq!(code, 0, "{err}");
    let v = json(&out);
    let list = v.get("complaints").unwrap_or(&v);
    let c = &list.as_array().unwrap_or_else(|| panic!("{v}"))[0];
    serde_json::json!({"person": c["person"], "contact": c["contact"]})
}

fn erase(dir: &str, subject: &[&str]) -> (i32, String, String) {
    let mut args = vec!["erase", dir];
    args.extend_from_slice(subject);
    args.extend_from_slice(&["--by", "dpo", "--reason", "GDPR art. 17 request of 2026-11-30"]);
    run(&args)
}

fn entries(dir: &str) -> u64 {
    let (code, out, err) = run(&["verify", dir, "--json"]);
    assert_eq!(code, 0, "{out}{err}");
    json(&out)["entries"].as_u64().unwrap()
}

/// Guards issue 15's first check: the plaintext is in no segment file,
/// and after `erase` in no file under the ledger at all (index cache,
/// Merkle nodes and the store included); verify passes, queries show
/// `erased`, audit lists the erasure entry, and the erase report names no
/// value.
#[test]
fn erased_complainant_is_in_no_file_and_the_ledger_still_verifies() {
    let (tmp, dir) = ledger(&[complaint_line("CMP-000001", NAME, PHONE)], &[]);
    let d = dir.to_str().unwrap();
    // Derived files beside the segments: the index cache and merkle.nodes.
    let keys = tmp.path().join("keys");
    fs::create_dir(&keys).unwrap();
    assert_eq!(run(&["keygen", "--name", "qa.test", "--dir", keys.to_str().unwrap()]).0, 0);
    let key = keys.join("qa.test.key");
    let cp = tmp.path().join("cp");
    let (code, _, err) =
        run(&["checkpoint", d, "--key", key.to_str().unwrap(), "--out", cp.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(complainant(d)["person"], NAME);
    assert_eq!(complainant(d)["contact"], PHONE);
    assert!(dir.join("index.cache").is_file() && dir.join("merkle.nodes").is_file());
    for secret in [NAME, PHONE, STORY] {
        let found = holding(&dir, Some("personal"), secret);
        assert_eq!(found, Vec::<PathBuf>::new(), "{secret} {:?}", files(&dir, None));
        assert_eq!(holding(&dir.join("personal"), None, secret).len(), 1, "{secret}");
    }

    let (code, out, err) = erase(d, &["--complaint", "CMP-000001"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("erased 3 values (3 deleted now, 0 already erased)"), "{out}");
    for secret in [NAME, PHONE, STORY] {
        assert!(!out.contains(secret) && !err.contains(secret), "{out}{err}");
    }
    // Queries rebuild their view; then search every byte of every file.
    assert_eq!(complainant(d)["person"], "erased");
    assert_eq!(complainant(d)["contact"], "erased");
    let (code, table, _) = run(&["complaints", d]);
    assert_eq!(code, 0);
    assert!(table.contains("erased") && !table.contains(NAME), "{table}");
    for secret in [NAME, PHONE, STORY, "Jane", "555 01"] {
        assert_eq!(holding(&dir, None, secret), Vec::<PathBuf>::new(), "{secret}");
    }
    // The store keeps only empty markers.
    let left = files(&dir.join("personal"), None);
    assert_eq!(left.len(), 3);
    assert!(
        left.iter()
            .all(|p| { p.extension().unwrap() == "erased" && fs::metadata(p).unwrap().len() == 0 })
    );

    let (code, out, err) = run(&["verify", d, "--personal-data"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        out.contains("3 sealed values: 0 open their commitment, 3 erased, 0 missing, 0 TAMPERED"),
        "{out}"
    );
    // The signed checkpoint from before the erasure still checks.
    let pubkey = keys.join("qa.test.pub");
    let (code, out, err) = run(&[
        "verify",
        d,
        "--checkpoint",
        cp.to_str().unwrap(),
        "--key",
        pubkey.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{out}{err}");

    let (code, out, _) = run(&["audit", d, "--kind", "personal_data_erased", "--json"]);
    assert_eq!(code, 0);
    let rows = json(&out);
    let rows = rows.get("entries").unwrap_or(&rows).as_array().unwrap().clone();
    assert_eq!(rows.len(), 1, "{out}");
    assert_eq!(rows[0]["actor"], "dpo");
    assert_eq!(rows[0]["seq"], 1);
    let (code, out, _) = run(&["audit", d, "--personal-data", "--json"]);
    assert_eq!(code, 0);
    let v = json(&out);
    assert_eq!(v["erasures"][0]["subject"], "complaint CMP-000001");
    assert_eq!(v["erasures"][0]["commitments"], 3);
    assert_eq!(v["erasures"][0]["reason"], "GDPR art. 17 request of 2026-11-30");
    assert_eq!(v["not_erasable"], 0);
    // The entry itself: the subject and commitments, no value.
    let (code, out, _) = run(&["show", d, "1", "--json"]);
    assert_eq!(code, 0);
    let shown = json(&out);
    let c = &shown["record"]["personal_data_erased"];
    assert_eq!(c["subject"]["complaint"], "CMP-000001");
    assert_eq!(c["commitments"].as_array().unwrap().len(), 3);
}

/// Guards idempotence: a second erase changes nothing (no entry, no file).
#[test]
fn erasing_twice_is_a_no_op_the_second_time() {
    let (_tmp, dir) = ledger(&[complaint_line("CMP-000001", NAME, PHONE)], &[]);
    let d = dir.to_str().unwrap();
    assert_eq!(erase(d, &["--complaint", "CMP-000001"]).0, 0);
    assert_eq!(entries(d), 2);
    let before: Vec<_> = files(&dir.join("personal"), None);
    let (code, out, err) = erase(d, &["--complaint", "CMP-000001", "--json"]);
    assert_eq!(code, 0, "{err}");
    let r = json(&out);
    assert_eq!(r["no_op"], true, "{out}");
    assert_eq!(r["deleted"], 0);
    assert_eq!(r["recorded_in"].as_array().unwrap().len(), 0);
    assert_eq!(entries(d), 2);
    assert_eq!(files(&dir.join("personal"), None), before);
}

/// Guards the crash-safety order (store first, then entry): a crash after
/// the store's erasure and before the entry leaves markers no entry names;
/// `verify --personal-data` says so, and running the erase again records it.
#[test]
fn an_erase_interrupted_before_its_entry_is_completed_by_a_rerun() {
    let (_tmp, dir) = ledger(&[complaint_line("CMP-000001", NAME, PHONE)], &[]);
    let d = dir.to_str().unwrap();
    // What the store step leaves: each value gone, its marker written.
    for p in files(&dir.join("personal"), None) {
        let mut marker = p.clone().into_os_string();
        marker.push(".erased");
        fs::write(&marker, b"").unwrap();
        fs::remove_file(&p).unwrap();
    }
    assert_eq!(complainant(d)["person"], "erased");
    let (code, out, _) = run(&["verify", d, "--personal-data"]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("erased, not recorded (run the erase again)"), "{out}");
    let (code, out, err) = erase(d, &["--complaint", "CMP-000001", "--json"]);
    assert_eq!(code, 0, "{err}");
    let r = json(&out);
    assert_eq!(r["deleted"], 0);
    assert_eq!(r["already_erased"], 3);
    assert_eq!(r["recorded_in"], serde_json::json!([1]));
    assert_eq!(r["no_op"], false);
    let (_, out, _) = run(&["verify", d, "--personal-data", "--json"]);
    assert_eq!(json(&out)["personal_data"]["erased_unrecorded"], serde_json::json!([]));
}

/// Guards tamper detection: a changed value byte in the store is shown as
/// TAMPERED and fails `verify --personal-data` naming the commitment,
/// while plain `verify` (the chain) still passes.
#[test]
fn a_tampered_store_value_is_detected_against_its_commitment() {
    let (_tmp, dir) = ledger(&[complaint_line("CMP-000001", NAME, PHONE)], &[]);
    let d = dir.to_str().unwrap();
    let (_, out, _) = run(&["show", d, "0", "--json"]);
    let hex = json(&out)["record"]["complaint_registered"]["complainant"]["person"]["sealed"]
        .as_str()
        .unwrap()
        .to_owned();
    let path = dir.join("personal").join(&hex);
    let mut bytes = fs::read(&path).unwrap();
    assert_eq!(&bytes[32..], NAME.as_bytes());
    bytes[33] = b'X';
    fs::write(&path, &bytes).unwrap();
    assert_eq!(complainant(d)["person"], "TAMPERED");
    assert_eq!(complainant(d)["contact"], PHONE);
    assert_eq!(run(&["verify", d]).0, 0);
    let (code, out, _) = run(&["verify", d, "--personal-data"]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("personal data TAMPERED: ") && out.contains(&hex), "{out}");
    // A changed key byte too.
    let mut bytes = fs::read(&path).unwrap();
    bytes[33] = NAME.as_bytes()[1];
    bytes[0] ^= 1;
    fs::write(&path, &bytes).unwrap();
    assert_eq!(run(&["verify", d, "--personal-data"]).0, 1);
    bytes[0] ^= 1;
    fs::write(&path, &bytes).unwrap();
    assert_eq!(run(&["verify", d, "--personal-data"]).0, 0);
}

/// Guards the not-found exit: an unknown complaint, party or commitment
/// exits 6 with a clear message and writes nothing.
#[test]
fn erasing_an_unknown_subject_exits_6() {
    let (_tmp, dir) = ledger(&[complaint_line("CMP-000001", NAME, PHONE)], &[]);
    let d = dir.to_str().unwrap();
    for (subject, text) in [
        (["--complaint", "CMP-999"], "complaint CMP-999 is not in"),
        (["--party", "gln:4012345000009"], "party gln:4012345000009 is not in"),
        (["--commitment", "00000000"], "commitment 00000000 is not in"),
    ] {
        let (code, _, err) = erase(d, &subject);
        assert_eq!(code, 6, "{err}");
        assert!(err.contains(text), "{err}");
    }
    assert_eq!(entries(d), 1);
    assert_eq!(complainant(d)["person"], NAME);
    // A bad commitment is a usage error.
    assert_eq!(erase(d, &["--commitment", "xyz"]).0, 2);
}

/// Guards the party and commitment subjects: a party's contacts are erased
/// by its alias, and one value by its 8-digit prefix.
#[test]
fn a_partys_contacts_and_a_single_value_are_erasable() {
    let (_tmp, dir) =
        ledger(&[PARTY_LINE.to_owned(), complaint_line("CMP-000001", NAME, PHONE)], &[]);
    let d = dir.to_str().unwrap();
    let (code, out, err) = erase(d, &["--party", "C10417", "--json"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(json(&out)["commitments"], 3);
    for secret in ["Annegret", "450 777", "annegret@"] {
        assert_eq!(holding(&dir, None, secret), Vec::<PathBuf>::new(), "{secret}");
    }
    // The complainant's phone alone, by the prefix queries show.
    let (_, out, _) = run(&["show", d, "1", "--json"]);
    let hex = json(&out)["record"]["complaint_registered"]["complainant"]["contact"]["sealed"]
        .as_str()
        .unwrap()
        .to_owned();
    let (code, out, err) = erase(d, &["--commitment", &hex[..8], "--json"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(json(&out)["commitments"], 1);
    assert_eq!(complainant(d)["contact"], "erased");
    assert_eq!(complainant(d)["person"], NAME);
    assert_eq!(holding(&dir, None, PHONE), Vec::<PathBuf>::new());
    let (_, out, _) = run(&["audit", d, "--personal-data", "--json"]);
    let v = json(&out);
    assert_eq!(v["erasures"][0]["subject"], "party gln:4012345000009");
    assert_eq!(v["erasures"][1]["subject"], "values");
    assert_eq!(run(&["verify", d, "--personal-data"]).0, 0);
}

/// Guards that the reason cannot carry the data: refused, nothing erased.
#[test]
fn a_reason_holding_the_value_is_refused() {
    let (_tmp, dir) = ledger(&[complaint_line("CMP-000001", NAME, PHONE)], &[]);
    let d = dir.to_str().unwrap();
    let (code, _, err) = run(&[
        "erase",
        d,
        "--complaint",
        "CMP-000001",
        "--by",
        "dpo",
        "--reason",
        "request by jane q complainant",
    ]);
    assert_eq!(code, 3, "{err}");
    assert!(!err.to_lowercase().contains("jane"), "{err}");
    assert_eq!(complainant(d)["person"], NAME);
    assert_eq!(entries(d), 1);
}

/// Guards issue 15 item 5: plain-text personal data is reported as not
/// erasable (count and entries, with the migration path), and erasing it
/// is refused (exit 1) without writing anything.
#[test]
fn plain_personal_data_is_reported_not_erasable() {
    let (_tmp, dir) =
        ledger(&[complaint_line("CMP-000001", NAME, PHONE)], &["--plain-personal-data"]);
    let d = dir.to_str().unwrap();
    assert_eq!(holding(&dir, None, NAME).len(), 1);
    let (code, _, err) = erase(d, &["--complaint", "CMP-000001"]);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("only in plain text, in entries 0"), "{err}");
    assert_eq!(entries(d), 1);
    let (code, out, _) = run(&["audit", d, "--personal-data"]);
    assert_eq!(code, 0);
    assert!(out.contains("not erasable: 1 entries hold personal data in plain text"), "{out}");
    assert!(out.contains("entries 0 (complaint_registered)"), "{out}");
    assert!(out.contains("correction"), "{out}");
    let (_, out, _) = run(&["verify", d, "--personal-data", "--json"]);
    assert_eq!(json(&out)["personal_data"]["plain_entries"], 1);
}

/// Guards issue 15 item 3: exports leave personal data out unless
/// `--with-personal-data`, and say so on standard error; sealed fields are
/// exported as their commitments, plain ones (an old or `--plain-personal-data`
/// entry) empty.
#[test]
fn exports_leave_personal_data_out_unless_asked() {
    for plain in [false, true] {
        let extra: &[&str] = if plain { &["--plain-personal-data"] } else { &[] };
        let (_tmp, dir) =
            ledger(&[PARTY_LINE.to_owned(), complaint_line("CMP-000001", NAME, PHONE)], extra);
        let d = dir.to_str().unwrap();
        let secrets = [NAME, PHONE, STORY, "Annegret Schmidtbauer", "annegret@example.org"];
        for format in ["json", "epcis"] {
            let (code, out, err) = run(&["export", d, "--format", format]);
            assert_eq!(code, 0, "{format}: {err}");
            for s in secrets {
                assert!(!out.contains(s), "{format} plain={plain}: {s} in {out}");
            }
            assert!(err.contains("personal data left out of the"), "{format}: {err}");
            assert!(err.contains("--with-personal-data includes them"), "{err}");
            let (code, out, err) = run(&["export", d, "--format", format, "--with-personal-data"]);
            assert_eq!(code, 0, "{format}: {err}");
            assert!(err.contains("personal data INCLUDED"), "{format}: {err}");
            // EPCIS maps complaints, not master data.
            let expected: &[&str] = if format == "json" { &secrets } else { &secrets[..3] };
            for s in expected {
                assert!(out.contains(s), "{format} plain={plain}: {s} missing");
            }
        }
        if !plain {
            // The JSON export's sealed fields are the ledger's commitments.
            let (_, out, _) = run(&["export", d, "--format", "json"]);
            let line = json(out.lines().nth(1).unwrap());
            let c = &line["record"]["complaint_registered"]["complainant"];
            assert_eq!(c["person"]["sealed"].as_str().unwrap().len(), 64, "{line}");
            // After erasure, even --with-personal-data has no value to give.
            assert_eq!(erase(d, &["--complaint", "CMP-000001"]).0, 0);
            let (_, out, err) = run(&["export", d, "--format", "json", "--with-personal-data"]);
            assert!(!out.contains(NAME) && !out.contains(PHONE), "{out}");
            assert!(err.contains("3 sealed values the store does not hold"), "{err}");
        }
        let (code, _, err) = run(&["export", d, "--format", "csv"]);
        assert_eq!(code, 0);
        assert!(err.contains("no personal-data columns"), "{err}");
    }
}

/// Guards the migration path docs/PRIVACY.md describes: a plain entry
/// re-appended sealed, the old one corrected with the new as replacement;
/// the new values erase, the old entry stays reported as not erasable and
/// its plain bytes stay in the segment (erasure of them is not claimed).
#[test]
fn the_migration_path_seals_forward_and_leaves_the_old_bytes() {
    let (_tmp, dir) =
        ledger(&[complaint_line("CMP-000001", NAME, PHONE)], &["--plain-personal-data"]);
    let d = dir.to_str().unwrap();
    let (code, out, err) =
        run_with(&["append", d], &(complaint_line("CMP-000001", NAME, PHONE) + "\n"));
    assert_eq!(code, 0, "{err}");
    assert_eq!(json(out.lines().next().unwrap())["seq"], 1);
    let (_, shown, _) = run(&["show", d, "0", "--json"]);
    let hash = json(&shown)["hash"].as_str().unwrap().to_owned();
    let correction = format!(
        r#"{{"time": "2026-01-05T09:00:00Z", "actor": "dpo", "station": "QA-OFFICE", "record": {{"corrected": {{"target": {{"seq": 0, "hash": "{hash}"}}, "reason": "migrated to sealed personal fields", "replacements": [1]}}}}}}"#
    );
    assert_eq!(run_with(&["append", d], &(correction + "\n")).0, 0);
    let (code, out, _) = run(&["complaints", d, "--json"]);
    assert_eq!(code, 0);
    let v = json(&out);
    let list = v.get("complaints").unwrap_or(&v).as_array().unwrap().clone();
    assert_eq!(list.len(), 1, "{out}");
    assert_eq!(list[0]["person"], NAME);
    let (code, _, err) = erase(d, &["--complaint", "CMP-000001"]);
    assert_eq!(code, 0, "{err}");
    assert!(
        err.contains("entries 0 hold personal data of complaint CMP-000001 in plain text"),
        "{err}"
    );
    assert_eq!(complainant(d)["person"], "erased");
    // Honest: the old entry's bytes are still in the chain (and so in the
    // index cache built from it), none in the store.
    let left = holding(&dir, None, NAME);
    assert!(left.iter().any(|p| p.extension().unwrap() == "seg"), "{left:?}");
    assert!(left.iter().all(|p| !p.starts_with(dir.join("personal"))), "{left:?}");
    let (_, out, _) = run(&["audit", d, "--personal-data", "--json"]);
    let v = json(&out);
    assert_eq!(v["not_erasable"], 1);
    assert_eq!(v["not_erasable_entries"][0]["seq"], 0);
    assert_eq!(run(&["verify", d, "--personal-data"]).0, 0);
}

/// Guards the interrupted append: a value stored with no entry naming it is
/// listed by `verify --personal-data` and erased by its commitment.
#[test]
fn a_value_no_entry_names_is_listed_and_erasable_by_commitment() {
    let (_tmp, dir) = ledger(&[complaint_line("CMP-000001", NAME, PHONE)], &[]);
    let d = dir.to_str().unwrap();
    let key = [9u8; 32];
    let orphan = "Orphaned Value Person";
    let c = lotledger::model::personal::commitment(&key, orphan).to_string();
    let mut bytes = key.to_vec();
    bytes.extend_from_slice(orphan.as_bytes());
    fs::write(dir.join("personal").join(&c), &bytes).unwrap();
    let (code, out, _) = run(&["verify", d, "--personal-data"]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("store files no entry names") && out.contains(&c[..8]), "{out}");
    let (code, out, err) = erase(d, &["--commitment", &c, "--json"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(json(&out)["deleted"], 1, "{out}");
    assert_eq!(holding(&dir, None, orphan), Vec::<PathBuf>::new());
    let (_, out, _) = run(&["verify", d, "--personal-data", "--json"]);
    assert_eq!(json(&out)["personal_data"]["unreferenced"], serde_json::json!([]));
    // The complaint's values are untouched.
    assert_eq!(complainant(d)["person"], NAME);
}

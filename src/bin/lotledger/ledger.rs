//! Commands on a ledger directory: `init`, `append`, `verify`, `export`.

use std::io::{self, IsTerminal as _, Write as _};
use std::path::Path;
use std::time::{Duration, Instant};

use serde::Serialize;

use lotledger::file::{Durability, FileLedger, LedgerReader, Options, StoredEntry};
use lotledger::model::Digest;
use lotledger::model::Record;
use lotledger::model::{LedgerId, Timestamp};
use lotledger::proof::{Checkpoint, CompactTree, Ed25519Signer, VerifierKey, checkpoint_note};

use crate::output::{self, Format, Table};
use crate::{CliError, Outcome};

/// A storage error: exit 4, except a damaged ledger, which is a failed check.
fn storage(e: lotledger::file::Error) -> CliError {
    CliError::Storage(e.to_string())
}

/// `lotledger init DIR`: a new, empty ledger with a fresh 128-bit id.
pub fn init(dir: &Path, id: Option<&str>) -> Result<Outcome, CliError> {
    let id = match id {
        Some(hex) => LedgerId::from_hex(hex).map_err(|at| {
            CliError::Usage(format!("--ledger-id must be 32 hex digits (problem at {at})"))
        })?,
        None => {
            let mut bytes = [0u8; 16];
            getrandom::fill(&mut bytes)
                .map_err(|e| CliError::Io(io::Error::other(e.to_string())))?;
            LedgerId(bytes)
        }
    };
    FileLedger::create(dir, id, Options::new()).and_then(FileLedger::close).map_err(storage)?;
    output::print(&format!("created ledger {id} in {}\n", dir.display()))?;
    Ok(Outcome::Ok)
}

/// Signed checkpoint entries every `every` entries, by `signer`.
pub struct CheckpointPlan<'k> {
    /// Entries between checkpoints.
    pub every: u64,
    /// The signer.
    pub signer: Ed25519Signer<'k>,
}

/// `lotledger append DIR`: JSON lines on stdin, one entry each; with a
/// plan, a signed checkpoint entry after every `every` entries.
pub fn append(
    dir: &Path,
    durability: Durability,
    plan: Option<&CheckpointPlan<'_>>,
) -> Result<Outcome, CliError> {
    // The tree is kept while appending only when checkpoints are written.
    let tree = plan.map(|_| crate::tree::LedgerTree::open(dir)).transpose()?;
    let (ledger, opened) =
        FileLedger::open(dir, Options::new().durability(durability)).map_err(storage)?;
    let ledger_id = LedgerReader::open(dir).map_err(storage)?.ledger_id();
    let timer = crate::append::GroupTimer(match durability {
        Durability::GroupCommit { millis, .. } => Some(Duration::from_millis(millis.into())),
        _ => None,
    });
    crate::append::run(dir, ledger, opened.head, tree, plan, ledger_id, &timer)?;
    Ok(Outcome::Ok)
}

#[derive(Serialize)]
struct Verification {
    ok: bool,
    ledger: String,
    entries: u64,
    segments: usize,
    first_time: Option<Timestamp>,
    last_time: Option<Timestamp>,
    time_regressions: u64,
    unknown_kinds: u64,
    head_seq: Option<u64>,
    head_hash: String,
    /// Checkpoint entries found; each one's root was checked.
    checkpoint_entries: u64,
    /// Of those, signed ones whose signature a given key verified.
    checkpoint_signatures_verified: u64,
    failure: Option<String>,
}

/// `lotledger verify DIR`: every segment, every frame, every link and every
/// record; progress on standard error for large ledgers.
pub fn verify(dir: &Path, keys: &[VerifierKey<'_>], format: Format) -> Result<Outcome, CliError> {
    let reader = LedgerReader::open(dir).map_err(storage)?;
    let mut entries = reader.entries().map_err(storage)?;
    let progress = io::stderr().is_terminal();
    let started = Instant::now();
    let mut last_report = started;
    let mut v = Verification {
        ok: true,
        ledger: reader.ledger_id().to_string(),
        entries: 0,
        segments: 0,
        first_time: None,
        last_time: None,
        time_regressions: 0,
        unknown_kinds: 0,
        head_seq: None,
        head_hash: String::new(),
        checkpoint_entries: 0,
        checkpoint_signatures_verified: 0,
        failure: None,
    };
    // The Merkle tree of the entries so far, for checkpoint entries.
    let mut tree: CompactTree = CompactTree::new();
    let mut prev: Option<Digest> = None;
    let mut segments = std::collections::BTreeSet::new();
    for item in entries.by_ref() {
        let e: StoredEntry = match item {
            Ok(e) => e,
            Err(err) => {
                v.ok = false;
                v.failure = Some(err.to_string());
                break;
            }
        };
        match e.record() {
            Ok(Record::Checkpointed(c)) => {
                v.checkpoint_entries += 1;
                if c.size != e.header.seq || c.root.0 != tree.root() {
                    v.ok = false;
                    v.failure = Some(format!(
                        "entry {}: checkpoint entry for {} entries does not match the ledger's tree",
                        e.header.seq, c.size
                    ));
                    break;
                }
                let mut buf = [0u8; 512];
                let ledger_id = reader.ledger_id();
                if !keys.is_empty()
                    && let Some(note) =
                        checkpoint_note(&ledger_id, &c, prev.as_ref().map(|d| &d.0), &mut buf)
                    && Checkpoint::open(note, keys).is_ok()
                {
                    v.checkpoint_signatures_verified += 1;
                }
            }
            Ok(_) => {}
            Err(lotledger::entry::DecodeError::UnknownKind(_)) => v.unknown_kinds += 1,
            Err(err) => {
                v.ok = false;
                v.failure = Some(format!(
                    "entry {} at byte {} of segment {}: undecodable record: {err}",
                    e.header.seq, e.offset, e.segment
                ));
                break;
            }
        }
        if tree.push_entry(&e.hash.0).is_err() {
            v.ok = false;
            v.failure = Some("the Merkle tree is full".into());
            break;
        }
        prev = Some(e.hash);
        segments.insert(e.segment);
        v.entries += 1;
        v.first_time.get_or_insert(e.header.time);
        v.last_time = Some(e.header.time);
        v.time_regressions += u64::from(e.time_regressed);
        if progress && last_report.elapsed() >= Duration::from_millis(500) {
            last_report = Instant::now();
            let rate = v.entries as f64 / started.elapsed().as_secs_f64().max(1e-9);
            eprint!("\rverifying: {} entries, {:.0} entries/s", v.entries, rate);
        }
    }
    if progress && last_report != started {
        eprintln!();
    }
    v.segments = segments.len();
    if let Some(head) = entries.head() {
        v.head_seq = head.next_seq.checked_sub(1);
        v.head_hash = head.head.to_string();
    }
    match format {
        Format::Json => output::print_json(&v)?,
        _ => {
            let mut t = Table::new(&["check", "result"]);
            t.row(["ledger", v.ledger.as_str()]);
            t.row(["entries verified".to_owned(), v.entries.to_string()]);
            t.row(["segments".to_owned(), v.segments.to_string()]);
            let span = match (v.first_time, v.last_time) {
                (Some(a), Some(b)) => format!("{a} .. {b}"),
                _ => "-".into(),
            };
            t.row(["time span".to_owned(), span]);
            t.row(["time went backwards".to_owned(), v.time_regressions.to_string()]);
            t.row(["records of unknown kinds".to_owned(), v.unknown_kinds.to_string()]);
            t.row([
                "checkpoint entries (roots checked)".to_owned(),
                format!(
                    "{} ({} signatures verified with the keys given)",
                    v.checkpoint_entries, v.checkpoint_signatures_verified
                ),
            ]);
            let head =
                v.head_seq.map_or("-".to_owned(), |s| format!("entry {s} hash {}", v.head_hash));
            t.row(["head".to_owned(), head]);
            t.row([
                "result".to_owned(),
                v.failure.clone().map_or("OK".to_owned(), |f| format!("FAILED: {f}")),
            ]);
            output::print(&t.render())?;
        }
    }
    Ok(if v.ok { Outcome::Ok } else { Outcome::CheckFailed })
}

/// One entry as `export --format json` writes it: a JSON line.
#[derive(Serialize)]
struct Exported<'a> {
    seq: u64,
    hash: String,
    time: Timestamp,
    actor: &'a str,
    station: &'a str,
    record: serde_json::Value,
}

/// `lotledger export DIR --format json`: every entry as a JSON line.
pub fn export_json(dir: &Path) -> Result<Outcome, CliError> {
    let reader = LedgerReader::open(dir).map_err(storage)?;
    let mut out = io::BufWriter::new(io::stdout().lock());
    for item in reader.entries().map_err(storage)? {
        let e = item.map_err(storage)?;
        let record = match e.record() {
            Ok(r) => serde_json::to_value(&r).map_err(|err| CliError::Io(err.into()))?,
            Err(err) => serde_json::json!({ "undecoded": err.to_string() }),
        };
        let line = Exported {
            seq: e.header.seq,
            hash: e.hash.to_string(),
            time: e.header.time,
            actor: e.header.actor.as_str(),
            station: e.header.station.as_str(),
            record,
        };
        serde_json::to_writer(&mut out, &line).map_err(|err| CliError::Io(err.into()))?;
        out.write_all(b"\n")?;
    }
    out.flush()?;
    Ok(Outcome::Ok)
}

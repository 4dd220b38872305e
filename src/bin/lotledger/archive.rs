//! Retention and archival: `lotledger retention`, `archive`, `dispose`,
//! `verify` of an archive and of a ledger from its cut, and the global
//! `--archive DIR` that reads an archive's segments before a ledger's
//! (docs/STORAGE.md section 8, docs/CLI.md).

use std::collections::HashMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use serde::{Deserialize, Serialize};

use lotledger::chain::Anchor;
use lotledger::entry::Stamp;
use lotledger::file::archive::{
    self as store, ArchivedSegment, CHECKPOINT_FILE, CUT_FILE, CutPoint, MANIFEST_FILE,
    MANIFEST_FORMAT, Manifest,
};
use lotledger::file::{self, FileLedger, LedgerReader, Options, Recovery, StoredEntry, segment};
use lotledger::model::{
    Actor, Date, Digest, ItemCode, LedgerId, LotId, Record, RecordKind, RetentionAction,
    RetentionApplied, Station, Text, Timestamp,
};
use lotledger::proof::CompactTree;

use crate::output::{self, Format, Table};
use crate::{CliError, Outcome};

/// The archives given with the global `--archive DIR`: set once by `main`.
static ARCHIVES: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());

/// Records the global `--archive` directories.
pub fn set_archives(dirs: Vec<PathBuf>) {
    if let Ok(mut a) = ARCHIVES.lock() {
        *a = dirs;
    }
}

fn archives() -> Vec<PathBuf> {
    ARCHIVES.lock().map(|a| a.clone()).unwrap_or_default()
}

/// The archives given of the ledger `id`.
fn archives_of(id: LedgerId) -> Result<Vec<PathBuf>, file::Error> {
    let mut mine = Vec::new();
    for dir in archives() {
        if LedgerReader::open(&dir)?.ledger_id() == id {
            mine.push(dir);
        }
    }
    Ok(mine)
}

/// The reader every command uses for the ledger in `dir`: with the
/// segments of each `--archive` directory of the same ledger read first.
///
/// # Errors
/// As [`LedgerReader::open`], for the ledger or an archive.
pub fn reader(dir: &Path) -> Result<LedgerReader, file::Error> {
    let mut reader = LedgerReader::open(dir)?;
    for a in archives_of(reader.ledger_id())? {
        reader = reader.with_archive(a)?;
    }
    Ok(reader)
}

/// Whether an archive of the ledger in `dir` was given.
pub fn has_archive(dir: &Path) -> bool {
    LedgerReader::open(dir)
        .ok()
        .and_then(|r| archives_of(r.ledger_id()).ok())
        .is_some_and(|a| !a.is_empty())
}

/// The hint for a ledger whose first entries are archived and no archive was given.
pub const PASS_THE_ARCHIVE: &str = "pass --archive DIR to read the archive's entries too";

fn storage(e: impl std::fmt::Display) -> CliError {
    CliError::Storage(e.to_string())
}

/// The message of an error, for a report that carries it as text.
pub fn message(e: CliError) -> String {
    match e {
        CliError::Io(e) => e.to_string(),
        CliError::Usage(m)
        | CliError::Input(m)
        | CliError::Storage(m)
        | CliError::Check(m)
        | CliError::Unverified(m)
        | CliError::NotFound(m) => m,
    }
}

fn check(e: impl std::fmt::Display) -> CliError {
    CliError::Check(e.to_string())
}

// ---------------------------------------------------------------------------
// The retention policy.

/// The policy file in a ledger directory.
pub const POLICY_FILE: &str = "retention.json";

/// `LEDGER/retention.json` (every field optional; docs/STORAGE.md 8.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Policy {
    /// Complaint records (kinds 8, 9, 16) are kept this many years after
    /// their entry's date.
    #[serde(default = "five")]
    pub complaint_years: u32,
    /// Added to a product's shelf life (and to the entry's date for records
    /// naming no lot).
    #[serde(default = "a_year")]
    pub margin_days: u32,
}

const fn five() -> u32 {
    5
}

const fn a_year() -> u32 {
    365
}

impl Default for Policy {
    fn default() -> Self {
        Self { complaint_years: five(), margin_days: a_year() }
    }
}

/// The policy of the ledger in `dir`: its `retention.json`, or the default.
pub fn load_policy(dir: &Path) -> Result<Policy, CliError> {
    let path = dir.join(POLICY_FILE);
    match fs::read(&path) {
        Ok(bytes) => serde_json::from_slice(&bytes)
            .map_err(|e| CliError::Input(format!("{}: {e}", path.display()))),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Policy::default()),
        Err(e) => Err(CliError::Storage(format!("cannot read {}: {e}", path.display()))),
    }
}

/// What the records say about products: shelf lives and production.
#[derive(Default)]
struct Products {
    /// `product_described.shelf_life_days` of each item (and its other codes).
    shelf_life: HashMap<ItemCode, u32>,
    /// Each produced lot's production date and expiry.
    made: HashMap<LotId, (Date, Option<Date>)>,
    /// The date of the first entry naming each lot (a received lot's receipt).
    first_seen: HashMap<LotId, Date>,
}

impl Products {
    fn learn(&mut self, time: Timestamp, record: &Record) {
        for lot in lots_named(record) {
            self.first_seen.entry(lot).or_insert_with(|| time.date());
        }
        match record {
            Record::ProductDescribed(p) => {
                for item in core::iter::once(&p.item).chain(p.also_known_as.iter()) {
                    match p.shelf_life_days {
                        Some(days) => self.shelf_life.insert(item.clone(), days),
                        None => self.shelf_life.remove(item),
                    };
                }
            }
            Record::Produced(p) => {
                for out in &p.outputs {
                    self.made.insert(out.lot.clone(), (p.produced_on, p.expiry));
                }
            }
            _ => {}
        }
    }

    /// When the product of `lot` reaches the end of its shelf life.
    fn end_of(&self, lot: &LotId) -> Option<Date> {
        let made = self.made.get(lot);
        let start = made.map(|(on, _)| *on).or_else(|| self.first_seen.get(lot).copied());
        match (self.shelf_life.get(&lot.item), start, made) {
            (Some(days), Some(on), _) => Some(add_days(on, i64::from(*days))),
            (_, _, Some((_, Some(expiry)))) => Some(*expiry),
            _ => None,
        }
    }
}

fn add_days(d: Date, days: i64) -> Date {
    Date(i32::try_from(i64::from(d.0).saturating_add(days)).unwrap_or(i32::MAX))
}

fn add_years(d: Date, years: u32) -> Date {
    d.to_naive()
        .and_then(|n| n.checked_add_months(chrono::Months::new(years.saturating_mul(12))))
        .map_or(Date(i32::MAX), Date::from_naive)
}

/// Every lot a record names: each `{"item":..,"lot":..}` in its JSON form.
fn lots_named(record: &Record) -> Vec<LotId> {
    fn walk(v: &serde_json::Value, out: &mut Vec<LotId>) {
        match v {
            serde_json::Value::Object(map) => {
                if map.len() == 2
                    && map.contains_key("item")
                    && map.contains_key("lot")
                    && let Ok(lot) = serde_json::from_value::<LotId>(v.clone())
                {
                    out.push(lot);
                    return;
                }
                map.values().for_each(|x| walk(x, out));
            }
            serde_json::Value::Array(items) => items.iter().for_each(|x| walk(x, out)),
            _ => {}
        }
    }
    let mut out = Vec::new();
    if let Ok(v) = serde_json::to_value(record) {
        walk(&v, &mut out);
    }
    out
}

/// Until when the policy keeps an entry.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Keep {
    /// To the end of this date.
    Until(Date),
    /// Indefinitely: the shelf life of this lot is not known.
    Unknown(String),
}

impl Keep {
    fn later(self, other: Self) -> Self {
        match (self, other) {
            (Self::Unknown(a), _) | (_, Self::Unknown(a)) => Self::Unknown(a),
            (Self::Until(a), Self::Until(b)) => Self::Until(a.max(b)),
        }
    }

    fn text(&self) -> String {
        match self {
            Self::Until(d) => d.to_string(),
            Self::Unknown(lot) => format!("indefinitely (no shelf life known for lot {lot})"),
        }
    }

    /// Whether retention has ended before `at`.
    fn ended(&self, at: Date) -> bool {
        matches!(self, Self::Until(d) if *d < at)
    }
}

fn keep_entry(policy: &Policy, products: &Products, time: Timestamp, record: &Record) -> Keep {
    let day = time.date();
    match record.kind() {
        RecordKind::ComplaintRegisteredV1
        | RecordKind::ComplaintProgress
        | RecordKind::ComplaintRegistered => Keep::Until(add_years(day, policy.complaint_years)),
        _ => {
            let mut keep = Keep::Until(day);
            for lot in lots_named(record) {
                keep = keep.later(match products.end_of(&lot) {
                    Some(end) => Keep::Until(end),
                    None => Keep::Unknown(lot.to_string()),
                });
            }
            match keep {
                Keep::Until(d) => Keep::Until(add_days(d, i64::from(policy.margin_days))),
                unknown @ Keep::Unknown(_) => unknown,
            }
        }
    }
}

/// One segment as the retention report describes it.
#[derive(Serialize)]
struct SegmentRetention {
    file: String,
    first_seq: u64,
    entries: u64,
    /// The newest entry's time.
    newest: Option<Timestamp>,
    /// The date to the end of which the policy keeps it; `None`: indefinitely.
    keep_until: Option<Date>,
    keep_until_text: String,
    /// The active segment, still appended to: never archived.
    active: bool,
    /// Read from an archive (`--archive`), not from the ledger.
    archived: bool,
    /// Whether `archive --before AT` would move it.
    may_archive: bool,
    /// Whether its retention has ended at AT (it may be disposed of once archived).
    may_dispose: bool,
    #[serde(skip)]
    keep: Keep,
}

/// Decoded entries of `readers`, in order, each with its segment's path.
fn for_entries(
    reader: &LedgerReader,
    mut each: impl FnMut(&StoredEntry, Option<&Record>) -> Result<(), CliError>,
) -> Result<(), CliError> {
    for item in reader.entries().map_err(storage)? {
        let e = item.map_err(check)?;
        let record = e.record().ok();
        each(&e, record.as_ref())?;
    }
    Ok(())
}

/// The retention of each segment `reader` reads, with what `knowledge`
/// readers (the whole ledger and archive) say about products.
fn segment_retention(
    reader: &LedgerReader,
    knowledge: &[&LedgerReader],
    policy: &Policy,
    at: Date,
    last_live: Option<u64>,
) -> Result<Vec<SegmentRetention>, CliError> {
    let mut products = Products::default();
    for r in knowledge {
        for_entries(r, |e, rec| {
            if let Some(rec) = rec {
                products.learn(e.header.time, rec);
            }
            Ok(())
        })?;
    }
    let mut out: Vec<SegmentRetention> = Vec::new();
    for seg in reader.segments().map_err(storage)? {
        let seg = seg.map_err(check)?;
        out.push(SegmentRetention {
            file: seg.path.display().to_string(),
            first_seq: seg.header.start.next_seq,
            entries: 0,
            newest: None,
            keep_until: None,
            keep_until_text: String::new(),
            active: Some(seg.header.start.next_seq) == last_live,
            archived: false,
            may_archive: false,
            may_dispose: false,
            keep: Keep::Until(Date(i32::MIN)),
        });
    }
    for_entries(reader, |e, rec| {
        let Some(s) = out.iter_mut().rev().find(|s| s.first_seq <= e.header.seq) else {
            return Ok(());
        };
        s.entries += 1;
        s.newest = Some(s.newest.map_or(e.header.time, |t| t.max(e.header.time)));
        let keep = match rec {
            Some(r) => keep_entry(policy, &products, e.header.time, r),
            None => Keep::Unknown(format!("(entry {} of an unknown kind)", e.header.seq)),
        };
        s.keep = core::mem::replace(&mut s.keep, Keep::Until(Date(i32::MIN))).later(keep);
        Ok(())
    })?;
    for s in &mut out {
        s.keep_until = match &s.keep {
            Keep::Until(d) => Some(*d),
            Keep::Unknown(_) => None,
        };
        s.keep_until_text = s.keep.text();
        s.may_archive = !s.active && s.newest.is_some_and(|t| t < at.start());
        s.may_dispose = s.keep.ended(at);
    }
    Ok(out)
}

/// The system clock's time (the commands that write an entry stamp it).
fn now() -> Timestamp {
    Timestamp(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX)),
    )
}

/// Today's UTC date, the default of `--at`.
fn today() -> Date {
    now().date()
}

/// `lotledger retention LEDGER [--at DATE]`: per segment (the archive's
/// first when `--archive` is given), its newest entry, the date until which
/// the policy keeps it, and whether it may be archived or disposed of at DATE.
pub fn retention(dir: &Path, at: Option<Date>, format: Format) -> Result<Outcome, CliError> {
    let policy = load_policy(dir)?;
    let at = at.unwrap_or_else(today);
    let reader = reader(dir).map_err(crate::tree::read_error)?;
    let live = LedgerReader::open(dir).map_err(crate::tree::read_error)?;
    let last = live.segments_from(u64::MAX).map_err(storage)?.next().transpose().map_err(check)?;
    let last_live = last.map(|s| s.header.start.next_seq);
    let mut rows = segment_retention(&reader, &[&reader], &policy, at, last_live)?;
    for r in &mut rows {
        r.archived = !Path::new(&r.file).starts_with(dir);
        r.may_archive &= !r.archived;
    }
    if format == Format::Json {
        #[derive(Serialize)]
        struct Report<'a> {
            at: Date,
            policy: Policy,
            segments: &'a [SegmentRetention],
        }
        return Ok(
            output::print_json(&Report { at, policy, segments: &rows }).map(|()| Outcome::Ok)?
        );
    }
    let mut t = Table::new(&[
        "segment",
        "entries",
        "newest entry",
        "kept until",
        &format!("archive --before {at}"),
        &format!("dispose at {at}"),
    ]);
    for s in &rows {
        t.row([
            s.file.clone(),
            s.entries.to_string(),
            s.newest.map_or("-".into(), |n| n.to_string()),
            s.keep_until_text.clone(),
            if s.archived {
                "archived".into()
            } else if s.active {
                "no (the active segment)".into()
            } else if s.may_archive {
                "yes".into()
            } else {
                "no (holds entries of that date or later)".to_owned()
            },
            if s.may_dispose { "yes, once archived".into() } else { "no".to_owned() },
        ]);
    }
    output::print(&format!(
        "retention policy: complaints {} years, other records the product's shelf life + {} days \
         ({})\n",
        policy.complaint_years,
        policy.margin_days,
        if dir.join(POLICY_FILE).exists() { POLICY_FILE } else { "the default" }
    ))?;
    output::print(&t.render())?;
    if live
        .segments()
        .map_err(storage)?
        .next()
        .transpose()
        .map_err(check)?
        .is_some_and(|s| s.header.start.next_seq > 0)
        && !has_archive(dir)
    {
        eprintln!("lotledger: note: the ledger's first entries are archived; {PASS_THE_ARCHIVE}");
    }
    Ok(Outcome::Ok)
}

// ---------------------------------------------------------------------------
// Archive.

fn stamp(station: &str) -> Result<Stamp, CliError> {
    Ok(Stamp {
        time: now(),
        actor: Actor::new("lotledger").map_err(|e| CliError::Usage(e.to_string()))?,
        station: Station::new(station).map_err(|e| CliError::Usage(e.to_string()))?,
    })
}

fn reason_text(reason: &str) -> Result<Text<128>, CliError> {
    Text::new(reason).map_err(|e| CliError::Usage(format!("--reason: {e}")))
}

/// Opens the ledger's writer: the lock, every segment verified; a torn
/// tail is refused (run `append` or `verify` first), nothing is cut.
fn open_writer(dir: &Path) -> Result<FileLedger, CliError> {
    FileLedger::open(dir, Options::new().recovery(Recovery::Fail)).map(|(w, _)| w).map_err(|e| {
        match e {
            file::Error::Corrupted { .. } | file::Error::SegmentGap { .. } => check(e),
            other => storage(other),
        }
    })
}

/// Appends a `retention_applied` entry, durably, and extends merkle.nodes.
fn record(
    dir: &Path,
    writer: &mut FileLedger,
    r: RetentionApplied,
    station: &str,
) -> Result<u64, CliError> {
    let before = writer.head();
    let appended =
        writer.append(&stamp(station)?, &Record::RetentionApplied(r)).map_err(storage)?;
    writer.sync().map_err(storage)?;
    crate::tree::extend_nodes(dir, before, &[appended.receipt.hash])?;
    Ok(appended.receipt.seq)
}

/// The `retention_applied` records of `action` in the ledger `reader` reads.
fn recorded(
    reader: &LedgerReader,
    action: RetentionAction,
) -> Result<Vec<RetentionApplied>, CliError> {
    let mut found = Vec::new();
    for_entries(reader, |_, rec| {
        if let Some(Record::RetentionApplied(r)) = rec
            && r.action == action
        {
            found.push(r.clone());
        }
        Ok(())
    })?;
    Ok(found)
}

/// The live ledger's cut file, if any, and its SHA-256.
pub fn read_cut(dir: &Path) -> Result<Option<(Manifest, Digest)>, CliError> {
    let path = dir.join(CUT_FILE);
    if !path.exists() {
        return Ok(None);
    }
    Manifest::read(&path).map(Some).map_err(check)
}

/// What `verify` needs of a ledger's documented cut.
pub struct Cut {
    /// The cut's manifest (the ledger's `archive-cut.json`).
    pub manifest: Manifest,
    /// Its SHA-256.
    pub digest: Digest,
    /// The Merkle tree and head at the first entry present, when the ledger
    /// starts exactly at the cut (not in an interrupted move).
    pub tree: Option<(CompactTree, Digest)>,
}

/// The cut the ledger in `dir` starts from when it starts at entry
/// `start.next_seq > 0`: `Ok(None)` when it has no cut file; an error
/// message when the cut file does not describe where it starts.
pub fn cut_at(dir: &Path, start: Anchor) -> Result<Option<Cut>, String> {
    let Some((manifest, digest)) = read_cut(dir).map_err(message)? else {
        return Ok(None);
    };
    let at_end = start == manifest.end.anchor();
    let inside = manifest.segments.iter().any(|s| s.first_seq == start.next_seq);
    if !at_end && !inside {
        return Err(format!(
            "{} documents a cut at entry {}, the ledger starts at entry {}",
            dir.join(CUT_FILE).display(),
            manifest.end.seq,
            start.next_seq
        ));
    }
    let tree = if at_end {
        Some((manifest.end.tree().map_err(|e| format!("{CUT_FILE}: {e}"))?, manifest.end.head))
    } else {
        None
    };
    Ok(Some(Cut { manifest, digest, tree }))
}

/// Whether the ledger in `dir` records the cut `cut` it starts from: a
/// `retention_applied {action: archived}` entry among `recorded` naming the
/// cut file's SHA-256 and its entries. `Ok(note)` when it does (the note
/// says when the move was interrupted); `Err(why)` when not.
pub fn check_cut_recorded(
    dir: &Path,
    cut: &Cut,
    recorded: &[RetentionApplied],
) -> Result<Option<String>, String> {
    let ours = recorded.iter().any(|r| {
        r.action == RetentionAction::Archived
            && r.manifest == cut.digest
            && r.first_seq == cut.manifest.start.seq
            && r.end_seq == cut.manifest.end.seq
    });
    if !ours {
        return Err(format!(
            "{} documents a cut at entry {}, but no retention_applied entry of the ledger \
             records an archive with its SHA-256 {}: the cut file was altered or the first \
             segments deleted",
            dir.join(CUT_FILE).display(),
            cut.manifest.end.seq,
            cut.digest
        ));
    }
    Ok(cut.tree.is_none().then(|| {
        format!(
            "an archive move was interrupted before the ledger's copies of entries up to {} were \
             deleted: run `lotledger archive` again to complete it",
            cut.manifest.end.seq
        )
    }))
}

/// Each `--archive` directory of the ledger in `dir`, verified on its own
/// ([`store::verify`]) and joined to the ledger (its end is where the next
/// archive or the ledger starts): `Some(why)` for the first that fails.
pub fn verify_attached(dir: &Path) -> Result<Option<String>, CliError> {
    let id = LedgerReader::open(dir).map_err(crate::tree::read_error)?.ledger_id();
    for a in archives_of(id).map_err(storage)? {
        match store::verify(&a) {
            Ok(_) => {}
            Err(e @ store::ArchiveError::Io { .. }) => return Err(storage(e)),
            Err(e) => return Ok(Some(format!("archive {}: {e}", a.display()))),
        }
    }
    Ok(None)
}

/// `lotledger archive LEDGER --before DATE --to DIR [--key FILE]`.
pub fn archive(
    dir: &Path,
    before: Timestamp,
    to: &Path,
    key: Option<&Path>,
    reason: &str,
) -> Result<Outcome, CliError> {
    let reason = reason_text(reason)?;
    let mut writer = open_writer(dir)?;
    let live = LedgerReader::open(dir).map_err(storage)?;
    let id = live.ledger_id();
    let manifest_path = to.join(MANIFEST_FILE);
    let (manifest, digest, resumed) = if manifest_path.exists() {
        // A re-run: the archive was written; complete the move.
        let checked = store::verify(to).map_err(check)?;
        if checked.manifest.ledger != id {
            return Err(CliError::Usage(format!(
                "{} is an archive of ledger {}, not of {id}",
                to.display(),
                checked.manifest.ledger
            )));
        }
        (checked.manifest, checked.manifest_digest, true)
    } else {
        let (m, d) = write_archive(dir, &live, before, to, key)?;
        (m, d, false)
    };
    // The live copies still present must be those archived.
    let present = list(dir)?;
    let mut to_delete = Vec::new();
    for s in &manifest.segments {
        if let Some((_, path)) = present.iter().find(|(f, _)| *f == s.first_seq) {
            let bytes = fs::read(path).map_err(storage)?;
            if store::sha256(&bytes) != s.sha256 {
                return Err(CliError::Check(format!(
                    "{} differs from its archived copy {}: nothing was deleted",
                    path.display(),
                    to.join(&s.name).display()
                )));
            }
            to_delete.push(path.clone());
        }
    }
    if present.last().is_some_and(|(f, _)| manifest.segments.iter().any(|s| s.first_seq == *f)) {
        return Err(CliError::Usage("the active (last) segment is never archived".into()));
    }
    store::write_durably(&dir.join(CUT_FILE), &manifest.to_bytes()).map_err(storage)?;
    let already = recorded(&live, RetentionAction::Archived)?.iter().any(|r| r.manifest == digest);
    let seq = if already {
        None
    } else {
        Some(record(
            dir,
            &mut writer,
            RetentionApplied {
                action: RetentionAction::Archived,
                first_seq: manifest.start.seq,
                end_seq: manifest.end.seq,
                manifest: digest,
                reason,
            },
            "archive",
        )?)
    };
    store::remove_durably(&to_delete).map_err(storage)?;
    writer.close().map_err(storage)?;
    output::print(&format!(
        "{} entries {}..{} in {} segments to {} (manifest SHA-256 {digest}){}; {}\n",
        if resumed { "completed archiving" } else { "archived" },
        manifest.start.seq,
        manifest.end.seq,
        manifest.segments.len(),
        to.display(),
        if manifest.checkpoint.is_some() { ", signed checkpoint at the cut" } else { "" },
        seq.map_or("the ledger already recorded the cut".to_owned(), |s| {
            format!("recorded as entry {s}")
        }),
    ))?;
    Ok(Outcome::Ok)
}

/// The segment files in `dir`, in order.
fn list(dir: &Path) -> Result<Vec<(u64, PathBuf)>, CliError> {
    let mut segs = Vec::new();
    for e in fs::read_dir(dir)? {
        let e = e?;
        if let Some(first) = e.file_name().to_str().and_then(segment::parse_file_name) {
            segs.push((first, e.path()));
        }
    }
    segs.sort_unstable();
    Ok(segs)
}

/// Copies the sealed segments to archive into `to` and writes its manifest
/// (and the signed checkpoint at the cut) there, durably.
fn write_archive(
    dir: &Path,
    live: &LedgerReader,
    before: Timestamp,
    to: &Path,
    key: Option<&Path>,
) -> Result<(Manifest, Digest), CliError> {
    let id = live.ledger_id();
    let present = list(dir)?;
    let Some(&(first, _)) = present.first() else { return Err(storage("no segment")) };
    // Where the ledger starts, with its Merkle tree there.
    let start = if first == 0 {
        CutPoint::of(&CompactTree::new(), Anchor::genesis(&id).head)
    } else {
        match read_cut(dir)? {
            Some((m, _)) if m.end.seq == first => m.end,
            _ => {
                return Err(CliError::Check(format!(
                    "the ledger starts at entry {first} and {} does not document that cut",
                    dir.join(CUT_FILE).display()
                )));
            }
        }
    };
    let mut tree = start.tree().map_err(check)?;
    // Per segment: entries, newest time.
    let mut stats: Vec<(u64, u64, Timestamp, Digest)> = Vec::new();
    let sealed: Vec<u64> = present.iter().rev().skip(1).map(|(f, _)| *f).collect();
    let mut end = start.clone();
    for item in live.entries().map_err(storage)? {
        let e = item.map_err(check)?;
        if !sealed.contains(&e.segment) {
            break;
        }
        match stats.last_mut() {
            Some(s) if s.0 == e.segment => {
                s.1 += 1;
                s.2 = s.2.max(e.header.time);
                s.3 = e.hash;
            }
            _ => stats.push((e.segment, 1, e.header.time, e.hash)),
        }
    }
    // The leading run of sealed segments whose entries are all older than `before`.
    let take = stats.iter().take_while(|s| s.2 < before).count();
    let stats = stats.get(..take).unwrap_or_default().to_vec();
    if stats.is_empty() {
        return Err(CliError::Usage(format!(
            "nothing to archive: the first segment holds entries of {before} or later, or is \
             the active (last) segment, which is never archived"
        )));
    }
    let end_seq = stats
        .last()
        .map_or(first, |s| present.iter().find(|(f, _)| *f > s.0).map_or(s.0, |(f, _)| *f));
    for item in live.entries().map_err(storage)? {
        let e = item.map_err(check)?;
        if e.header.seq >= end_seq {
            break;
        }
        tree.push_entry(&e.hash.0).map_err(check)?;
        end = CutPoint::of(&tree, e.hash);
    }
    if to.exists() {
        let others = list(to)?;
        if let Some((_, p)) = others.iter().find(|(f, _)| !stats.iter().any(|s| s.0 == *f)) {
            return Err(CliError::Usage(format!(
                "{} holds {} which is not one of the segments to archive: give an empty or new \
                 directory",
                to.display(),
                p.display()
            )));
        }
    }
    fs::create_dir_all(to)?;
    let mut segments: Vec<ArchivedSegment> = Vec::new();
    for (f, n, _, _) in &stats {
        let src = dir.join(segment::file_name(*f));
        segments.push(store::copy_segment(&src, *f, *n, to).map_err(storage)?);
    }
    let checkpoint = match key {
        Some(key) => {
            let note = crate::tree::sign_note(&id, end.seq, &tree.root(), end.head, key)?;
            store::write_durably(&to.join(CHECKPOINT_FILE), note.as_bytes()).map_err(storage)?;
            Some(CHECKPOINT_FILE.to_owned())
        }
        None => None,
    };
    let manifest = Manifest {
        format: MANIFEST_FORMAT.to_owned(),
        ledger: id,
        start,
        end,
        segments,
        checkpoint,
    };
    store::write_durably(&to.join(MANIFEST_FILE), &manifest.to_bytes()).map_err(storage)?;
    // Read back: the archive must verify on its own before anything is deleted.
    let checked = store::verify(to).map_err(check)?;
    Ok((checked.manifest, checked.manifest_digest))
}

// ---------------------------------------------------------------------------
// Verify an archive.

#[derive(Serialize)]
struct ArchiveVerification {
    ok: bool,
    archive: String,
    ledger: Option<String>,
    first_seq: Option<u64>,
    end_seq: Option<u64>,
    entries: u64,
    segments: usize,
    checkpoint_entries: u64,
    manifest_sha256: Option<String>,
    checkpoint_result: Option<String>,
    failure: Option<String>,
}

/// `lotledger verify DIR` of a directory holding `manifest.json`: the
/// archive on its own, and its signed checkpoint at the cut with `--key`.
pub fn verify_archive(dir: &Path, keys: &[String], format: Format) -> Result<Outcome, CliError> {
    let mut v = ArchiveVerification {
        ok: false,
        archive: dir.display().to_string(),
        ledger: None,
        first_seq: None,
        end_seq: None,
        entries: 0,
        segments: 0,
        checkpoint_entries: 0,
        manifest_sha256: None,
        checkpoint_result: None,
        failure: None,
    };
    match store::verify(dir) {
        Ok(c) => {
            v.ok = true;
            v.ledger = Some(c.manifest.ledger.to_string());
            v.first_seq = Some(c.manifest.start.seq);
            v.end_seq = Some(c.manifest.end.seq);
            v.entries = c.entries;
            v.segments = c.manifest.segments.len();
            v.checkpoint_entries = c.checkpoint_entries;
            v.manifest_sha256 = Some(c.manifest_digest.to_string());
            if let Some(name) = &c.manifest.checkpoint {
                if keys.is_empty() {
                    v.checkpoint_result = Some(format!("{name}: not checked (no --key given)"));
                } else {
                    let root = c.manifest.end.tree().map_err(check)?.root();
                    match crate::tree::check_note(
                        &dir.join(name),
                        keys,
                        &c.manifest.ledger,
                        c.manifest.end.seq,
                        &root,
                        c.manifest.end.head,
                    ) {
                        Ok(m) => v.checkpoint_result = Some(format!("OK: {m}")),
                        Err(m) => {
                            v.ok = false;
                            v.failure = Some(format!("{name}: {m}"));
                        }
                    }
                }
            }
        }
        Err(e @ store::ArchiveError::Io { .. }) => return Err(storage(e)),
        Err(e) => v.failure = Some(e.to_string()),
    }
    if format == Format::Json {
        output::print_json(&v)?;
    } else {
        let mut t = Table::new(&["check", "result"]);
        t.row(["archive".to_owned(), v.archive.clone()]);
        t.row(["ledger".to_owned(), v.ledger.clone().unwrap_or_else(|| "-".into())]);
        if let (Some(a), Some(b)) = (v.first_seq, v.end_seq) {
            t.row(["entries archived".to_owned(), format!("{a}..{b} ({} verified)", v.entries)]);
        }
        t.row(["segments".to_owned(), v.segments.to_string()]);
        t.row(["checkpoint entries (roots checked)".to_owned(), v.checkpoint_entries.to_string()]);
        t.row([
            "manifest SHA-256".to_owned(),
            v.manifest_sha256.clone().unwrap_or_else(|| "-".into()),
        ]);
        if let Some(c) = &v.checkpoint_result {
            t.row(["checkpoint at the cut".to_owned(), c.clone()]);
        }
        t.row([
            "result".to_owned(),
            v.failure
                .as_ref()
                .map_or_else(|| "OK (archive)".to_owned(), |f| format!("FAILED: {f}")),
        ]);
        output::print(&t.render())?;
    }
    Ok(if v.ok { Outcome::Ok } else { Outcome::CheckFailed })
}

// ---------------------------------------------------------------------------
// Disposal.

/// `lotledger dispose ARCHIVE --ledger LEDGER [--at DATE]`: deletes the
/// archive's segments when the retention of every one has ended; records it.
pub fn dispose(
    archive: &Path,
    ledger: &Path,
    at: Option<Date>,
    reason: &str,
) -> Result<Outcome, CliError> {
    let reason = reason_text(reason)?;
    let at = at.unwrap_or_else(today);
    let mut writer = open_writer(ledger)?;
    let live = LedgerReader::open(ledger).map_err(storage)?;
    let manifest_path = archive.join(MANIFEST_FILE);
    let (manifest, digest) = Manifest::read(&manifest_path).map_err(check)?;
    if manifest.ledger != live.ledger_id() {
        return Err(CliError::Usage(format!(
            "{} is an archive of ledger {}, {} is ledger {}",
            archive.display(),
            manifest.ledger,
            ledger.display(),
            live.ledger_id()
        )));
    }
    let done = recorded(&live, RetentionAction::Disposed)?.iter().any(|r| r.manifest == digest);
    let seq = if done {
        // A re-run after the disposal was recorded: finish deleting.
        None
    } else {
        store::verify(archive).map_err(check)?;
        let first_live = live
            .segments()
            .map_err(storage)?
            .next()
            .transpose()
            .map_err(check)?
            .map_or(0, |s| s.header.start.next_seq);
        if manifest.end.seq > first_live {
            return Err(CliError::Usage(format!(
                "the archive's entries {}..{} are still in {}: complete the archive move first \
                 (run `lotledger archive` again)",
                manifest.start.seq,
                manifest.end.seq,
                ledger.display()
            )));
        }
        let policy = load_policy(ledger)?;
        let archived = LedgerReader::open(archive).map_err(storage)?;
        let rows = segment_retention(&archived, &[&archived, &live], &policy, at, None)?;
        if let Some(kept) = rows.iter().find(|s| !s.may_dispose) {
            return Err(CliError::Usage(format!(
                "refused: {} is kept until {} by the retention policy; nothing was disposed of",
                kept.file, kept.keep_until_text
            )));
        }
        Some(record(
            ledger,
            &mut writer,
            RetentionApplied {
                action: RetentionAction::Disposed,
                first_seq: manifest.start.seq,
                end_seq: manifest.end.seq,
                manifest: digest,
                reason,
            },
            "dispose",
        )?)
    };
    let mut files: Vec<PathBuf> = manifest.segments.iter().map(|s| archive.join(&s.name)).collect();
    if let Some(c) = &manifest.checkpoint {
        files.push(archive.join(c));
    }
    // The manifest last: a re-run finds it and finishes.
    files.push(manifest_path);
    store::remove_durably(&files).map_err(storage)?;
    writer.close().map_err(storage)?;
    output::print(&format!(
        "disposed of entries {}..{} ({} segments) in {}; {}\n",
        manifest.start.seq,
        manifest.end.seq,
        manifest.segments.len(),
        archive.display(),
        seq.map_or("the ledger had already recorded it".to_owned(), |s| format!(
            "recorded in {} as entry {s}",
            ledger.display()
        ))
    ))?;
    Ok(Outcome::Ok)
}

// ---------------------------------------------------------------------------
// Queries across an archive and the live ledger.

/// The index of the ledgers in `dirs` with the segments of their `--archive`
/// directories read first, as one chain per ledger (no index cache: the
/// cache describes the live directories alone). `None` when no archive of
/// these ledgers was given.
pub fn index_with_archives(dirs: &[PathBuf]) -> Result<Option<lotledger::index::Index>, CliError> {
    if !dirs.iter().any(|d| has_archive(d)) {
        return Ok(None);
    }
    let mut index = lotledger::index::Index::new();
    for dir in dirs {
        let reader = reader(dir).map_err(crate::tree::read_error)?;
        let id = reader.ledger_id();
        for (i, seg) in reader.segments().map_err(crate::tree::read_error)?.enumerate() {
            let seg = seg.map_err(crate::tree::read_error)?;
            if i == 0 && seg.header.start.next_seq > 0 {
                index
                    .add_ledger(&id, seg.header.start)
                    .map_err(|e| check(format!("{}: {e}", seg.path.display())))?;
            }
            let label = seg.path.file_name().and_then(|n| n.to_str()).unwrap_or("segment");
            index
                .ingest_segment(&id, label, seg.frames())
                .map_err(|e| check(format!("{}: {e}", seg.path.display())))?;
        }
    }
    index.shrink_to_fit();
    eprintln!("lotledger: index built from the archives given and the ledgers (no index cache)");
    Ok(Some(index))
}

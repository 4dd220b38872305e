//! `lotledger erase LEDGER`: erases a data subject's personal values from
//! the ledger's personal-data store and records the erasure in the ledger
//! (docs/PRIVACY.md).
//!
//! Order: the store first, then the entry. The writer's lock is taken
//! first (no append can run meanwhile); then each commitment's erasure
//! marker is written and its value file overwritten, synced and unlinked;
//! only then is the `personal_data_erased` entry appended, synced. So the
//! ledger never records an erasure that did not happen. A crash between the
//! two leaves the values erased (queries show `erased`) and no entry for
//! them; `verify --personal-data` names such markers as not recorded, and
//! running the same `erase` again finds nothing left to delete and appends
//! the missing entry. A run that finds every value erased and recorded
//! changes nothing.

use std::collections::BTreeSet;
use std::path::Path;

use serde::Serialize;

use lotledger::file::{Durability, LedgerReader, Lookup, PersonalStore};
use lotledger::model::{
    Actor, Digest, ErasureSubject, MAX_ERASED, PartyId, PersonalDataErased, PersonalValue, Record,
    Reference, Station, Text, Timestamp,
};

use crate::output::{self, Format, Table};
use crate::{CliError, Outcome};

/// Whose personal data to erase.
pub enum Subject {
    /// The complainant of a complaint, by its number.
    Complaint(Reference),
    /// A party's contact persons in its master data.
    Party(PartyId),
    /// One value, by its commitment: 64 hex digits or a prefix of at least 8.
    Commitment(String),
}

/// What `erase` is asked to do.
pub struct EraseArgs<'a> {
    /// Whose data.
    pub subject: Subject,
    /// Who erases (the entry's actor).
    pub by: &'a str,
    /// Why (the entry's reason; must not hold the data).
    pub reason: &'a str,
    /// Where (the entry's station).
    pub station: &'a str,
    /// Table or JSON.
    pub format: Format,
}

/// The personal fields of the ledger that belong to one subject.
#[derive(Default)]
struct Found {
    /// Whether any entry (or, for a commitment, the store) names the subject.
    any: bool,
    /// The sealed commitments, in chain order, each once.
    sealed: Vec<Digest>,
    /// Entries holding a plain non-empty personal field of the subject.
    plain: Vec<u64>,
    /// Entries whose sealed fields belong to the subject.
    entries: Vec<u64>,
    /// Commitments already named by an erasure entry.
    recorded: BTreeSet<Digest>,
    /// For a party subject: the identity its master data uses (the
    /// erasure entry names it, also when an alias was given).
    party: Option<PartyId>,
}

/// The personal fields of `record`: (commitments, has a plain non-empty one).
fn fields(record: &Record) -> (Vec<Digest>, bool) {
    let mut sealed = Vec::new();
    let mut plain = false;
    record.for_each_personal(&mut |f| match f.value() {
        PersonalValue::Sealed(c) => sealed.push(*c),
        PersonalValue::Plain(v) => plain |= !v.is_empty(),
    });
    (sealed, plain)
}

/// Whether `record` belongs to `subject`, and if so its sealed
/// commitments and whether it holds plain personal text. For a commitment
/// subject, `matches` is the set of full commitments the prefix names.
fn subject_fields(
    record: &Record,
    subject: &Subject,
    matches: &BTreeSet<Digest>,
) -> Option<(Vec<Digest>, bool)> {
    match (subject, record) {
        (Subject::Complaint(n), Record::ComplaintRegistered(c)) if c.complaint == *n => {
            Some(fields(record))
        }
        (Subject::Complaint(n), Record::ComplaintRegisteredV1(c)) if c.complaint == *n => {
            let p = &c.complainant;
            Some((
                Vec::new(),
                [p.person.as_str(), p.contact.as_str(), c.story.as_str()]
                    .iter()
                    .any(|t| !t.is_empty()),
            ))
        }
        (Subject::Party(id), Record::PartyDescribed(p))
            if p.party == *id || p.also_known_as.contains(id) =>
        {
            Some(fields(record))
        }
        (Subject::Commitment(_), _) => {
            let (sealed, _) = fields(record);
            let mine: Vec<Digest> = sealed.into_iter().filter(|c| matches.contains(c)).collect();
            (!mine.is_empty()).then_some((mine, false))
        }
        _ => None,
    }
}

/// The full commitments a hex prefix names, from the chain and the store.
fn commitments_named(
    dir: &Path,
    prefix: &str,
    store: Option<&PersonalStore>,
) -> Result<BTreeSet<Digest>, CliError> {
    let reader = LedgerReader::open(dir).map_err(crate::tree::read_error)?;
    let mut all = BTreeSet::new();
    for item in reader.entries().map_err(crate::tree::read_error)? {
        let e = item.map_err(crate::tree::read_error)?;
        if let Ok(r) = e.record() {
            all.extend(fields(&r).0);
        }
    }
    if let Some(s) = store {
        all.extend(s.commitments().map_err(|e| CliError::Storage(e.to_string()))?);
        all.extend(s.erased().map_err(|e| CliError::Storage(e.to_string()))?);
    }
    Ok(all.into_iter().filter(|c| c.to_string().starts_with(prefix)).collect())
}

/// Reads the ledger for the subject's fields and the commitments erasure
/// entries already name.
fn find(dir: &Path, subject: &Subject, matches: &BTreeSet<Digest>) -> Result<Found, CliError> {
    let reader = LedgerReader::open(dir).map_err(crate::tree::read_error)?;
    let mut found = Found { any: !matches.is_empty(), ..Found::default() };
    let mut seen = BTreeSet::new();
    for item in reader.entries().map_err(crate::tree::read_error)? {
        let e = item.map_err(crate::tree::read_error)?;
        let Ok(record) = e.record() else { continue };
        if let Record::PersonalDataErased(x) = &record {
            found.recorded.extend(x.commitments.iter().copied());
            continue;
        }
        let Some((sealed, plain)) = subject_fields(&record, subject, matches) else { continue };
        found.any = true;
        if let Record::PartyDescribed(p) = &record {
            found.party.get_or_insert_with(|| p.party.clone());
        }
        if plain {
            found.plain.push(e.header.seq);
        }
        if !sealed.is_empty() {
            found.entries.push(e.header.seq);
        }
        for c in sealed {
            if seen.insert(c) {
                found.sealed.push(c);
            }
        }
    }
    // A value in the store that no entry names (an append interrupted after
    // its store write) is erased by its commitment too.
    for c in matches {
        if seen.insert(*c) {
            found.sealed.push(*c);
        }
    }
    Ok(found)
}

/// The first 8 hex digits of a commitment, as queries show it.
fn prefix(c: &Digest) -> String {
    let hex = c.to_string();
    hex.get(..8).unwrap_or(&hex).to_owned()
}

/// What became of one commitment.
#[derive(Serialize)]
struct Erased {
    /// Its first 8 hex digits.
    commitment: String,
    /// `deleted` (a value file was overwritten and unlinked now) or
    /// `already erased` (no value was left).
    store: &'static str,
    /// `recorded now`, or `already recorded` by an earlier erasure entry.
    entry: &'static str,
}

/// The report `erase` prints.
#[derive(Serialize)]
struct Report {
    subject: String,
    /// Entries holding the subject's sealed fields.
    entries: Vec<u64>,
    /// Commitments concerned.
    commitments: usize,
    /// Value files deleted by this run.
    deleted: usize,
    /// Commitments that were already erased in the store.
    already_erased: usize,
    /// The erasure entries this run appended.
    recorded_in: Vec<u64>,
    /// Entries holding the subject's personal data in plain text: not erasable.
    not_erasable: Vec<u64>,
    /// Whether the run changed nothing (erased and recorded before).
    no_op: bool,
    values: Vec<Erased>,
}

fn subject_text(subject: &Subject) -> String {
    match subject {
        Subject::Complaint(n) => format!("complaint {n}"),
        Subject::Party(p) => format!("party {p}"),
        Subject::Commitment(h) => format!("commitment {h}"),
    }
}

const NOT_ERASABLE: &str = "plain-text personal data is part of the chain's hashed bytes and \
     cannot be erased without breaking the chain (docs/PRIVACY.md, \"Old entries: not \
     erasable\", describes the migration)";

fn usage_commitment(hex: &str) -> Result<String, CliError> {
    let hex = hex.to_ascii_lowercase();
    if hex.len() < 8 || hex.len() > 64 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(CliError::Usage(
            "--commitment: give the commitment's 64 hex digits, or a prefix of at least 8 (as \
             queries show it after `sealed:`)"
                .into(),
        ));
    }
    Ok(hex)
}

/// `lotledger erase DIR --complaint N | --party P | --commitment HEX --by ACTOR --reason TEXT`.
pub fn erase(dir: &Path, args: &EraseArgs<'_>) -> Result<Outcome, CliError> {
    let actor =
        Actor::new(args.by).map_err(|e| CliError::Usage(format!("--by {:?}: {e}", args.by)))?;
    let station = Station::new(args.station)
        .map_err(|e| CliError::Usage(format!("--station {:?}: {e}", args.station)))?;
    if args.reason.trim().is_empty() {
        return Err(CliError::Usage(
            "--reason: say why (e.g. the request's date and basis)".into(),
        ));
    }
    let reason: Text<128> = Text::new(args.reason)
        .map_err(|e| CliError::Usage(format!("--reason: {e} (at most 128 bytes)")))?;
    let subject = match &args.subject {
        Subject::Commitment(h) => Subject::Commitment(usage_commitment(h)?),
        Subject::Complaint(n) => Subject::Complaint(n.clone()),
        Subject::Party(p) => Subject::Party(p.clone()),
    };
    // The writer's lock first: no entry can be appended while the subject
    // is looked up and erased.
    let (mut ledger, opened) = crate::ledger::open_for_append(dir, Durability::SyncEach)?;
    let store = PersonalStore::open(dir);
    let matches = match &subject {
        Subject::Commitment(h) => {
            let m = commitments_named(dir, h, store.as_ref())?;
            if m.len() > 1 {
                return Err(CliError::Usage(format!(
                    "--commitment {h} names {} commitments: give more hex digits",
                    m.len()
                )));
            }
            m
        }
        _ => BTreeSet::new(),
    };
    let found = find(dir, &subject, &matches)?;
    if !found.any {
        return Err(CliError::NotFound(format!(
            "{} is not in {}: no entry names it{}",
            subject_text(&subject),
            dir.display(),
            match subject {
                Subject::Party(_) => " in master data (party_described)",
                _ => "",
            }
        )));
    }
    if found.sealed.is_empty() {
        if found.plain.is_empty() {
            let _ = ledger.close();
            let report = Report {
                subject: subject_text(&subject),
                entries: Vec::new(),
                commitments: 0,
                deleted: 0,
                already_erased: 0,
                recorded_in: Vec::new(),
                not_erasable: Vec::new(),
                no_op: true,
                values: Vec::new(),
            };
            print_report(&report, args.format)?;
            return Ok(Outcome::Ok);
        }
        return Err(CliError::Check(format!(
            "{} holds personal data only in plain text, in entries {}: {NOT_ERASABLE}; nothing \
             was erased",
            subject_text(&subject),
            seqs(&found.plain)
        )));
    }
    let store = match store {
        Some(s) => s,
        None => PersonalStore::create(dir).map_err(|e| CliError::Storage(e.to_string()))?,
    };
    // The reason must not carry the data it erases.
    let lower = args.reason.to_lowercase();
    for c in &found.sealed {
        if let Ok(Lookup::Value(v)) = store.get(c)
            && v.chars().count() >= 3
            && lower.contains(&v.to_lowercase())
        {
            return Err(CliError::Input(format!(
                "--reason holds the value of commitment {} that is being erased: give the \
                 reason without the personal data; nothing was erased",
                prefix(c)
            )));
        }
    }
    // 1. The store: every value and key gone, a marker left.
    let mut values = Vec::new();
    let mut deleted = 0;
    for c in &found.sealed {
        let gone = store.erase(c).map_err(|e| {
            CliError::Storage(format!(
                "{e}; erasing {} stopped at commitment {}: run the same erase again",
                subject_text(&subject),
                prefix(c)
            ))
        })?;
        deleted += usize::from(gone);
        values.push(Erased {
            commitment: prefix(c),
            store: if gone { "deleted" } else { "already erased" },
            entry: if found.recorded.contains(c) { "already recorded" } else { "recorded now" },
        });
    }
    // 2. The ledger: the erasure recorded, without the data.
    let unrecorded: Vec<Digest> =
        found.sealed.iter().filter(|c| !found.recorded.contains(c)).copied().collect();
    let erasure_subject = match &subject {
        Subject::Complaint(n) => ErasureSubject::Complaint(n.clone()),
        Subject::Party(p) => {
            ErasureSubject::Party(found.party.clone().unwrap_or_else(|| p.clone()))
        }
        Subject::Commitment(_) => ErasureSubject::Values,
    };
    let now = Timestamp(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX)),
    );
    let stamp = lotledger::entry::Stamp { time: now, actor, station };
    let mut recorded_in = Vec::new();
    let mut hashes = Vec::new();
    for chunk in unrecorded.chunks(MAX_ERASED) {
        let record = Record::PersonalDataErased(PersonalDataErased {
            subject: erasure_subject.clone(),
            commitments: chunk.iter().copied().collect(),
            reason: reason.clone(),
        });
        let done = ledger.append(&stamp, &record).map_err(|e| {
            CliError::Storage(format!(
                "the values were erased from the store, but writing the erasure entry failed: \
                 {e}; run the same erase again to record it"
            ))
        })?;
        recorded_in.push(done.receipt.seq);
        hashes.push(done.receipt.hash);
    }
    ledger.close().map_err(|e| {
        CliError::Storage(format!(
            "the values were erased from the store, but syncing the erasure entry failed: {e}; \
             run the same erase again to record it"
        ))
    })?;
    if !hashes.is_empty()
        && let Err(e) = crate::tree::extend_nodes(dir, opened.head, &hashes)
    {
        eprintln!(
            "lotledger: note: merkle.nodes could not be updated ({}); the tree commands rebuild it",
            crate::ledger::error_text(e)
        );
    }
    let report = Report {
        subject: subject_text(&subject),
        entries: found.entries,
        commitments: found.sealed.len(),
        deleted,
        already_erased: found.sealed.len() - deleted,
        no_op: deleted == 0 && recorded_in.is_empty(),
        recorded_in,
        not_erasable: found.plain,
        values,
    };
    if !report.not_erasable.is_empty() {
        eprintln!(
            "lotledger: warning: entries {} hold personal data of {} in plain text: {NOT_ERASABLE}",
            seqs(&report.not_erasable),
            report.subject
        );
    }
    print_report(&report, args.format)?;
    Ok(Outcome::Ok)
}

fn seqs(s: &[u64]) -> String {
    s.iter().map(u64::to_string).collect::<Vec<_>>().join(", ")
}

fn print_report(r: &Report, format: Format) -> Result<(), CliError> {
    if format == Format::Json {
        return Ok(output::print_json(r)?);
    }
    let mut out = if r.no_op {
        format!(
            "{}: nothing to do: {} commitments, every value already erased and recorded\n",
            r.subject, r.commitments
        )
    } else {
        format!(
            "{}: erased {} values ({} deleted now, {} already erased) from entries {}; \
             recorded in erasure entries {}\n",
            r.subject,
            r.commitments,
            r.deleted,
            r.already_erased,
            seqs(&r.entries),
            if r.recorded_in.is_empty() { "-".to_owned() } else { seqs(&r.recorded_in) }
        )
    };
    if !r.values.is_empty() {
        let mut t = Table::new(&["commitment", "store", "entry"]);
        for v in &r.values {
            t.row([v.commitment.clone(), v.store.to_owned(), v.entry.to_owned()]);
        }
        out.push_str(&t.render());
    }
    if !r.not_erasable.is_empty() {
        out.push_str(&format!(
            "NOT ERASABLE: entries {} hold this subject's personal data in plain text\n",
            seqs(&r.not_erasable)
        ));
    }
    Ok(output::print(&out)?)
}

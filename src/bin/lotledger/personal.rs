//! Sealing on write for the CLI writers (`append`, `demo`): every plain
//! non-empty personal field of a record is replaced by its commitment, the
//! value and its random key stored durably in the ledger's personal-data
//! store first (docs/PRIVACY.md).

use std::path::{Path, PathBuf};

use lotledger::file::{Error as StorageError, Lookup, PersonalStore};
use lotledger::model::personal::{KEY_LEN, SealKey};
use lotledger::model::{Digest, PersonalValue, Record};

/// Seals records for one file ledger; its store is created when the first
/// value is sealed.
pub struct Sealer {
    ledger_dir: PathBuf,
    store: Option<PersonalStore>,
    /// Each value synced before its entry is written (`append`), or all at
    /// once by [`Sealer::finish`] (`demo`).
    synced: bool,
}

impl Sealer {
    /// A sealer for the ledger in `ledger_dir`.
    pub fn new(ledger_dir: &Path) -> Self {
        Self {
            ledger_dir: ledger_dir.to_path_buf(),
            store: PersonalStore::open(ledger_dir),
            synced: true,
        }
    }

    /// A sealer for a bulk writer whose ledger is durable only at the end
    /// (`demo`): values are written unsynced, and [`Sealer::finish`] syncs
    /// them all.
    pub fn buffered(ledger_dir: &Path) -> Self {
        Self { synced: false, ..Self::new(ledger_dir) }
    }

    /// Syncs the values a buffered sealer wrote.
    pub fn finish(&self) -> Result<(), StorageError> {
        match &self.store {
            Some(s) if !self.synced => s.sync(),
            _ => Ok(()),
        }
    }

    /// Seals `record` in place: a kind-8 registration (plain complainant) becomes
    /// the kind-16 form first, then every plain non-empty personal field is
    /// stored and replaced by its commitment. Returns the commitments stored.
    /// On failure, the values this call stored are removed again and the
    /// record must not be written.
    pub fn seal(&mut self, record: &mut Record) -> Result<Vec<Digest>, StorageError> {
        if let Record::ComplaintRegisteredV1(v1) = record {
            *record = Record::ComplaintRegistered(v1.clone().into());
        }
        let mut to_seal = 0usize;
        record.for_each_personal(&mut |f| {
            if matches!(f.value(), PersonalValue::Plain(v) if !v.is_empty()) {
                to_seal += 1;
            }
        });
        if to_seal == 0 {
            return Ok(Vec::new());
        }
        let store = match &self.store {
            Some(s) => s.clone(),
            None => {
                let s = PersonalStore::create(&self.ledger_dir)?;
                self.store = Some(s.clone());
                s
            }
        };
        let mut keys = vec![0u8; to_seal * KEY_LEN];
        getrandom::fill(&mut keys).map_err(|e| StorageError::Io {
            op: "draw random keys for",
            path: store.dir().to_path_buf(),
            source: std::io::Error::other(e.to_string()),
        })?;
        let mut chunks = keys.chunks_exact(KEY_LEN);
        let mut stored = Vec::new();
        let result = record.seal_personal(
            &mut || chunks.next().and_then(|k| SealKey::try_from(k).ok()).unwrap_or([0; KEY_LEN]),
            &mut |c, key, value| {
                if self.synced {
                    store.put(c, key, value)?;
                } else {
                    store.put_unsynced(c, key, value)?;
                }
                stored.push(*c);
                Ok(())
            },
        );
        match result {
            Ok(_) => Ok(stored),
            Err(e) => {
                for c in &stored {
                    let _ = store.erase(c);
                }
                Err(e)
            }
        }
    }
}

/// One `personal_data_erased` entry, as `audit --personal-data` lists it.
#[derive(serde::Serialize)]
pub struct ErasureLine {
    /// The ledger directory.
    pub ledger: String,
    /// The entry.
    pub seq: u64,
    /// When.
    pub time: lotledger::model::Timestamp,
    /// Who.
    pub actor: String,
    /// Whose data (`complaint CMP-1`, `party gln:...`, `values`).
    pub subject: String,
    /// How many commitments it names.
    pub commitments: usize,
    /// Why.
    pub reason: String,
}

/// An entry holding personal data in plain text: not erasable.
#[derive(serde::Serialize)]
pub struct PlainLine {
    /// The ledger directory.
    pub ledger: String,
    /// The entry.
    pub seq: u64,
    /// Its record kind.
    pub kind: &'static str,
}

/// What one pass over a ledger's entries found of personal data: for
/// `verify --personal-data` and `audit --personal-data`.
#[derive(Default)]
pub struct PersonalScan {
    /// Every sealed commitment and the entries holding it.
    pub sealed: std::collections::BTreeMap<Digest, Vec<u64>>,
    /// Entries with a plain non-empty personal field.
    pub plain: Vec<PlainLine>,
    /// Commitments erasure entries name.
    pub recorded: std::collections::BTreeSet<Digest>,
    /// The erasure entries.
    pub erasures: Vec<ErasureLine>,
}

impl PersonalScan {
    /// Takes in one entry of the ledger in `ledger`.
    pub fn see(&mut self, ledger: &str, e: &lotledger::file::StoredEntry, record: &Record) {
        let seq = e.header.seq;
        let mut plain = false;
        match record {
            Record::ComplaintRegisteredV1(c) => {
                let p = &c.complainant;
                plain = [p.person.as_str(), p.contact.as_str(), c.story.as_str()]
                    .iter()
                    .any(|t| !t.is_empty());
            }
            Record::PersonalDataErased(x) => {
                self.recorded.extend(x.commitments.iter().copied());
                self.erasures.push(ErasureLine {
                    ledger: ledger.to_owned(),
                    seq,
                    time: e.header.time,
                    actor: e.header.actor.as_str().to_owned(),
                    subject: match &x.subject {
                        lotledger::model::ErasureSubject::Complaint(n) => format!("complaint {n}"),
                        lotledger::model::ErasureSubject::Party(p) => format!("party {p}"),
                        lotledger::model::ErasureSubject::Values => "values".to_owned(),
                    },
                    commitments: x.commitments.len(),
                    reason: x.reason.as_str().to_owned(),
                });
            }
            _ => {}
        }
        record.for_each_personal(&mut |f| match f.value() {
            PersonalValue::Sealed(c) => self.sealed.entry(*c).or_default().push(seq),
            PersonalValue::Plain(v) => plain |= !v.is_empty(),
        });
        if plain {
            self.plain.push(PlainLine {
                ledger: ledger.to_owned(),
                seq,
                kind: record.kind().name(),
            });
        }
    }
}

/// A commitment `verify --personal-data` reports, with the entries holding it.
#[derive(serde::Serialize)]
pub struct Finding {
    /// The commitment, all 64 hex digits (it names the store's file).
    pub commitment: String,
    /// The entries holding it (none for a store file no entry names).
    pub entries: Vec<u64>,
}

/// The result of `verify --personal-data`.
#[derive(serde::Serialize, Default)]
pub struct PersonalReport {
    /// Whether the store has a `personal/` directory.
    pub store: bool,
    /// Sealed commitments in the chain.
    pub sealed: usize,
    /// Of those, with a value that opens its commitment.
    pub values: usize,
    /// With an erasure marker.
    pub erased: usize,
    /// With neither: reported, not a failure (sealed elsewhere, or the file removed by hand).
    pub missing: Vec<Finding>,
    /// Store files that do not open their commitment: the check fails.
    pub tampered: Vec<Finding>,
    /// Store files that cannot be read: no verdict (exit 4).
    pub unreadable: Vec<Finding>,
    /// Value files no entry names (an append interrupted after the store
    /// write): checked too; `erase --commitment` removes them.
    pub unreferenced: Vec<Finding>,
    /// Erasure markers no `personal_data_erased` entry names (an erase
    /// interrupted before its entry): run the erase again to record it.
    pub erased_unrecorded: Vec<Finding>,
    /// Entries holding plain-text personal data: not erasable.
    pub plain_entries: usize,
}

/// Checks every sealed commitment `scan` found, and every file of the
/// store, against the store in `dir`.
pub fn check_store(dir: &Path, scan: &PersonalScan) -> Result<PersonalReport, StorageError> {
    let mut r = PersonalReport { plain_entries: scan.plain.len(), ..PersonalReport::default() };
    r.sealed = scan.sealed.len();
    let finding = |c: &Digest, entries: &[u64]| Finding {
        commitment: c.to_string(),
        entries: entries.to_vec(),
    };
    let Some(store) = PersonalStore::open(dir) else {
        r.missing = scan.sealed.iter().map(|(c, s)| finding(c, s)).collect();
        return Ok(r);
    };
    r.store = true;
    for (c, seqs) in &scan.sealed {
        match store.get(c) {
            Ok(Lookup::Value(_)) => r.values += 1,
            Ok(Lookup::Erased) => {
                r.erased += 1;
                if !scan.recorded.contains(c) {
                    r.erased_unrecorded.push(finding(c, seqs));
                }
            }
            Ok(Lookup::Missing) => r.missing.push(finding(c, seqs)),
            Ok(Lookup::Tampered) => r.tampered.push(finding(c, seqs)),
            Err(_) => r.unreadable.push(finding(c, seqs)),
        }
    }
    for c in store.commitments()? {
        if scan.sealed.contains_key(&c) {
            continue;
        }
        match store.get(&c) {
            Ok(Lookup::Value(_)) => r.unreferenced.push(finding(&c, &[])),
            Ok(Lookup::Tampered) => r.tampered.push(finding(&c, &[])),
            _ => r.unreadable.push(finding(&c, &[])),
        }
    }
    // A marker no entry names (an append that failed after its store
    // write and was rolled back, or an unreferenced value erased by
    // commitment) has nothing in the chain to record.
    Ok(r)
}

/// The rows `verify --personal-data` adds to its table.
pub fn report_rows(p: &PersonalReport, t: &mut crate::output::Table) {
    let list = |f: &[Finding]| {
        f.iter()
            .take(5)
            .map(|f| {
                let short = f.commitment.get(..8).unwrap_or(&f.commitment);
                if f.entries.is_empty() {
                    format!("{short} (no entry)")
                } else {
                    format!("{short} (entries {:?})", f.entries)
                }
            })
            .collect::<Vec<_>>()
            .join(", ")
            + if f.len() > 5 { ", …" } else { "" }
    };
    t.row([
        "personal data".to_owned(),
        if p.store {
            format!(
                "{} sealed values: {} open their commitment, {} erased, {} missing, {} TAMPERED",
                p.sealed,
                p.values,
                p.erased,
                p.missing.len(),
                p.tampered.len()
            )
        } else {
            format!("{} sealed values; no personal-data store (personal/) here", p.sealed)
        },
    ]);
    if !p.tampered.is_empty() {
        t.row(["personal data TAMPERED".to_owned(), list(&p.tampered)]);
    }
    if !p.missing.is_empty() {
        t.row(["personal data missing".to_owned(), list(&p.missing)]);
    }
    if !p.unreferenced.is_empty() {
        t.row(["store files no entry names".to_owned(), list(&p.unreferenced)]);
    }
    if !p.erased_unrecorded.is_empty() {
        t.row([
            "erased, not recorded (run the erase again)".to_owned(),
            list(&p.erased_unrecorded),
        ]);
    }
    t.row([
        "plain-text personal data (not erasable)".to_owned(),
        format!("{} entries (lotledger audit --personal-data lists them)", p.plain_entries),
    ]);
}

/// How to carry a plain-text entry forward (docs/PRIVACY.md).
pub const MIGRATION: &str = "to carry such an entry forward, append its record again with the \
     personal fields sealed (lotledger append seals them; a complaint_registered_v1 becomes a \
     complaint_registered), then a correction (corrected) whose target is the old entry and whose \
     replacements name the new one; the new entry's values can be erased, but the old entry's plain bytes stay in the chain, its \
     checkpoints and every copy of the ledger: that is migration forward, not erasure \
     (docs/PRIVACY.md)";

/// Most not-erasable entries the table names per ledger.
const SHOWN: usize = 20;

/// What `audit --personal-data` prints as JSON.
#[derive(serde::Serialize)]
struct PersonalAudit<'a> {
    erasures: &'a [ErasureLine],
    /// Entries with plain-text personal data: not erasable.
    not_erasable: usize,
    not_erasable_entries: &'a [PlainLine],
    migration: &'static str,
}

/// `lotledger audit DIR... --personal-data`: every erasure entry (who,
/// when, whose data, how many values, why) and every entry holding
/// personal data in plain text, which cannot be erased.
pub fn audit_personal(
    dirs: &[PathBuf],
    format: crate::output::Format,
) -> Result<crate::Outcome, crate::CliError> {
    use crate::output::{Format, Table};
    let mut scan = PersonalScan::default();
    for dir in dirs {
        let text = dir.display().to_string();
        let reader = lotledger::file::LedgerReader::open(dir).map_err(crate::tree::read_error)?;
        for item in reader.entries().map_err(crate::tree::read_error)? {
            let e = item.map_err(crate::tree::read_error)?;
            if let Ok(record) = e.record() {
                scan.see(&text, &e, &record);
            }
        }
    }
    if format == Format::Json {
        crate::output::print_json(&PersonalAudit {
            erasures: &scan.erasures,
            not_erasable: scan.plain.len(),
            not_erasable_entries: &scan.plain,
            migration: MIGRATION,
        })?;
        return Ok(crate::Outcome::Ok);
    }
    let mut t = Table::new(&["ledger", "seq", "time", "actor", "subject", "values", "reason"]);
    for x in &scan.erasures {
        t.row([
            x.ledger.clone(),
            x.seq.to_string(),
            x.time.to_string(),
            x.actor.clone(),
            x.subject.clone(),
            x.commitments.to_string(),
            x.reason.clone(),
        ]);
    }
    if format == Format::Csv {
        crate::output::print(&t.csv())?;
        return Ok(crate::Outcome::Ok);
    }
    let mut out = format!("erasures: {}\n", scan.erasures.len());
    if !scan.erasures.is_empty() {
        out.push_str(&t.render());
    }
    out.push_str(&format!(
        "not erasable: {} entries hold personal data in plain text",
        scan.plain.len()
    ));
    if scan.plain.is_empty() {
        out.push('\n');
    } else {
        let mut by_ledger: Vec<(String, Vec<String>)> = Vec::new();
        for p in &scan.plain {
            match by_ledger.last_mut() {
                Some((l, seqs)) if *l == p.ledger => seqs.push(format!("{} ({})", p.seq, p.kind)),
                _ => by_ledger.push((p.ledger.clone(), vec![format!("{} ({})", p.seq, p.kind)])),
            }
        }
        out.push_str(":\n");
        for (l, seqs) in by_ledger {
            let more = seqs.len().saturating_sub(SHOWN);
            let shown: Vec<&str> = seqs.iter().take(SHOWN).map(String::as_str).collect();
            out.push_str(&format!("  {l}: entries {}", shown.join(", ")));
            if more > 0 {
                out.push_str(&format!(", … and {more} more (--json lists them all)"));
            }
            out.push('\n');
        }
        out.push_str(&format!("  {MIGRATION}\n"));
    }
    crate::output::print(&out)?;
    Ok(crate::Outcome::Ok)
}

/// What an export does with personal fields (docs/PRIVACY.md, "Exports").
/// By default it leaves them out: a plain value is written empty and a
/// sealed one stays its commitment (which reveals nothing without the key
/// in this ledger's store). With `--with-personal-data` a plain value is
/// written as it is and a sealed one as the value the ledger's store holds
/// (an erased, missing or tampered one stays its commitment).
pub struct ExportPersonal {
    with: bool,
    /// Each exported ledger's store, in the order of the directories.
    stores: Vec<Option<PersonalStore>>,
    /// Values left out (plain ones emptied; sealed ones kept as commitments).
    pub left_out: u64,
    /// Values written (with `--with-personal-data`).
    pub included: u64,
    /// Sealed values the store could not give (erased, missing, tampered).
    pub unresolved: u64,
}

impl ExportPersonal {
    /// For the ledgers in `dirs`.
    pub fn new(dirs: &[PathBuf], with: bool) -> Self {
        Self {
            with,
            stores: dirs.iter().map(|d| PersonalStore::open(d)).collect(),
            left_out: 0,
            included: 0,
            unresolved: 0,
        }
    }

    /// Clears the counts (an export that reads its entries twice).
    pub fn reset(&mut self) {
        self.left_out = 0;
        self.included = 0;
        self.unresolved = 0;
    }

    /// Applies the choice to `record`, an entry of ledger number `n`.
    pub fn apply(&mut self, n: usize, record: &mut Record) {
        if let Record::ComplaintRegisteredV1(c) = record {
            let p = &mut c.complainant;
            for filled in [
                !p.person.as_str().is_empty(),
                !p.contact.as_str().is_empty(),
                !c.story.as_str().is_empty(),
            ] {
                if filled {
                    if self.with {
                        self.included += 1;
                    } else {
                        self.left_out += 1;
                    }
                }
            }
            if !self.with {
                p.person = lotledger::model::Text::default();
                p.contact = lotledger::model::Text::default();
                c.story = lotledger::model::Text::default();
            }
            return;
        }
        let store = self.stores.get(n).and_then(Option::as_ref);
        let (with, mut left_out, mut included, mut unresolved) = (self.with, 0, 0, 0);
        record.for_each_personal_mut(&mut |f| match (f.value(), with) {
            (PersonalValue::Plain(""), _) => {}
            (PersonalValue::Plain(_), true) => included += 1,
            (PersonalValue::Plain(_), false) => {
                f.set_plain("");
                left_out += 1;
            }
            (PersonalValue::Sealed(_), false) => left_out += 1,
            (PersonalValue::Sealed(c), true) => {
                let c = *c;
                match store.map(|s| s.get(&c)) {
                    Some(Ok(Lookup::Value(v))) if f.set_plain(&v) => included += 1,
                    _ => unresolved += 1,
                }
            }
        });
        self.left_out += left_out;
        self.included += included;
        self.unresolved += unresolved;
    }

    /// The note on standard error that says what the export did.
    pub fn note(&self, format: &str) {
        if self.with {
            eprintln!(
                "lotledger: personal data INCLUDED (--with-personal-data): {} values written in \
                 the {format} export{}; the export is outside what `lotledger erase` can reach",
                self.included,
                if self.unresolved > 0 {
                    format!(
                        ", {} sealed values the store does not hold (erased, missing or \
                         tampered) written as their commitments",
                        self.unresolved
                    )
                } else {
                    String::new()
                }
            );
        } else {
            eprintln!(
                "lotledger: personal data left out of the {format} export: {} values (plain ones \
                 written empty, sealed ones as their commitments); --with-personal-data includes them",
                self.left_out
            );
        }
    }
}

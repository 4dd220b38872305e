//! `lotledger`: traceability records for recall investigators, quality
//! staff and auditors. See `lotledger --help` and docs/CLI.md.
#![allow(
    clippy::print_stdout,
    clippy::print_stderr,
    clippy::std_instead_of_core,
    reason = "a command-line tool talks to its terminal through std"
)]

mod append;
mod archive;
mod db;
mod demo;
mod erase;
mod gs1;
mod interchange;
mod ledger;
mod notices;
mod output;
mod pdf;
mod personal;
mod progress;
mod proof;
mod queries;
#[cfg(feature = "serve")]
mod serve;
mod tree;
mod r#where;

use std::process::ExitCode;

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};
use lotledger::file::Durability;

use output::Format;

/// Batch and lot traceability records: hash-chained, verifiable, traceable.
#[derive(Parser)]
#[command(name = "lotledger", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
    /// For the commands that index (trace, recall, receipts, complaints,
    /// expiring, audit, show, export --format epcis|csv): ignore the index
    /// cache, build the index from the ledgers verifying every entry, and
    /// write a fresh cache.
    #[arg(long, global = true)]
    no_cache: bool,
    /// An archive directory (from `lotledger archive`) whose segments are
    /// read before the ledger's of the same ledger id: for verify, trace,
    /// recall and the other queries, checkpoint, prove, consistency,
    /// retention. Repeatable.
    #[arg(long = "archive", global = true, value_name = "DIR")]
    archives: Vec<PathBuf>,
}

#[derive(Subcommand)]
enum Command {
    /// Create a new, empty ledger in DIR with a fresh 128-bit ledger id.
    Init {
        /// The ledger directory (created if missing; must hold no ledger).
        dir: PathBuf,
        /// Use this ledger id (32 hex digits) instead of a random one.
        #[arg(long)]
        ledger_id: Option<String>,
    },
    /// Append entries: one JSON object per line on standard input
    /// (docs/JSON.md). Answers each line with its sequence number and hash
    /// once it is durable. Stops at the first bad line (exit 3) naming the
    /// line and the field; nothing of that line is written.
    Append {
        /// The ledger directory.
        dir: PathBuf,
        /// When entries are synced: `sync` (each entry), `group` (every
        /// --group entries or 50 ms), `buffered` (at the end; bulk import).
        #[arg(long, default_value = "group")]
        durability: DurabilityArg,
        /// Entries per group commit.
        #[arg(long, default_value_t = 1000)]
        group: u32,
        /// Write a signed checkpoint entry into the ledger after every N
        /// entries (needs --key).
        #[arg(long, value_name = "N", requires = "key")]
        checkpoint_every: Option<u64>,
        /// The signer key for checkpoint entries (from `lotledger keygen`).
        #[arg(long)]
        key: Option<PathBuf>,
        /// Keep personal fields (complainant, contacts) plain in the
        /// entries instead of sealing them into the personal-data store:
        /// such values can never be erased (docs/PRIVACY.md).
        #[arg(long)]
        plain_personal_data: bool,
    },
    /// Erase a data subject's personal values (a complainant, a party's
    /// contacts, or one value) from the personal-data store and record the
    /// erasure in the ledger (docs/PRIVACY.md). Exit 6 when no entry names
    /// the subject; running it again completes an interrupted erasure and
    /// otherwise changes nothing.
    #[command(group(clap::ArgGroup::new("subject").required(true).args(["complaint", "party", "commitment"])))]
    Erase {
        /// The ledger directory.
        dir: PathBuf,
        /// The complainant of this complaint (its number).
        #[arg(long)]
        complaint: Option<String>,
        /// The contact persons of this party in master data (gln:... or the internal code).
        #[arg(long)]
        party: Option<String>,
        /// One value, by its commitment: 64 hex digits or a prefix of at
        /// least 8 (as queries show it after `sealed:`).
        #[arg(long, value_name = "HEX")]
        commitment: Option<String>,
        /// Who erases: the erasure entry's actor.
        #[arg(long, value_name = "ACTOR")]
        by: String,
        /// Why (e.g. `GDPR art. 17 request of 2026-11-30`): recorded in the
        /// entry; must not hold the data.
        #[arg(long)]
        reason: String,
        /// The erasure entry's station.
        #[arg(long, default_value = "lotledger-erase")]
        station: String,
        /// Print the report as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Verify every segment, frame, link and record; exit 1 naming the
    /// first failure.
    Verify {
        /// The ledger directory (or --db).
        #[arg(required_unless_present = "db")]
        dir: Option<PathBuf>,
        /// Verify the central repository instead: recompute every hash from
        /// the bytes stored in PostgreSQL (docs/POSTGRES.md).
        #[arg(long, value_name = "URL", conflicts_with_all = ["dir", "checkpoint", "archived"])]
        db: Option<String>,
        /// With --db: only this ledger (32 hex digits).
        #[arg(long, value_name = "ID", requires = "db")]
        ledger: Option<String>,
        /// Also check the ledger against a signed checkpoint saved earlier:
        /// detects a truncated, rolled-back or forked ledger.
        #[arg(long, requires = "keys")]
        checkpoint: Option<PathBuf>,
        /// A trusted verifier key, or a file of them: for --checkpoint, and
        /// to check the signatures of checkpoint entries.
        #[arg(long = "key")]
        keys: Vec<String>,
        /// The oldest segments were archived away on purpose: verify from
        /// the first segment present instead of failing because entries
        /// from 0 on are missing (the verdict says which are not checked).
        #[arg(long, conflicts_with = "checkpoint")]
        archived: bool,
        /// Also check the personal-data store: every file against its
        /// commitment (a changed value fails, naming the commitment), and
        /// every sealed field for a value, an erasure marker or neither.
        #[arg(long)]
        personal_data: bool,
        /// Print JSON for scripts.
        #[arg(long)]
        json: bool,
    },
    /// Ship every entry the PostgreSQL repository does not hold yet, per
    /// ledger, in order, re-verifying the chain (docs/POSTGRES.md).
    Sync {
        /// The ledger directories.
        #[arg(required = true)]
        dirs: Vec<PathBuf>,
        /// The database (postgresql://user@host/db or host=... dbname=...);
        /// default: the LOTLEDGER_DB variable.
        #[arg(long, value_name = "URL")]
        db: Option<String>,
        /// Entries per transaction.
        #[arg(long, default_value_t = lotledger::db::DEFAULT_BATCH)]
        batch: usize,
        /// Keep shipping new entries as the ledgers grow, until stopped;
        /// retries while the database is away.
        #[arg(long)]
        follow: bool,
        /// Seconds between polls with --follow, and between retries.
        #[arg(long, default_value_t = 2.0, value_name = "SECONDS")]
        interval: f64,
        /// Give up after this many failed attempts in a row to reach the
        /// database (default: 0 without --follow, never with it).
        #[arg(long, value_name = "N")]
        retries: Option<u32>,
        #[command(flatten)]
        format: FormatArgs,
    },
    /// Sign the ledger's current tree size, Merkle root and chain head as a
    /// C2SP checkpoint (docs/PROOFS.md).
    Checkpoint {
        /// The ledger directory.
        dir: PathBuf,
        /// The signer key file (from `lotledger keygen`).
        #[arg(long)]
        key: PathBuf,
        /// Write the checkpoint here instead of to standard output.
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Make a proof bundle for one entry against a signed checkpoint, for
    /// an auditor to check offline with `verify-proof`.
    Prove {
        /// The ledger directory.
        dir: PathBuf,
        /// The entry's sequence number.
        #[arg(long)]
        seq: u64,
        /// The signed checkpoint the proof is against.
        #[arg(long)]
        checkpoint: PathBuf,
        /// A trusted verifier key, or a file of them.
        #[arg(long = "key", required = true)]
        keys: Vec<String>,
        /// Write the bundle here instead of to standard output.
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Prove that the ledger now extends the tree an earlier checkpoint
    /// signed; exit 1 if it was truncated, rolled back or rewritten.
    Consistency {
        /// The ledger directory.
        dir: PathBuf,
        /// The earlier signed checkpoint.
        #[arg(long)]
        from: PathBuf,
        /// A trusted verifier key, or a file of them.
        #[arg(long = "key", required = true)]
        keys: Vec<String>,
        /// Print JSON for scripts.
        #[arg(long)]
        json: bool,
    },
    /// Trace a lot forward (every lot made from it, every shipment of
    /// them) or backward (every input lot, supplier, receipt, inspection).
    Trace {
        /// The ledger directories (lots and parties join across them).
        #[arg(required_unless_present = "db")]
        dirs: Vec<PathBuf>,
        /// Trace in the PostgreSQL repository instead (docs/POSTGRES.md):
        /// the lots reached and their depths, computed in the database.
        #[arg(long, value_name = "URL", conflicts_with_all = ["dirs", "supplier_lot", "graph"])]
        db: Option<String>,
        /// The lot: ITEM/LOT (gtin:09506000134352/B260001, RM-0042/R260001) or a GS1 scan.
        #[arg(long, required_unless_present = "supplier_lot", conflicts_with = "supplier_lot")]
        lot: Option<String>,
        /// Or a supplier's lot code: trace each of our lots received as it.
        #[arg(long, value_name = "CODE")]
        supplier_lot: Option<String>,
        /// With --supplier-lot: only receipts from this supplier (gln:... or the internal code).
        #[arg(long, requires = "supplier_lot")]
        supplier: Option<String>,
        /// Trace backward instead of forward.
        #[arg(long)]
        backward: bool,
        /// Print the lot's genealogy as a graph: `dot` (Graphviz) or `mermaid`.
        #[arg(long, value_parser = ["dot", "mermaid"])]
        graph: Option<String>,
        #[command(flatten)]
        format: FormatArgs,
    },
    /// A recall report: affected lots with status and stock, customers with
    /// shipped, returned and outstanding quantities and ship-to locations,
    /// mass balances with discrepancies flagged, progress of open recalls.
    Recall {
        /// The ledger directories (or --db).
        #[arg(required_unless_present = "db")]
        dirs: Vec<PathBuf>,
        /// Compute the report in the PostgreSQL repository instead
        /// (docs/POSTGRES.md says which fields it holds).
        #[arg(long, value_name = "URL", conflicts_with_all = ["dirs", "supplier_lot"])]
        db: Option<String>,
        /// A lot to recall (repeatable); derived lots are found by tracing forward.
        #[arg(long = "lot")]
        lots: Vec<String>,
        /// Or the number of a recall recorded in the ledger.
        #[arg(long, conflicts_with = "lots")]
        recall: Option<String>,
        /// Or a supplier's lot code: recall every lot of ours received as it.
        #[arg(long, value_name = "CODE", conflicts_with_all = ["lots", "recall"])]
        supplier_lot: Option<String>,
        /// With --supplier-lot: only receipts from this supplier (gln:... or the internal code).
        #[arg(long, requires = "supplier_lot")]
        supplier: Option<String>,
        #[command(flatten)]
        format: FormatArgs,
    },
    /// Complaints: filter, one complaint's timeline against the response
    /// commitments (4 h acknowledge; 24/48/72 h), clusters, counts.
    Complaints {
        /// The ledger directories (or --db).
        #[arg(required_unless_present = "db")]
        dirs: Vec<PathBuf>,
        /// Select the complaint entries in the PostgreSQL repository
        /// instead (docs/POSTGRES.md).
        #[arg(long, value_name = "URL", conflicts_with = "dirs")]
        db: Option<String>,
        /// Only open complaints.
        #[arg(long, conflicts_with = "closed")]
        open: bool,
        /// Only closed complaints.
        #[arg(long)]
        closed: bool,
        /// Only those with a response commitment overdue (at --now).
        #[arg(long)]
        overdue: bool,
        /// general, major or crisis.
        #[arg(long)]
        severity: Option<String>,
        /// product_quality, service_attitude, logistics, contract_dispute, misleading_advertising.
        #[arg(long = "type")]
        kind: Option<String>,
        /// Only those naming this lot (ITEM/LOT).
        #[arg(long)]
        lot: Option<String>,
        /// Only those of this customer (gln:... or the internal code).
        #[arg(long)]
        customer: Option<String>,
        /// Received at or after (date or RFC 3339 time).
        #[arg(long)]
        from: Option<String>,
        /// Received before.
        #[arg(long)]
        to: Option<String>,
        /// The time to judge deadlines at (default: now).
        #[arg(long)]
        now: Option<String>,
        /// Show one complaint's full timeline (JSON).
        #[arg(long, value_name = "NUMBER")]
        timeline: Option<String>,
        /// Show clusters of at least N complaints on one lot or product (JSON).
        #[arg(long, value_name = "N")]
        clusters: Option<usize>,
        /// The cluster window in hours.
        #[arg(long, default_value_t = 720)]
        window_hours: i64,
        /// Show counts by type and root cause (JSON).
        #[arg(long)]
        counts: bool,
        #[command(flatten)]
        format: FormatArgs,
    },
    /// Lots expiring before a date: stock on hand, quantities in the field,
    /// and the customers holding them.
    Expiring {
        /// The ledger directories (or --db).
        #[arg(required_unless_present = "db")]
        dirs: Vec<PathBuf>,
        /// Select the entries in the PostgreSQL repository instead
        /// (docs/POSTGRES.md).
        #[arg(long, value_name = "URL", conflicts_with = "dirs")]
        db: Option<String>,
        /// Expiring before this date (YYYY-MM-DD).
        #[arg(long)]
        before: String,
        /// And on or after this date.
        #[arg(long)]
        from: Option<String>,
        #[command(flatten)]
        format: FormatArgs,
    },
    /// Recall or expiry notices: one file per affected customer (name and
    /// address, what they received, what to do, whom to contact, the
    /// reference) and an index file of who was notified of what.
    Notices {
        /// The ledger directories.
        #[arg(required = true)]
        dirs: Vec<PathBuf>,
        /// The number of a recall recorded in the ledger.
        #[arg(long, required_unless_present = "expiring_within")]
        recall: Option<String>,
        /// Or: customers holding lots that expire within this many days
        /// (lots already expired included).
        #[arg(long, value_name = "DAYS", conflicts_with = "recall")]
        expiring_within: Option<u32>,
        /// The day expiry is counted from (YYYY-MM-DD; default: today, UTC).
        #[arg(long, requires = "expiring_within")]
        today: Option<String>,
        /// The directory to write the notices to (created if missing).
        #[arg(long, default_value = "notices")]
        out: PathBuf,
        /// `md` (Markdown), `html` or `pdf`.
        #[arg(long, default_value = "md", value_parser = ["md", "html", "pdf"])]
        format: String,
    },
    /// Where a serialized unit or a container is now and its whole history
    /// (commissioned, packed, shipped, returned, decommissioned); exit 6
    /// with near matches when no record names it.
    Where {
        /// The ledger directories (none with --db), then the unit or
        /// container: GTIN/SERIAL, a GS1 scan (]d2…) or element string with
        /// (01) and (21) or (00), an SSCC (sscc:…, 18 digits or 00 and 18
        /// digits), or a case number.
        #[arg(required = true, num_args = 1.., value_name = "DIR... TARGET")]
        args: Vec<String>,
        /// Select the entries in the PostgreSQL repository instead
        /// (docs/POSTGRES.md).
        #[arg(long, value_name = "URL")]
        db: Option<String>,
        /// The day to judge expiry at (YYYY-MM-DD; default: today).
        #[arg(long)]
        at: Option<String>,
        #[command(flatten)]
        format: FormatArgs,
    },
    /// Return verification for a saleable return: is the unit one we
    /// commissioned, with that lot and expiry, shipped to this customer, and
    /// not recalled, expired, decommissioned or already returned? Exit 0
    /// saleable, 1 not saleable, 6 unknown.
    VerifyReturn {
        /// The ledger directories.
        #[arg(required = true)]
        dirs: Vec<PathBuf>,
        /// The scanned DataMatrix (]d201…21…17…10…) or element string.
        #[arg(long)]
        scan: Option<String>,
        /// The GTIN (instead of, or overriding, the scan's).
        #[arg(long)]
        gtin: Option<String>,
        /// The serial number.
        #[arg(long)]
        serial: Option<String>,
        /// The lot on the pack.
        #[arg(long)]
        lot: Option<String>,
        /// The expiry on the pack (YYYY-MM-DD).
        #[arg(long)]
        expiry: Option<String>,
        /// Who returns it (gln:… or the internal code).
        #[arg(long)]
        customer: Option<String>,
        /// The day to judge expiry at (YYYY-MM-DD; default: today).
        #[arg(long)]
        at: Option<String>,
        /// The current year, for the scan's two-digit expiry year (default: this year).
        #[arg(long)]
        year: Option<u16>,
        #[command(flatten)]
        format: FormatArgs,
    },
    /// Audit views: entries by actor, station, kind and time; corrections
    /// with what they correct; the verification report.
    Audit {
        /// The ledger directories (or --db).
        #[arg(required_unless_present = "db")]
        dirs: Vec<PathBuf>,
        /// Select the entries or corrections in the PostgreSQL repository
        /// instead (docs/POSTGRES.md); not with --report or --personal-data.
        #[arg(long, value_name = "URL", conflicts_with_all = ["dirs", "report", "personal_data"])]
        db: Option<String>,
        /// Only entries by this actor.
        #[arg(long)]
        actor: Option<String>,
        /// Only entries made at this station.
        #[arg(long)]
        station: Option<String>,
        /// Only records of this kind (e.g. shipped, corrected).
        #[arg(long)]
        kind: Option<String>,
        /// Made at or after (date or RFC 3339 time).
        #[arg(long)]
        from: Option<String>,
        /// Made before.
        #[arg(long)]
        to: Option<String>,
        /// At most this many rows.
        #[arg(long)]
        limit: Option<usize>,
        /// Show every correction with the entry it corrects.
        #[arg(long, conflicts_with = "report")]
        corrections: bool,
        /// Show the verification report (entries, time span, heads, segments).
        #[arg(long, conflicts_with = "personal_data")]
        report: bool,
        /// Show the erasure entries and the entries whose personal data is
        /// plain text (not erasable), with the way to migrate them.
        #[arg(long, conflicts_with = "corrections")]
        personal_data: bool,
        #[command(flatten)]
        format: FormatArgs,
    },
    /// Receipts of raw materials by supplier and supplier lot: our lot,
    /// quantity, supplier, supplier lot, order, time and entry (voided ones
    /// marked). A recall that starts with a supplier's letter starts here.
    Receipts {
        /// The ledger directories.
        #[arg(required = true)]
        dirs: Vec<PathBuf>,
        /// Only receipts from this supplier (gln:... or the internal code).
        #[arg(long)]
        supplier: Option<String>,
        /// Only receipts of this supplier lot code.
        #[arg(long, value_name = "CODE")]
        supplier_lot: Option<String>,
        #[command(flatten)]
        format: FormatArgs,
    },
    /// Show one entry whole: sequence number, time, actor, station, kind,
    /// the record (JSON form), its hash and link, where it is stored, and
    /// whether a correction voids it. Exit 6 when the ledger has no such entry.
    Show {
        /// The ledger directory.
        dir: PathBuf,
        /// The entry's sequence number.
        seq: u64,
        /// Print JSON for scripts.
        #[arg(long)]
        json: bool,
    },
    /// Write a realistic demo plant from a fixed seed (suppliers, multi-stage
    /// production, QC holds, shipments to hundreds of customers, returns,
    /// complaints, corrections, a recall in progress), then run a mock
    /// recall drill on it and print the report with its timings.
    Demo {
        /// A new directory for the plant's ledger.
        #[arg(long)]
        out: PathBuf,
        /// How many entries to write (thousands to 100 million, the most).
        #[arg(long, default_value_t = 100_000)]
        events: u64,
        /// The seed: the same seed writes the same plant (the same records,
        /// but for the commitments of sealed personal fields, whose keys are
        /// random, and the entry hashes that follow from them).
        #[arg(long, default_value_t = 2026)]
        seed: u64,
    },
    /// Export the ledger, or part of it: `json` (one entry a line), `epcis`
    /// (an EPCIS 2.0 document) or `csv` (the FSMA 204 sortable spreadsheet).
    Export {
        /// The ledger directories, exported one after the other (corrections
        /// and a recall's lots are taken across all of them).
        #[arg(required = true)]
        dirs: Vec<PathBuf>,
        /// The form.
        #[arg(long, default_value = "json")]
        format: ExportFormat,
        /// Only entries naming this lot (repeatable; epcis and csv).
        #[arg(long = "lot")]
        lots: Vec<String>,
        /// Only entries naming the lots a recall affects (epcis and csv).
        #[arg(long)]
        recall: Option<String>,
        /// Only entries made at or after (date or RFC 3339 time; epcis and csv).
        #[arg(long)]
        from: Option<String>,
        /// Only entries made before (epcis and csv).
        #[arg(long)]
        until: Option<String>,
        /// Write personal fields (complainants, contact persons): the
        /// values the personal-data store holds. Left out by default (plain
        /// ones written empty, sealed ones as their commitments), and a note
        /// on standard error says which.
        #[arg(long)]
        with_personal_data: bool,
    },
    /// Import a partner's EPCIS 2.0 document as ledger entries. Fields the
    /// vocabulary has no place for are reported; the document's digest is
    /// recorded first, so the original can be kept beside the ledger.
    /// Serve the ledgers over HTTP: an EPCIS 2.0 REST repository (query
    /// and capture), lotledger's JSON API under /api/ and a browser view at
    /// / (docs/SERVE.md). Prints `listening on http://ADDR`, then serves
    /// until interrupted.
    #[cfg(feature = "serve")]
    Serve(serve::Config),
    ImportEpcis {
        /// The ledger directory.
        dir: PathBuf,
        /// The EPCIS document (JSON-LD).
        file: PathBuf,
        /// The partner who sent it (gln:... or an internal code).
        #[arg(long)]
        partner: String,
        /// Our own party (gln:... or an internal code): a shipping event
        /// becomes a shipment only when its sourceList names this party.
        #[arg(long)]
        own_party: Option<String>,
        /// Who imports it.
        #[arg(long, default_value = "epcis-import")]
        actor: String,
        /// Where it is imported.
        #[arg(long, default_value = "EDI")]
        station: String,
        /// Print the report as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Show what a scanned GS1 barcode says, AI by AI, and the lot, expiry
    /// and container it names.
    Gs1 {
        /// The scan: raw with a symbology identifier (]d2, ]C1, ]Q3, ...) and
        /// GS separators, the bracketed form (01)...(10)..., or a GS1 Digital Link URI.
        scan: String,
        /// The character a keyboard-wedge scanner sends for FNC1, if not ASCII 29.
        #[arg(long)]
        separator: Option<char>,
        /// The current year, for GS1's two-digit year rule (default: this year).
        #[arg(long)]
        year: Option<u16>,
        #[command(flatten)]
        format: FormatArgs,
    },
    /// Make an Ed25519 key pair for signing checkpoints: NAME.key (secret)
    /// and NAME.pub (the verifier key to publish).
    Keygen {
        /// The key name, e.g. the host or role that signs: qa.plant1.example.
        #[arg(long)]
        name: String,
        /// Where to write the two files.
        #[arg(long, default_value = ".")]
        dir: std::path::PathBuf,
    },
    /// Per sealed segment: its newest entry, the date until which the
    /// retention policy (LEDGER/retention.json or the default) keeps it, and
    /// whether it may be archived or disposed of at --at.
    Retention {
        /// The ledger directory.
        dir: PathBuf,
        /// The date to judge at (default: today, UTC).
        #[arg(long)]
        at: Option<String>,
        /// Print JSON for scripts.
        #[arg(long)]
        json: bool,
    },
    /// Move the leading sealed segments whose entries are all older than
    /// --before into the archive directory --to, which verifies on its own;
    /// record the cut in the ledger. Re-running completes an interrupted move.
    Archive {
        /// The ledger directory.
        dir: PathBuf,
        /// Archive segments whose every entry is older than this date or time.
        #[arg(long)]
        before: String,
        /// The archive directory (new or empty; or the one an interrupted run wrote).
        #[arg(long)]
        to: PathBuf,
        /// Sign a checkpoint at the cut with this signer key (from `lotledger keygen`).
        #[arg(long)]
        key: Option<PathBuf>,
        /// Why, recorded in the `retention_applied` entry.
        #[arg(long, default_value = "retention policy: archived")]
        reason: String,
    },
    /// Delete an archive's segments once the retention of every one has
    /// ended (refused otherwise, naming the date); record it in the ledger.
    Dispose {
        /// The archive directory.
        archive: PathBuf,
        /// The live ledger the archive was cut from.
        #[arg(long)]
        ledger: PathBuf,
        /// The date to judge at (default: today, UTC).
        #[arg(long)]
        at: Option<String>,
        /// Why, recorded in the `retention_applied` entry.
        #[arg(long, default_value = "retention policy: retention ended")]
        reason: String,
    },
    /// Check a proof bundle offline: one record, its inclusion proof and a
    /// signed checkpoint, against trusted verifier keys. Exit 1 if it does
    /// not verify.
    VerifyProof {
        /// The bundle (JSON, from `lotledger prove`).
        bundle: std::path::PathBuf,
        /// A verifier key, or a file of them (one per line); repeatable.
        #[arg(long = "key", required = true)]
        keys: Vec<String>,
        /// Print JSON for scripts.
        #[arg(long)]
        json: bool,
    },
}

/// When `append` syncs.
#[derive(Clone, Copy, clap::ValueEnum)]
enum DurabilityArg {
    /// Sync after each entry.
    Sync,
    /// Sync every --group entries or 50 ms.
    Group,
    /// Sync once at the end.
    Buffered,
}

/// What `export` writes.
#[derive(Clone, Copy, clap::ValueEnum)]
enum ExportFormat {
    /// One JSON object per entry and line.
    Json,
    /// An EPCIS 2.0 JSON-LD document.
    Epcis,
    /// The FSMA 204 sortable spreadsheet.
    Csv,
}

/// The output form.
#[derive(Args, Clone, Copy)]
struct FormatArgs {
    /// Print JSON for scripts.
    #[arg(long, conflicts_with = "csv")]
    json: bool,
    /// Print CSV rows.
    #[arg(long)]
    csv: bool,
}

impl FormatArgs {
    fn format(self) -> Format {
        if self.json {
            Format::Json
        } else if self.csv {
            Format::Csv
        } else {
            Format::Table
        }
    }
}

/// How a command ended when it did not fail.
pub enum Outcome {
    /// Everything as expected: exit 0.
    Ok,
    /// The command ran, and what it checked failed (e.g. verification): exit 1.
    CheckFailed,
}

/// Why a command failed. Each kind has its own exit code (docs/CLI.md).
#[derive(Debug)]
pub enum CliError {
    /// The command line is wrong: exit 2.
    Usage(String),
    /// The input is wrong (a bad JSON line, a bad scan): exit 3.
    Input(String),
    /// Reading or writing failed: exit 4.
    Io(std::io::Error),
    /// The ledger could not be opened, read or written: exit 4.
    Storage(String),
    /// A check failed (the ledger does not verify, a checkpoint does not
    /// match): exit 1.
    Check(String),
    /// A tree command (`checkpoint`, `prove`, `consistency`) refused a
    /// ledger whose chain does not verify: exit 5.
    Unverified(String),
    /// What was asked for (a lot, recall, complaint or entry) is in no
    /// indexed ledger: exit 6.
    NotFound(String),
}

impl From<std::io::Error> for CliError {
    fn from(e: std::io::Error) -> Self {
        Self::Io(e)
    }
}

/// Today's date, UTC.
fn today_utc() -> lotledger::model::Date {
    let days = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() / 86_400);
    lotledger::model::Date(i32::try_from(days).unwrap_or(0))
}

fn current_year() -> u16 {
    today_utc()
        .to_naive()
        .and_then(|d| u16::try_from(chrono::Datelike::year(&d)).ok())
        .unwrap_or(2026)
}

fn run(cli: Cli) -> Result<Outcome, CliError> {
    queries::USE_INDEX_CACHE.store(!cli.no_cache, std::sync::atomic::Ordering::Relaxed);
    archive::set_archives(cli.archives);
    match cli.command {
        Command::Retention { dir, at, json } => archive::retention(
            &dir,
            at.as_deref().map(queries::parse_date).transpose()?,
            if json { Format::Json } else { Format::Table },
        ),
        Command::Archive { dir, before, to, key, reason } => {
            archive::archive(&dir, queries::parse_time(&before)?, &to, key.as_deref(), &reason)
        }
        Command::Dispose { archive, ledger, at, reason } => archive::dispose(
            &archive,
            &ledger,
            at.as_deref().map(queries::parse_date).transpose()?,
            &reason,
        ),
        Command::Verify { dir: Some(dir), keys, json, .. }
            if dir.join(lotledger::file::archive::MANIFEST_FILE).exists() =>
        {
            let keys = if keys.is_empty() { Vec::new() } else { proof::read_keys(&keys)? };
            archive::verify_archive(&dir, &keys, if json { Format::Json } else { Format::Table })
        }
        Command::Gs1 { scan, separator, year, format } => {
            gs1::run(&scan, separator, format.format(), year.unwrap_or_else(current_year))
        }
        Command::Where { args, db, at, format } => {
            let (source, target) = r#where::Source::of(args, db)?;
            r#where::run(&source, &target, at.as_deref(), format.format())
        }
        Command::VerifyReturn {
            dirs,
            scan,
            gtin,
            serial,
            lot,
            expiry,
            customer,
            at,
            year,
            format,
        } => {
            let args = r#where::ReturnArgs {
                scan: scan.as_deref(),
                gtin: gtin.as_deref(),
                serial: serial.as_deref(),
                lot: lot.as_deref(),
                expiry: expiry.as_deref(),
                customer: customer.as_deref(),
                at: at.as_deref(),
                year: year.unwrap_or_else(current_year),
            };
            r#where::verify_return(&dirs, &args, format.format())
        }
        Command::Init { dir, ledger_id } => ledger::init(&dir, ledger_id.as_deref()),
        Command::Append { dir, durability, group, checkpoint_every, key, plain_personal_data } => {
            let durability = match durability {
                DurabilityArg::Sync => Durability::SyncEach,
                DurabilityArg::Group => {
                    Durability::GroupCommit { entries: group.max(1), millis: 50 }
                }
                DurabilityArg::Buffered => Durability::Buffered,
            };
            let secret = key.as_deref().map(std::fs::read_to_string).transpose()?;
            let plan = match (checkpoint_every, secret.as_deref()) {
                (Some(every), Some(secret)) => Some(ledger::CheckpointPlan {
                    every,
                    signer: lotledger::proof::Ed25519Signer::parse_private(secret.trim())
                        .map_err(|e| CliError::Input(format!("--key: not a signer key: {e}")))?,
                }),
                _ => None,
            };
            ledger::append(&dir, durability, plan.as_ref(), plain_personal_data)
        }
        Command::Verify { dir: None, db, ledger, keys, json, .. } => {
            let keys = if keys.is_empty() { Vec::new() } else { proof::read_keys(&keys)? };
            let format = if json { Format::Json } else { Format::Table };
            db::verify(db, ledger.as_deref(), &keys, format)
        }
        Command::Verify {
            dir: Some(dir), checkpoint, keys, archived, personal_data, json, ..
        } => {
            let keys = if keys.is_empty() { Vec::new() } else { proof::read_keys(&keys)? };
            let parsed = proof::parse_keys(&keys)?;
            let args = ledger::VerifyArgs {
                keys: &parsed,
                key_texts: &keys,
                checkpoint: checkpoint.as_deref(),
                archived,
                personal_data,
                format: if json { Format::Json } else { Format::Table },
            };
            ledger::verify(&dir, &args)
        }
        Command::Erase { dir, complaint, party, commitment, by, reason, station, json } => {
            let subject = match (complaint, party, commitment) {
                (Some(n), _, _) => erase::Subject::Complaint(
                    n.parse().map_err(|e| CliError::Usage(format!("--complaint {n:?}: {e}")))?,
                ),
                (None, Some(p), _) => erase::Subject::Party(queries::parse_party(&p)?),
                (None, None, Some(h)) => erase::Subject::Commitment(h),
                (None, None, None) => {
                    return Err(CliError::Usage(
                        "erase: give --complaint N, --party P or --commitment HEX".into(),
                    ));
                }
            };
            let args = erase::EraseArgs {
                subject,
                by: &by,
                reason: &reason,
                station: &station,
                format: if json { Format::Json } else { Format::Table },
            };
            erase::erase(&dir, &args)
        }
        Command::Sync { dirs, db, batch, follow, interval, retries, format } => {
            let retries = if follow { retries } else { Some(retries.unwrap_or(0)) };
            db::sync(db::SyncArgs {
                dirs,
                db,
                batch,
                follow,
                interval,
                retries,
                format: format.format(),
            })
        }
        Command::Checkpoint { dir, key, out } => tree::checkpoint(&dir, &key, out.as_ref()),
        Command::Prove { dir, seq, checkpoint, keys, out } => {
            tree::prove(&dir, seq, &checkpoint, &proof::read_keys(&keys)?, out.as_ref())
        }
        Command::Consistency { dir, from, keys, json } => tree::consistency(
            &dir,
            &from,
            &proof::read_keys(&keys)?,
            if json { Format::Json } else { Format::Table },
        ),
        Command::Export { dirs, format, lots, recall, from, until, with_personal_data } => {
            let selection = interchange::Selection {
                with_personal_data,
                lots,
                recall,
                from: from.as_deref().map(queries::parse_time).transpose()?,
                until: until.as_deref().map(queries::parse_time).transpose()?,
            };
            match format {
                ExportFormat::Json => ledger::export_json(&dirs, with_personal_data),
                ExportFormat::Epcis => {
                    let mut bar = progress::Progress::new("exporting", 0, progress::Unit::Entries);
                    let out = interchange::export_epcis(&dirs, &selection, &mut |done, total| {
                        bar.set_total(total);
                        bar.set(done);
                    });
                    bar.finish();
                    out
                }
                ExportFormat::Csv => {
                    let mut bar = progress::Progress::new("exporting", 0, progress::Unit::Entries);
                    let out = interchange::export_csv(&dirs, &selection, &mut |done, total| {
                        bar.set_total(total);
                        bar.set(done);
                    });
                    bar.finish();
                    out
                }
            }
        }
        #[cfg(feature = "serve")]
        Command::Serve(config) => serve::run(config),
        Command::ImportEpcis { dir, file, partner, own_party, actor, station, json } => {
            interchange::import_epcis(
                &dir,
                &file,
                &partner,
                own_party.as_deref(),
                &actor,
                &station,
                json,
            )
        }
        Command::Trace { db: Some(url), lot, backward, format, .. } => {
            db::trace(&url, lot.as_deref().unwrap_or_default(), backward, format.format())
        }
        Command::Trace { dirs, lot, supplier_lot, supplier, backward, graph, format, .. } => {
            let start = match lot {
                Some(lot) => queries::Start::Lot(lot),
                None => queries::Start::SupplierLot(queries::receipt_filter(
                    supplier_lot,
                    supplier.as_deref(),
                )?),
            };
            queries::trace(&dirs, &start, backward, graph.as_deref(), format.format())
        }
        Command::Recall { db: Some(url), lots, recall, format, .. } => {
            db::recall(&url, &lots, recall.as_deref(), format.format())
        }
        Command::Recall { dirs, lots, recall, supplier_lot, supplier, format, .. } => {
            if lots.is_empty() && recall.is_none() && supplier_lot.is_none() {
                return Err(CliError::Usage(
                    "give --lot LOT (repeatable), --recall NUMBER or --supplier-lot CODE".into(),
                ));
            }
            let from = supplier_lot
                .map(|code| queries::receipt_filter(Some(code), supplier.as_deref()))
                .transpose()?;
            queries::recall(&dirs, &lots, recall.as_deref(), from.as_ref(), format.format())
        }
        Command::Receipts { dirs, supplier, supplier_lot, format } => {
            let filter = queries::receipt_filter(supplier_lot, supplier.as_deref())?;
            queries::receipts(&dirs, &filter, format.format())
        }
        Command::Complaints {
            dirs,
            db,
            open,
            closed,
            overdue,
            severity,
            kind,
            lot,
            customer,
            from,
            to,
            now,
            timeline,
            clusters,
            window_hours,
            counts,
            format,
        } => {
            let filter = lotledger::query::ComplaintFilter {
                open: if open {
                    Some(true)
                } else if closed {
                    Some(false)
                } else {
                    None
                },
                overdue,
                severity: severity.as_deref().map(queries::parse_severity).transpose()?,
                kind: kind.as_deref().map(queries::parse_type).transpose()?,
                lot: lot.as_deref().map(queries::parse_lot).transpose()?,
                customer: customer.as_deref().map(queries::parse_party).transpose()?,
                from: from.as_deref().map(queries::parse_time).transpose()?,
                to: to.as_deref().map(queries::parse_time).transpose()?,
            };
            let now = match now {
                Some(t) => queries::parse_time(&t)?,
                None => lotledger::model::Timestamp(
                    std::time::SystemTime::now()
                        .duration_since(std::time::UNIX_EPOCH)
                        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX)),
                ),
            };
            let args = queries::ComplaintsArgs {
                filter,
                now,
                timeline,
                clusters: clusters
                    .map(|n| (n, window_hours.saturating_mul(lotledger::model::Timestamp::HOUR))),
                counts,
            };
            match db {
                Some(url) => db::complaints(&url, &args, format.format()),
                None => queries::complaints(&dirs, &args, format.format()),
            }
        }
        Command::Expiring { dirs, db, before, from, format } => {
            let before = queries::parse_date(&before)?;
            let from = from.as_deref().map(queries::parse_date).transpose()?;
            match db {
                Some(url) => db::expiring(&url, before, from, format.format()),
                None => queries::expiring(&dirs, before, from, format.format()),
            }
        }
        Command::Notices { dirs, recall, expiring_within, today, out, format } => {
            let subject = match (recall, expiring_within) {
                (Some(r), _) => notices::NoticeSubject::Recall(r),
                (None, Some(days)) => notices::NoticeSubject::Expiring {
                    days,
                    today: match today {
                        Some(t) => queries::parse_date(&t)?,
                        None => today_utc(),
                    },
                },
                (None, None) => {
                    return Err(CliError::Usage(
                        "notices: give --recall or --expiring-within".into(),
                    ));
                }
            };
            let form = match format.as_str() {
                "html" => notices::NoticeFormat::Html,
                "pdf" => notices::NoticeFormat::Pdf,
                _ => notices::NoticeFormat::Markdown,
            };
            notices::notices(&dirs, &subject, &out, form)
        }
        Command::Audit {
            dirs,
            db,
            actor,
            station,
            kind,
            from,
            to,
            limit,
            corrections,
            report,
            personal_data,
            format,
        } => {
            if personal_data {
                return personal::audit_personal(&dirs, format.format());
            }
            let view = if report {
                queries::AuditView::Report
            } else if corrections {
                queries::AuditView::Corrections
            } else {
                queries::AuditView::Entries(lotledger::query::AuditFilter {
                    ledger: None,
                    actor,
                    station,
                    kind: kind.as_deref().map(queries::parse_kind).transpose()?,
                    from: from.as_deref().map(queries::parse_time).transpose()?,
                    to: to.as_deref().map(queries::parse_time).transpose()?,
                    limit,
                })
            };
            match db {
                Some(url) => db::audit(&url, &view, format.format()),
                None => queries::audit(&dirs, &view, format.format()),
            }
        }
        Command::Show { dir, seq, json } => {
            ledger::show(&dir, seq, if json { Format::Json } else { Format::Table })
        }
        Command::Demo { out, events, seed } => demo::run(&out, events, seed),
        Command::Keygen { name, dir } => proof::keygen(&name, &dir),
        Command::VerifyProof { bundle, keys, json } => {
            let keys = proof::read_keys(&keys)?;
            proof::verify_proof(&bundle, &keys, if json { Format::Json } else { Format::Table })
        }
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(Outcome::Ok) => ExitCode::SUCCESS,
        Ok(Outcome::CheckFailed) => ExitCode::from(1),
        Err(e) => {
            let (code, message) = match e {
                CliError::Usage(m) => (2, m),
                CliError::Input(m) => (3, m),
                CliError::Io(e) if e.kind() == std::io::ErrorKind::BrokenPipe => {
                    return ExitCode::SUCCESS;
                }
                CliError::Io(e) => (4, e.to_string()),
                CliError::Storage(m) => (4, m),
                CliError::Check(m) => (1, m),
                CliError::Unverified(m) => (5, m),
                CliError::NotFound(m) => (6, m),
            };
            eprintln!("lotledger: {message}");
            ExitCode::from(code)
        }
    }
}

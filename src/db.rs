//! The central repository on PostgreSQL (feature `postgres`): many plants'
//! ledgers consolidated, re-verified and checked in the database
//! (docs/POSTGRES.md).
//!
//! The ledgers stay the source of truth. [`Db::sync_ledger`] ships the
//! entries a ledger holds beyond what the database has, each with its exact
//! stored bytes, in batches written by binary `COPY`, one transaction per
//! batch: a batch either lands whole with the ledger's new head or not at
//! all, so a sync killed at any moment and run again leaves the database an
//! uninterrupted run leaves. Each batch is checked to continue the head the
//! database holds (a gap or a fork is refused, naming the ledger and seq)
//! under a per-ledger advisory lock, so two syncs of one ledger never store
//! an entry twice. [`Db::verify`] recomputes every hash from the stored
//! bytes, streaming, and checks the stored checkpoints' Merkle roots, so an
//! `UPDATE` or `DELETE` made in SQL is found at its ledger and seq.

use core::fmt;
use std::format;
use std::path::{Path, PathBuf};
use std::string::String;
use std::vec::Vec;

use postgres::binary_copy::BinaryCopyOutIter;
use postgres::fallible_iterator::FallibleIterator;
use postgres::types::Type;
use postgres::{Client, NoTls};

use crate::chain::{Anchor, Verifier};
use crate::entry;
use crate::file::{self, LedgerReader};
use crate::model::{Checkpointed, Digest, LedgerId, Record, RecordKind};
use crate::proof::CompactTree;

mod audit;
mod complaints;
mod derive;
mod expiring;
mod recall;
mod units;

pub use recall::{
    DbRecall, DbRecallCustomer, DbRecallLine, DbRecallLot, DbRecallProgress, DbShipment,
};

/// The newest schema version this build knows (docs/POSTGRES.md).
pub const SCHEMA_VERSION: i32 = 5;

/// Entries per transaction unless told otherwise.
pub const DEFAULT_BATCH: usize = 50_000;

/// The advisory lock key of schema migrations.
const MIGRATION_LOCK: i64 = 0x6c6f_746c_6564_6700;

/// The migrations, in order: migration `i` takes the schema to version `i + 1`.
const MIGRATIONS: &[&str] = &[
    r"
CREATE TABLE lotledger.ledgers (
    ledger_no  integer GENERATED ALWAYS AS IDENTITY UNIQUE,
    ledger_id  bytea PRIMARY KEY CHECK (length(ledger_id) = 16),
    head_seq   bigint NOT NULL CHECK (head_seq >= 0),
    head_hash  bytea NOT NULL CHECK (length(head_hash) = 32),
    synced_at  timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE lotledger.entries (
    seq        bigint NOT NULL,
    time_ms    bigint NOT NULL,
    ledger_no  integer NOT NULL,
    kind       integer NOT NULL,
    hash       bytea NOT NULL,
    actor      text NOT NULL,
    station    text NOT NULL,
    body       bytea NOT NULL,
    PRIMARY KEY (ledger_no, seq)
) PARTITION BY HASH (ledger_no);
CREATE TABLE lotledger.entries_p0 PARTITION OF lotledger.entries FOR VALUES WITH (MODULUS 8, REMAINDER 0);
CREATE TABLE lotledger.entries_p1 PARTITION OF lotledger.entries FOR VALUES WITH (MODULUS 8, REMAINDER 1);
CREATE TABLE lotledger.entries_p2 PARTITION OF lotledger.entries FOR VALUES WITH (MODULUS 8, REMAINDER 2);
CREATE TABLE lotledger.entries_p3 PARTITION OF lotledger.entries FOR VALUES WITH (MODULUS 8, REMAINDER 3);
CREATE TABLE lotledger.entries_p4 PARTITION OF lotledger.entries FOR VALUES WITH (MODULUS 8, REMAINDER 4);
CREATE TABLE lotledger.entries_p5 PARTITION OF lotledger.entries FOR VALUES WITH (MODULUS 8, REMAINDER 5);
CREATE TABLE lotledger.entries_p6 PARTITION OF lotledger.entries FOR VALUES WITH (MODULUS 8, REMAINDER 6);
CREATE TABLE lotledger.entries_p7 PARTITION OF lotledger.entries FOR VALUES WITH (MODULUS 8, REMAINDER 7);
CREATE TABLE lotledger.checkpoints (
    ledger_no  integer NOT NULL,
    seq        bigint NOT NULL,
    size       bigint NOT NULL,
    root       bytea NOT NULL,
    signed     boolean NOT NULL,
    PRIMARY KEY (ledger_no, seq)
);
CREATE TABLE lotledger.lot_links (
    ledger_no  integer NOT NULL,
    seq        bigint NOT NULL,
    in_item    text NOT NULL,
    in_lot     text NOT NULL,
    out_item   text NOT NULL,
    out_lot    text NOT NULL
);
CREATE INDEX lot_links_in ON lotledger.lot_links (in_item, in_lot);
CREATE INDEX lot_links_out ON lotledger.lot_links (out_item, out_lot);
CREATE TABLE lotledger.corrections (
    ledger_no   integer NOT NULL,
    seq         bigint NOT NULL,
    target_seq  bigint NOT NULL,
    target_hash bytea NOT NULL,
    PRIMARY KEY (ledger_no, seq)
);
",
    r"
ALTER TABLE lotledger.corrections ADD COLUMN applied boolean NOT NULL DEFAULT false;
UPDATE lotledger.corrections c SET applied = true FROM lotledger.entries e
 WHERE e.ledger_no = c.ledger_no AND e.seq = c.target_seq AND c.target_seq < c.seq
   AND substring(e.hash FROM 1 FOR 8) = substring(c.target_hash FROM 1 FOR 8);
CREATE INDEX corrections_target ON lotledger.corrections (ledger_no, target_seq);
CREATE TABLE lotledger.voided (
    ledger_no  integer NOT NULL,
    seq        bigint NOT NULL,
    PRIMARY KEY (ledger_no, seq)
);
CREATE TABLE lotledger.lot_moves (
    ledger_no  integer NOT NULL,
    seq        bigint NOT NULL,
    time_ms    bigint NOT NULL,
    move       smallint NOT NULL,
    item       text NOT NULL,
    lot        text NOT NULL,
    party      text,
    unit       text NOT NULL,
    amount     bigint NOT NULL,
    scale      smallint NOT NULL,
    ord        text,
    ship_to    text,
    expiry     integer
);
CREATE INDEX lot_moves_lot ON lotledger.lot_moves (item, lot);
CREATE TABLE lotledger.dispositions (
    ledger_no  integer NOT NULL,
    seq        bigint NOT NULL,
    item       text NOT NULL,
    lot        text NOT NULL,
    status     smallint NOT NULL
);
CREATE INDEX dispositions_lot ON lotledger.dispositions (item, lot);
CREATE TABLE lotledger.recalls (
    ledger_no  integer NOT NULL,
    seq        bigint NOT NULL,
    time_ms    bigint NOT NULL,
    number     text NOT NULL,
    class      smallint NOT NULL,
    PRIMARY KEY (ledger_no, seq)
);
CREATE INDEX recalls_number ON lotledger.recalls (number);
CREATE TABLE lotledger.recall_lots (
    ledger_no  integer NOT NULL,
    seq        bigint NOT NULL,
    pos        smallint NOT NULL,
    item       text NOT NULL,
    lot        text NOT NULL,
    PRIMARY KEY (ledger_no, seq, pos)
);
CREATE INDEX recall_lots_lot ON lotledger.recall_lots (item, lot);
CREATE TABLE lotledger.recall_actions (
    ledger_no  integer NOT NULL,
    seq        bigint NOT NULL,
    time_ms    bigint NOT NULL,
    number     text NOT NULL,
    action     smallint NOT NULL,
    customer   text,
    unit       text,
    amount     bigint,
    scale      smallint
);
CREATE INDEX recall_actions_number ON lotledger.recall_actions (number);
CREATE TABLE lotledger.deliveries (
    ledger_no  integer NOT NULL,
    seq        bigint NOT NULL,
    time_ms    bigint NOT NULL,
    customer   text NOT NULL,
    ord        text NOT NULL
);
CREATE INDEX deliveries_ord ON lotledger.deliveries (ord);
CREATE TABLE lotledger.party_ids (
    ledger_no  integer NOT NULL,
    seq        bigint NOT NULL,
    pos        smallint NOT NULL,
    party      text NOT NULL,
    PRIMARY KEY (ledger_no, seq, pos)
);
CREATE INDEX party_ids_party ON lotledger.party_ids (party);
CREATE TABLE lotledger.unit_shipments (
    ledger_no  integer NOT NULL,
    seq        bigint NOT NULL,
    PRIMARY KEY (ledger_no, seq)
);
CREATE FUNCTION lotledger.qty(amount bigint, scale smallint) RETURNS numeric
LANGUAGE sql IMMUTABLE AS $$
    SELECT (CASE WHEN amount < 0 THEN amount::numeric + 18446744073709551616
                 ELSE amount::numeric END) * (10::numeric ^ (9 - least(scale, 9)))
$$;
CREATE FUNCTION lotledger.is_void(l integer, s bigint) RETURNS boolean
LANGUAGE sql STABLE AS $$
    SELECT EXISTS (SELECT 1 FROM lotledger.voided v WHERE v.ledger_no = l AND v.seq = s)
$$;
CREATE FUNCTION lotledger.shown_party(p text) RETURNS text
LANGUAGE sql STABLE AS $$
    WITH RECURSIVE g(party) AS (
        SELECT p
        UNION
        SELECT b.party FROM g
        JOIN lotledger.party_ids a ON a.party = g.party
        JOIN lotledger.party_ids b ON b.ledger_no = a.ledger_no AND b.seq = a.seq
        WHERE NOT lotledger.is_void(a.ledger_no, a.seq))
    SELECT coalesce((
        SELECT f.party FROM lotledger.party_ids d
        JOIN lotledger.party_ids f ON f.ledger_no = d.ledger_no AND f.seq = d.seq AND f.pos = 0
        WHERE d.party IN (SELECT party FROM g) AND NOT lotledger.is_void(d.ledger_no, d.seq)
        ORDER BY d.ledger_no DESC, d.seq DESC LIMIT 1), p)
$$;
",
    r"
CREATE TABLE lotledger.derive_pending (
    ledger_no  integer NOT NULL,
    from_seq   bigint NOT NULL
);
",
    // Each entry's frame offset, as the index reports it: the frame bytes
    // (length prefix, body, CRC) of the ledger's entries before it. Derived
    // from the stored bodies' lengths for the entries stored already.
    r"
CREATE FUNCTION lotledger.frame_len(n integer) RETURNS bigint
LANGUAGE sql IMMUTABLE AS $$ SELECT n + CASE WHEN n < 128 THEN 5 ELSE 6 END $$;
ALTER TABLE lotledger.entries ADD COLUMN frame_offset bigint;
UPDATE lotledger.entries e SET frame_offset = o.frame_offset
FROM (SELECT ledger_no, seq,
             coalesce(sum(lotledger.frame_len(length(body))) OVER (PARTITION BY ledger_no
                 ORDER BY seq ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0) AS frame_offset
      FROM lotledger.entries) o
WHERE o.ledger_no = e.ledger_no AND o.seq = e.seq;
ALTER TABLE lotledger.entries ALTER COLUMN frame_offset SET NOT NULL;
",
    r"
CREATE TABLE lotledger.complaint_entries (
    ledger_no  integer NOT NULL,
    seq        bigint NOT NULL,
    complaint  text NOT NULL,
    PRIMARY KEY (ledger_no, seq)
);
CREATE INDEX complaint_entries_complaint ON lotledger.complaint_entries (complaint);
",
];

/// The migrations after whose SQL derived rows are re-derived from the
/// stored entries' bytes (a database that had entries before them), with
/// the kinds they derive from.
const REDERIVE_AT: [(usize, &[RecordKind], bool); 2] =
    [(2, derive::KINDS_V2, true), (5, derive::KINDS_V5, false)];

/// What went wrong talking to the database or reading a ledger.
#[derive(Debug)]
#[non_exhaustive]
pub enum DbError {
    /// The database refused or failed a request.
    Postgres(postgres::Error),
    /// The ledger directory could not be read, or does not verify.
    Ledger(file::Error),
    /// The database's schema is newer than this build knows.
    SchemaTooNew {
        /// The version found.
        found: i32,
    },
    /// The ledger's entries do not continue what the database holds for it:
    /// the entry at `seq` has another hash in the ledger than the database's
    /// head (a fork or a rewritten ledger). Nothing of the batch was stored.
    Fork {
        /// The ledger.
        ledger: LedgerId,
        /// The entry number where they part.
        seq: u64,
    },
    /// The database holds entries the ledger directory no longer has (a
    /// rolled-back copy of the ledger): `ledger_head` entries against the
    /// database's `db_head`.
    Behind {
        /// The ledger.
        ledger: LedgerId,
        /// Entries in the directory.
        ledger_head: u64,
        /// Entries in the database.
        db_head: u64,
    },
    /// The thread reading the ledger stopped without an answer.
    ReaderFailed,
    /// Sending rows to the database by `COPY` failed.
    Copy(std::io::Error),
    /// The thread writing the derived rows on the second connection
    /// stopped without an answer.
    SideFailed,
    /// No derived row names this lot (`ITEM/LOT`).
    UnknownLot(String),
    /// No recall with this number was opened (or every opening is void).
    UnknownRecall(String),
    /// The database holds nothing for this ledger.
    UnknownLedger {
        /// The ledger.
        ledger: LedgerId,
    },
    /// The entries selected for a query could not be indexed.
    Select(crate::index::IngestError),
    /// A stored entry's bytes do not decode as the entry of its row.
    Stored {
        /// The ledger.
        ledger: LedgerId,
        /// The entry's row.
        seq: u64,
    },
    /// The directory's first segment present starts after the database's
    /// head: entries `db_head..first` are in neither (archived away before
    /// they were synced).
    Gap {
        /// The ledger.
        ledger: LedgerId,
        /// Entries in the database.
        db_head: u64,
        /// The first entry present in the directory.
        first: u64,
    },
}

impl fmt::Display for DbError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Postgres(e) => write!(f, "database: {e}"),
            Self::Ledger(e) => write!(f, "{e}"),
            Self::SchemaTooNew { found } => write!(
                f,
                "the database schema is version {found}; this lotledger knows versions up to {SCHEMA_VERSION}"
            ),
            Self::Fork { ledger, seq } => write!(
                f,
                "ledger {ledger}: entry {seq} in the directory is not the entry the database holds before it (a fork or a rewritten ledger); nothing stored"
            ),
            Self::Behind { ledger, ledger_head, db_head } => write!(
                f,
                "ledger {ledger}: the directory holds {ledger_head} entries but the database already {db_head} (a rolled-back copy?); nothing stored"
            ),
            Self::ReaderFailed => f.write_str("the thread reading the ledger failed"),
            Self::Copy(e) => write!(f, "database: sending rows by COPY failed: {e}"),
            Self::SideFailed => f.write_str("the thread writing the derived rows failed"),
            Self::UnknownLot(l) => write!(f, "lot {l} is not in any record the database holds"),
            Self::UnknownRecall(r) => write!(f, "recall {r} was never opened"),
            Self::UnknownLedger { ledger } => {
                write!(f, "ledger {ledger} is not in the database")
            }
            Self::Select(e) => write!(f, "the entries selected do not index: {e}"),
            Self::Stored { ledger, seq } => write!(
                f,
                "ledger {ledger}: the stored bytes of entry {seq} do not decode as that entry \
                 (lotledger verify --db says more)"
            ),
            Self::Gap { ledger, db_head, first } => write!(
                f,
                "ledger {ledger}: the database holds entries up to {db_head} but the directory starts at {first}; entries {db_head}..{first} are in neither"
            ),
        }
    }
}

impl core::error::Error for DbError {}

impl From<postgres::Error> for DbError {
    fn from(e: postgres::Error) -> Self {
        Self::Postgres(e)
    }
}

impl From<file::Error> for DbError {
    fn from(e: file::Error) -> Self {
        Self::Ledger(e)
    }
}

/// What one [`Db::sync_ledger`] did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SyncReport {
    /// The ledger.
    pub ledger: LedgerId,
    /// The database's head before: entries `0..from` were stored already.
    pub from: u64,
    /// The head after.
    pub to: u64,
    /// Entries this sync stored (fewer than `to - from` when another sync
    /// of the ledger stored some meanwhile).
    pub stored: u64,
    /// Batches committed.
    pub batches: u64,
    /// Entry body bytes stored.
    pub bytes: u64,
}

/// Where [`Db::verify`] found one ledger's stored chain broken.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum DbFailure {
    /// Entry `seq` is missing (deleted): the next stored one is `found`,
    /// or none when `found` is `None`.
    Missing {
        /// The entry expected.
        seq: u64,
        /// The next one stored.
        found: Option<u64>,
    },
    /// The stored hash is not the hash of the stored bytes.
    HashMismatch {
        /// The entry.
        seq: u64,
    },
    /// The stored bytes do not decode as an entry, name another sequence
    /// number, or do not link to the entry before (its bytes were changed).
    BadBody {
        /// The entry.
        seq: u64,
        /// What is wrong.
        why: String,
    },
    /// A stored checkpoint's root is not the Merkle root of the entries
    /// before it, or it names entries the table no longer holds.
    Checkpoint {
        /// The checkpoint entry.
        seq: u64,
    },
    /// A checkpoint entry's signature did not pass the caller's check
    /// ([`Db::verify_with`]).
    Signature {
        /// The checkpoint entry.
        seq: u64,
        /// Why not (naming the entry and the signer).
        why: String,
    },
    /// The entries end before the ledger's recorded head, or the last hash
    /// is not the recorded head hash (a truncated or rolled-back table).
    Head {
        /// Entries found.
        entries: u64,
        /// The head recorded.
        head: u64,
    },
}

impl fmt::Display for DbFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Missing { seq, found: Some(n) } => {
                write!(f, "entry {seq} is missing (the next stored is {n})")
            }
            Self::Missing { seq, found: None } => write!(f, "entry {seq} is missing"),
            Self::HashMismatch { seq } => {
                write!(f, "entry {seq}: the stored hash is not the hash of its stored bytes")
            }
            Self::BadBody { seq, why } => write!(f, "entry {seq}: {why}"),
            Self::Signature { why, .. } => f.write_str(why),
            Self::Checkpoint { seq } => {
                write!(f, "checkpoint at entry {seq} does not match the stored entries before it")
            }
            Self::Head { entries, head } => write!(
                f,
                "the table holds {entries} entries but the ledger's recorded head is {head}"
            ),
        }
    }
}

/// [`Db::verify`]'s verdict on one ledger.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DbVerdict {
    /// The ledger.
    pub ledger: LedgerId,
    /// Entries checked.
    pub entries: u64,
    /// Checkpoint roots checked.
    pub checkpoints: u64,
    /// The head recomputed (when it verified).
    pub head: Option<Digest>,
    /// The first failure, if any.
    pub failure: Option<DbFailure>,
}

/// A connection to the central repository.
pub struct Db {
    client: Client,
    /// Where `client` connected, for `side`.
    url: String,
    /// The other connections `sync` writes the derived rows on, made at
    /// the first batch that has some.
    side: Vec<Client>,
}

impl fmt::Debug for Db {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Db")
    }
}

fn lock_key(id: &LedgerId) -> i64 {
    let mut k = [0u8; 8];
    k.iter_mut().zip(id.0.iter()).for_each(|(a, b)| *a = *b);
    i64::from_le_bytes(k)
}

fn seq_i64(seq: u64) -> i64 {
    i64::try_from(seq).unwrap_or(i64::MAX)
}

fn seq_u64(seq: i64) -> u64 {
    u64::try_from(seq).unwrap_or(0)
}

fn digest(bytes: &[u8]) -> Option<Digest> {
    <[u8; 32]>::try_from(bytes).ok().map(Digest)
}

/// A run of consecutive entries read from a ledger, encoded for `COPY`
/// with their derived rows.
struct Chunk {
    /// The seq of the first.
    first: u64,
    /// Each entry's hash.
    hashes: Vec<[u8; 32]>,
    /// Each entry's body length.
    body_len: Vec<u32>,
    rows: derive::Rows,
}

impl Chunk {
    fn new(first: u64, capacity: usize) -> Self {
        Self {
            first,
            hashes: Vec::with_capacity(capacity),
            body_len: Vec::with_capacity(capacity),
            rows: derive::Rows::default(),
        }
    }

    fn len(&self) -> usize {
        self.hashes.len()
    }
}

/// The hash of entry `i` of `chunks` (counted from the first chunk's first).
fn hash_at(chunks: &[Chunk], mut i: usize) -> Option<Digest> {
    for c in chunks {
        match c.hashes.get(i) {
            Some(h) => return Some(Digest(*h)),
            None => i -= c.len(),
        }
    }
    None
}

impl Db {
    /// Connects to `url` (`postgresql://user@host/db`, or a key=value
    /// string such as `host=/tmp/pg dbname=plant`) and brings the schema to
    /// [`SCHEMA_VERSION`].
    ///
    /// # Errors
    /// [`DbError::Postgres`]; [`DbError::SchemaTooNew`].
    pub fn connect(url: &str) -> Result<Self, DbError> {
        let client = Client::connect(url, NoTls)?;
        let mut db = Self { client, url: String::from(url), side: Vec::new() };
        db.migrate()?;
        Ok(db)
    }

    /// Applies the migrations the database lacks, each in the same
    /// transaction as the version it records, under an advisory lock so that
    /// two first connections do not both apply them.
    fn migrate(&mut self) -> Result<(), DbError> {
        let mut tx = self.client.transaction()?;
        tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK])?;
        tx.batch_execute(
            "CREATE SCHEMA IF NOT EXISTS lotledger;
             CREATE TABLE IF NOT EXISTS lotledger.schema_version (
                 version int PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now());",
        )?;
        let found: i32 = tx
            .query_one("SELECT coalesce(max(version), 0) FROM lotledger.schema_version", &[])?
            .get(0);
        if found > SCHEMA_VERSION {
            return Err(DbError::SchemaTooNew { found });
        }
        for (i, sql) in MIGRATIONS.iter().enumerate().skip(usize::try_from(found).unwrap_or(0)) {
            tx.batch_execute(sql)?;
            for (_, kinds, voids) in REDERIVE_AT.iter().filter(|(at, ..)| *at == i + 1) {
                derive::rederive(&mut tx, kinds, *voids)?;
            }
            let v = i32::try_from(i + 1).unwrap_or(i32::MAX);
            tx.execute("INSERT INTO lotledger.schema_version (version) VALUES ($1)", &[&v])?;
        }
        tx.commit()?;
        Ok(())
    }

    /// The schema version the database is at.
    ///
    /// # Errors
    /// [`DbError::Postgres`].
    pub fn schema_version(&mut self) -> Result<i32, DbError> {
        Ok(self
            .client
            .query_one("SELECT coalesce(max(version), 0) FROM lotledger.schema_version", &[])?
            .get(0))
    }

    /// The head the database holds for `ledger`: (entries stored, the hash
    /// the next entry links to).
    ///
    /// # Errors
    /// [`DbError::Postgres`].
    pub fn head(&mut self, ledger: &LedgerId) -> Result<Anchor, DbError> {
        let row = self.client.query_opt(
            "SELECT head_seq, head_hash FROM lotledger.ledgers WHERE ledger_id = $1",
            &[&&ledger.0[..]],
        )?;
        Ok(match row {
            Some(r) => {
                let hash: Vec<u8> = r.get(1);
                Anchor {
                    next_seq: seq_u64(r.get(0)),
                    head: digest(&hash).unwrap_or(Digest([0; 32])),
                }
            }
            None => Anchor::genesis(ledger),
        })
    }

    /// The frame offset of entry `next_seq` of `ledger`: where the frame of
    /// the entry stored before it ends (0 at genesis).
    fn end_offset(&mut self, ledger: &LedgerId, next_seq: u64) -> Result<i64, DbError> {
        let Some(last) = next_seq.checked_sub(1) else { return Ok(0) };
        let row = self.client.query_opt(
            "SELECT e.frame_offset + lotledger.frame_len(length(e.body)) \
             FROM lotledger.entries e JOIN lotledger.ledgers l USING (ledger_no) \
             WHERE l.ledger_id = $1 AND e.seq = $2",
            &[&&ledger.0[..], &seq_i64(last)],
        )?;
        Ok(row.map_or(0, |r| r.get(0)))
    }

    /// Ships every entry of the ledger in `dir` that the database does not
    /// hold yet, `batch` entries per transaction (at least 1), calling
    /// `progress(stored so far, ledger head)` after each batch.
    ///
    /// The directory's entries are verified as they are read (from the
    /// segment holding the database's head on), and the first one shipped
    /// must continue the database's head.
    ///
    /// # Errors
    /// [`DbError::Fork`], [`DbError::Behind`], [`DbError::Gap`] (nothing of
    /// that batch stored); [`DbError::Ledger`] when the directory does not
    /// read or verify; [`DbError::Postgres`].
    pub fn sync_ledger(
        &mut self,
        dir: &Path,
        batch: usize,
        mut progress: impl FnMut(u64, u64),
    ) -> Result<SyncReport, DbError> {
        let reader = LedgerReader::open(dir)?;
        let ledger = reader.ledger_id();
        let start = self.head(&ledger)?;
        let mut report = SyncReport {
            ledger,
            from: start.next_seq,
            to: start.next_seq,
            stored: 0,
            batches: 0,
            bytes: 0,
        };
        let batch = batch.max(1);
        // Segments archived away before the database got their entries.
        let (present, _) = file::segment::list(dir)?;
        if let Some((first, _)) = present.first().filter(|(first, _)| *first > start.next_seq) {
            return Err(DbError::Gap { ledger, db_head: start.next_seq, first: *first });
        }
        // A reader thread reads and verifies the ledger while this one
        // stores: they overlap, and at most `QUEUE` chunks wait between.
        let offset = self.end_offset(&ledger, start.next_seq)?;
        let (tx, rx) = std::sync::mpsc::sync_channel::<Chunk>(QUEUE);
        std::thread::scope(|scope| {
            let reading = scope.spawn(move || read_ledger(&reader, start, offset, batch, &tx));
            // Owned here: an early return drops it, which stops the reader.
            let rx = rx;
            // Chunks read and not stored yet; the reader cuts them at batch
            // boundaries, so whole chunks make a batch.
            let mut pending: Vec<Chunk> = Vec::new();
            let mut pending_len = 0usize;
            // The hash the first of `pending` links to.
            let mut batch_prev = start.head;
            let mut seen;
            for chunk in &rx {
                seen = chunk.first + chunk.len() as u64;
                pending_len += chunk.len();
                pending.push(chunk);
                // A full batch is stored once an entry after it is read, so
                // that the last batch of the pass is the one committed
                // durably (below).
                while pending_len > batch {
                    let mut n = 0;
                    let k = pending
                        .iter()
                        .take_while(|c| {
                            let take = n < batch;
                            n += c.len();
                            take
                        })
                        .count();
                    let mut part: Vec<Chunk> = pending.drain(..k).collect();
                    pending_len -= part.iter().map(Chunk::len).sum::<usize>();
                    let next_prev = part
                        .last()
                        .and_then(|c| c.hashes.last())
                        .map_or(batch_prev, |h| Digest(*h));
                    self.store(&ledger, &batch_prev, &mut part, &mut report, false)?;
                    batch_prev = next_prev;
                    progress(report.to, seen);
                }
            }
            let (seen, expected) = match reading.join() {
                Ok(done) => done?,
                Err(_) => return Err(DbError::ReaderFailed),
            };
            if !pending.is_empty() {
                self.store(&ledger, &batch_prev, &mut pending, &mut report, true)?;
                progress(report.to, seen);
            }
            if seen < start.next_seq {
                return Err(DbError::Behind { ledger, ledger_head: seen, db_head: start.next_seq });
            }
            if expected.next_seq == start.next_seq && expected.head != start.head {
                return Err(DbError::Fork { ledger, seq: start.next_seq.saturating_sub(1) });
            }
            Ok(report)
        })
    }

    /// Stores the entries of `chunks` (the entries after the one whose hash
    /// is `prev`) in one transaction with the ledger's new head, under the
    /// ledger's advisory lock; empties `chunks`. What another sync of the
    /// ledger stored meanwhile is checked to be the same entries, and left
    /// out. Unless `durable`, the transaction commits without waiting for
    /// its WAL to reach disk (`synchronous_commit = off`): the last batch of
    /// a pass is durable, and its commit flushes the WAL of those before it
    /// (docs/POSTGRES.md).
    fn store(
        &mut self,
        ledger: &LedgerId,
        prev: &Digest,
        chunks: &mut Vec<Chunk>,
        report: &mut SyncReport,
        durable: bool,
    ) -> Result<(), DbError> {
        let (Some(first), Some(last)) = (chunks.first(), chunks.last()) else { return Ok(()) };
        let Some(last_hash) = last.hashes.last().copied() else { return Ok(()) };
        let (first_seq, last_seq) = (first.first, last.first + last.len() as u64 - 1);
        let id = &ledger.0[..];
        let Self { client, url, side } = self;
        let mut tx = client.transaction()?;
        if durable {
            // A transaction id, so that the commit writes a record and
            // flushes the WAL even when this batch turns out stored already.
            tx.execute("SELECT pg_current_xact_id()", &[])?;
        } else {
            tx.batch_execute("SET LOCAL synchronous_commit = off")?;
        }
        tx.execute("SELECT pg_advisory_xact_lock($1)", &[&lock_key(ledger)])?;
        // The ledger's row, made in this transaction for a new ledger (so
        // it is there only once entries are). Another sync of this ledger
        // may have stored entries since this one read the head: look again
        // under the lock.
        tx.execute(
            "INSERT INTO lotledger.ledgers (ledger_id, head_seq, head_hash) VALUES ($1, 0, $2) \
             ON CONFLICT (ledger_id) DO NOTHING",
            &[&id, &&entry::genesis(ledger).0[..]],
        )?;
        let row = tx.query_one(
            "SELECT ledger_no, head_seq, head_hash FROM lotledger.ledgers WHERE ledger_id = $1",
            &[&id],
        )?;
        let no: i32 = row.get(0);
        let db_seq = seq_u64(row.get(1));
        let db_hash = digest(&row.get::<_, Vec<u8>>(2)).unwrap_or(Digest([0; 32]));
        if db_seq < first_seq {
            return Err(DbError::Gap { ledger: *ledger, db_head: db_seq, first: first_seq });
        }
        if db_seq > last_seq + 1 {
            // Stored already, past this batch: the same entries?
            let hash: Option<Vec<u8>> = tx
                .query_opt(
                    "SELECT hash FROM lotledger.entries WHERE ledger_no = $1 AND seq = $2",
                    &[&no, &seq_i64(last_seq)],
                )?
                .map(|r| r.get(0));
            if hash.as_deref() != Some(&last_hash[..]) {
                return Err(DbError::Fork { ledger: *ledger, seq: last_seq });
            }
            tx.commit()?;
            report.to = db_seq;
            chunks.clear();
            return Ok(());
        }
        let skip = usize::try_from(db_seq - first_seq).unwrap_or(usize::MAX);
        let before = match skip.checked_sub(1) {
            None => *prev,
            Some(i) => hash_at(chunks, i).unwrap_or(Digest([0; 32])),
        };
        if before != db_hash {
            return Err(DbError::Fork { ledger: *ledger, seq: db_seq.saturating_sub(1) });
        }
        if db_seq > last_seq {
            tx.commit()?;
            report.to = db_seq;
            chunks.clear();
            return Ok(());
        }
        // Rows a sync killed between its two commits left: removed in a
        // transaction of their own, then this batch again.
        if derive::clear_pending(&mut tx, no, seq_i64(db_seq))? {
            tx.commit()?;
            return self.store(ledger, prev, chunks, report, durable);
        }
        let mut bytes = 0u64;
        let mut parts: Vec<(&derive::Rows, u32)> = Vec::with_capacity(chunks.len());
        for c in chunks.iter_mut() {
            c.rows.patch(no);
        }
        for c in chunks.iter() {
            // Entries of this chunk another sync stored already.
            let from = db_seq.saturating_sub(c.first);
            if from >= c.len() as u64 {
                continue;
            }
            let from = u32::try_from(from).unwrap_or(u32::MAX);
            bytes += c.body_len.iter().skip(from as usize).map(|n| u64::from(*n)).sum::<u64>();
            parts.push((&c.rows, from));
        }
        // The derived rows go on the other connections while the entries
        // go on this one; those transactions commit first.
        let groups = derive::SIDE.iter().filter(|g| derive::has_rows(g, &parts)).count();
        if groups > 0 {
            while side.len() < derive::SIDE.len() {
                side.push(Client::connect(url, NoTls)?);
            }
        }
        let stored_now = std::thread::scope(|scope| -> Result<u64, DbError> {
            let parts = &parts;
            let from = seq_i64(db_seq);
            let written: Vec<_> = side
                .iter_mut()
                .zip(derive::SIDE)
                .filter(|(_, g)| derive::has_rows(g, parts))
                .map(|(c, g)| scope.spawn(move || derive::write_side(c, g, no, from, parts)))
                .collect();
            let entries = derive::ENTRIES..derive::ENTRIES + 1;
            let stored = derive::copy_tables(&mut tx, entries, parts);
            let mut done =
                stored.and_then(|n| derive::write_rare_rows(&mut tx, no, parts).map(|()| n));
            for w in written {
                let side_done = w.join().map_err(|_| DbError::SideFailed).and_then(|r| r);
                if let (Ok(_), Err(e)) = (&done, side_done) {
                    done = Err(e);
                }
            }
            done
        })?;
        let head = seq_i64(last_seq + 1);
        tx.execute(
            "UPDATE lotledger.ledgers SET head_seq = $2, head_hash = $3, synced_at = now() \
             WHERE ledger_no = $1",
            &[&no, &head, &&last_hash[..]],
        )?;
        tx.execute("DELETE FROM lotledger.derive_pending WHERE ledger_no = $1", &[&no])?;
        tx.commit()?;
        report.to = last_seq + 1;
        report.stored += stored_now;
        report.batches += 1;
        report.bytes += bytes;
        chunks.clear();
        Ok(())
    }

    /// Refreshes the query planner's statistics of lotledger's tables
    /// (`ANALYZE`, which samples each table, so it costs about the same at
    /// any size). Tables that grew a lot since their last statistics can get
    /// poor plans (the first `recall --db` after a large first load took 20
    /// times as long before autovacuum had got to them); `lotledger sync`
    /// calls this after a pass that grew the database by a tenth or more.
    ///
    /// # Errors
    /// [`DbError::Postgres`].
    pub fn analyze(&mut self) -> Result<(), DbError> {
        // `entries`, the longest to sample, on this connection while the
        // rest go on one of sync's others when it has them.
        const ENTRIES: &str = "ANALYZE lotledger.entries";
        const REST: &str = "ANALYZE lotledger.ledgers, lotledger.checkpoints, \
             lotledger.lot_links, lotledger.corrections, lotledger.voided, lotledger.lot_moves, \
             lotledger.dispositions, lotledger.recalls, lotledger.recall_lots, \
             lotledger.recall_actions, lotledger.deliveries, lotledger.party_ids, \
             lotledger.unit_shipments, lotledger.complaint_entries, lotledger.derive_pending";
        let Self { client, side, .. } = self;
        match side.first_mut() {
            None => client.batch_execute(&format!("{ENTRIES}; {REST}"))?,
            Some(other) => std::thread::scope(|scope| -> Result<(), DbError> {
                let rest = scope.spawn(|| other.batch_execute(REST));
                let entries = client.batch_execute(ENTRIES);
                let rest = rest.join().map_err(|_| DbError::SideFailed)?;
                entries?;
                rest?;
                Ok(())
            })?,
        }
        Ok(())
    }

    /// The ledgers the database holds, in id order.
    ///
    /// # Errors
    /// [`DbError::Postgres`].
    pub fn ledgers(&mut self) -> Result<Vec<LedgerId>, DbError> {
        let rows =
            self.client.query("SELECT ledger_id FROM lotledger.ledgers ORDER BY ledger_id", &[])?;
        Ok(rows
            .iter()
            .filter_map(|r| {
                let v: Vec<u8> = r.get(0);
                <[u8; 16]>::try_from(v.as_slice()).ok().map(LedgerId)
            })
            .collect())
    }

    /// The lots reached from `item`/`lot` through production links in
    /// force, forward (lots made from it) or backward (lots it was made
    /// from), each with its depth (production steps from the start, the
    /// fewest), nearest first, computed in the database by a recursive
    /// query over `lotledger.lot_links`. The start lot is at depth 0; an
    /// empty answer means no stored link names it.
    ///
    /// A production is out of force when `lotledger.voided` holds it: an
    /// applied correction (one naming an earlier entry of its ledger with
    /// that entry's hash) voids it and is not itself void, kept exact at
    /// sync for chains of corrections of any length.
    ///
    /// # Errors
    /// [`DbError::Postgres`].
    pub fn trace_lots(
        &mut self,
        item: &str,
        lot: &str,
        forward: bool,
    ) -> Result<Vec<(String, String, u32)>, DbError> {
        let (from, to) = if forward { ("in", "out") } else { ("out", "in") };
        let sql = format!(
            "WITH RECURSIVE
             walk(item, lot, depth) AS (
                 SELECT $1::text, $2::text, 0
                 UNION
                 SELECT l.{to}_item, l.{to}_lot, w.depth + 1
                 FROM walk w JOIN lotledger.lot_links l
                   ON l.{from}_item = w.item AND l.{from}_lot = w.lot
                 WHERE w.depth < 10000
                   AND NOT EXISTS (SELECT 1 FROM lotledger.voided v
                                   WHERE v.ledger_no = l.ledger_no AND v.seq = l.seq))
             SELECT item, lot, min(depth) AS depth FROM walk
             GROUP BY item, lot ORDER BY depth, item, lot"
        );
        let rows = self.client.query(sql.as_str(), &[&item, &lot])?;
        if rows.len() == 1 {
            // Only the start: is it named by any link at all?
            let named = self.client.query_opt(
                "SELECT 1 FROM lotledger.lot_links WHERE (in_item = $1 AND in_lot = $2) \
                 OR (out_item = $1 AND out_lot = $2) LIMIT 1",
                &[&item, &lot],
            )?;
            if named.is_none() {
                return Ok(Vec::new());
            }
        }
        Ok(rows
            .iter()
            .map(|r| (r.get(0), r.get(1), u32::try_from(r.get::<_, i32>(2)).unwrap_or(0)))
            .collect())
    }

    /// Ledger numbers that entries or checkpoints are stored under but
    /// `lotledger.ledgers` does not hold (its row deleted in SQL). Reads
    /// every row's ledger number, as a whole verification does.
    ///
    /// # Errors
    /// [`DbError::Postgres`].
    pub fn orphans(&mut self) -> Result<Vec<i32>, DbError> {
        let rows = self.client.query(
            "SELECT DISTINCT x.ledger_no FROM (SELECT ledger_no FROM lotledger.entries \
             UNION ALL SELECT ledger_no FROM lotledger.checkpoints) x \
             WHERE NOT EXISTS (SELECT 1 FROM lotledger.ledgers l WHERE l.ledger_no = x.ledger_no) \
             ORDER BY 1",
            &[],
        )?;
        Ok(rows.iter().map(|r| r.get(0)).collect())
    }

    /// Recomputes every hash of `ledger` from the stored bytes, from
    /// genesis, streaming them out of the database with binary `COPY`, and
    /// checks each stored checkpoint's root and the recorded head.
    ///
    /// # Errors
    /// [`DbError::Postgres`]. A broken chain is not an error: it is the
    /// verdict's `failure`.
    pub fn verify(&mut self, ledger: &LedgerId) -> Result<DbVerdict, DbError> {
        self.verify_with(ledger, |_, _, _| Ok(()))
    }

    /// As [`Db::verify`], also calling `check(seq, record, head)` for each
    /// checkpoint entry whose root matches (`head`: the hash of entry
    /// `seq - 1`, none for entry 0), for example to check its signature
    /// with trusted keys; its `Err` is the verdict's
    /// [`DbFailure::Signature`].
    ///
    /// # Errors
    /// As [`Db::verify`].
    pub fn verify_with(
        &mut self,
        ledger: &LedgerId,
        mut check: impl FnMut(u64, &Checkpointed, Option<&Digest>) -> Result<(), String>,
    ) -> Result<DbVerdict, DbError> {
        let Some(row) = self.client.query_opt(
            "SELECT ledger_no, head_seq, head_hash FROM lotledger.ledgers WHERE ledger_id = $1",
            &[&&ledger.0[..]],
        )?
        else {
            return Err(DbError::UnknownLedger { ledger: *ledger });
        };
        let no: i32 = row.get(0);
        let recorded = Anchor {
            next_seq: seq_u64(row.get(1)),
            head: digest(&row.get::<_, Vec<u8>>(2)).unwrap_or(Digest([0; 32])),
        };
        let checkpoints: Vec<(u64, u64, Digest)> = self
            .client
            .query(
                "SELECT seq, size, root FROM lotledger.checkpoints WHERE ledger_no = $1 ORDER BY seq",
                &[&no],
            )?
            .iter()
            .map(|r| {
                let root: Vec<u8> = r.get(2);
                (seq_u64(r.get(0)), seq_u64(r.get(1)), digest(&root).unwrap_or(Digest([0; 32])))
            })
            .collect();
        let mut verdict =
            DbVerdict { ledger: *ledger, entries: 0, checkpoints: 0, head: None, failure: None };
        // COPY takes no parameters; `no` is a number.
        let reader = self.client.copy_out(
            format!(
                "COPY (SELECT seq, hash, body FROM lotledger.entries \
                 WHERE ledger_no = {no} ORDER BY seq) TO STDOUT BINARY"
            )
            .as_str(),
        )?;
        let mut rows = BinaryCopyOutIter::new(reader, &[Type::INT8, Type::BYTEA, Type::BYTEA]);
        let mut prev = Anchor::genesis(ledger);
        let mut tree = CompactTree::<64>::default();
        let mut pending = checkpoints.iter().peekable();
        while let Some(row) = rows.next()? {
            let seq = seq_u64(row.get::<i64>(0));
            let stored_hash: &[u8] = row.get(1);
            let body: &[u8] = row.get(2);
            if seq != prev.next_seq {
                verdict.failure = Some(DbFailure::Missing { seq: prev.next_seq, found: Some(seq) });
                return Ok(verdict);
            }
            let record = match body_problem(body, seq, &prev) {
                Err(why) => {
                    verdict.failure = Some(DbFailure::BadBody { seq, why });
                    return Ok(verdict);
                }
                Ok(record) => record,
            };
            let hash = entry::hash(&prev.head, body);
            if stored_hash != hash.0 {
                verdict.failure = Some(DbFailure::HashMismatch { seq });
                return Ok(verdict);
            }
            if let Some(c) = record {
                // A checkpoint entry's own root, as `verify DIR` checks it.
                if c.size != seq || tree.root() != c.root.0 {
                    verdict.failure = Some(DbFailure::Checkpoint { seq });
                    return Ok(verdict);
                }
                if let Err(why) = check(seq, &c, (seq > 0).then_some(&prev.head)) {
                    verdict.failure = Some(DbFailure::Signature { seq, why });
                    return Ok(verdict);
                }
            }
            if pending.peek().is_some_and(|(s, ..)| *s == seq) {
                let (_, size, root) = pending.next().copied().unwrap_or((seq, 0, Digest([0; 32])));
                if size != seq || tree.root() != root.0 {
                    verdict.failure = Some(DbFailure::Checkpoint { seq });
                    return Ok(verdict);
                }
                verdict.checkpoints += 1;
            }
            if tree.push_entry(&hash.0).is_err() {
                verdict.failure = Some(DbFailure::Checkpoint { seq });
                return Ok(verdict);
            }
            prev = Anchor { next_seq: seq + 1, head: hash };
            verdict.entries += 1;
        }
        let short = prev.next_seq < recorded.next_seq;
        if pending.next().is_some() || short {
            // A stored checkpoint or the recorded head names entries the
            // table no longer holds (deleted from the end, or truncated).
            verdict.failure = Some(DbFailure::Missing { seq: prev.next_seq, found: None });
        } else if recorded != prev {
            verdict.failure =
                Some(DbFailure::Head { entries: prev.next_seq, head: recorded.next_seq });
        } else {
            verdict.head = Some(prev.head);
        }
        Ok(verdict)
    }
}

/// Rows sent from the reader thread at a time.
const CHUNK: usize = 4096;

/// Chunks waiting between the reader thread and the storing one.
const QUEUE: usize = 8;

/// Reads and verifies the ledger from the segment holding entry
/// `start.next_seq` on (whose frame is at `offset` in the ledger's frames
/// from genesis), checking that its entries continue `start`, and
/// sends the entries from `start.next_seq` on in chunks, encoded for
/// `COPY` with their derived rows, cut at every `batch` entries. Returns the
/// entries the directory holds and its head, or the failure (the channel
/// closes first, so the storing side stores no batch it has not completed).
fn read_ledger(
    reader: &LedgerReader,
    start: Anchor,
    mut offset: i64,
    batch: usize,
    out: &std::sync::mpsc::SyncSender<Chunk>,
) -> Result<(u64, Anchor), DbError> {
    let ledger = reader.ledger_id();
    let mut expected = start;
    let size = CHUNK.min(batch);
    let batch = batch as u64;
    let mut chunk = Chunk::new(start.next_seq, size);
    let mut first_segment = true;
    // Entries the directory holds (read so far).
    let mut seen = 0u64;
    for segment in reader.segments_from(start.next_seq)? {
        let segment = segment?;
        let anchor = segment.header.start;
        if first_segment {
            first_segment = false;
            if anchor.next_seq > expected.next_seq {
                return Err(DbError::Gap {
                    ledger,
                    db_head: expected.next_seq,
                    first: anchor.next_seq,
                });
            }
            if anchor.next_seq == expected.next_seq && anchor.head != expected.head {
                return Err(DbError::Fork { ledger, seq: anchor.next_seq.saturating_sub(1) });
            }
        }
        for v in Verifier::new(segment.frames(), anchor) {
            let v = v.map_err(|failure| {
                DbError::Ledger(file::Error::Corrupted {
                    path: segment.path.clone(),
                    failure: failure.into(),
                })
            })?;
            let seq = v.header.seq;
            seen = seq + 1;
            if seq + 1 == expected.next_seq && v.hash != expected.head {
                return Err(DbError::Fork { ledger, seq });
            }
            if seq < expected.next_seq {
                continue;
            }
            if seq > expected.next_seq {
                // A later segment starts after the one before ends.
                return Err(DbError::Gap { ledger, db_head: expected.next_seq, first: seq });
            }
            if seq == anchor.next_seq && anchor.head != expected.head {
                return Err(DbError::Fork { ledger, seq });
            }
            let kind = v.kind();
            let i = u32::try_from(chunk.len()).unwrap_or(u32::MAX);
            let (seq_db, time) = (seq_i64(seq), v.header.time.0);
            let kind_no = kind.map_or(-1, |k| i32::try_from(k.number()).unwrap_or(-1));
            chunk.rows.entry(i, seq_db, &v.hash.0, time, kind_no, &v.header, v.body, offset);
            offset += i64::try_from(crate::frame::frame_len(v.body.len())).unwrap_or(0);
            match kind {
                Ok(k) if k == RecordKind::Checkpointed || derive::derives(k) => match v.record() {
                    Ok(Record::Checkpointed(c)) => chunk.rows.checkpoint(i, seq_db, &c),
                    Ok(record) => chunk.rows.derive(i, seq_db, time, &record, true),
                    Err(_) => {}
                },
                _ => {}
            }
            chunk.hashes.push(v.hash.0);
            chunk.body_len.push(u32::try_from(v.body.len()).unwrap_or(u32::MAX));
            expected = Anchor { next_seq: seq + 1, head: v.hash };
            if chunk.len() >= size || (seq + 1 - start.next_seq).is_multiple_of(batch) {
                let full = core::mem::replace(&mut chunk, Chunk::new(seq + 1, size));
                if out.send(full).is_err() {
                    // The storing side stopped (its own error).
                    return Ok((seen, expected));
                }
            }
        }
    }
    if chunk.len() > 0 {
        let _ = out.send(chunk);
    }
    Ok((seen, expected))
}

/// Why a stored body is not entry `seq` linking to `prev`, if it is not;
/// its checkpoint record when it is a checkpoint entry.
fn body_problem(body: &[u8], seq: u64, prev: &Anchor) -> Result<Option<Checkpointed>, String> {
    match entry::decode_header_ref(body) {
        Err(e) => Err(format!("the stored bytes do not decode ({e})")),
        Ok((h, _)) if h.seq != seq => Err(format!("the stored bytes are entry {}", h.seq)),
        Ok((h, _)) if h.link != entry::PrevLink::of(&prev.head) => {
            Err("the stored bytes do not link to the entry before".into())
        }
        Ok((_, rest)) => {
            let kind = crate::varint::decode(rest).ok().map(|(n, _)| n);
            if kind == Some(u64::from(RecordKind::Checkpointed.number())) {
                match entry::decode_record(rest) {
                    Ok(Record::Checkpointed(c)) => Ok(Some(c)),
                    _ => Err("the stored checkpoint entry does not decode".into()),
                }
            } else {
                Ok(None)
            }
        }
    }
}

/// The default database URL: `LOTLEDGER_DB` when set.
#[must_use]
pub fn url_from_env() -> Option<String> {
    std::env::var("LOTLEDGER_DB").ok().filter(|s| !s.is_empty())
}

/// Every ledger directory of `dirs` synced in turn; see [`Db::sync_ledger`].
///
/// # Errors
/// The first ledger's error, with the ledgers before it synced.
pub fn sync_all(
    db: &mut Db,
    dirs: &[PathBuf],
    batch: usize,
    mut progress: impl FnMut(&Path, u64, u64),
) -> Result<Vec<SyncReport>, DbError> {
    dirs.iter().map(|d| db.sync_ledger(d, batch, |a, b| progress(d, a, b))).collect()
}

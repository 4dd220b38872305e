//! `complaints --db`: the complaint entries selected in PostgreSQL by the
//! rows derived at sync (`lotledger.complaint_entries`, keyed by complaint
//! number), with the master data and the corrections that name them, put
//! in an index of their own, so that the in-memory complaint queries
//! (lists, timelines, clusters, counts) compute the answer over them with
//! the same code (docs/POSTGRES.md).

use std::string::String;

use super::{Db, DbError, seq_u64};
use crate::chain::Verified;
use crate::index::Index;
use crate::model::{Digest, LedgerId};

/// The entries selected: those of `picked` (a query of `ledger_no, seq`),
/// every party description (the master data that names customers), and the
/// corrections of any of them, of those corrections, and so on. Also used
/// by `expiring --db` (src/db/expiring.rs).
pub(super) fn selection(picked: &str) -> String {
    std::format!(
        "WITH RECURSIVE picked(ledger_no, seq) AS ({picked} \
             UNION SELECT DISTINCT ledger_no, seq FROM lotledger.party_ids), \
         fixes(ledger_no, seq) AS ( \
             SELECT c.ledger_no, c.seq FROM lotledger.corrections c \
             JOIN picked p ON p.ledger_no = c.ledger_no AND p.seq = c.target_seq \
             UNION \
             SELECT c.ledger_no, c.seq FROM lotledger.corrections c \
             JOIN fixes f ON f.ledger_no = c.ledger_no AND f.seq = c.target_seq) \
         SELECT l.ledger_id, e.seq, e.hash, e.frame_offset, e.body \
         FROM (SELECT * FROM picked UNION SELECT * FROM fixes) s \
         JOIN lotledger.entries e ON e.ledger_no = s.ledger_no AND e.seq = s.seq \
         JOIN lotledger.ledgers l ON l.ledger_no = e.ledger_no \
         ORDER BY e.ledger_no, e.seq"
    )
}

impl Db {
    /// An index of the entries the complaint queries read: every entry of
    /// complaint `number` (of every complaint when `None`), the party
    /// descriptions, and the corrections naming any of them (chains of
    /// corrections followed by a recursive query). Ledgers are indexed in
    /// ledger number order, entries in seq order. Only these rows reach
    /// the client and are decoded; [`crate::query::complaints`],
    /// [`crate::query::complaint_timeline`],
    /// [`crate::query::complaint_clusters`] and
    /// [`crate::query::complaint_counts`] then answer over it as over an
    /// index of the whole ledgers.
    ///
    /// # Errors
    /// [`DbError::Postgres`]; [`DbError::Stored`] when a stored entry's
    /// bytes do not decode as the entry of its row (`verify --db` says
    /// more); [`DbError::Select`] when the selected entries do not index.
    pub fn complaint_index(&mut self, number: Option<&str>) -> Result<Index, DbError> {
        let rows = match number {
            Some(n) => self.client.query(
                &selection(
                    "SELECT ledger_no, seq FROM lotledger.complaint_entries WHERE complaint = $1",
                ),
                &[&n],
            )?,
            None => self
                .client
                .query(&selection("SELECT ledger_no, seq FROM lotledger.complaint_entries"), &[])?,
        };
        index_of(&rows)
    }
}

/// An index of the rows of a [`selection`] (`ledger_id, seq, hash,
/// frame_offset, body`, ledgers in ledger number order, entries in seq
/// order), each decoded from its stored bytes.
pub(super) fn index_of(rows: &[postgres::Row]) -> Result<Index, DbError> {
    let mut index = Index::new();
    for r in rows {
        let (id, seq): (&[u8], i64) = (r.get(0), r.get(1));
        let (hash, body): (&[u8], &[u8]) = (r.get(2), r.get(4));
        let bad = |ledger: LedgerId| DbError::Stored { ledger, seq: seq_u64(seq) };
        let ledger = <[u8; 16]>::try_from(id)
            .map(LedgerId)
            .map_err(|_| DbError::Stored { ledger: LedgerId([0; 16]), seq: seq_u64(seq) })?;
        let hash = <[u8; 32]>::try_from(hash).map_err(|_| bad(ledger))?;
        let v = Verified::stored(body, Digest(hash), seq_u64(r.get(3)))
            .filter(|v| v.header.seq == seq_u64(seq))
            .ok_or_else(|| bad(ledger))?;
        index.ingest_selected(&ledger, &v).map_err(DbError::Select)?;
    }
    Ok(index)
}

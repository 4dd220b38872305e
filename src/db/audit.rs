//! `audit --db`: the auditor's entries and corrections views, the rows
//! selected in SQL from `lotledger.entries` (time, kind, actor, station,
//! frame offset) and `lotledger.corrections`, only the rows returned
//! decoded, in the in-memory views' own types (docs/POSTGRES.md).

use std::collections::HashMap;
use std::format;
use std::string::String;
use std::vec;
use std::vec::Vec;

use postgres::types::ToSql;

use super::{Db, DbError, seq_i64, seq_u64};
use crate::entry::{self, DecodeError};
use crate::model::{LedgerId, Record, RecordKind, Timestamp};
use crate::query::{AuditFilter, AuditRow, CorrectionLine};

/// Rows fetched per query while listing entries.
const PAGE: i64 = 20_000;

/// The columns an [`AuditRow`] is made from, for `lotledger.entries e`
/// joined with `lotledger.ledgers l`.
const ROW: &str = "l.ledger_id, e.seq, e.frame_offset, e.time_ms, e.actor, e.station, e.kind, \
     e.body, EXISTS (SELECT 1 FROM lotledger.voided v \
                     WHERE v.ledger_no = e.ledger_no AND v.seq = e.seq)";

/// The kind name the index gives an entry of stored kind number `kind`
/// (-1 when sync could not read it) and body `body`: its kind when its
/// record decodes, `unknown` for a kind this build does not know,
/// `undecodable` otherwise.
fn kind_of(kind: i32, body: &[u8]) -> &'static str {
    let decoded = entry::decode_header_ref(body).map(|(_, rest)| entry::decode_record(rest));
    match decoded {
        Ok(Ok(_)) => u32::try_from(kind)
            .ok()
            .and_then(RecordKind::from_number)
            .map_or("undecodable", RecordKind::name),
        Ok(Err(DecodeError::UnknownKind(_))) => "unknown",
        _ => "undecodable",
    }
}

fn audit_row(r: &postgres::Row) -> AuditRow {
    let id: &[u8] = r.get(0);
    let body: &[u8] = r.get(7);
    AuditRow {
        ledger: <[u8; 16]>::try_from(id).map(LedgerId).unwrap_or_default(),
        seq: seq_u64(r.get(1)),
        offset: seq_u64(r.get(2)),
        time: Timestamp(r.get(3)),
        actor: r.get(4),
        station: r.get(5),
        kind: kind_of(r.get(6), body),
        void: r.get(8),
    }
}

impl Db {
    /// The entries matching `filter`, as [`crate::query::audit_entries`]
    /// lists them from an index: voided ones included and marked, in ledger
    /// number order (the order ledgers were first synced), then seq. The
    /// filter is applied in SQL; only the rows returned are decoded (to
    /// tell an undecodable record, which the index lists under that name
    /// and not under its kind).
    ///
    /// # Errors
    /// [`DbError::Postgres`].
    pub fn audit_entries(&mut self, filter: &AuditFilter) -> Result<Vec<AuditRow>, DbError> {
        let kind = match filter.kind.as_deref() {
            None => None,
            Some(name) => match RecordKind::from_name(name) {
                Some(k) => Some(i32::try_from(k.number()).unwrap_or(-1)),
                // No entry is of a kind that does not exist.
                None => return Ok(Vec::new()),
            },
        };
        let ledger = filter.ledger.map(|l| l.0.to_vec());
        let (from, to) = (filter.from.map(|t| t.0), filter.to.map(|t| t.0));
        let mut sql = format!(
            "SELECT {ROW}, e.ledger_no \
             FROM lotledger.entries e JOIN lotledger.ledgers l USING (ledger_no) \
             WHERE (e.ledger_no, e.seq) > ($1, $2)"
        );
        let mut fixed: Vec<&(dyn ToSql + Sync)> = Vec::new();
        let conditions: [(&str, Option<&(dyn ToSql + Sync)>); 6] = [
            ("l.ledger_id = ", ledger.as_ref().map(|v| v as &(dyn ToSql + Sync))),
            ("e.actor = ", filter.actor.as_ref().map(|v| v as &(dyn ToSql + Sync))),
            ("e.station = ", filter.station.as_ref().map(|v| v as &(dyn ToSql + Sync))),
            ("e.kind = ", kind.as_ref().map(|v| v as &(dyn ToSql + Sync))),
            ("e.time_ms >= ", from.as_ref().map(|v| v as &(dyn ToSql + Sync))),
            ("e.time_ms < ", to.as_ref().map(|v| v as &(dyn ToSql + Sync))),
        ];
        for (condition, value) in conditions {
            if let Some(v) = value {
                fixed.push(v);
                sql.push_str(&format!(" AND {condition}${}", fixed.len() + 3));
            }
        }
        sql.push_str(" ORDER BY e.ledger_no, e.seq LIMIT $3");
        let statement = self.client.prepare(&sql)?;
        let limit = filter.limit.unwrap_or(usize::MAX);
        let mut out = Vec::new();
        let (mut after_no, mut after_seq) = (i32::MIN, i64::MIN);
        while out.len() < limit {
            let want = i64::try_from(limit - out.len()).unwrap_or(i64::MAX).min(PAGE);
            let mut params: Vec<&(dyn ToSql + Sync)> = vec![&after_no, &after_seq, &want];
            params.extend(fixed.iter().copied());
            let rows = self.client.query(&statement, &params)?;
            let Some(last) = rows.last() else { break };
            let last_no: i32 = last.get(9);
            (after_no, after_seq) = (last_no, last.get(1));
            let page = rows.len();
            out.extend(
                rows.iter()
                    .map(audit_row)
                    // Of that kind only when it decodes, as in the index.
                    .filter(|r| kind.is_none() || r.kind != "undecodable"),
            );
            if i64::try_from(page).unwrap_or(0) < want {
                break;
            }
        }
        Ok(out)
    }

    /// Every correction with the entry it corrects and its replacements, as
    /// [`crate::query::corrections`] lists them from an index, in ledger
    /// number order, then seq: the corrections from `lotledger.corrections`
    /// (with `applied` and `lotledger.voided`), their reasons and
    /// replacements decoded from the correction entries, and the entries
    /// they name selected by key.
    ///
    /// # Errors
    /// [`DbError::Postgres`].
    pub fn corrections(&mut self) -> Result<Vec<CorrectionLine>, DbError> {
        let rows = self.client.query(
            &format!(
                "SELECT {ROW}, e.ledger_no, c.target_seq, c.applied \
                 FROM lotledger.corrections c \
                 JOIN lotledger.entries e ON e.ledger_no = c.ledger_no AND e.seq = c.seq \
                 JOIN lotledger.ledgers l ON l.ledger_no = c.ledger_no \
                 ORDER BY c.ledger_no, c.seq"
            ),
            &[],
        )?;
        // The entries the corrections name: targets and replacements.
        let (mut nos, mut seqs): (Vec<i32>, Vec<i64>) = (Vec::new(), Vec::new());
        let mut lines = Vec::with_capacity(rows.len());
        for r in &rows {
            let no: i32 = r.get(9);
            let (seq, target): (i64, i64) = (r.get(1), r.get(10));
            let body: &[u8] = r.get(7);
            let (reason, replacements) = match entry::decode_header_ref(body)
                .ok()
                .and_then(|(_, rest)| entry::decode_record(rest).ok())
            {
                Some(Record::Corrected(c)) => (
                    String::from(c.reason.as_str()),
                    c.replacements.iter().map(|&s| seq_i64(s)).collect::<Vec<_>>(),
                ),
                _ => (String::new(), Vec::new()),
            };
            for s in core::iter::once(target).chain(replacements.iter().copied()) {
                nos.push(no);
                seqs.push(s);
            }
            lines.push((no, seq, target, r.get::<_, bool>(11), audit_row(r), reason, replacements));
        }
        let named: HashMap<(i32, i64), AuditRow> = self
            .client
            .query(
                &format!(
                    "SELECT {ROW}, e.ledger_no FROM unnest($1::int[], $2::bigint[]) w(no, seq) \
                     JOIN lotledger.entries e ON e.ledger_no = w.no AND e.seq = w.seq \
                     JOIN lotledger.ledgers l ON l.ledger_no = e.ledger_no"
                ),
                &[&nos, &seqs],
            )?
            .iter()
            .map(|r| ((r.get(9), r.get(1)), audit_row(r)))
            .collect();
        Ok(lines
            .into_iter()
            .map(|(no, seq, target, applied, correction, reason, replacements)| {
                let target_row = named.get(&(no, target)).cloned();
                let status = if applied {
                    "applied"
                } else if target < seq && target_row.is_some() {
                    "hash_mismatch"
                } else {
                    "unknown_target"
                };
                CorrectionLine {
                    in_force: applied && !correction.void,
                    correction,
                    reason,
                    status,
                    target_seq: seq_u64(target),
                    target: target_row,
                    replacements: replacements
                        .iter()
                        .filter(|&&s| s < seq)
                        .filter_map(|&s| named.get(&(no, s)).cloned())
                        .collect(),
                }
            })
            .collect())
    }
}

//! `expiring --db`: the entries the expiry report reads, selected in
//! PostgreSQL by the derived rows (`lot_moves`, `dispositions`) of the lots
//! a production in the window made, with the party descriptions, the
//! serialized goods' events and the corrections naming any of them, put in an index
//! of their own, so that [`crate::query::expiring`] computes the report
//! over them with the same code (docs/POSTGRES.md).

use super::complaints::{index_of, selection};
use super::derive::mv;
use super::{Db, DbError};
use std::vec::Vec;

use crate::index::Index;
use crate::model::{Date, RecordKind};

/// The kinds selected whole: the serialized goods' events (packing,
/// commissioning, aggregation, shipments by container or serial, returns
/// and decommissioning, which the index resolves to lots and units over all
/// of them). Also read by `where --db` (src/db/units.rs).
pub(super) const WHOLE: [RecordKind; 6] = [
    RecordKind::Packed,
    RecordKind::Commissioned,
    RecordKind::Aggregated,
    RecordKind::GoodsShipped,
    RecordKind::GoodsReturned,
    RecordKind::Decommissioned,
];

/// The numbers of the [`WHOLE`] kinds, as `entries.kind` stores them.
pub(super) fn whole_kinds() -> Vec<i32> {
    WHOLE.iter().map(|k| i32::try_from(k.number()).unwrap_or(-1)).collect()
}

impl Db {
    /// An index of the entries [`crate::query::expiring`] reads for lots
    /// expiring before `before` (and on or after `from`): every
    /// `lot_moves` and `dispositions` row of the lots a production with
    /// such an expiry made (productions, receipts, shipments, returns,
    /// destructions, retrievals; statuses), the party descriptions, the
    /// serialized goods' events, and the corrections
    /// naming any of them (chains followed by a recursive query). Only
    /// these rows reach the client and are decoded.
    ///
    /// # Errors
    /// As [`Db::complaint_index`].
    pub fn expiring_index(&mut self, before: Date, from: Option<Date>) -> Result<Index, DbError> {
        let kinds = whole_kinds();
        let from = from.map_or(i32::MIN, |d| d.0);
        let picked = "WITH lots AS (SELECT DISTINCT item, lot FROM lotledger.lot_moves \
                 WHERE move = $1 AND expiry < $2 AND expiry >= $3) \
             SELECT m.ledger_no, m.seq FROM lotledger.lot_moves m JOIN lots USING (item, lot) \
             UNION SELECT d.ledger_no, d.seq FROM lotledger.dispositions d \
                 JOIN lots USING (item, lot) \
             UNION SELECT ledger_no, seq FROM lotledger.entries WHERE kind = ANY($4)";
        let rows =
            self.client.query(&selection(picked), &[&mv::PRODUCED, &before.0, &from, &kinds])?;
        index_of(&rows)
    }
}

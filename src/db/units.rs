//! `where --db`: the entries the unit and container report reads, selected
//! in PostgreSQL and put in an index of their own, so that
//! [`crate::query::where_is`] computes the report over them with the same
//! code as over ledger directories (docs/POSTGRES.md).

use super::complaints::{index_of, selection};
use super::derive::mv;
use super::expiring::whole_kinds;
use super::{Db, DbError};
use std::string::ToString;

use crate::index::Index;
use crate::query::UnitTarget;

impl Db {
    /// An index of the entries [`crate::query::where_is`] reads for
    /// `target`: every entry of the serialized goods' kinds (packing,
    /// commissioning, aggregation, goods shipped and returned,
    /// decommissioning: a unit's containers and history are resolved over
    /// all of them), the party descriptions, and the corrections naming
    /// any of these (chains followed by a recursive query). For a serial,
    /// also the productions of its item (the lot's expiry), every recall
    /// opening, and every production reached forward from a lot a recall
    /// names (whether the unit's lot is in a recall's scope), each taken
    /// whether or not a correction voids it: the shared code applies the
    /// corrections, so a superset is enough. Only these rows reach the
    /// client and are decoded.
    ///
    /// # Errors
    /// As [`Db::complaint_index`].
    pub fn where_index(&mut self, target: &UnitTarget) -> Result<Index, DbError> {
        let kinds = whole_kinds();
        let rows = match target {
            UnitTarget::Serial { item, .. } => {
                let picked = "WITH RECURSIVE scope(item, lot) AS ( \
                         SELECT item, lot FROM lotledger.recall_lots \
                         UNION SELECT l.out_item, l.out_lot FROM scope s \
                             JOIN lotledger.lot_links l ON l.in_item = s.item AND l.in_lot = s.lot) \
                     SELECT l.ledger_no, l.seq FROM scope s \
                         JOIN lotledger.lot_links l ON l.in_item = s.item AND l.in_lot = s.lot \
                     UNION SELECT ledger_no, seq FROM lotledger.recalls \
                     UNION SELECT ledger_no, seq FROM lotledger.lot_moves \
                         WHERE move = $1 AND item = $2 \
                     UNION SELECT ledger_no, seq FROM lotledger.entries WHERE kind = ANY($3)";
                self.client
                    .query(&selection(picked), &[&mv::PRODUCED, &item.to_string(), &kinds])?
            }
            UnitTarget::Container(_) => self.client.query(
                &selection("SELECT ledger_no, seq FROM lotledger.entries WHERE kind = ANY($1)"),
                &[&kinds],
            )?,
        };
        index_of(&rows)
    }
}

//! From a scan to the ledger's vocabulary: GTIN plus batch as a lot, the
//! expiry as a date, the SSCC as a container, the count as a quantity.
//!
//! ```
//! use lotledger::interop::gs1::ElementString;
//! use lotledger::model::{Date, ItemCode, Unit};
//! let scan = ElementString::parse("(01)09506000134352(17)261200(10)ABC123")?;
//! let lot = scan.lot_id().expect("GTIN and batch");
//! assert_eq!(lot.lot.as_str(), "ABC123");
//! assert!(matches!(lot.item, ItemCode::Gtin(_)));
//! // Day 00 means the end of the month.
//! assert_eq!(scan.expiry_date(2026), Date::from_ymd(2026, 12, 31));
//! // A pallet label: SSCC, the GTIN of its contents (02) and their count (37).
//! let pallet = ElementString::parse("(00)106141412345678908(02)09506000134352(37)24")?;
//! assert_eq!(pallet.container().map(|c| c.to_string()), Some("sscc:106141412345678908".into()));
//! assert_eq!(pallet.count_quantity().map(|q| (q.amount, q.unit)), Some((24, Unit::Piece)));
//! // A homogeneous pallet label with the batch (10) names the lot of its contents.
//! let pallet = ElementString::parse("(00)106141412345678908(02)09506000134352(37)24(10)L1")?;
//! assert_eq!(pallet.content_lot().map(|l| l.to_string()), Some("gtin:09506000134352/L1".into()));
//! assert_eq!(pallet.lot_id(), None);
//! # Ok::<(), lotledger::interop::gs1::Error>(())
//! ```

use super::{Date as Gs1Date, ElementStringBuf};
use crate::model::{ContainerId, Date, Gtin, ItemCode, LotId, Quantity, Sscc, Unit};

impl Gs1Date {
    /// As a calendar date, resolving the two-digit year with GS1's century
    /// rule around `current_year` and day 00 as the month's last day.
    #[must_use]
    pub fn to_date(&self, current_year: u16) -> Option<Date> {
        let (y, m, d) = self.to_ymd(current_year);
        Date::from_ymd(i32::from(y), u32::from(m), u32::from(d))
    }
}

impl<const F: usize, const B: usize> ElementStringBuf<F, B> {
    /// The trade item, AI (01), as an item code.
    #[must_use]
    pub fn item(&self) -> Option<ItemCode> {
        self.gtin().and_then(|g| Gtin::parse(g).ok()).map(ItemCode::Gtin)
    }

    /// The lot: GTIN (01) and batch (10). `None` unless both are present.
    #[must_use]
    pub fn lot_id(&self) -> Option<LotId> {
        Some(LotId { item: self.item()?, lot: self.batch()?.parse().ok()? })
    }

    /// The expiry date (17) as a calendar date; see [`Gs1Date::to_date`].
    #[must_use]
    pub fn expiry_date(&self, current_year: u16) -> Option<Date> {
        self.expiry()?.to_date(current_year)
    }

    /// The trade items a logistic unit holds, AI (02), as an item code.
    #[must_use]
    pub fn content_item(&self) -> Option<ItemCode> {
        self.content_gtin().and_then(|g| Gtin::parse(g).ok()).map(ItemCode::Gtin)
    }

    /// The lot of a homogeneous logistic unit's contents: the GTIN of the
    /// contained items (02) and the batch (10), which on a label without a
    /// trade item of its own (01) is the contents' batch. `None` otherwise.
    #[must_use]
    pub fn content_lot(&self) -> Option<LotId> {
        if self.gtin().is_some() {
            return None;
        }
        Some(LotId { item: self.content_item()?, lot: self.batch()?.parse().ok()? })
    }

    /// The SSCC (00) as a container.
    #[must_use]
    pub fn container(&self) -> Option<ContainerId> {
        self.sscc().and_then(|s| Sscc::parse(s).ok()).map(ContainerId::Sscc)
    }

    /// The count of trade items (37) as a quantity of pieces.
    #[must_use]
    pub fn count_quantity(&self) -> Option<Quantity> {
        self.count().map(|n| Quantity::whole(u64::from(n), Unit::Piece))
    }
}

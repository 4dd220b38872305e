//! A shipment line of a trace, read from the index when asked.
//!
//! A forward trace from a raw-material lot reaches thousands of shipments.
//! Copying each line's texts and numbers out of the index would make the
//! result far larger than the work of finding it, so a line is a small
//! view of its shipment row (48 bytes): the trace finds the lines, puts
//! them in ledger order and leaves out voided ones, and gives each its
//! lot's item and lot code; every other field is one lookup in the index
//! when it is read. The texts are borrowed from the index.
//! A line serializes exactly as a plain struct of its fields would.

use core::fmt;

use serde::ser::{Serialize, SerializeStruct, Serializer};

use super::{Decimal, View};
use crate::index::ShipmentRow;
use crate::model::{LedgerId, Timestamp};

/// A shipment line of a traced lot. Its fields are methods that read the
/// index it came from; it is `Copy`, and it serializes (to JSON, for
/// example) as an object with the fields `item`, `lot`, `customer`,
/// `customer_name`, `ship_to`, `quantity`, `unit`, `shipped_at`, `order`, `ledger` and `seq`
/// in that order.
#[derive(Clone, Copy)]
pub struct ShipmentLine<'a> {
    view: View<'a>,
    /// The lot's item and lot code.
    names: (&'a str, &'a str),
    row: &'a ShipmentRow,
}

impl<'a> ShipmentLine<'a> {
    pub(crate) fn new(view: View<'a>, names: (&'a str, &'a str), row: &'a ShipmentRow) -> Self {
        Self { view, names, row }
    }

    /// The item.
    #[must_use]
    pub fn item(&self) -> &'a str {
        self.names.0
    }

    /// The lot code.
    #[must_use]
    pub fn lot(&self) -> &'a str {
        self.names.1
    }

    /// The customer.
    #[must_use]
    pub fn customer(&self) -> &'a str {
        self.view.party_name(self.row.customer)
    }

    /// The customer's name from master data; none without it.
    #[must_use]
    pub fn customer_name(&self) -> Option<&'a str> {
        self.view.party_title(self.row.customer)
    }

    /// The ship-to location; none means the customer's main address.
    #[must_use]
    pub fn ship_to(&self) -> Option<&'a str> {
        self.view.location_name(self.row.ship_to)
    }

    /// How much.
    #[must_use]
    pub fn quantity(&self) -> Decimal {
        Decimal(self.row.qty().normalized())
    }

    /// The unit.
    #[must_use]
    pub fn unit(&self) -> &'a str {
        self.view.unit_code(self.row.unit)
    }

    /// When it was recorded as shipped.
    #[must_use]
    pub fn shipped_at(&self) -> Timestamp {
        Timestamp(self.row.time)
    }

    /// The sales order or invoice.
    #[must_use]
    pub fn order(&self) -> &'a str {
        self.view.text_str(self.row.order).unwrap_or_default()
    }

    /// The entry's ledger.
    #[must_use]
    pub fn ledger(&self) -> LedgerId {
        self.view.ix.seq_near(self.row.entry, &mut 0).map(|(l, _)| l).unwrap_or_default()
    }

    /// The entry's sequence number.
    #[must_use]
    pub fn seq(&self) -> u64 {
        self.view.ix.seq_near(self.row.entry, &mut 0).map(|(_, s)| s).unwrap_or_default()
    }

    /// Every field, in the order they serialize.
    #[expect(clippy::type_complexity, reason = "private: one tuple of the serialized fields")]
    fn fields(
        &self,
    ) -> (
        &'a str,
        &'a str,
        &'a str,
        Option<&'a str>,
        Option<&'a str>,
        Decimal,
        &'a str,
        Timestamp,
        &'a str,
        LedgerId,
        u64,
    ) {
        let (item, lot) = self.names;
        let (ledger, seq) = self.view.ix.seq_near(self.row.entry, &mut 0).unwrap_or_default();
        (
            item,
            lot,
            self.customer(),
            self.customer_name(),
            self.ship_to(),
            self.quantity(),
            self.unit(),
            self.shipped_at(),
            self.order(),
            ledger,
            seq,
        )
    }
}

impl Serialize for ShipmentLine<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let (
            item,
            lot,
            customer,
            customer_name,
            ship_to,
            quantity,
            unit,
            shipped_at,
            order,
            ledger,
            seq,
        ) = self.fields();
        let mut st = s.serialize_struct("ShipmentLine", 11)?;
        st.serialize_field("item", item)?;
        st.serialize_field("lot", lot)?;
        st.serialize_field("customer", customer)?;
        st.serialize_field("customer_name", &customer_name)?;
        st.serialize_field("ship_to", &ship_to)?;
        st.serialize_field("quantity", &quantity)?;
        st.serialize_field("unit", unit)?;
        st.serialize_field("shipped_at", &shipped_at)?;
        st.serialize_field("order", order)?;
        st.serialize_field("ledger", &ledger)?;
        st.serialize_field("seq", &seq)?;
        st.end()
    }
}

impl fmt::Debug for ShipmentLine<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (
            item,
            lot,
            customer,
            customer_name,
            ship_to,
            quantity,
            unit,
            shipped_at,
            order,
            ledger,
            seq,
        ) = self.fields();
        f.debug_struct("ShipmentLine")
            .field("item", &item)
            .field("lot", &lot)
            .field("customer", &customer)
            .field("customer_name", &customer_name)
            .field("ship_to", &ship_to)
            .field("quantity", &quantity)
            .field("unit", &unit)
            .field("shipped_at", &shipped_at)
            .field("order", &order)
            .field("ledger", &ledger)
            .field("seq", &seq)
            .finish()
    }
}

/// Lines are equal when every field is.
impl PartialEq for ShipmentLine<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.fields() == other.fields()
    }
}

impl Eq for ShipmentLine<'_> {}

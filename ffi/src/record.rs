//! Records built from C structs: the stamp and the four kinds line
//! firmware writes most (receipt of material, production, disposition,
//! shipment). Every string is a NUL-terminated UTF-8 C string; every value
//! is checked as the JSON form checks it, and a bad one is refused with the
//! status code naming the field's role.

use core::ffi::{CStr, c_char, c_void};

use lotledger::entry::Stamp;
use lotledger::model::{
    Code, Date, Disposition, DispositionSet, Gln, Gtin, ItemCode, LocationId, LotId, LotQuantity,
    MaterialReceived, Produced, Quantity, Record, Shipped, Text, Timestamp,
};

use crate::status::*;

/// Who, where and when: the part of an entry that is not the record.
#[repr(C)]
pub struct LotledgerStamp {
    /// Milliseconds since 1970-01-01 UTC, from the caller's clock.
    pub time_ms: i64,
    /// Who: 1 to 32 bytes.
    pub actor: *const c_char,
    /// Which station or device: 1 to 32 bytes.
    pub station: *const c_char,
}

/// A lot: the item (`gtin:` and 8, 12, 13 or 14 digits, or an internal code
/// of 1 to 20 bytes) and the lot code (1 to 20 bytes).
#[repr(C)]
pub struct LotledgerLot {
    /// `gtin:09506000134352` or an internal code such as `RM-0042`.
    pub item: *const c_char,
    /// The lot or batch code.
    pub lot: *const c_char,
}

/// A quantity of a lot.
#[repr(C)]
pub struct LotledgerLotQuantity {
    /// The lot.
    pub lot: LotledgerLot,
    /// A decimal, a space and a UN/ECE Rec 20 unit code: `"12.5 KGM"`, `"240 H87"`.
    pub quantity: *const c_char,
}

/// A calendar date. `year == 0` means "no date" where a date is optional.
#[repr(C)]
pub struct LotledgerDate {
    /// The year, e.g. 2026; 0 for none.
    pub year: i32,
    /// 1 to 12.
    pub month: u32,
    /// 1 to 31.
    pub day: u32,
}

/// Record kind 0: raw material received into one of our lots.
#[repr(C)]
pub struct LotledgerMaterialReceived {
    /// Our lot.
    pub lot: LotledgerLot,
    /// How much was received.
    pub quantity: *const c_char,
    /// The supplier: `gln:` and 13 digits, or an internal code.
    pub supplier: *const c_char,
    /// The supplier's lot code, or null.
    pub supplier_lot: *const c_char,
    /// The purchase order, or null.
    pub order: *const c_char,
}

/// Record kind 2: a work order on a line consumes input lots and produces output lots.
#[repr(C)]
pub struct LotledgerProduced {
    /// The work order (1 to 24 bytes).
    pub work_order: *const c_char,
    /// The production line (1 to 24 bytes).
    pub line: *const c_char,
    /// The production date.
    pub produced_on: LotledgerDate,
    /// The outputs' expiry date, or `year == 0` for none.
    pub expiry: LotledgerDate,
    /// `input_count` lots consumed (at most 24); may be null when the count is 0.
    pub inputs: *const LotledgerLotQuantity,
    /// How many inputs.
    pub input_count: usize,
    /// `output_count` lots produced (at most 8); may be null when the count is 0.
    pub outputs: *const LotledgerLotQuantity,
    /// How many outputs.
    pub output_count: usize,
}

/// Record kind 3: QA's disposition of a lot.
#[repr(C)]
pub struct LotledgerDispositionSet {
    /// The lot.
    pub lot: LotledgerLot,
    /// One of the `LOTLEDGER_DISPOSITION_*` values.
    pub status: u32,
    /// Why, at most 64 bytes; or null.
    pub reason: *const c_char,
}

/// Record kind 5: a shipment line.
#[repr(C)]
pub struct LotledgerShipped {
    /// The lot shipped.
    pub lot: LotledgerLot,
    /// How much.
    pub quantity: *const c_char,
    /// The customer: `gln:` and 13 digits, or an internal code.
    pub customer: *const c_char,
    /// The ship-to location (`gln:` and 13 digits, or an internal code of up to 24 bytes), or null.
    pub ship_to: *const c_char,
    /// The sales order or invoice.
    pub order: *const c_char,
}

/// A record: `kind` (one of the `LOTLEDGER_KIND_*` values) says which
/// struct `fields` points to.
#[repr(C)]
pub struct LotledgerRecord {
    /// `LOTLEDGER_KIND_MATERIAL_RECEIVED`, `_PRODUCED`, `_DISPOSITION_SET` or `_SHIPPED`.
    pub kind: u32,
    /// A `LotledgerMaterialReceived`, `LotledgerProduced`,
    /// `LotledgerDispositionSet` or `LotledgerShipped`.
    pub fields: *const c_void,
}

/// `fields` is a `LotledgerMaterialReceived`.
pub const LOTLEDGER_KIND_MATERIAL_RECEIVED: u32 = 0;
/// `fields` is a `LotledgerProduced`.
pub const LOTLEDGER_KIND_PRODUCED: u32 = 2;
/// `fields` is a `LotledgerDispositionSet`.
pub const LOTLEDGER_KIND_DISPOSITION_SET: u32 = 3;
/// `fields` is a `LotledgerShipped`.
pub const LOTLEDGER_KIND_SHIPPED: u32 = 5;

/// Not yet released.
pub const LOTLEDGER_DISPOSITION_QUARANTINE: u32 = 0;
/// Released by QA.
pub const LOTLEDGER_DISPOSITION_RELEASED: u32 = 1;
/// Blocked pending investigation.
pub const LOTLEDGER_DISPOSITION_ON_HOLD: u32 = 2;
/// Rejected.
pub const LOTLEDGER_DISPOSITION_REJECTED: u32 = 3;

type Result<T> = core::result::Result<T, LotledgerStatus>;

/// The UTF-8 text of a C string; `code` when it is null or not UTF-8.
///
/// # Safety
/// `ptr` is null or points to a NUL-terminated string that stays valid and
/// unchanged for `'a` (the rules of docs/C.md: arguments are borrowed for
/// the call only).
pub(crate) unsafe fn cstr<'a>(ptr: *const c_char, code: LotledgerStatus) -> Result<&'a str> {
    if ptr.is_null() {
        return Err(code);
    }
    // SAFETY: not null, and NUL-terminated and valid for 'a by the caller's contract.
    let bytes = unsafe { CStr::from_ptr(ptr) };
    bytes.to_str().map_err(|_| code)
}

/// As [`cstr`], with null meaning "absent".
///
/// # Safety
/// As [`cstr`].
unsafe fn optional<'a>(ptr: *const c_char, code: LotledgerStatus) -> Result<Option<&'a str>> {
    if ptr.is_null() {
        return Ok(None);
    }
    // SAFETY: the caller's contract, passed on.
    unsafe { cstr(ptr, code) }.map(Some)
}

fn code<const N: usize>(text: &str, status: LotledgerStatus) -> Result<Code<N>> {
    Code::new(text).map_err(|_| status)
}

fn item(text: &str) -> Result<ItemCode> {
    match text.strip_prefix("gtin:") {
        Some(g) => Gtin::parse(g).map(ItemCode::Gtin).map_err(|_| LOTLEDGER_ERR_BAD_ITEM),
        None => code(text, LOTLEDGER_ERR_BAD_ITEM).map(ItemCode::Internal),
    }
}

fn party(text: &str) -> Result<lotledger::model::PartyId> {
    use lotledger::model::PartyId;
    match text.strip_prefix("gln:") {
        Some(g) => Gln::parse(g).map(PartyId::Gln).map_err(|_| LOTLEDGER_ERR_BAD_PARTY),
        None => code(text, LOTLEDGER_ERR_BAD_PARTY).map(PartyId::Internal),
    }
}

fn location(text: &str) -> Result<LocationId> {
    match text.strip_prefix("gln:") {
        Some(g) => Gln::parse(g).map(LocationId::Gln).map_err(|_| LOTLEDGER_ERR_BAD_LOCATION),
        None => code(text, LOTLEDGER_ERR_BAD_LOCATION).map(LocationId::Internal),
    }
}

fn quantity(text: &str) -> Result<Quantity> {
    text.parse().map_err(|_| LOTLEDGER_ERR_BAD_QUANTITY)
}

fn text64(text: Option<&str>) -> Result<Text<64>> {
    text.map_or(Ok(Text::default()), |t| Text::new(t).map_err(|_| LOTLEDGER_ERR_BAD_TEXT))
}

fn date(d: &LotledgerDate) -> Result<Date> {
    Date::from_ymd(d.year, d.month, d.day).ok_or(LOTLEDGER_ERR_BAD_DATE)
}

/// The lot a C struct names.
///
/// # Safety
/// Its strings follow [`cstr`]'s contract.
pub(crate) unsafe fn lot(l: &LotledgerLot) -> Result<LotId> {
    // SAFETY: the caller's contract, passed on.
    let (i, c) =
        unsafe { (cstr(l.item, LOTLEDGER_ERR_BAD_ITEM)?, cstr(l.lot, LOTLEDGER_ERR_BAD_LOT)?) };
    Ok(LotId { item: item(i)?, lot: code(c, LOTLEDGER_ERR_BAD_LOT)? })
}

/// # Safety
/// Its strings follow [`cstr`]'s contract.
unsafe fn lot_quantity(l: &LotledgerLotQuantity) -> Result<LotQuantity> {
    // SAFETY: the caller's contract, passed on.
    let (lot, q) = unsafe { (lot(&l.lot)?, cstr(l.quantity, LOTLEDGER_ERR_BAD_QUANTITY)?) };
    Ok(LotQuantity { lot, quantity: quantity(q)? })
}

/// Fills a bounded list from a C array.
///
/// # Safety
/// `ptr` is null with `count == 0`, or points to `count` readable structs
/// whose strings follow [`cstr`]'s contract.
unsafe fn lots<const N: usize>(
    ptr: *const LotledgerLotQuantity,
    count: usize,
) -> Result<heapless::Vec<LotQuantity, N>> {
    let mut out = heapless::Vec::new();
    if count == 0 {
        return Ok(out);
    }
    if count > N {
        return Err(LOTLEDGER_ERR_TOO_MANY);
    }
    if ptr.is_null() {
        return Err(LOTLEDGER_ERR_NULL);
    }
    // SAFETY: not null, and `count` initialised structs by the caller's contract.
    let items = unsafe { core::slice::from_raw_parts(ptr, count) };
    for l in items {
        // SAFETY: the caller's contract, passed on.
        let lq = unsafe { lot_quantity(l)? };
        out.push(lq).map_err(|_| LOTLEDGER_ERR_TOO_MANY)?;
    }
    Ok(out)
}

/// The stamp a C struct gives.
///
/// # Safety
/// `stamp` is null or points to a readable struct whose strings follow
/// [`cstr`]'s contract.
pub(crate) unsafe fn stamp(stamp: *const LotledgerStamp) -> Result<Stamp> {
    // SAFETY: null is checked by `as_ref`; otherwise readable by the contract.
    let s = unsafe { stamp.as_ref() }.ok_or(LOTLEDGER_ERR_NULL)?;
    // SAFETY: the caller's contract, passed on.
    let (a, st) = unsafe {
        (cstr(s.actor, LOTLEDGER_ERR_BAD_ACTOR)?, cstr(s.station, LOTLEDGER_ERR_BAD_STATION)?)
    };
    Ok(Stamp {
        time: Timestamp(s.time_ms),
        actor: code(a, LOTLEDGER_ERR_BAD_ACTOR)?,
        station: code(st, LOTLEDGER_ERR_BAD_STATION)?,
    })
}

/// The record a C struct describes.
///
/// # Safety
/// `record` is null or points to a readable struct whose `fields` points to
/// the struct its `kind` names, with strings and arrays following
/// [`cstr`]'s and [`lots`]' contracts.
pub(crate) unsafe fn record(record: *const LotledgerRecord) -> Result<Record> {
    // SAFETY: null is checked by `as_ref`; otherwise readable by the contract.
    let r = unsafe { record.as_ref() }.ok_or(LOTLEDGER_ERR_NULL)?;
    if r.fields.is_null() {
        return Err(LOTLEDGER_ERR_NULL);
    }
    // SAFETY (every arm): `fields` is not null and points to the struct
    // `kind` names, by the caller's contract; its strings and arrays follow
    // the contracts of the helpers called.
    match r.kind {
        LOTLEDGER_KIND_MATERIAL_RECEIVED => {
            // SAFETY: see above.
            let f = unsafe { &*r.fields.cast::<LotledgerMaterialReceived>() };
            // SAFETY: see above.
            unsafe {
                Ok(Record::MaterialReceived(MaterialReceived {
                    lot: lot(&f.lot)?,
                    quantity: quantity(cstr(f.quantity, LOTLEDGER_ERR_BAD_QUANTITY)?)?,
                    supplier: party(cstr(f.supplier, LOTLEDGER_ERR_BAD_PARTY)?)?,
                    supplier_lot: optional(f.supplier_lot, LOTLEDGER_ERR_BAD_LOT)?
                        .map(|t| code(t, LOTLEDGER_ERR_BAD_LOT))
                        .transpose()?,
                    order: optional(f.order, LOTLEDGER_ERR_BAD_REFERENCE)?
                        .map(|t| code(t, LOTLEDGER_ERR_BAD_REFERENCE))
                        .transpose()?,
                }))
            }
        }
        LOTLEDGER_KIND_PRODUCED => {
            // SAFETY: see above.
            let f = unsafe { &*r.fields.cast::<LotledgerProduced>() };
            // SAFETY: see above.
            unsafe {
                Ok(Record::Produced(Produced {
                    work_order: code(
                        cstr(f.work_order, LOTLEDGER_ERR_BAD_REFERENCE)?,
                        LOTLEDGER_ERR_BAD_REFERENCE,
                    )?,
                    line: code(
                        cstr(f.line, LOTLEDGER_ERR_BAD_REFERENCE)?,
                        LOTLEDGER_ERR_BAD_REFERENCE,
                    )?,
                    produced_on: date(&f.produced_on)?,
                    expiry: if f.expiry.year == 0 { None } else { Some(date(&f.expiry)?) },
                    inputs: lots(f.inputs, f.input_count)?,
                    outputs: lots(f.outputs, f.output_count)?,
                }))
            }
        }
        LOTLEDGER_KIND_DISPOSITION_SET => {
            // SAFETY: see above.
            let f = unsafe { &*r.fields.cast::<LotledgerDispositionSet>() };
            let status = match f.status {
                LOTLEDGER_DISPOSITION_QUARANTINE => Disposition::Quarantine,
                LOTLEDGER_DISPOSITION_RELEASED => Disposition::Released,
                LOTLEDGER_DISPOSITION_ON_HOLD => Disposition::OnHold,
                LOTLEDGER_DISPOSITION_REJECTED => Disposition::Rejected,
                _ => return Err(LOTLEDGER_ERR_BAD_KIND),
            };
            // SAFETY: see above.
            unsafe {
                Ok(Record::DispositionSet(DispositionSet {
                    lot: lot(&f.lot)?,
                    status,
                    reason: text64(optional(f.reason, LOTLEDGER_ERR_BAD_TEXT)?)?,
                }))
            }
        }
        LOTLEDGER_KIND_SHIPPED => {
            // SAFETY: see above.
            let f = unsafe { &*r.fields.cast::<LotledgerShipped>() };
            // SAFETY: see above.
            unsafe {
                Ok(Record::Shipped(Shipped {
                    lot: lot(&f.lot)?,
                    quantity: quantity(cstr(f.quantity, LOTLEDGER_ERR_BAD_QUANTITY)?)?,
                    customer: party(cstr(f.customer, LOTLEDGER_ERR_BAD_PARTY)?)?,
                    ship_to: optional(f.ship_to, LOTLEDGER_ERR_BAD_LOCATION)?
                        .map(location)
                        .transpose()?,
                    order: code(
                        cstr(f.order, LOTLEDGER_ERR_BAD_REFERENCE)?,
                        LOTLEDGER_ERR_BAD_REFERENCE,
                    )?,
                }))
            }
        }
        _ => Err(LOTLEDGER_ERR_BAD_KIND),
    }
}

/// A stamp and record from one JSON line of docs/JSON.md (std builds).
#[cfg(feature = "std")]
pub(crate) fn from_json(json: &str) -> Result<(Stamp, Record)> {
    let de = &mut serde_json::Deserializer::from_str(json);
    let entry: lotledger::entry::NewEntry =
        serde_path_to_error::deserialize(&mut *de).map_err(|e| {
            detail(
                LOTLEDGER_ERR_BAD_JSON,
                format_args!("JSON entry, field {}: {}", e.path(), e.inner()),
            )
        })?;
    de.end().map_err(|e| detail(LOTLEDGER_ERR_BAD_JSON, format_args!("JSON entry: {e}")))?;
    Ok((entry.stamp(), entry.record))
}

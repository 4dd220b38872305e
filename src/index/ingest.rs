//! Adding one verified entry: its columns, then the rows its record makes.

use std::vec::Vec;

use super::*;
use crate::chain::Verified;
use crate::entry::DecodeError;
use crate::model::{
    Attached, Checkpointed, ComplaintProgress, ComplaintRegistered, ComplaintRegisteredV1,
    Corrected, Delivered, Destroyed, DispositionSet, Inspected, LocationDescribed, LotId,
    MaterialReceived, PartyDescribed, PartyId, Personal, PersonalDataErased, Produced,
    ProductDescribed, Quantity, RecallAction, RecallOpened, RecallStep, RecordKind,
    RetentionApplied, Returned, Shipped, Subject,
};

fn full(what: &'static str) -> IngestError {
    IngestError::Full { what }
}

impl Index {
    /// Adds entry `v` of ledger number `n` (already checked to be next).
    pub(super) fn add_entry(
        &mut self,
        n: u16,
        v: &Verified<'_>,
        frame_len: u64,
    ) -> Result<(), IngestError> {
        let e = u32::try_from(self.entries.time.len())
            .ok()
            .filter(|&e| e < NONE)
            .ok_or(full("entries"))?;
        let stamp = self
            .stamps
            .intern(&(v.header.actor.clone(), v.header.station.clone()))
            .ok_or(full("actors and stations"))?;
        // Decode only the record's own type, not the whole `Record` enum:
        // it is sized by its largest kind, and moving it dominates ingest.
        let bytes = v.record_bytes();
        let (kind, rest) = match (v.kind(), crate::varint::decode(bytes)) {
            (Ok(k), Ok((_, len))) => (Some(k), bytes.get(len..).unwrap_or_default()),
            _ => (None, bytes),
        };
        let kind_byte = match (kind, v.kind()) {
            (Some(k), _) => u8::try_from(k.number()).unwrap_or(KIND_UNKNOWN),
            (None, Err(DecodeError::UnknownKind(_))) => KIND_UNKNOWN,
            (None, _) => KIND_UNDECODABLE,
        };
        let mut h8 = [0u8; 8];
        h8.iter_mut().zip(v.hash.0.iter()).for_each(|(o, b)| *o = *b);
        self.entries.time.push(v.header.time.0);
        self.entries.offset.push(v.offset);
        self.entries.stamp.push(stamp);
        self.entries.kind.push(kind_byte);
        self.entries.hash8.push(u64::from_le_bytes(h8));
        if (e / 64) as usize >= self.void.len() {
            self.void.push(0);
        }
        let Some(state) = self.ledgers.get_mut(usize::from(n)) else {
            return Err(full("ledgers"));
        };
        let id = state.id;
        let seq = v.header.seq;
        state.entries += 1;
        let seq_run = self.runs.last_mut().filter(|r| {
            r.ledger == n
                && u64::from(r.first_entry) + u64::from(r.len) == u64::from(e)
                && r.first_seq + u64::from(r.len) == seq
        });
        match seq_run {
            Some(r) => r.len += 1,
            None => {
                let run = u32::try_from(self.runs.len()).map_err(|_| full("runs"))?;
                self.runs.push(Run { first_entry: e, first_seq: seq, len: 1, ledger: n });
                state.runs.push(run);
            }
        }
        state.prev_head = state.head.head;
        state.head = Anchor { next_seq: seq + 1, head: v.hash };
        state.first_time.get_or_insert(v.header.time);
        if state.last_time.is_some_and(|t| v.header.time < t) {
            state.time_regressions += 1;
        }
        state.last_time = Some(v.header.time);
        state.bytes += frame_len;
        // Any entry may describe or void master data: derive it again when asked.
        self.directory.take();
        let decoded = match kind {
            Some(k) => self.add_record(n, e, seq, k, rest)?,
            None => false,
        };
        // A text the arena could not take was given the offset NONE: the
        // entry's rows would show it empty, so the index is refused instead.
        if self.text.is_full() {
            return Err(full("texts (4 GiB)"));
        }
        if !decoded {
            let problem = if kind_byte == KIND_UNKNOWN {
                ProblemKind::UnknownKind
            } else {
                if let Some(k) = self.entries.kind.last_mut() {
                    *k = KIND_UNDECODABLE;
                }
                ProblemKind::Undecodable
            };
            self.problems.push(Problem { ledger: id, seq, kind: problem });
        }
        Ok(())
    }

    fn problem(&mut self, n: u16, seq: u64, kind: ProblemKind) {
        if let Some(l) = self.ledgers.get(usize::from(n)) {
            self.problems.push(Problem { ledger: l.id, seq, kind });
        }
    }

    pub(super) fn lot(&mut self, lot: &LotId) -> Result<u32, IngestError> {
        let id = self.lots.intern(lot).ok_or(full("lots"))?;
        if id as usize == self.lot_nodes.len() {
            let item = self.items.intern(&lot.item).ok_or(full("items"))?;
            self.labels.note(LabelKind::Item, item, &lot.item);
            self.lot_nodes.push(LotNode::default());
            self.lot_item.push(item);
        }
        Ok(id)
    }

    pub(super) fn lot_event(&mut self, lot: u32, e: u32) {
        if let Some(node) = self.lot_nodes.get_mut(lot as usize)
            && node.events.last() != Some(&e)
        {
            node.events.push(e);
        }
    }

    pub(super) fn party(&mut self, p: &PartyId) -> Result<u32, IngestError> {
        let id = self.parties.intern(p).ok_or(full("parties"))?;
        self.labels.note(LabelKind::Party, id, p);
        Ok(id)
    }

    fn qty(&mut self, q: &Quantity) -> Result<Qty, IngestError> {
        let unit = self.units.intern(&q.unit).ok_or(full("units"))?;
        Ok(Qty { amount: q.amount, unit, scale: q.scale })
    }

    /// Decodes the record of kind `kind` from `rest` (its bytes after the
    /// kind number) and adds its rows; `Ok(false)` when it does not decode.
    fn add_record(
        &mut self,
        n: u16,
        e: u32,
        seq: u64,
        kind: RecordKind,
        rest: &[u8],
    ) -> Result<bool, IngestError> {
        macro_rules! take {
            ($t:ty) => {
                match postcard::take_from_bytes::<$t>(rest) {
                    Ok((value, [])) => value,
                    _ => return Ok(false),
                }
            };
        }
        match kind {
            RecordKind::MaterialReceived => {
                let r: MaterialReceived = take!(MaterialReceived);
                let lot = self.lot(&r.lot)?;
                let supplier = self.party(&r.supplier)?;
                let supplier_lot = r.supplier_lot.map_or(NONE, |l| self.text.push(l.as_str()));
                let order = r.order.map_or(NONE, |o| self.text.push(o.as_str()));
                let qty = self.qty(&r.quantity)?;
                self.receipts.push(ReceiptRow { entry: e, supplier, supplier_lot, order, qty });
                self.lot_event(lot, e);
            }
            RecordKind::Inspected => {
                let r: Inspected = take!(Inspected);
                let lot = self.lot(&r.lot)?;
                let certificate = match r.certificate {
                    Some(d) => {
                        let i = u32::try_from(self.certificates.len()).unwrap_or(NONE);
                        self.certificates.push(d);
                        i
                    }
                    None => NONE,
                };
                let report = r.report.map_or(NONE, |x| self.text.push(x.as_str()));
                self.inspections.push(InspectionRow {
                    entry: e,
                    stage: r.stage,
                    result: r.result,
                    certificate,
                    report,
                });
                self.lot_event(lot, e);
            }
            RecordKind::Produced => {
                let p: Produced = take!(Produced);
                self.add_production(e, &p)?;
            }
            RecordKind::DispositionSet => {
                let d: DispositionSet = take!(DispositionSet);
                let lot = self.lot(&d.lot)?;
                self.dispositions.push(DispositionRow { entry: e, status: d.status });
                self.lot_event(lot, e);
            }
            // Packing into containers, serials and the goods events: their
            // rows and the unit state (src/index/units.rs).
            RecordKind::Packed => return self.add_unit_event(e, kind, rest),
            RecordKind::Shipped => {
                let s: Shipped = take!(Shipped);
                let lot = self.lot(&s.lot)?;
                let customer = self.party(&s.customer)?;
                let ship_to = match &s.ship_to {
                    Some(l) => {
                        let id = self.locations.intern(l).ok_or(full("locations"))?;
                        self.labels.note(LabelKind::Location, id, l);
                        id
                    }
                    None => NONE,
                };
                let order = self.text.push(s.order.as_str());
                let q = self.qty(&s.quantity)?;
                if let Some(node) = self.lot_nodes.get_mut(lot as usize) {
                    node.shipments.push(ShipmentRow {
                        amount: q.amount,
                        time: self.entries.time.get(e as usize).copied().unwrap_or_default(),
                        entry: e,
                        customer,
                        ship_to,
                        order,
                        unit: q.unit,
                        scale: q.scale,
                    });
                }
            }
            RecordKind::Delivered => {
                let d: Delivered = take!(Delivered);
                let customer = self.party(&d.customer)?;
                let order = self.text.push(d.order.as_str());
                self.deliveries.push(DeliveryRow { entry: e, customer, order });
            }
            RecordKind::Returned => {
                let r: Returned = take!(Returned);
                let lot = self.lot(&r.lot)?;
                let from = self.party(&r.from)?;
                let qty = self.qty(&r.quantity)?;
                self.returns.push(ReturnRow { entry: e, from, qty });
                self.lot_event(lot, e);
            }
            RecordKind::ComplaintRegistered => {
                let c: ComplaintRegistered = take!(ComplaintRegistered);
                self.add_complaint(n, e, seq, &c)?;
            }
            // The first form is indexed exactly like the current one.
            RecordKind::ComplaintRegisteredV1 => {
                let c: ComplaintRegisteredV1 = take!(ComplaintRegisteredV1);
                self.add_complaint(n, e, seq, &c.into())?;
            }
            RecordKind::ComplaintProgress => {
                let p: ComplaintProgress = take!(ComplaintProgress);
                let number = self.refs.intern(&p.complaint).ok_or(full("references"))?;
                if !self.complaint_by_number.contains_key(&number) {
                    self.problem(n, seq, ProblemKind::UnknownComplaint);
                }
                let s = u32::try_from(self.steps.len()).map_err(|_| full("steps"))?;
                self.steps.push(StepRow { entry: e, step: StepKind::of(&p.step) });
                self.complaint_steps.entry(number).or_default().push(s);
            }
            RecordKind::RecallOpened => {
                let r: RecallOpened = take!(RecallOpened);
                let number = self.refs.intern(&r.recall).ok_or(full("references"))?;
                if self.recall_in_force(number).is_some() {
                    self.problem(n, seq, ProblemKind::DuplicateRecall);
                }
                let mut lots = Vec::with_capacity(r.lots.len());
                for l in &r.lots {
                    let lot = self.lot(l)?;
                    self.lot_event(lot, e);
                    lots.push(lot);
                }
                let row = u32::try_from(self.recalls.len()).map_err(|_| full("recalls"))?;
                let reason = if r.reason.as_str().is_empty() {
                    NONE
                } else {
                    self.text.push(r.reason.as_str())
                };
                self.recalls.push(RecallRow { entry: e, number, class: r.class, lots, reason });
                self.recall_by_number.entry(number).or_default().push(row);
            }
            RecordKind::RecallAction => {
                let a: RecallAction = take!(RecallAction);
                let number = self.refs.intern(&a.recall).ok_or(full("references"))?;
                let action = match &a.step {
                    RecallStep::CustomerNotified { customer } => {
                        ActionKind::Notified { customer: self.party(customer)? }
                    }
                    RecallStep::Retrieved { customer, lot, quantity } => {
                        let lot = self.lot(lot)?;
                        self.lot_event(lot, e);
                        ActionKind::Retrieved {
                            customer: self.party(customer)?,
                            lot,
                            qty: self.qty(quantity)?,
                        }
                    }
                    RecallStep::Closed { .. } => ActionKind::Closed,
                };
                let row = u32::try_from(self.actions.len()).map_err(|_| full("actions"))?;
                self.actions.push(ActionRow { entry: e, action });
                if !self.recall_by_number.contains_key(&number) {
                    self.problem(n, seq, ProblemKind::UnknownRecall);
                }
                self.recall_actions.entry(number).or_default().push(row);
            }
            RecordKind::Destroyed => {
                let d: Destroyed = take!(Destroyed);
                let lot = self.lot(&d.lot)?;
                let qty = self.qty(&d.quantity)?;
                self.destructions.push(DestructionRow { entry: e, qty });
                self.lot_event(lot, e);
            }
            RecordKind::Corrected => {
                let c: Corrected = take!(Corrected);
                self.add_correction(n, e, seq, &c)?;
            }
            RecordKind::Attached => {
                let a: Attached = take!(Attached);
                if let Subject::Lot(l) = &a.subject {
                    let lot = self.lot(l)?;
                    self.lot_event(lot, e);
                }
            }
            // Checkpoints concern the ledger, not lots: `lotledger verify`
            // checks them; the index only needs them well formed.
            RecordKind::Checkpointed => {
                let _: Checkpointed = take!(Checkpointed);
            }
            // Master data: kept as versions (src/index/master.rs).
            RecordKind::PartyDescribed => {
                let p: PartyDescribed = take!(PartyDescribed);
                self.add_party_described(e, p)?;
            }
            RecordKind::LocationDescribed => {
                let l: LocationDescribed = take!(LocationDescribed);
                self.add_location_described(e, l)?;
            }
            RecordKind::ProductDescribed => {
                let p: ProductDescribed = take!(ProductDescribed);
                self.add_product_described(e, p)?;
            }
            // Erasures and retention name no lot: well formed is all the
            // lot index needs of them.
            RecordKind::PersonalDataErased => {
                let _: PersonalDataErased = take!(PersonalDataErased);
            }
            RecordKind::RetentionApplied => {
                let _: RetentionApplied = take!(RetentionApplied);
            }
            RecordKind::Commissioned
            | RecordKind::Aggregated
            | RecordKind::GoodsShipped
            | RecordKind::GoodsReturned
            | RecordKind::Decommissioned => return self.add_unit_event(e, kind, rest),
        }
        Ok(true)
    }

    fn add_production(&mut self, e: u32, p: &Produced) -> Result<(), IngestError> {
        let row = u32::try_from(self.productions.len()).map_err(|_| full("productions"))?;
        let inputs_start =
            u32::try_from(self.lot_qtys.len()).map_err(|_| full("production lots"))?;
        for (i, lq) in p.inputs.iter().chain(p.outputs.iter()).enumerate() {
            let lot = self.lot(&lq.lot)?;
            let qty = self.qty(&lq.quantity)?;
            self.lot_qtys.push(LotQty { lot, qty });
            if let Some(node) = self.lot_nodes.get_mut(lot as usize) {
                let list =
                    if i < p.inputs.len() { &mut node.consumed_by } else { &mut node.produced_by };
                if list.last() != Some(&row) {
                    list.push(row);
                }
            }
        }
        let work_order = self.text.push(p.work_order.as_str());
        let line = self.text.push(p.line.as_str());
        self.productions.push(ProductionRow {
            entry: e,
            work_order,
            line,
            produced_on: p.produced_on.0,
            expiry: p.expiry.map_or(i32::MIN, |d| d.0),
            inputs_start,
            inputs_len: u8::try_from(p.inputs.len()).unwrap_or(u8::MAX),
            outputs_len: u8::try_from(p.outputs.len()).unwrap_or(u8::MAX),
        });
        Ok(())
    }

    /// A personal field as a row keeps it (the value stays sealed).
    fn personal_cell<const N: usize>(&mut self, p: &Personal<N>) -> PersonalCell {
        match p {
            Personal::Plain(t) => PersonalCell::Plain(self.text.push(t.as_str())),
            Personal::Sealed(c) => PersonalCell::Sealed(*c),
        }
    }

    fn add_complaint(
        &mut self,
        n: u16,
        e: u32,
        seq: u64,
        c: &ComplaintRegistered,
    ) -> Result<(), IngestError> {
        let number = self.refs.intern(&c.complaint).ok_or(full("references"))?;
        if self.complaint_in_force(number).is_some() {
            self.problem(n, seq, ProblemKind::DuplicateComplaint);
        }
        let lot = match &c.lot {
            Some(l) => {
                let lot = self.lot(l)?;
                self.lot_event(lot, e);
                lot
            }
            None => NONE,
        };
        let customer = match c.customer.as_ref().or(c.complainant.organisation.as_ref()) {
            Some(p) => self.party(p)?,
            None => NONE,
        };
        let product = self.text.push(c.product.as_str());
        let person = self.personal_cell(&c.complainant.person);
        let contact = self.personal_cell(&c.complainant.contact);
        let row = u32::try_from(self.complaints.len()).map_err(|_| full("complaints"))?;
        self.complaints.push(ComplaintRow {
            entry: e,
            number,
            received_at: c.received_at.0,
            severity: c.severity,
            kind: c.kind,
            customer,
            lot,
            product,
            person,
            contact,
        });
        self.complaint_by_number.entry(number).or_default().push(row);
        Ok(())
    }

    fn add_correction(
        &mut self,
        n: u16,
        e: u32,
        seq: u64,
        c: &Corrected,
    ) -> Result<(), IngestError> {
        let target = if c.target.seq < seq { self.entry_of(n, c.target.seq) } else { None };
        let status = match target {
            None => CorrectionStatus::UnknownTarget,
            Some(t) => {
                let mut h8 = [0u8; 8];
                h8.iter_mut().zip(c.target.hash.0.iter()).for_each(|(o, b)| *o = *b);
                if self.entries.hash8.get(t as usize) == Some(&u64::from_le_bytes(h8)) {
                    CorrectionStatus::Applied
                } else {
                    CorrectionStatus::HashMismatch
                }
            }
        };
        let first = self.ledgers.get(usize::from(n)).map_or(0, |l| l.start.next_seq);
        if c.replacements.iter().any(|&r| r >= seq || r < first) {
            self.problem(n, seq, ProblemKind::CorrectionBadReplacement);
        }
        match status {
            CorrectionStatus::Applied => {}
            CorrectionStatus::HashMismatch => {
                self.problem(n, seq, ProblemKind::CorrectionHashMismatch);
            }
            CorrectionStatus::UnknownTarget => {
                self.problem(n, seq, ProblemKind::CorrectionUnknownTarget);
            }
        }
        let row = u32::try_from(self.corrections.len()).map_err(|_| full("corrections"))?;
        self.corrections.push(CorrectionRow {
            entry: e,
            target: target.unwrap_or(NONE),
            target_seq: c.target.seq,
            status,
            reason: c.reason.as_str().into(),
            replacements: c.replacements.iter().copied().collect(),
        });
        self.correction_of.insert(e, row);
        if let (CorrectionStatus::Applied, Some(t)) = (status, target) {
            self.voiders.entry(t).or_default().push(e);
            self.refresh_void(t);
            self.refresh_units();
        }
        Ok(())
    }

    /// Recomputes whether `t` is void, and follows the change down a chain
    /// of corrections of corrections (iteratively: no recursion on input).
    fn refresh_void(&mut self, mut t: u32) {
        loop {
            let now_void =
                self.voiders.get(&t).is_some_and(|cs| cs.iter().any(|&c| !self.is_void(c)));
            if now_void == self.is_void(t) {
                return;
            }
            if let Some(w) = self.void.get_mut((t / 64) as usize) {
                *w ^= 1 << (t % 64);
            }
            // If `t` is an applied correction, its own target changes too.
            let next = self
                .correction_of
                .get(&t)
                .and_then(|&r| self.corrections.get(r as usize))
                .filter(|c| c.status == CorrectionStatus::Applied)
                .map(|c| c.target);
            match next {
                Some(target) if target != NONE => t = target,
                _ => return,
            }
        }
    }
}

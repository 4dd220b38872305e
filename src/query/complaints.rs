//! Complaints: lists with filters, one complaint's timeline against the
//! response-time commitments, clusters that signal a recall, and counts.
//!
//! Response times run from [`ComplaintRegistered::received_at`] to the entry
//! time of the step that meets each commitment. Each commitment is met only
//! by its own step: acknowledging by `Acknowledged`, resolving a general
//! complaint by `Resolved`, the plan for a complex (major or crisis) one by
//! `Planned`, the definite answer by `Resolved`. The severity that counts is
//! the current one, after any reclassification.
//!
//! [`ComplaintRegistered::received_at`]: crate::model::ComplaintRegistered::received_at

use std::collections::HashMap;
use std::string::String;
use std::vec::Vec;
use std::{format, vec};

use serde::{Deserialize, Serialize};

use super::View;
use crate::index::{ComplaintRow as Row, Index, NONE, PersonalCell, StepKind};
use crate::model::{
    ComplaintType, LotId, PartyId, Personal, Reference, Remedy, RootCause, Severity, Timestamp,
};

/// The committed response times, in milliseconds from receipt.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResponseCommitments {
    /// Acknowledge every complaint (default 4 hours).
    pub acknowledge_ms: i64,
    /// Resolve a general complaint (default 24 hours).
    pub resolve_general_ms: i64,
    /// Give a plan for a complex (major or crisis) complaint (default 48 hours).
    pub plan_complex_ms: i64,
    /// Give a definite answer, a resolution, for every complaint (default 72 hours).
    pub definite_answer_ms: i64,
}

impl ResponseCommitments {
    /// 4 h to acknowledge, 24 h to resolve a general complaint, 48 h for a
    /// plan for a complex one, 72 h for a definite answer.
    pub const DEFAULT: Self = Self::hours(4, 24, 48, 72);

    /// Commitments given in whole hours.
    #[must_use]
    pub const fn hours(
        acknowledge: i64,
        resolve_general: i64,
        plan_complex: i64,
        answer: i64,
    ) -> Self {
        Self {
            acknowledge_ms: acknowledge * Timestamp::HOUR,
            resolve_general_ms: resolve_general * Timestamp::HOUR,
            plan_complex_ms: plan_complex * Timestamp::HOUR,
            definite_answer_ms: answer * Timestamp::HOUR,
        }
    }

    /// The commitments that apply to a complaint of `severity`, with their
    /// time limits.
    #[must_use]
    pub fn applying_to(&self, severity: Severity) -> Vec<(Commitment, i64)> {
        let mut v = vec![(Commitment::Acknowledge, self.acknowledge_ms)];
        match severity {
            Severity::General => v.push((Commitment::ResolveGeneral, self.resolve_general_ms)),
            Severity::Major | Severity::Crisis => {
                v.push((Commitment::PlanComplex, self.plan_complex_ms));
            }
        }
        v.push((Commitment::DefiniteAnswer, self.definite_answer_ms));
        v
    }
}

impl Default for ResponseCommitments {
    fn default() -> Self {
        Self::DEFAULT
    }
}

/// One response-time commitment.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Commitment {
    /// Acknowledge the complaint.
    Acknowledge,
    /// Resolve a general complaint.
    ResolveGeneral,
    /// Give a plan for a complex complaint.
    PlanComplex,
    /// Give a definite answer (a resolution).
    DefiniteAnswer,
}

impl Commitment {
    fn met_by(self, step: StepKind) -> bool {
        matches!(
            (self, step),
            (Self::Acknowledge, StepKind::Acknowledged)
                | (Self::ResolveGeneral | Self::DefiniteAnswer, StepKind::Resolved(_))
                | (Self::PlanComplex, StepKind::Planned)
        )
    }
}

/// Where a complaint stands against one commitment.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeadlineStatus {
    /// Met on time.
    Met,
    /// Met, but after the deadline.
    Late,
    /// Not met, not yet due.
    Pending,
    /// Not met and past due, the complaint still open.
    Overdue,
    /// Never met; the complaint was closed without it.
    Missed,
}

/// One commitment of one complaint.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Deadline {
    /// The commitment.
    pub commitment: Commitment,
    /// When it falls due.
    pub due: Timestamp,
    /// When the step that meets it was recorded.
    pub met_at: Option<Timestamp>,
    /// Milliseconds from receipt to that step.
    pub elapsed_ms: Option<i64>,
    /// Where it stands at the query's `now`.
    pub status: DeadlineStatus,
}

/// One step in a complaint's timeline.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct TimelineStep {
    /// What happened: `registered`, `acknowledged`, `reclassified`,
    /// `investigated`, `planned`, `resolved`, `customer_response`,
    /// `followed_up`, `closed`, `archived`.
    pub step: &'static str,
    /// Details kept by the index (new class, root cause, remedy, ...).
    pub detail: Option<String>,
    /// When it was recorded.
    pub at: Timestamp,
    /// Milliseconds since the complaint was received.
    pub elapsed_ms: i64,
    /// Who recorded it.
    pub actor: String,
    /// Where.
    pub station: String,
    /// The entry's ledger.
    pub ledger: crate::model::LedgerId,
    /// The entry's sequence number (the full record can be read there).
    pub seq: u64,
}

/// A complaint in a list.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ComplaintRow {
    /// The filing number.
    pub complaint: String,
    /// When it was received.
    pub received_at: Timestamp,
    /// Current severity.
    pub severity: Severity,
    /// Current type.
    pub kind: ComplaintType,
    /// The customer, when known.
    pub customer: Option<String>,
    /// The customer's name from master data; none without it.
    pub customer_name: Option<String>,
    /// The lot's item, when the lot is known.
    pub item: Option<String>,
    /// The lot code, when known.
    pub lot: Option<String>,
    /// The product as the complainant named it.
    pub product: String,
    /// The complainant's name, as stored: plain, or sealed (the caller
    /// resolves a commitment against the personal-data store when it shows
    /// it; `docs/PRIVACY.md`).
    pub person: Personal<48>,
    /// The complainant's telephone, e-mail or address, as stored.
    pub contact: Personal<64>,
    /// Whether it is still open (not closed or archived).
    pub open: bool,
    /// The last step, if any.
    pub last_step: Option<&'static str>,
    /// The root cause, once investigated.
    pub root_cause: Option<RootCause>,
    /// Commitments overdue at `now`.
    pub overdue: Vec<Commitment>,
}

/// A complaint's whole history against the commitments.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ComplaintTimeline {
    /// The complaint.
    #[serde(flatten)]
    pub summary: ComplaintRow,
    /// Registration and every step in force, in order.
    pub steps: Vec<TimelineStep>,
    /// Each commitment that applies, with its status.
    pub deadlines: Vec<Deadline>,
}

/// Which complaints to list; every field set must match.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ComplaintFilter {
    /// Open (`true`) or closed (`false`) only.
    pub open: Option<bool>,
    /// Only those with a commitment overdue at `now`.
    pub overdue: bool,
    /// Current severity.
    pub severity: Option<Severity>,
    /// Current type.
    pub kind: Option<ComplaintType>,
    /// The lot named.
    pub lot: Option<LotId>,
    /// The customer.
    pub customer: Option<PartyId>,
    /// Received at or after.
    pub from: Option<Timestamp>,
    /// Received before.
    pub to: Option<Timestamp>,
}

/// When complaints cluster enough to signal a recall.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClusterSpec {
    /// At least this many complaints...
    pub min: usize,
    /// ...received within this many milliseconds of each other.
    pub window_ms: i64,
}

/// What a cluster's complaints share.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(tag = "by", rename_all = "snake_case")]
pub enum ClusterKey {
    /// One lot.
    Lot {
        /// The item.
        item: String,
        /// The lot code.
        lot: String,
    },
    /// One item (over all its lots).
    Item {
        /// The item.
        item: String,
    },
    /// One product name as complainants gave it (when no lot was named).
    ProductName {
        /// The name.
        product: String,
    },
}

/// Complaints that cluster on one lot or product within the window.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Cluster {
    /// What they share.
    pub key: ClusterKey,
    /// How many fell in the busiest window.
    pub count: usize,
    /// The first one's receipt time in that window.
    pub first: Timestamp,
    /// The last one's.
    pub last: Timestamp,
    /// Their filing numbers.
    pub complaints: Vec<String>,
}

/// A count under one name.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Count {
    /// The type, root cause or severity (`unknown` when not yet found).
    pub key: &'static str,
    /// How many complaints.
    pub count: usize,
}

/// Complaint counts for a period.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ComplaintCounts {
    /// Complaints received in the period.
    pub total: usize,
    /// By current type.
    pub by_type: Vec<Count>,
    /// By root cause.
    pub by_root_cause: Vec<Count>,
    /// By current severity.
    pub by_severity: Vec<Count>,
}

fn severity_name(s: Severity) -> &'static str {
    match s {
        Severity::General => "general",
        Severity::Major => "major",
        Severity::Crisis => "crisis",
    }
}

fn type_name(t: ComplaintType) -> &'static str {
    match t {
        ComplaintType::ProductQuality => "product_quality",
        ComplaintType::ServiceAttitude => "service_attitude",
        ComplaintType::Logistics => "logistics",
        ComplaintType::ContractDispute => "contract_dispute",
        ComplaintType::MisleadingAdvertising => "misleading_advertising",
    }
}

fn cause_name(c: Option<RootCause>) -> &'static str {
    match c {
        Some(RootCause::Design) => "design",
        Some(RootCause::Production) => "production",
        Some(RootCause::Transport) => "transport",
        Some(RootCause::Usage) => "usage",
        Some(RootCause::Service) => "service",
        None => "unknown",
    }
}

fn remedy_name(r: Remedy) -> &'static str {
    match r {
        Remedy::Return => "return",
        Remedy::Exchange => "exchange",
        Remedy::Refund => "refund",
        Remedy::Repair => "repair",
        Remedy::Compensation => "compensation",
        Remedy::NoFault => "no_fault",
    }
}

fn step_name(s: StepKind) -> (&'static str, Option<String>) {
    match s {
        StepKind::Acknowledged => ("acknowledged", None),
        StepKind::Reclassified(sev, t) => {
            ("reclassified", Some(format!("{} {}", severity_name(sev), type_name(t))))
        }
        StepKind::Investigated(c) => ("investigated", c.map(|c| cause_name(Some(c)).into())),
        StepKind::Planned => ("planned", None),
        StepKind::Resolved(r) => ("resolved", Some(remedy_name(r).into())),
        StepKind::CustomerResponse(a) => {
            ("customer_response", Some(if a { "accepted" } else { "refused" }.into()))
        }
        StepKind::FollowedUp(s) => ("followed_up", Some(format!("satisfaction {s}"))),
        StepKind::Closed => ("closed", None),
        StepKind::Archived => ("archived", None),
    }
}

/// A complaint's state, derived from its steps in force.
struct State<'a> {
    row: &'a Row,
    steps: Vec<(u32, StepKind)>,
    severity: Severity,
    kind: ComplaintType,
    open: bool,
    root_cause: Option<RootCause>,
}

impl<'a> View<'a> {
    /// Whether the complaint of registration `row` is open now (no
    /// closing or archiving step in force).
    pub(super) fn complaint_open(&self, row: &'a Row) -> bool {
        self.state(row, Timestamp(i64::MAX)).open
    }

    /// The complaint as it stood at `now`: steps recorded later are not seen.
    fn state(&self, row: &'a Row, now: Timestamp) -> State<'a> {
        let ix = self.ix;
        let steps: Vec<(u32, StepKind)> = ix
            .complaint_steps
            .get(&row.number)
            .map(Vec::as_slice)
            .unwrap_or_default()
            .iter()
            .filter_map(|&s| ix.steps.get(s as usize))
            .filter(|s| !ix.is_void(s.entry) && ix.time(s.entry) <= now)
            .map(|s| (s.entry, s.step))
            .collect();
        let mut st = State {
            row,
            severity: row.severity,
            kind: row.kind,
            open: true,
            root_cause: None,
            steps: Vec::new(),
        };
        for &(_, s) in &steps {
            match s {
                StepKind::Reclassified(sev, k) => {
                    st.severity = sev;
                    st.kind = k;
                }
                StepKind::Investigated(Some(c)) => st.root_cause = Some(c),
                StepKind::Closed | StepKind::Archived => st.open = false,
                _ => {}
            }
        }
        st.steps = steps;
        st
    }

    fn deadlines(&self, st: &State<'_>, rc: &ResponseCommitments, now: Timestamp) -> Vec<Deadline> {
        let received = st.row.received_at;
        rc.applying_to(st.severity)
            .into_iter()
            .map(|(commitment, limit)| {
                let due = Timestamp(received.saturating_add(limit));
                let met_at = st
                    .steps
                    .iter()
                    .find(|(_, s)| commitment.met_by(*s))
                    .map(|&(e, _)| self.ix.time(e));
                let status = match met_at {
                    Some(t) if t <= due => DeadlineStatus::Met,
                    Some(_) => DeadlineStatus::Late,
                    None if !st.open => DeadlineStatus::Missed,
                    None if now > due => DeadlineStatus::Overdue,
                    None => DeadlineStatus::Pending,
                };
                Deadline {
                    commitment,
                    due,
                    met_at,
                    elapsed_ms: met_at.map(|t| t.since(Timestamp(received))),
                    status,
                }
            })
            .collect()
    }

    fn complaint_row(&self, st: &State<'_>, overdue: Vec<Commitment>) -> ComplaintRow {
        let ix = self.ix;
        let row = st.row;
        let lot = (row.lot != NONE).then(|| self.lot_ref(row.lot));
        ComplaintRow {
            complaint: ix.refs.value(row.number).map(|r| r.as_str().into()).unwrap_or_default(),
            received_at: Timestamp(row.received_at),
            severity: st.severity,
            kind: st.kind,
            customer: (row.customer != NONE).then(|| self.party(row.customer)),
            customer_name: self.party_display_name(row.customer),
            item: lot.as_ref().map(|l| l.item.clone()),
            lot: lot.map(|l| l.lot),
            product: self.text(row.product).unwrap_or_default(),
            person: self.personal(row.person),
            contact: self.personal(row.contact),
            open: st.open,
            last_step: st.steps.last().map(|&(_, s)| step_name(s).0),
            root_cause: st.root_cause,
            overdue,
        }
    }

    fn personal<const N: usize>(&self, cell: PersonalCell) -> Personal<N> {
        let text = match cell {
            PersonalCell::Plain(offset) => self.text_str(offset).unwrap_or_default(),
            PersonalCell::Sealed(_) => "",
        };
        cell.to_personal(text)
    }

    fn in_force(&self) -> impl Iterator<Item = &'a Row> + 'a {
        let ix = self.ix;
        ix.complaints.iter().filter(move |c| {
            !ix.is_void(c.entry)
                && ix.complaint_in_force(c.number).is_some_and(|f| f.entry == c.entry)
        })
    }
}

fn overdue_of(deadlines: &[Deadline]) -> Vec<Commitment> {
    deadlines.iter().filter(|d| d.status == DeadlineStatus::Overdue).map(|d| d.commitment).collect()
}

/// Complaints matching `filter` as they stood at `now` (complaints received
/// and steps recorded later are not seen), in order of receipt; "overdue"
/// is judged at `now` against `commitments`.
#[must_use]
pub fn complaints(
    index: &Index,
    filter: &ComplaintFilter,
    commitments: &ResponseCommitments,
    now: Timestamp,
) -> Vec<ComplaintRow> {
    let view = View::new(index);
    let lot = filter.lot.as_ref().map(|l| index.lots.get(l).unwrap_or(NONE - 1));
    // Any identity of the customer's party matches (master data links them).
    let customer =
        filter.customer.as_ref().map(|c| index.parties.get(c).map_or(NONE - 1, |p| view.who(p)));
    let mut out: Vec<ComplaintRow> = view
        .in_force()
        .filter(|r| lot.is_none_or(|l| r.lot == l))
        .filter(|r| customer.is_none_or(|c| view.who(r.customer) == c))
        .filter(|r| filter.from.is_none_or(|t| r.received_at >= t.0))
        .filter(|r| filter.to.is_none_or(|t| r.received_at < t.0))
        .filter(|r| r.received_at <= now.0)
        .filter_map(|r| {
            let st = view.state(r, now);
            if filter.open.is_some_and(|o| o != st.open)
                || filter.severity.is_some_and(|s| s != st.severity)
                || filter.kind.is_some_and(|k| k != st.kind)
            {
                return None;
            }
            let overdue = overdue_of(&view.deadlines(&st, commitments, now));
            if filter.overdue && overdue.is_empty() {
                return None;
            }
            Some(view.complaint_row(&st, overdue))
        })
        .collect();
    out.sort_by(|a, b| a.received_at.cmp(&b.received_at).then(a.complaint.cmp(&b.complaint)));
    out
}

/// One complaint's full timeline (registration and every step in force up
/// to `now`, with elapsed times) and its deadlines against `commitments` at `now`.
///
/// # Errors
/// [`super::QueryError::UnknownComplaint`] when no complaint has this number.
pub fn complaint_timeline(
    index: &Index,
    complaint: &Reference,
    commitments: &ResponseCommitments,
    now: Timestamp,
) -> Result<ComplaintTimeline, super::QueryError> {
    let unknown = || super::QueryError::UnknownComplaint(complaint.as_str().into());
    let n = index.refs.get(complaint).ok_or_else(unknown)?;
    let row = index.complaint_in_force(n).ok_or_else(unknown)?;
    let view = View::new(index);
    let st = view.state(row, now);
    let deadlines = view.deadlines(&st, commitments, now);
    let mut steps = Vec::with_capacity(st.steps.len() + 1);
    let entry_step = |e: u32, step: &'static str, detail: Option<String>| {
        let place = view.place(e);
        let at = index.time(e);
        TimelineStep {
            step,
            detail,
            at,
            elapsed_ms: at.since(Timestamp(row.received_at)),
            actor: index.actor(e).into(),
            station: index.station(e).into(),
            ledger: place.ledger,
            seq: place.seq,
        }
    };
    steps.push(entry_step(row.entry, "registered", None));
    for &(e, s) in &st.steps {
        let (name, detail) = step_name(s);
        steps.push(entry_step(e, name, detail));
    }
    Ok(ComplaintTimeline {
        summary: view.complaint_row(&st, overdue_of(&deadlines)),
        steps,
        deadlines,
    })
}

/// Clusters of at least `spec.min` complaints on one lot, one item or one
/// product name received within `spec.window_ms`: signals for a recall.
/// For each key the busiest window is reported.
#[must_use]
pub fn complaint_clusters(index: &Index, spec: &ClusterSpec) -> Vec<Cluster> {
    let view = View::new(index);
    let mut groups: HashMap<ClusterKey, Vec<(i64, u32)>> = HashMap::new();
    for r in view.in_force() {
        if r.lot != NONE {
            let l = view.lot_ref(r.lot);
            groups
                .entry(ClusterKey::Item { item: l.item.clone() })
                .or_default()
                .push((r.received_at, r.number));
            groups
                .entry(ClusterKey::Lot { item: l.item, lot: l.lot })
                .or_default()
                .push((r.received_at, r.number));
        } else {
            let product = view.text(r.product).unwrap_or_default();
            groups
                .entry(ClusterKey::ProductName { product })
                .or_default()
                .push((r.received_at, r.number));
        }
    }
    let min = spec.min.max(1);
    let mut out = Vec::new();
    for (key, mut list) in groups {
        if list.len() < min {
            continue;
        }
        list.sort_unstable();
        let (mut best, mut best_start, mut start) = (0usize, 0usize, 0usize);
        for (end, &(t, _)) in list.iter().enumerate() {
            while list.get(start).is_some_and(|&(s, _)| t.saturating_sub(s) > spec.window_ms) {
                start += 1;
            }
            if end + 1 - start > best {
                best = end + 1 - start;
                best_start = start;
            }
        }
        if best < min {
            continue;
        }
        let window = list.get(best_start..best_start + best).unwrap_or_default();
        out.push(Cluster {
            key,
            count: best,
            first: Timestamp(window.first().map_or(0, |w| w.0)),
            last: Timestamp(window.last().map_or(0, |w| w.0)),
            complaints: window
                .iter()
                .map(|&(_, n)| index.refs.value(n).map(|r| r.as_str().into()).unwrap_or_default())
                .collect(),
        });
    }
    out.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.key.cmp(&b.key)));
    out
}

/// Complaints received in `[from, to)` (either end open when `None`),
/// counted by current type, root cause and current severity.
#[must_use]
pub fn complaint_counts(
    index: &Index,
    from: Option<Timestamp>,
    to: Option<Timestamp>,
) -> ComplaintCounts {
    let view = View::new(index);
    let mut by_type: Vec<Count> = Vec::new();
    let mut by_root_cause: Vec<Count> = Vec::new();
    let mut by_severity: Vec<Count> = Vec::new();
    let bump =
        |list: &mut Vec<Count>, key: &'static str| match list.iter_mut().find(|c| c.key == key) {
            Some(c) => c.count += 1,
            None => list.push(Count { key, count: 1 }),
        };
    let mut total = 0;
    for r in view.in_force() {
        if from.is_some_and(|t| r.received_at < t.0) || to.is_some_and(|t| r.received_at >= t.0) {
            continue;
        }
        let st = view.state(r, Timestamp(i64::MAX));
        total += 1;
        bump(&mut by_type, type_name(st.kind));
        bump(&mut by_root_cause, cause_name(st.root_cause));
        bump(&mut by_severity, severity_name(st.severity));
    }
    for list in [&mut by_type, &mut by_root_cause, &mut by_severity] {
        list.sort_by(|a, b| b.count.cmp(&a.count).then(a.key.cmp(b.key)));
    }
    ComplaintCounts { total, by_type, by_root_cause, by_severity }
}

//! lotledger's own JSON API under `/api/`: the answers of the query
//! commands' `--json`, computed by the same functions from the index the
//! server holds.

use std::collections::BTreeMap;

use serde_json::Value;

use lotledger::index::Index;
use lotledger::model::LedgerId;
use lotledger::query::{AuditFilter, ComplaintFilter};

use crate::CliError;
use crate::queries::{self, AuditView, ComplaintsArgs, Start};

/// The query string's parameters: each name with its values in order.
pub type Params = BTreeMap<String, Vec<String>>;

fn one<'p>(p: &'p Params, name: &str) -> Option<&'p str> {
    p.get(name).and_then(|v| v.first()).map(String::as_str)
}

fn flag(p: &Params, name: &str) -> bool {
    one(p, name).is_some_and(|v| v != "false" && v != "0")
}

fn need<'p>(p: &'p Params, name: &str) -> Result<&'p str, CliError> {
    one(p, name).ok_or_else(|| CliError::Usage(format!("give the parameter {name}")))
}

/// Refuses parameters the endpoint does not know, naming them.
fn only(p: &Params, known: &[&str]) -> Result<(), CliError> {
    match p.keys().find(|k| !known.contains(&k.as_str())) {
        Some(k) => Err(CliError::Usage(format!(
            "{k}: not a parameter of this endpoint (it takes {})",
            known.join(", ")
        ))),
        None => Ok(()),
    }
}

/// The parameters of `/api/proof`: the ledger's id and the entry's number.
pub fn proof_params(p: &Params) -> Result<(LedgerId, u64), CliError> {
    only(p, &["ledger", "seq"])?;
    let id = need(p, "ledger")?;
    let ledger = LedgerId::from_hex(id).map_err(|_| {
        CliError::Usage(format!("ledger: {id:?} is not a ledger id (32 hex digits)"))
    })?;
    let seq = need(p, "seq")?;
    let seq =
        seq.parse().map_err(|_| CliError::Usage(format!("seq: {seq:?} is not an entry number")))?;
    Ok((ledger, seq))
}

/// One `/api/` query, answered from `index`.
pub fn answer(
    index: &Index,
    endpoint: &str,
    arg: Option<&str>,
    p: &Params,
) -> Result<Value, CliError> {
    let unresolved = index.unresolved();
    match (endpoint, arg) {
        ("trace", None) => {
            only(p, &["lot", "supplier_lot", "supplier", "backward"])?;
            let start = match one(p, "supplier_lot") {
                Some(code) => Start::SupplierLot(queries::receipt_filter(
                    Some(code.to_owned()),
                    one(p, "supplier"),
                )?),
                None => Start::Lot(need(p, "lot")?.to_owned()),
            };
            if let Start::Lot(l) = &start {
                queries::parse_lot(l)?;
            }
            queries::trace_json(index, &unresolved, &start, flag(p, "backward"))
        }
        ("recall", number) => {
            only(p, &["lot", "supplier_lot", "supplier"])?;
            let lots = p
                .get("lot")
                .into_iter()
                .flatten()
                .map(|l| queries::parse_lot(l))
                .collect::<Result<Vec<_>, _>>()?;
            let filter = one(p, "supplier_lot")
                .map(|code| queries::receipt_filter(Some(code.to_owned()), one(p, "supplier")))
                .transpose()?;
            if number.is_none() && lots.is_empty() && filter.is_none() {
                return Err(CliError::Usage(
                    "give /api/recall/NUMBER, lot=ITEM/LOT or supplier_lot=CODE".into(),
                ));
            }
            queries::recall_json(index, &unresolved, &lots, number, filter.as_ref())
        }
        ("complaints", None) => {
            only(
                p,
                &[
                    "open",
                    "closed",
                    "overdue",
                    "severity",
                    "type",
                    "lot",
                    "customer",
                    "from",
                    "to",
                    "now",
                    "timeline",
                    "clusters",
                    "window_hours",
                    "counts",
                ],
            )?;
            let filter = ComplaintFilter {
                open: if flag(p, "open") {
                    Some(true)
                } else if flag(p, "closed") {
                    Some(false)
                } else {
                    None
                },
                overdue: flag(p, "overdue"),
                severity: one(p, "severity").map(queries::parse_severity).transpose()?,
                kind: one(p, "type").map(queries::parse_type).transpose()?,
                lot: one(p, "lot").map(queries::parse_lot).transpose()?,
                customer: one(p, "customer").map(queries::parse_party).transpose()?,
                from: one(p, "from").map(queries::parse_time).transpose()?,
                to: one(p, "to").map(queries::parse_time).transpose()?,
            };
            let now = match one(p, "now") {
                Some(t) => queries::parse_time(t)?,
                None => crate::interchange::now(),
            };
            let number = |name: &str| -> Result<Option<i64>, CliError> {
                one(p, name)
                    .map(|v| {
                        v.parse()
                            .map_err(|_| CliError::Usage(format!("{name}: {v:?} is not a number")))
                    })
                    .transpose()
            };
            let window = number("window_hours")?.unwrap_or(720);
            let clusters = number("clusters")?
                .map(|n| {
                    usize::try_from(n).map_err(|_| CliError::Usage("clusters: negative".into()))
                })
                .transpose()?;
            let args = ComplaintsArgs {
                filter,
                now,
                timeline: one(p, "timeline").map(str::to_owned),
                clusters: clusters.map(|n| (n, window.saturating_mul(3_600_000))),
                counts: flag(p, "counts"),
            };
            queries::complaints_json(index, &unresolved, &args)
        }
        ("expiring", None) => {
            only(p, &["before", "from"])?;
            let before = queries::parse_date(need(p, "before")?)?;
            let from = one(p, "from").map(queries::parse_date).transpose()?;
            queries::expiring_json(index, &unresolved, before, from)
        }
        ("audit", None) => {
            only(p, &["report", "corrections", "actor", "station", "kind", "from", "to", "limit"])?;
            let view = if flag(p, "report") {
                AuditView::Report
            } else if flag(p, "corrections") {
                AuditView::Corrections
            } else {
                AuditView::Entries(AuditFilter {
                    ledger: None,
                    actor: one(p, "actor").map(str::to_owned),
                    station: one(p, "station").map(str::to_owned),
                    kind: one(p, "kind").map(queries::parse_kind).transpose()?,
                    from: one(p, "from").map(queries::parse_time).transpose()?,
                    to: one(p, "to").map(queries::parse_time).transpose()?,
                    limit: one(p, "limit")
                        .map(|v| {
                            v.parse().map_err(|_| {
                                CliError::Usage(format!("limit: {v:?} is not a number"))
                            })
                        })
                        .transpose()?,
                })
            };
            queries::audit_json(index, &unresolved, &view)
        }
        ("verify", None) => {
            only(p, &[])?;
            queries::audit_json(index, &unresolved, &AuditView::Report)
        }
        ("genealogy", None) => {
            only(p, &["lot"])?;
            queries::genealogy_json(index, &unresolved, need(p, "lot")?)
        }
        ("where", None) => {
            only(p, &["target", "at"])?;
            crate::r#where::where_json(index, &unresolved, need(p, "target")?, one(p, "at"))
        }
        _ => Err(CliError::NotFound(format!("/api/{endpoint}: no such endpoint"))),
    }
}

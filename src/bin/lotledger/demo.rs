//! `lotledger demo --out DIR --events N`: a realistic plant written from a
//! fixed seed, then a mock recall drill on it, with timings.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use lotledger::demo::{Plant, PlantConfig};
use lotledger::file::{Durability, FileLedger, Options};
use lotledger::model::{LedgerId, Record, Reference};
use lotledger::query::{self, ComplaintFilter, ResponseCommitments};

use crate::output;
use crate::progress::{Progress, Unit};
use crate::queries::{open_index_with, print_recall};
use crate::{CliError, Outcome};

fn ms(d: std::time::Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1000.0)
}

/// Writes the plant and runs the drill.
pub fn run(out: &Path, events: u64, seed: u64) -> Result<Outcome, CliError> {
    if out.exists() && std::fs::read_dir(out)?.next().is_some() {
        return Err(CliError::Usage(format!(
            "{} is not empty; give a new directory to --out",
            out.display()
        )));
    }
    let config = PlantConfig { seed, master_data: true, ..PlantConfig::for_events(events) };
    let mut id = [0u8; 16];
    id.iter_mut()
        .zip(b"lotledger-demo".iter().chain(&seed.to_le_bytes()))
        .for_each(|(o, b)| *o = *b);
    let id = LedgerId(id);
    let mut bar = Progress::new("writing", events, Unit::Entries);

    // 1. The plant writes its ledger.
    let started = Instant::now();
    let mut ledger = FileLedger::create(out, id, Options::new().durability(Durability::Buffered))
        .map_err(|e| CliError::Storage(e.to_string()))?;
    let mut plant = Plant::new(&config);
    let mut recall: Option<(Reference, lotledger::model::LotId)> = None;
    let mut last_time = None;
    for n in 0..events {
        let Some((stamp, record)) = plant.next() else { break };
        if let Record::RecallOpened(r) = &record {
            recall = r.lots.first().map(|l| (r.recall.clone(), l.clone()));
        }
        last_time = Some(stamp.time);
        let appended =
            ledger.append(&stamp, &record).map_err(|e| CliError::Storage(e.to_string()))?;
        if appended.receipt.seq % 97 == 0 {
            plant.note_receipt(appended.receipt);
        }
        if n % 4096 == 0 {
            bar.set(n);
        }
    }
    let head = ledger.close().map_err(|e| CliError::Storage(e.to_string()))?;
    let written = started.elapsed();
    bar.finish();
    let bytes: u64 = std::fs::read_dir(out)?
        .filter_map(Result::ok)
        .filter_map(|e| e.metadata().ok())
        .map(|m| m.len())
        .sum();

    // 2. The drill: open and index, trace, recall, complaints.
    let dirs = [PathBuf::from(out)];
    let (index, opened) = open_index_with(&dirs, lotledger::index::cache::CacheMode::Off)?;
    let stats = index.stats();
    let mut text = String::new();
    text.push_str(&format!(
        "lotledger demo plant (seed {seed}): {} entries in {}\n  written in {} ({:.0} entries/s, durable at the end), {} bytes on disk ({:.1} per entry)\n  head: entry {} hash {}\n\nMOCK RECALL DRILL\n  open + index: {} ({:.0} entries/s; {} lots, {} parties, {} shipments, {} complaints)\n",
        head.next_seq,
        out.display(),
        ms(written),
        head.next_seq as f64 / written.as_secs_f64().max(1e-9),
        bytes,
        bytes as f64 / head.next_seq.max(1) as f64,
        head.next_seq.saturating_sub(1),
        head.head,
        ms(opened),
        head.next_seq as f64 / opened.as_secs_f64().max(1e-9),
        stats.lots,
        stats.parties,
        stats.shipments,
        stats.complaints,
    ));
    let Some((number, lot)) = recall else {
        text.push_str(
            "  (the plant opened no recall in so few events; try --events 20000 or more)\n",
        );
        output::print(&text)?;
        return Ok(Outcome::Ok);
    };
    let q = |e: query::QueryError| CliError::Check(e.to_string());
    // Each query is timed over 11 runs: the first (cold) and the median.
    let timed =
        |f: &mut dyn FnMut() -> Result<(), CliError>| -> Result<(Duration, Duration), CliError> {
            let mut runs = Vec::new();
            for _ in 0..11 {
                let t = Instant::now();
                f()?;
                runs.push(t.elapsed());
            }
            let first = runs.first().copied().unwrap_or_default();
            runs.sort();
            Ok((first, runs.get(runs.len() / 2).copied().unwrap_or_default()))
        };
    let forward = query::trace_forward(&index, &lot).map_err(q)?;
    let backward = query::trace_backward(&index, &lot).map_err(q)?;
    let (trace_first, traced) = timed(&mut || {
        query::trace_forward(&index, &lot).map_err(q)?;
        query::trace_backward(&index, &lot).map_err(q)?;
        Ok(())
    })?;
    let report = query::recall_by_number(&index, &number).map_err(q)?;
    let (recall_first, recalled) =
        timed(&mut || query::recall_by_number(&index, &number).map(|_| ()).map_err(q))?;
    let now = last_time.unwrap_or_default();
    let t = Instant::now();
    let overdue = query::complaints(
        &index,
        &ComplaintFilter { open: Some(true), overdue: true, ..ComplaintFilter::default() },
        &ResponseCommitments::default(),
        now,
    );
    let complaints_took = t.elapsed();
    text.push_str(&format!(
        "  recalled supplier lot {lot} (recall {number})\n  trace forward + backward: median {} of 11 runs, first {} ({} lots derived, {} shipments; {} lots behind it)\n  recall report: median {}, first {} ({} affected lots, {} customers to contact)\n  overdue complaints at {now}: {} (found in {})\n\n",
        ms(traced),
        ms(trace_first),
        forward.lots.len(),
        forward.shipments.len(),
        backward.lots.len(),
        ms(recalled),
        ms(recall_first),
        report.lots.len(),
        report.customers.len(),
        overdue.len(),
        ms(complaints_took),
    ));
    // The report first, the figures last, so they stay on screen.
    print_recall(&report, &index.unresolved(), output::Format::Table)?;
    output::print("\n")?;
    output::print(&text)?;
    std::io::stdout().flush()?;
    Ok(Outcome::Ok)
}

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

/// The most entries `demo` writes. Its mock recall drill indexes the whole
/// plant in memory, about 75 bytes an entry (README, "index memory"), and
/// the ledger takes about 79 bytes an entry on disk: at this limit about
/// 7.5 GB of memory and 8 GB of disk. A billion entries would need about
/// 75 GB of memory for the drill (the process is killed or aborts when it
/// runs out) and 79 GB of disk.
pub const MAX_EVENTS: u64 = 100_000_000;

/// What watches the plant being written: the progress bar, or a test.
pub trait Watch {
    /// `n` entries are written. An error stops the demo.
    fn written(&mut self, n: u64) -> Result<(), CliError>;
    /// The plant is written.
    fn done(&mut self);
}

impl Watch for Progress {
    fn written(&mut self, n: u64) -> Result<(), CliError> {
        self.set(n);
        Ok(())
    }

    fn done(&mut self) {
        self.finish();
    }
}

/// Writes the plant and runs the drill.
pub fn run(out: &Path, events: u64, seed: u64) -> Result<Outcome, CliError> {
    let mut bar = Progress::new("writing", events, Unit::Entries);
    run_bounded(out, events, seed, MAX_EVENTS, &mut bar)
}

/// [`run`] with at most `max_events` entries, watched by `watch`. Refuses
/// more than `max_events` and a directory that is not empty before creating
/// anything; a failure after that removes what the demo created (the
/// directory, and any parents it had to create), except a closed output
/// pipe, which leaves a complete plant.
fn run_bounded(
    out: &Path,
    events: u64,
    seed: u64,
    max_events: u64,
    watch: &mut dyn Watch,
) -> Result<Outcome, CliError> {
    if events > max_events {
        return Err(CliError::Usage(format!(
            "--events {events} is more than the demo writes: at most {max_events}. Its mock \
             recall drill indexes the whole plant in memory (about 75 bytes an entry) and the \
             ledger takes about 79 bytes an entry on disk; nothing was created"
        )));
    }
    if out.exists() && std::fs::read_dir(out)?.next().is_some() {
        return Err(CliError::Usage(format!(
            "{} is not empty; give a new directory to --out",
            out.display()
        )));
    }
    let created = Created::before(out);
    let result = write_and_drill(out, events, seed, watch);
    match result {
        Err(CliError::Io(e)) if e.kind() == std::io::ErrorKind::BrokenPipe => Err(CliError::Io(e)),
        Err(e) => Err(created.remove(e)),
        ok => ok,
    }
}

/// What the demo will have created under `--out`: the topmost directory
/// that did not exist yet (removed whole on failure), or the contents of
/// `--out` when it existed empty.
struct Created {
    out: PathBuf,
    /// The topmost missing directory on the way to `out`, if any.
    top: Option<PathBuf>,
}

impl Created {
    fn before(out: &Path) -> Self {
        let top = out.ancestors().take_while(|a| !a.as_os_str().is_empty() && !a.exists()).last();
        Self { out: out.to_path_buf(), top: top.map(Path::to_path_buf) }
    }

    /// Removes what the demo created and says so in `e`'s message.
    fn remove(self, e: CliError) -> CliError {
        let (what, removed) = match &self.top {
            Some(top) => (top.clone(), std::fs::remove_dir_all(top)),
            None => (
                self.out.clone(),
                std::fs::read_dir(&self.out).and_then(|mut entries| {
                    entries.try_for_each(|entry| {
                        let path = entry?.path();
                        if path.is_dir() {
                            std::fs::remove_dir_all(path)
                        } else {
                            std::fs::remove_file(path)
                        }
                    })
                }),
            ),
        };
        let note = match (removed, self.top.is_some()) {
            (Ok(()), true) => format!("removed {}, which the demo had created", what.display()),
            (Ok(()), false) => format!("emptied {} again", what.display()),
            (Err(r), _) => format!("could not remove what it wrote in {}: {r}", what.display()),
        };
        match e {
            CliError::Usage(m) => CliError::Usage(format!("{m}; {note}")),
            CliError::Input(m) => CliError::Input(format!("{m}; {note}")),
            CliError::Io(io) => CliError::Storage(format!("{io}; {note}")),
            CliError::Storage(m) => CliError::Storage(format!("{m}; {note}")),
            CliError::Check(m) => CliError::Check(format!("{m}; {note}")),
            CliError::Unverified(m) => CliError::Unverified(format!("{m}; {note}")),
            CliError::NotFound(m) => CliError::NotFound(format!("{m}; {note}")),
        }
    }
}

/// Writes the plant into `out` and runs the drill on it.
fn write_and_drill(
    out: &Path,
    events: u64,
    seed: u64,
    watch: &mut dyn Watch,
) -> Result<Outcome, CliError> {
    let config = PlantConfig {
        seed,
        master_data: true,
        serialized: true,
        ..PlantConfig::for_events(events)
    };
    let mut id = [0u8; 16];
    id.iter_mut()
        .zip(b"lotledger-demo".iter().chain(&seed.to_le_bytes()))
        .for_each(|(o, b)| *o = *b);
    let id = LedgerId(id);

    // 1. The plant writes its ledger.
    let started = Instant::now();
    let mut ledger = FileLedger::create(out, id, Options::new().durability(Durability::Buffered))
        .map_err(|e| CliError::Storage(e.to_string()))?;
    let mut plant = Plant::new(&config);
    // Complainants and master-data contacts are sealed into the store, so
    // the demo shows the mechanism; the keys come from the OS, not the
    // plant's random stream, which stays as the seed makes it.
    let mut sealer = crate::personal::Sealer::buffered(out);
    let mut recall: Option<(Reference, lotledger::model::LotId)> = None;
    let mut last_time = None;
    for n in 0..events {
        let Some((stamp, mut record)) = plant.next() else { break };
        sealer.seal(&mut record).map_err(|e| CliError::Storage(e.to_string()))?;
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
            watch.written(n)?;
        }
    }
    sealer.finish().map_err(|e| CliError::Storage(e.to_string()))?;
    let head = ledger.close().map_err(|e| CliError::Storage(e.to_string()))?;
    let written = started.elapsed();
    watch.done();
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

#[cfg(test)]
mod tests {
    use super::*;

    /// A watch that fails once `fail_at` entries are written.
    struct FailAt(u64);

    impl Watch for FailAt {
        fn written(&mut self, n: u64) -> Result<(), CliError> {
            if n >= self.0 {
                return Err(CliError::Storage(format!("injected failure at entry {n}")));
            }
            Ok(())
        }

        fn done(&mut self) {}
    }

    /// Guards issue 11 (low, `demo --events 1000000000`): more entries than
    /// the limit are refused before anything is created, naming the limit.
    #[test]
    fn more_events_than_the_limit_are_refused_up_front() {
        let tmp = tempfile::tempdir().unwrap();
        let out = tmp.path().join("plant");
        let e = run_bounded(&out, 1001, 1, 1000, &mut FailAt(u64::MAX)).err().unwrap();
        let CliError::Usage(m) = e else { panic!("not a usage error") };
        assert!(m.contains("--events 1001") && m.contains("at most 1000"), "{m}");
        assert!(m.contains("nothing was created"), "{m}");
        assert!(!out.exists());
        // The real limit refuses a billion the same way.
        let e = run_bounded(&out, 1_000_000_000, 1, MAX_EVENTS, &mut FailAt(0)).err().unwrap();
        assert!(matches!(e, CliError::Usage(m) if m.contains("at most 100000000")));
        assert!(!out.exists());
    }

    /// Guards the clean-up: a failure while writing removes the directory
    /// the demo created, and any parents it created for it.
    #[test]
    fn a_failure_after_creating_removes_what_the_demo_created() {
        let tmp = tempfile::tempdir().unwrap();
        let top = tmp.path().join("new");
        let out = top.join("deeper").join("plant");
        let e = run_bounded(&out, 10_000, 1, 1_000_000, &mut FailAt(4096)).err().unwrap();
        let CliError::Storage(m) = e else { panic!("not a storage error") };
        assert!(m.starts_with("injected failure at entry 4096"), "{m}");
        assert!(m.contains(&format!("removed {}", top.display())), "{m}");
        assert!(!top.exists());
        assert!(tmp.path().exists());

        // An empty directory given is emptied again, not removed.
        let empty = tmp.path().join("empty");
        std::fs::create_dir(&empty).unwrap();
        let e = run_bounded(&empty, 10_000, 1, 1_000_000, &mut FailAt(4096)).err().unwrap();
        assert!(matches!(e, CliError::Storage(m) if m.contains("emptied")));
        assert!(empty.exists());
        assert_eq!(std::fs::read_dir(&empty).unwrap().count(), 0);
    }
}

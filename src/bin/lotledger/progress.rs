//! Progress of long work on standard error: a bar with totals when
//! standard error is a terminal, nothing when it is piped or redirected (so
//! logs and scripts see only results).

use std::io::{IsTerminal as _, Write as _};
use std::time::{Duration, Instant};

/// How often the bar is redrawn at most.
const REDRAW: Duration = Duration::from_millis(100);
/// Width of the bar in characters.
const WIDTH: usize = 30;

/// What is counted: shown after the figures.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Unit {
    /// Bytes, shown in MB.
    Bytes,
    /// Ledger entries.
    Entries,
}

/// One task's progress bar. Dropping it clears the line.
pub struct Progress {
    label: &'static str,
    total: u64,
    unit: Unit,
    shown: bool,
    enabled: bool,
    last: Option<Instant>,
}

impl Progress {
    /// A bar for `label` up to `total`, drawn only when standard error is
    /// a terminal.
    pub fn new(label: &'static str, total: u64, unit: Unit) -> Self {
        Self::with_output(label, total, unit, std::io::stderr().is_terminal())
    }

    fn with_output(label: &'static str, total: u64, unit: Unit, enabled: bool) -> Self {
        Self { label, total, unit, shown: false, enabled, last: None }
    }

    /// Sets the total, for work that learns it once started.
    pub const fn set_total(&mut self, total: u64) {
        self.total = total;
    }

    /// Records that `done` of the total is done; redraws at most every
    /// 100 ms.
    pub fn set(&mut self, done: u64) {
        if !self.enabled || self.last.is_some_and(|t| t.elapsed() < REDRAW) {
            return;
        }
        self.last = Some(Instant::now());
        self.shown = true;
        let mut err = std::io::stderr().lock();
        let _ = write!(err, "\r{}", line(self.label, done, self.total, self.unit));
        let _ = err.flush();
    }

    /// Clears the bar.
    pub fn finish(&mut self) {
        if self.shown {
            let mut err = std::io::stderr().lock();
            let _ = write!(err, "\r{:width$}\r", "", width = WIDTH + 60);
            let _ = err.flush();
            self.shown = false;
        }
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        self.finish();
    }
}

/// The segment files of ledger directories, for a bar over reading them
/// entry by entry: where an entry's frame lies in the bytes of all the
/// files, counted in the order the directories are read.
pub struct LedgerFiles {
    /// For each directory: (first entry of a segment, bytes of all the
    /// files read before it), in entry order.
    bases: Vec<Vec<(u64, u64)>>,
    total: u64,
}

impl LedgerFiles {
    /// Lists the segment files of `dirs` now; files that cannot be listed
    /// or measured count as 0 bytes.
    pub fn of(dirs: &[impl AsRef<std::path::Path>]) -> Self {
        let mut total = 0;
        let mut bases = Vec::with_capacity(dirs.len());
        for dir in dirs {
            let mut files: Vec<(u64, u64)> = std::fs::read_dir(dir)
                .into_iter()
                .flatten()
                .filter_map(|e| {
                    let e = e.ok()?;
                    let first = e
                        .file_name()
                        .to_str()
                        .and_then(lotledger::file::segment::parse_file_name)?;
                    Some((first, e.metadata().ok()?.len()))
                })
                .collect();
            files.sort_unstable();
            let mut mine = Vec::with_capacity(files.len());
            for (first, len) in files {
                mine.push((first, total));
                total += len;
            }
            bases.push(mine);
        }
        Self { bases, total }
    }

    /// The bytes of all the files.
    pub const fn total(&self) -> u64 {
        self.total
    }

    /// The bytes before byte `offset` of the segment starting at entry
    /// `segment` of directory number `dir`.
    pub fn at(&self, dir: usize, segment: u64, offset: u64) -> u64 {
        let files = self.bases.get(dir).map_or(&[][..], Vec::as_slice);
        let i = files.partition_point(|(first, _)| *first <= segment);
        files.get(i.wrapping_sub(1)).map_or(0, |(_, base)| base + offset)
    }
}

fn figure(n: u64, unit: Unit) -> String {
    match unit {
        Unit::Bytes => format!("{:.1}", n as f64 / 1e6),
        Unit::Entries => n.to_string(),
    }
}

/// The text of the bar: `indexing [#####.....]  50% 12.0 of 24.0 MB`.
fn line(label: &str, done: u64, total: u64, unit: Unit) -> String {
    let done = done.min(total);
    let filled = if total == 0 {
        WIDTH
    } else {
        usize::try_from(u128::from(done) * WIDTH as u128 / u128::from(total)).unwrap_or(WIDTH)
    };
    let percent = if total == 0 { 100 } else { u128::from(done) * 100 / u128::from(total) };
    let unit_name = match unit {
        Unit::Bytes => " MB",
        Unit::Entries => " entries",
    };
    format!(
        "{label} [{}{}] {percent:>3}% {} of {}{unit_name}",
        "#".repeat(filled),
        ".".repeat(WIDTH - filled.min(WIDTH)),
        figure(done, unit),
        figure(total, unit),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bar_shows_the_share_and_the_totals() {
        assert_eq!(
            line("indexing", 12_000_000, 24_000_000, Unit::Bytes),
            format!("indexing [{}{}]  50% 12.0 of 24.0 MB", "#".repeat(15), ".".repeat(15))
        );
        assert_eq!(
            line("writing", 10, 10, Unit::Entries),
            format!("writing [{}] 100% 10 of 10 entries", "#".repeat(30))
        );
        // Past the total or with no total, it stays full and never panics.
        assert!(line("x", 20, 10, Unit::Entries).contains("100% 10 of 10"));
        assert!(line("x", 0, 0, Unit::Bytes).contains("100%"));
    }

    /// Guards the byte positions of a bar over several ledgers' segment
    /// files: each file's bytes follow those of the files before it, the
    /// directories in the order given.
    #[test]
    fn ledger_files_place_entries_in_the_bytes_of_all_files() {
        let tmp = tempfile::tempdir().unwrap();
        let (a, b) = (tmp.path().join("a"), tmp.path().join("b"));
        std::fs::create_dir_all(&a).unwrap();
        std::fs::create_dir_all(&b).unwrap();
        std::fs::write(a.join("00000000000000000000.seg"), vec![0u8; 100]).unwrap();
        std::fs::write(a.join("00000000000000000050.seg"), vec![0u8; 30]).unwrap();
        std::fs::write(a.join("notes.txt"), vec![0u8; 999]).unwrap();
        std::fs::write(b.join("00000000000000000000.seg"), vec![0u8; 7]).unwrap();
        let files = LedgerFiles::of(&[&a, &b]);
        assert_eq!(files.total(), 137);
        assert_eq!(files.at(0, 0, 72), 72);
        assert_eq!(files.at(0, 50, 80), 180);
        assert_eq!(files.at(1, 0, 5), 135);
        // Nothing known: 0, never a panic.
        assert_eq!(files.at(7, 0, 5), 0);
    }

    #[test]
    fn nothing_is_drawn_when_not_a_terminal() {
        let mut p = Progress::with_output("indexing", 10, Unit::Entries, false);
        p.set(5);
        assert!(!p.shown && p.last.is_none());
    }
}

//! The persistent index cache (docs/INDEX.md): it gives the answers a fresh
//! index gives, deleting it changes nothing, entries appended after it are
//! caught up, and a damaged, stale, foreign or truncated cache is detected
//! and rebuilt rather than trusted.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

use std::fs;
use std::path::{Path, PathBuf};

use lotledger::demo::{Plant, PlantConfig};
use lotledger::file::{Durability, FileLedger, Options};
use lotledger::index::Index;
use lotledger::index::cache::{self, CacheMode, Rebuild, Source, Written};
use lotledger::model::{LedgerId, LotId, Record, Reference, Timestamp};
use lotledger::query::{self, AuditFilter, ComplaintFilter, ResponseCommitments};
use proptest::prelude::*;

/// What the tests ask of each ledger: a lot made early on (traced and
/// recalled), and the plant's recall once it has opened one.
struct Plantings {
    lot: LotId,
    recall: Option<Reference>,
}

/// Writes `events` demo entries into a new ledger in `dir` (segments of
/// `segment_size` bytes), then `extra` more; returns the recall to ask about.
fn write_plant(dir: &Path, id: LedgerId, events: u64, segment_size: u64) -> Plantings {
    let options = Options::new().durability(Durability::Buffered).segment_size(segment_size);
    let mut ledger = FileLedger::create(dir, id, options).unwrap();
    let mut plant = Plant::new(&PlantConfig { seed: 7, ..PlantConfig::for_events(events) });
    let (mut lot, mut recall) = (None, None);
    for _ in 0..events {
        let (stamp, record) = plant.next().unwrap();
        match &record {
            Record::Produced(p) if lot.is_none() => lot = Some(p.outputs[0].lot.clone()),
            Record::RecallOpened(r) => recall = Some(r.recall.clone()),
            _ => {}
        }
        let _ = ledger.append(&stamp, &record).unwrap();
    }
    ledger.close().unwrap();
    Plantings { lot: lot.expect("the demo plant produces"), recall }
}

/// Appends `n` more demo entries (a plant of another seed) to `dir`.
fn append_more(dir: &Path, n: u64, segment_size: u64) {
    let options = Options::new().durability(Durability::Buffered).segment_size(segment_size);
    let (mut ledger, _) = FileLedger::open(dir, options).unwrap();
    let mut plant = Plant::new(&PlantConfig { seed: 99, ..PlantConfig::for_events(n) });
    for _ in 0..n {
        let (mut stamp, record) = plant.next().unwrap();
        stamp.time = Timestamp(stamp.time.0 + 400 * 86_400_000);
        let _ = ledger.append(&stamp, &record).unwrap();
    }
    ledger.close().unwrap();
}

/// Every query's answer, as JSON: trace (both ways), recall, complaints,
/// expiry, audit entries, corrections and the verification report.
fn answers(index: &Index, p: &Plantings) -> Vec<String> {
    let j = |v: serde_json::Result<String>| v.unwrap();
    let now = Timestamp::parse_rfc3339("2027-01-01T00:00:00Z").unwrap();
    vec![
        j(serde_json::to_string(&query::trace_forward(index, &p.lot).unwrap())),
        j(serde_json::to_string(&query::trace_backward(index, &p.lot).unwrap())),
        j(serde_json::to_string(&match &p.recall {
            Some(r) => query::recall_by_number(index, r).unwrap(),
            None => query::recall(index, core::slice::from_ref(&p.lot)).unwrap(),
        })),
        j(serde_json::to_string(&query::complaints(
            index,
            &ComplaintFilter::default(),
            &ResponseCommitments::default(),
            now,
        ))),
        j(serde_json::to_string(&query::audit_entries(index, &AuditFilter::default()))),
        j(serde_json::to_string(&query::corrections(index))),
        j(serde_json::to_string(&query::verification(index))),
        j(serde_json::to_string(&index.stats())),
    ]
}

fn fresh(dirs: &[PathBuf]) -> Index {
    cache::open(dirs, CacheMode::Off).unwrap().index
}

fn source(dirs: &[PathBuf]) -> (Index, Source, Written) {
    let opened = cache::open(dirs, CacheMode::Use).unwrap();
    let report = opened.cache.unwrap();
    (opened.index, report.source, report.written)
}

fn cache_bytes(index: &Index) -> Vec<u8> {
    let mut out = Vec::new();
    cache::write_to(index, &mut out).unwrap();
    out
}

const SEG: u64 = 64 * 1024;

fn one_plant(events: u64) -> (tempfile::TempDir, Vec<PathBuf>, Plantings) {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("plant");
    let p = write_plant(&dir, LedgerId([3; 16]), events, SEG);
    (tmp, vec![dir], p)
}

/// Guards the round trip: an index loaded from the cache answers every
/// query as a fresh one does, and writes the same cache bytes again.
#[test]
fn cache_round_trip_gives_the_answers_of_a_fresh_index() {
    let (_tmp, dirs, p) = one_plant(6_000);
    assert!(fs::read_dir(&dirs[0]).unwrap().count() > 3, "several segments");
    let want = answers(&fresh(&dirs), &p);
    let (built, why, written) = source(&dirs);
    assert_eq!(why, Source::Built { why: Rebuild::Missing });
    assert_eq!(written, Written::Written);
    assert_eq!(answers(&built, &p), want);
    let (loaded, from, written) = source(&dirs);
    assert_eq!(from, Source::Cache { cached: 6_000, caught_up: 0 });
    assert_eq!(written, Written::Kept);
    assert_eq!(answers(&loaded, &p), want);
    assert_eq!(cache_bytes(&loaded), cache_bytes(&built));
}

/// Guards "it is a cache": deleting it changes no answer, and the next
/// open rebuilds it.
#[test]
fn deleting_the_cache_changes_no_answer() {
    let (_tmp, dirs, p) = one_plant(3_000);
    let (first, _, _) = source(&dirs);
    fs::remove_file(dirs[0].join(cache::FILE_NAME)).unwrap();
    let (again, why, _) = source(&dirs);
    assert_eq!(why, Source::Built { why: Rebuild::Missing });
    assert_eq!(answers(&again, &p), answers(&first, &p));
    assert!(dirs[0].join(cache::FILE_NAME).exists());
}

/// Guards the catch-up: entries appended after the cache was written (in
/// its last segment and in new segment files) are read, verified and
/// added, and the answers are those of a fresh index over the grown ledger.
#[test]
fn entries_appended_after_the_cache_are_caught_up() {
    let (_tmp, dirs, p) = one_plant(4_000);
    let _ = source(&dirs);
    let segments_before = fs::read_dir(&dirs[0]).unwrap().count();
    append_more(&dirs[0], 150, SEG);
    let (small, from, written) = source(&dirs);
    assert_eq!(from, Source::Cache { cached: 4_000, caught_up: 150 });
    // 150 is under a sixteenth of 4,000: the cache is left as it was.
    assert_eq!(written, Written::Kept);
    assert_eq!(answers(&small, &p), answers(&fresh(&dirs), &p));
    append_more(&dirs[0], 2_000, SEG);
    assert!(fs::read_dir(&dirs[0]).unwrap().count() > segments_before, "new segments");
    let (grown, from, written) = source(&dirs);
    assert_eq!(from, Source::Cache { cached: 4_000, caught_up: 2_150 });
    assert_eq!(written, Written::Written);
    let want = answers(&fresh(&dirs), &p);
    assert_eq!(answers(&grown, &p), want);
    assert_eq!(cache_bytes(&grown), cache_bytes(&fresh(&dirs)));
    let (_, from, _) = source(&dirs);
    assert_eq!(from, Source::Cache { cached: 6_150, caught_up: 0 });
}

/// Guards the parts of the file: the sequential reader (`read_from`) and
/// the one `open` uses (each part on a thread of its own) give the same
/// index; a header whose part lengths are moved (their sum unchanged) is
/// damage, not a different split.
#[test]
fn the_parts_read_one_by_one_or_at_once_give_the_same_index() {
    let (_tmp, dirs, p) = one_plant(1_500);
    let (loaded, from, _) = {
        let _ = source(&dirs);
        source(&dirs)
    };
    assert!(matches!(from, Source::Cache { .. }), "{from:?}");
    let bytes = fs::read(dirs[0].join(cache::FILE_NAME)).unwrap();
    let read = cache::read_from(&bytes[..], bytes.len() as u64).unwrap();
    assert_eq!(answers(&read, &p), answers(&loaded, &p));
    assert_eq!(cache_bytes(&read), bytes);
    // The header: magic 8, version 4, parts 4, then one u64 length each.
    let len =
        |b: &[u8], k: usize| u64::from_le_bytes(b[16 + 8 * k..24 + 8 * k].try_into().unwrap());
    assert_eq!(u32::from_le_bytes(bytes[12..16].try_into().unwrap()), 3);
    let mut moved = bytes.clone();
    let (a, b) = (len(&bytes, 0) - 1, len(&bytes, 1) + 1);
    moved[16..24].copy_from_slice(&a.to_le_bytes());
    moved[24..32].copy_from_slice(&b.to_le_bytes());
    assert!(matches!(cache::read_from(&moved[..], moved.len() as u64), Err(Rebuild::Corrupt(_))));
}

/// The last segment file of the ledger in `dir`.
fn last_segment(dir: &Path) -> PathBuf {
    let mut segs: Vec<PathBuf> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "seg"))
        .collect();
    segs.sort();
    segs.pop().unwrap()
}

/// Guards the incomplete tail seen through a used cache: an unchanged
/// ledger has none (its last segment is not read again), and an entry cut
/// short after the cached part is reported with its file, byte offset,
/// length and entry number, left out of the index, while the cache is
/// still used. The CLI's note on an interrupted append comes from here.
#[test]
fn an_incomplete_tail_after_the_cache_is_reported() {
    let (_tmp, dirs, _) = one_plant(1_000);
    let _ = source(&dirs);
    let opened = cache::open(&dirs, CacheMode::Use).unwrap();
    assert_eq!(opened.tails, vec![None]);
    let last = last_segment(&dirs[0]);
    let before = fs::metadata(&last).unwrap().len();
    append_more(&dirs[0], 1, SEG);
    assert_eq!(last_segment(&dirs[0]), last, "the entry went into the same segment");
    let after = fs::metadata(&last).unwrap().len();
    let bytes = fs::read(&last).unwrap();
    fs::write(&last, &bytes[..bytes.len() - 3]).unwrap();
    let opened = cache::open(&dirs, CacheMode::Use).unwrap();
    let report = opened.cache.unwrap();
    assert_eq!(report.source, Source::Cache { cached: 1_000, caught_up: 0 });
    assert_eq!(opened.index.entries(), 1_000);
    let tail = opened.tails[0].as_ref().expect("the cut entry is reported");
    assert_eq!(
        (tail.path.clone(), tail.offset, tail.len, tail.seq),
        (last, before, after - before - 3, 1_000)
    );
}

fn assert_rebuilt(dirs: &[PathBuf], p: &Plantings, want: &[String]) -> Rebuild {
    let (index, from, written) = source(dirs);
    let Source::Built { why } = from else { panic!("a bad cache was used: {from:?}") };
    assert_eq!(written, Written::Written);
    assert_eq!(answers(&index, p), want);
    why
}

/// Guards damage detection: a byte flipped anywhere in the cache (sampled
/// at 48 places through it, and each of the first and last 16) is detected, the
/// index rebuilt with the same answers, and the cache rewritten whole.
#[test]
fn a_flipped_byte_anywhere_is_detected_and_rebuilt() {
    let (_tmp, dirs, p) = one_plant(1_500);
    let want = answers(&fresh(&dirs), &p);
    let _ = source(&dirs);
    let path = dirs[0].join(cache::FILE_NAME);
    let good = fs::read(&path).unwrap();
    let n = good.len();
    let positions = (0..16).chain((16..n - 16).step_by(n / 48)).chain(n - 16..n);
    for at in positions {
        let mut bad = good.clone();
        bad[at] ^= 0x20;
        fs::write(&path, &bad).unwrap();
        match assert_rebuilt(&dirs, &p, &want) {
            Rebuild::Corrupt(_) => {}
            Rebuild::Version { .. } if (8..12).contains(&at) => {}
            other => panic!("byte {at}: {other:?}"),
        }
        assert_eq!(fs::read(&path).unwrap(), good, "byte {at}: rewritten whole");
    }
}

/// Guards truncation: a cache cut at any of these lengths is rebuilt.
#[test]
fn a_truncated_cache_is_rebuilt() {
    let (_tmp, dirs, p) = one_plant(1_500);
    let want = answers(&fresh(&dirs), &p);
    let _ = source(&dirs);
    let path = dirs[0].join(cache::FILE_NAME);
    let good = fs::read(&path).unwrap();
    for cut in [0, 3, 4, 11, 12, 100, good.len() / 2, good.len() - 5, good.len() - 1] {
        fs::write(&path, &good[..cut]).unwrap();
        let why = assert_rebuilt(&dirs, &p, &want);
        assert!(matches!(why, Rebuild::Corrupt(_)), "cut at {cut}: {why:?}");
    }
    // Bytes added after a whole cache are damage too.
    let mut long = good.clone();
    long.push(0);
    fs::write(&path, &long).unwrap();
    assert!(matches!(assert_rebuilt(&dirs, &p, &want), Rebuild::Corrupt(_)));
}

/// Guards the version check: a cache of another format version is
/// rebuilt, never read.
#[test]
fn a_cache_of_another_version_is_rebuilt() {
    let (_tmp, dirs, p) = one_plant(1_000);
    let want = answers(&fresh(&dirs), &p);
    let _ = source(&dirs);
    let path = dirs[0].join(cache::FILE_NAME);
    let mut bytes = fs::read(&path).unwrap();
    bytes[8..12].copy_from_slice(&(cache::FORMAT_VERSION + 1).to_le_bytes());
    fs::write(&path, &bytes).unwrap();
    let why = assert_rebuilt(&dirs, &p, &want);
    assert_eq!(why, Rebuild::Version { found: cache::FORMAT_VERSION + 1 });
}

/// Guards the ledger check: a whole cache of another ledger, put in this
/// ledger's directory, is stale.
#[test]
fn a_cache_of_another_ledger_is_rebuilt() {
    let tmp = tempfile::tempdir().unwrap();
    let a = tmp.path().join("a");
    let b = tmp.path().join("b");
    let p = write_plant(&a, LedgerId([1; 16]), 1_200, SEG);
    write_plant(&b, LedgerId([2; 16]), 1_200, SEG);
    let _ = source(core::slice::from_ref(&a));
    fs::copy(a.join(cache::FILE_NAME), b.join(cache::FILE_NAME)).unwrap();
    let want = answers(&fresh(core::slice::from_ref(&b)), &p);
    let why = assert_rebuilt(&[b], &p, &want);
    assert!(matches!(&why, Rebuild::Stale(s) if s.contains("other ledgers")), "{why:?}");
}

/// Guards the head check: a ledger rewritten with the same id, the same
/// segment files of the same lengths and the same number of entries, but a
/// different last entry, makes the cache stale.
#[test]
fn a_rewritten_ledger_with_the_same_length_is_rebuilt() {
    let tmp = tempfile::tempdir().unwrap();
    let a = tmp.path().join("a");
    let b = tmp.path().join("b");
    let id = LedgerId([5; 16]);
    let p = write_plant(&a, id, 1_200, SEG);
    write_plant(&b, id, 1_200, SEG);
    // One more entry each, the same record a millisecond apart.
    let mut plant = Plant::new(&PlantConfig { seed: 11, ..PlantConfig::for_events(10) });
    let (stamp, record) = plant.next().unwrap();
    for (dir, ms) in [(&a, 0), (&b, 1)] {
        let (mut l, _) = FileLedger::open(dir, Options::new().segment_size(SEG)).unwrap();
        let mut s = stamp.clone();
        s.time = Timestamp(s.time.0 + 500 * 86_400_000 + ms);
        let _ = l.append(&s, &record).unwrap();
        l.close().unwrap();
    }
    let names = |d: &Path| {
        let mut v: Vec<(String, u64)> = fs::read_dir(d)
            .unwrap()
            .map(|e| e.unwrap())
            .filter(|e| e.file_name().to_str().unwrap().ends_with(".seg"))
            .map(|e| (e.file_name().into_string().unwrap(), e.metadata().unwrap().len()))
            .collect();
        v.sort();
        v
    };
    assert_eq!(names(&a), names(&b), "same files, same lengths");
    let _ = source(core::slice::from_ref(&a));
    fs::copy(a.join(cache::FILE_NAME), b.join(cache::FILE_NAME)).unwrap();
    let want = answers(&fresh(core::slice::from_ref(&b)), &p);
    assert_ne!(want, answers(&fresh(&[a]), &p), "the ledgers differ");
    let why = assert_rebuilt(&[b], &p, &want);
    assert!(matches!(&why, Rebuild::Stale(s) if s.contains("cached head")), "{why:?}");
}

/// Guards the several-ledger cache: it is kept in the first ledger's
/// directory under a name of its own, used when the same ledgers are given
/// in the same order, and not confused with the one-ledger cache.
#[test]
fn several_ledgers_have_a_cache_of_their_own() {
    let tmp = tempfile::tempdir().unwrap();
    let a = tmp.path().join("a");
    let b = tmp.path().join("b");
    let p = write_plant(&a, LedgerId([1; 16]), 1_000, SEG);
    write_plant(&b, LedgerId([2; 16]), 1_000, SEG);
    let both = vec![a.clone(), b.clone()];
    let want = answers(&fresh(&both), &p);
    let (_, from, _) = source(&both);
    assert_eq!(from, Source::Built { why: Rebuild::Missing });
    let (index, from, _) = source(&both);
    assert_eq!(from, Source::Cache { cached: 2_000, caught_up: 0 });
    assert_eq!(answers(&index, &p), want);
    let name = cache::path_for(&a, &[LedgerId([1; 16]), LedgerId([2; 16])]);
    assert!(name.exists() && name != a.join(cache::FILE_NAME));
    let (_, from, _) = source(core::slice::from_ref(&a));
    assert_eq!(from, Source::Built { why: Rebuild::Missing });
    let (_, from, _) = source(&[b, a]);
    assert_eq!(from, Source::Built { why: Rebuild::Missing });
}

/// Guards `--no-cache` (`CacheMode::Refresh`): a valid cache is not read,
/// the index is built from the ledgers and the cache replaced.
#[test]
fn refresh_builds_from_the_ledgers_and_replaces_the_cache() {
    let (_tmp, dirs, p) = one_plant(1_000);
    let _ = source(&dirs);
    let opened = cache::open(&dirs, CacheMode::Refresh).unwrap();
    let report = opened.cache.unwrap();
    assert_eq!(report.source, Source::Built { why: Rebuild::NotWanted });
    assert_eq!(report.written, Written::Written);
    assert!(report.to_string().contains("every entry verified"));
    assert_eq!(answers(&opened.index, &p), answers(&fresh(&dirs), &p));
}

/// Guards "never an error": a cache that cannot be written (here its path
/// is a directory) leaves the answer as it is and says why.
#[test]
fn a_cache_that_cannot_be_written_is_only_reported() {
    let (_tmp, dirs, p) = one_plant(800);
    fs::create_dir(dirs[0].join(cache::FILE_NAME)).unwrap();
    let opened = cache::open(&dirs, CacheMode::Use).unwrap();
    let report = opened.cache.unwrap();
    assert!(matches!(report.written, Written::Failed(_)), "{report:?}");
    assert!(matches!(report.source, Source::Built { why: Rebuild::Unreadable(_) }));
    assert_eq!(answers(&opened.index, &p), answers(&fresh(&dirs), &p));
    // No temporary file is left behind, and the ledger still opens.
    let leftovers: Vec<_> = fs::read_dir(&dirs[0])
        .unwrap()
        .filter(|e| e.as_ref().unwrap().file_name().to_str().unwrap().ends_with(".tmp"))
        .collect();
    assert!(leftovers.is_empty());
    FileLedger::open(&dirs[0], Options::new()).unwrap();
}

/// A small ledger with its cache, and the cache's bytes, for the property.
type Small = (tempfile::TempDir, Vec<PathBuf>, Vec<u8>, Plantings);

fn small() -> &'static Small {
    static SMALL: std::sync::OnceLock<Small> = std::sync::OnceLock::new();
    SMALL.get_or_init(|| {
        let (tmp, dirs, p) = one_plant(400);
        let _ = source(&dirs);
        let good = fs::read(dirs[0].join(cache::FILE_NAME)).unwrap();
        (tmp, dirs, good, p)
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Guards that no damage is trusted: a cache cut at a random length
    /// or with a random byte changed is never read as valid, and reading
    /// it never panics.
    #[test]
    fn damaged_caches_are_never_trusted(at in any::<prop::sample::Index>(), flip in 1u8.., cut in any::<bool>()) {
        let (_, _, good, _) = small();
        let i = at.index(good.len());
        let bad: Vec<u8> = if cut {
            good[..i].to_vec()
        } else {
            let mut b = good.clone();
            b[i] ^= flip;
            b
        };
        let read = cache::read_from(&bad[..], bad.len() as u64);
        prop_assert!(read.is_err(), "damage at {} (cut {}) was read as valid", i, cut);
    }
}

/// The property's damage goes through the whole open path too: one cut
/// and one flip, rebuilt with the same answers.
#[test]
fn damaged_small_cache_rebuilds_with_the_same_answers() {
    let (_tmp, dirs, good, p) = small();
    let path = dirs[0].join(cache::FILE_NAME);
    let want = answers(&fresh(dirs), p);
    let mut flipped = good.clone();
    flipped[good.len() / 3] ^= 1;
    for bad in [good[..good.len() / 3].to_vec(), flipped] {
        fs::write(&path, &bad).unwrap();
        let (index, from, _) = source(dirs);
        assert!(matches!(from, Source::Built { why: Rebuild::Corrupt(_) }), "{from:?}");
        assert_eq!(answers(&index, p), want);
    }
}

#[cfg(feature = "cli")]
#[path = "cli_common/mod.rs"]
mod cli_common;

/// Guards the command line: the notice on stderr says whether the cache was
/// used (and that its prefix was not re-verified) or why it was rebuilt,
/// `--no-cache` rebuilds, and standard output is the same answer each time.
#[cfg(feature = "cli")]
#[test]
fn queries_say_on_stderr_what_they_did_with_the_cache() {
    let (_tmp, dirs, p) = one_plant(1_000);
    let dir = dirs[0].to_str().unwrap();
    let lot = format!("{}/{}", p.lot.item, p.lot.lot);
    let run = |extra: &[&str]| {
        let mut args = vec!["trace", dir, "--lot", &lot, "--json"];
        args.extend_from_slice(extra);
        let (code, out, err) = cli_common::run(&args);
        assert_eq!(code, 0, "{err}");
        assert_eq!(err.lines().count(), 1, "one notice line: {err}");
        (out, err)
    };
    let (first, err) = run(&[]);
    assert!(err.starts_with("index: no cache yet: built from the ledgers"), "{err}");
    let (second, err) = run(&[]);
    assert!(
        err.contains("1000 entries from the cache") && err.contains("not re-verified"),
        "{err}"
    );
    let (third, err) = run(&["--no-cache"]);
    assert!(err.starts_with("index: cache not used (--no-cache)"), "{err}");
    let path = dirs[0].join(cache::FILE_NAME);
    let mut bytes = fs::read(&path).unwrap();
    let mid = bytes.len() / 2;
    bytes[mid] ^= 4;
    fs::write(&path, bytes).unwrap();
    let (fourth, err) = run(&[]);
    assert!(err.starts_with("index: corrupt: "), "{err}");
    assert!(first == second && second == third && third == fourth);
}

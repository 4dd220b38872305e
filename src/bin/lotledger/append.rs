//! The input loop of `lotledger append`: bounded JSON lines from standard
//! input, one entry each, every durable line answered, and every exit
//! stating the durable head exactly (docs/CLI.md, docs/JSON.md).
//!
//! A reader thread cuts standard input into lines of at most
//! [`MAX_LINE_BYTES`] and hands them over a bounded channel, so the loop can
//! wait for the next line with a timeout and answer a group of lines once
//! its sync is due even when the producer waits for those answers.

use std::collections::VecDeque;
use std::io::{self, BufRead as _, BufReader, Write as _};
use std::path::Path;
use std::sync::mpsc::{Receiver, RecvTimeoutError, SyncSender, sync_channel};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use lotledger::chain::{Anchor, Receipt};
use lotledger::entry::Stamp;
use lotledger::file::{Error as StorageError, FileLedger};
use lotledger::model::{Actor, Digest, LedgerId, Record, RecordKind, Station, Timestamp};
use lotledger::proof::{NodeSource as _, checkpoint_record};

use crate::CliError;
use crate::ledger::CheckpointPlan;
use crate::personal::Sealer;
use crate::tree::LedgerTree;

/// The longest input line, without its line ending: 1 MiB. A longer line is
/// refused as soon as its first `MAX_LINE_BYTES + 2` bytes are read; it is
/// never held whole in memory.
pub const MAX_LINE_BYTES: usize = 1 << 20;

/// Most characters of one quoted input value an error message repeats.
const EXCERPT_CHARS: usize = 24;

/// Batches of lines read ahead of the writer.
const BATCHES_AHEAD: usize = 4;

/// One input line in the JSON form of docs/JSON.md. `seq` and `hash` are
/// present in the lines `export --format json` writes: they name the entry
/// in the ledger the line came from.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct InputLine {
    seq: Option<u64>,
    hash: Option<Digest>,
    time: Timestamp,
    actor: Actor,
    station: Station,
    record: Record,
}

/// What the reader thread hands over.
enum Input {
    /// A line (its number, its bytes without the line ending).
    Line(u64, Vec<u8>),
    /// This line is longer than [`MAX_LINE_BYTES`]; nothing after it is read.
    TooLong(u64),
    /// Reading failed at this line.
    Failed(u64, io::Error),
}

/// Most lines handed over at once.
const BATCH_LINES: usize = 256;

/// Lines on their way to the input loop.
struct Batch<'a> {
    tx: &'a SyncSender<Vec<Input>>,
    lines: Vec<Input>,
    /// Bytes of the lines in `lines`.
    bytes: usize,
}

impl Batch<'_> {
    /// Hands the lines over; false when the loop has stopped.
    fn send(&mut self) -> bool {
        self.bytes = 0;
        self.lines.is_empty() || self.tx.send(core::mem::take(&mut self.lines)).is_ok()
    }

    /// Hands the lines over with `last`, after which nothing is read.
    fn last(&mut self, last: Input) {
        self.lines.push(last);
        self.send();
    }
}

/// Reads `input` as lines ending in LF (a CR before the LF is dropped)
/// into `tx` until the end, an error, a too long line or a closed channel.
fn read_lines<R: io::Read>(mut input: BufReader<R>, tx: &SyncSender<Vec<Input>>) {
    let mut batch = Batch { tx, lines: Vec::new(), bytes: 0 };
    let mut number = 0u64;
    loop {
        number += 1;
        let mut line = Vec::new();
        let ended = loop {
            let buf = match input.fill_buf() {
                Ok(b) => b,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    batch.last(Input::Failed(number, e));
                    return;
                }
            };
            if buf.is_empty() {
                break false;
            }
            let newline = buf.iter().position(|&b| b == b'\n');
            let chunk = buf.get(..newline.unwrap_or(buf.len())).unwrap_or_default();
            // One byte more than the limit may be the CR of a CRLF ending.
            if line.len() + chunk.len() > MAX_LINE_BYTES + 1 {
                batch.last(Input::TooLong(number));
                return;
            }
            line.extend_from_slice(chunk);
            let used = chunk.len() + usize::from(newline.is_some());
            input.consume(used);
            if newline.is_some() {
                break true;
            }
        };
        if !ended && line.is_empty() {
            batch.send();
            return;
        }
        if line.last() == Some(&b'\r') {
            line.pop();
        }
        let line_len = line.len();
        let message = if line.len() > MAX_LINE_BYTES {
            Input::TooLong(number)
        } else {
            Input::Line(number, line)
        };
        if matches!(message, Input::TooLong(_)) || !ended {
            batch.last(message);
            return;
        }
        batch.bytes += line_len;
        batch.lines.push(message);
        // A batch goes when no more input is at hand (so a lone line is
        // never held back) or when it is full (lines or bytes), so at most
        // a few MiB are read ahead.
        let full = batch.lines.len() >= BATCH_LINES || batch.bytes >= MAX_LINE_BYTES;
        if (input.buffer().is_empty() || full) && !batch.send() {
            return;
        }
    }
}

/// `message` with every quoted run (`"..."` or `` `...` ``) longer than
/// [`EXCERPT_CHARS`] cut short, so an error never repeats a whole value.
fn excerpt(message: &str) -> String {
    let mut out = String::with_capacity(message.len().min(512));
    let mut quote: Option<(char, usize)> = None;
    let mut cut = 0usize;
    for c in message.chars() {
        match quote {
            Some((q, _)) if c == q => {
                if cut > 0 {
                    out.push_str(&format!("… ({cut} more characters)"));
                }
                out.push(c);
                quote = None;
                cut = 0;
            }
            Some((q, n)) => {
                if n < EXCERPT_CHARS {
                    out.push(c);
                    quote = Some((q, n + 1));
                } else {
                    cut += 1;
                }
            }
            None => {
                out.push(c);
                if c == '"' || c == '`' {
                    quote = Some((c, 0));
                }
            }
        }
    }
    if cut > 0 {
        out.push_str(&format!("… ({cut} more characters)"));
    }
    out
}

/// A serde_json error of a one-line text, its position as a column.
fn at_column(e: &serde_json::Error) -> String {
    e.to_string().replace(" at line 1 column ", " at column ")
}

/// Content after the object on a line.
fn trailing(number: u64, e: &serde_json::Error) -> String {
    format!(
        "line {number}: more after the JSON object at column {} (one JSON object per line)",
        e.column()
    )
}

/// Why `text`, which did not read as an entry, is refused. Its syntax is
/// checked first, so that a syntax error is never taken for a value's.
fn refusal(number: u64, text: &str, e: serde_path_to_error::Error<serde_json::Error>) -> String {
    let mut syntax = serde_json::Deserializer::from_str(text);
    if let Err(s) = serde::de::IgnoredAny::deserialize(&mut syntax) {
        return format!("line {number}: not JSON: {}", at_column(&s));
    }
    let path = e.path().to_string();
    let field = if path == "." { String::new() } else { format!(" field {path}:") };
    let inner = e.into_inner();
    // Valid JSON that the typed reading finds a syntax error in: an object
    // naming one choice (a record kind, `gtin` or `internal`) with a
    // second key.
    let message = if inner.is_syntax() {
        format!(
            "an object that names one choice has more than one key at column {}",
            inner.column()
        )
    } else {
        at_column(&inner)
    };
    format!("line {number}:{field} {}", excerpt(&message))
}

/// Why one input line is refused.
fn parse(number: u64, bytes: &[u8]) -> Result<Option<InputLine>, String> {
    let text = std::str::from_utf8(bytes).map_err(|e| {
        format!("line {number}: not UTF-8 at column {} (JSON is UTF-8)", e.valid_up_to() + 1)
    })?;
    if let Some(at) = text.find('\r') {
        return Err(format!(
            "line {number}: a carriage return not followed by a line feed at column {} \
             (lines end with LF or CR LF; one JSON object per line)",
            at + 1
        ));
    }
    if text.bytes().all(|b| b == b' ' || b == b'\t') {
        return Ok(None);
    }
    let mut de = serde_json::Deserializer::from_str(text);
    let line: InputLine = match serde_path_to_error::deserialize(&mut de) {
        Ok(line) => line,
        Err(e) => return Err(refusal(number, text, e)),
    };
    de.end().map_err(|e| trailing(number, &e))?;
    match (&line.seq, &line.hash) {
        (Some(_), None) | (None, Some(_)) => {
            return Err(format!(
                "line {number}: `seq` and `hash` come together (the form export --format json \
                 writes) or not at all"
            ));
        }
        (None, None) if line.record.kind() == RecordKind::Checkpointed => {
            return Err(format!(
                "line {number}: field record.checkpointed: checkpoint entries are written only \
                 by lotledger itself (append --checkpoint-every N --key FILE), never from input"
            ));
        }
        (None, None) if line.record.kind() == RecordKind::PersonalDataErased => {
            return Err(format!(
                "line {number}: field record.personal_data_erased: erasure entries are written \
                 only by lotledger itself (lotledger erase), never from input"
            ));
        }
        (None, None) if line.record.kind() == RecordKind::RetentionApplied => {
            return Err(format!(
                "line {number}: field record.retention_applied: retention entries are written \
                 only by lotledger itself (lotledger archive, lotledger dispose), never from input"
            ));
        }
        _ => {}
    }
    Ok(Some(line))
}

/// The answer to one input line, printed once everything before it is durable.
#[derive(Serialize)]
struct Answer {
    line: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    seq: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    hash: Option<String>,
    /// The record kind of an exported line that was not appended.
    #[serde(skip_serializing_if = "Option::is_none")]
    skipped: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    source_seq: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    source_hash: Option<String>,
}

/// A line appended (or skipped) and not yet answered.
struct Waiting {
    /// Answered once the durable head's `next_seq` reaches this.
    durable_at: u64,
    /// The answer; `None` for a checkpoint entry lotledger wrote itself.
    answer: Option<Answer>,
    /// The input line the entry belongs to.
    line: u64,
    /// When it was queued.
    since: Instant,
}

/// The state of one `append` run.
struct Run<'a> {
    ledger: FileLedger,
    /// The head when the run began.
    start: Anchor,
    waiting: VecDeque<Waiting>,
    out: io::StdoutLock<'a>,
    /// Why answers can no longer be printed.
    out_failed: Option<io::Error>,
    /// The last line answered.
    answered: Option<u64>,
    /// The input line of the last durable entry of this run, if any.
    durable_line: Option<u64>,
    /// Hashes of this run's durable entries, in order (for the node file).
    durable_hashes: Vec<Digest>,
    /// Receipts of this run's entries not yet durable.
    pending_hashes: VecDeque<Receipt>,
}

impl Run<'_> {
    /// Answers every waiting line the durable `head` covers.
    fn answer(&mut self, head: Anchor) {
        while let Some(r) = self.pending_hashes.front() {
            if r.seq >= head.next_seq {
                break;
            }
            self.durable_hashes.push(r.hash);
            self.pending_hashes.pop_front();
        }
        while let Some(w) = self.waiting.front() {
            if w.durable_at > head.next_seq {
                break;
            }
            let Some(w) = self.waiting.pop_front() else { break };
            if w.answer.as_ref().is_some_and(|a| a.seq.is_some()) || w.answer.is_none() {
                self.durable_line = Some(w.line);
            }
            if let Some(answer) = w.answer
                && self.out_failed.is_none()
            {
                let line = answer.line;
                let written = serde_json::to_writer(&mut self.out, &answer)
                    .map_err(io::Error::from)
                    .and_then(|()| self.out.write_all(b"\n"));
                match written {
                    Ok(()) => self.answered = Some(line),
                    Err(e) => self.out_failed = Some(e),
                }
            }
        }
        if self.out_failed.is_none()
            && let Err(e) = self.out.flush()
        {
            self.out_failed = Some(e);
        }
    }

    /// Appends one entry and answers what became durable before it.
    fn append(&mut self, stamp: &Stamp, record: &Record) -> Result<Receipt, StorageError> {
        let done = self.ledger.append(stamp, record)?;
        self.pending_hashes.push_back(done.receipt);
        self.answer(done.durable_head);
        Ok(done.receipt)
    }

    /// The durable head, stated exactly: which entry, its hash and the
    /// input line it came from.
    fn head_report(&self, head: Anchor) -> String {
        let Some(last) = head.next_seq.checked_sub(1) else {
            return "the ledger holds no entries; no line of this input was stored".to_owned();
        };
        let entry = format!("durable head: entry {last}, hash {}", head.head);
        match (head.next_seq > self.start.next_seq, self.durable_line) {
            (true, Some(line)) => format!(
                "{entry}, from input line {line}; input lines up to {line} are stored, \
                 lines after {line} are not: resend from line {}",
                line + 1
            ),
            _ => format!("{entry}, written before this run; no line of this input was stored"),
        }
    }

    /// Syncs what can be synced and answers every durable line. Returns
    /// what went wrong (with `why`, why the run ended), the durable head
    /// stated exactly, and the hashes of this run's durable entries.
    fn finish(mut self, why: Option<String>) -> (Vec<String>, String, Vec<Digest>) {
        let synced = self.ledger.sync();
        let head = match &synced {
            Ok(h) => *h,
            Err(_) => self.ledger.durable_head(),
        };
        self.answer(head);
        let mut problems: Vec<String> = why.into_iter().collect();
        if let Err(e) = synced {
            problems.push(format!("the final sync failed: {}", storage_message(&e)));
        }
        if let Some(e) = &self.out_failed {
            let answered = match self.answered {
                Some(line) => format!("answers were printed up to input line {line}"),
                None => "no answer was printed".to_owned(),
            };
            problems.push(format!(
                "the answers could not be written to standard output ({e}); {answered}; \
                 input after that was not read"
            ));
        }
        let report = self.head_report(head);
        let _ = self.ledger.close();
        (problems, report, self.durable_hashes)
    }
}

/// A storage error in words, without the library's guess of what was lost
/// (the run states the durable head itself).
fn storage_message(e: &StorageError) -> String {
    match e {
        StorageError::WriteFailed { path, source, .. } => {
            format!("writing {} failed: {source}", path.display())
        }
        other => other.to_string(),
    }
}

/// How long a line may wait for its answer when input is idle.
pub struct GroupTimer(pub Option<Duration>);

/// Runs the input loop on `ledger` (opened at `start`) and the node file;
/// with a `sealer`, each line's personal fields are sealed into the
/// personal-data store before its entry is written.
#[expect(clippy::too_many_arguments, reason = "the run's parts, each used once")]
pub fn run(
    dir: &Path,
    ledger: FileLedger,
    start: Anchor,
    mut tree: Option<LedgerTree>,
    plan: Option<&CheckpointPlan<'_>>,
    ledger_id: LedgerId,
    timer: &GroupTimer,
    mut sealer: Option<Sealer>,
) -> Result<(), CliError> {
    let (tx, rx): (SyncSender<Vec<Input>>, Receiver<Vec<Input>>) = sync_channel(BATCHES_AHEAD);
    std::thread::spawn(move || {
        read_lines(BufReader::with_capacity(1 << 16, io::stdin().lock()), &tx);
    });
    let mut ahead: VecDeque<Input> = VecDeque::new();
    let mut run = Run {
        ledger,
        start,
        waiting: VecDeque::new(),
        out: io::stdout().lock(),
        out_failed: None,
        answered: None,
        durable_line: None,
        durable_hashes: Vec::new(),
        pending_hashes: VecDeque::new(),
    };
    let mut refused: Option<String> = None;
    let mut failed: Option<String> = None;
    loop {
        if run.out_failed.is_some() {
            break;
        }
        let oldest = run.waiting.front().map(|w| w.since);
        let next = match (timer.0, oldest) {
            _ if !ahead.is_empty() => ahead.pop_front(),
            (Some(limit), Some(since)) => {
                let left = limit.saturating_sub(since.elapsed());
                match rx.recv_timeout(left) {
                    Ok(batch) => {
                        ahead.extend(batch);
                        continue;
                    }
                    Err(RecvTimeoutError::Timeout) => {
                        match run.ledger.sync() {
                            Ok(head) => run.answer(head),
                            Err(e) => {
                                failed = Some(storage_message(&e));
                                break;
                            }
                        }
                        continue;
                    }
                    Err(RecvTimeoutError::Disconnected) => None,
                }
            }
            _ => match rx.recv() {
                Ok(batch) => {
                    ahead.extend(batch);
                    continue;
                }
                Err(_) => None,
            },
        };
        let (number, bytes) = match next {
            None => break,
            Some(Input::Line(n, b)) => (n, b),
            Some(Input::TooLong(n)) => {
                refused = Some(format!(
                    "line {n}: longer than the {MAX_LINE_BYTES} bytes a line may hold; \
                     it was not read further"
                ));
                break;
            }
            Some(Input::Failed(n, e)) => {
                failed = Some(format!("reading standard input at line {n} failed: {e}"));
                break;
            }
        };
        let line = match parse(number, &bytes) {
            Ok(Some(l)) => l,
            Ok(None) => continue,
            Err(message) => {
                refused = Some(format!("{message}\n  nothing of line {number} was stored"));
                break;
            }
        };
        let stamp = Stamp { time: line.time, actor: line.actor, station: line.station };
        let source_hash = line.hash.map(|h| h.to_string());
        let mut record = line.record;
        let kind = record.kind();
        if kind == RecordKind::Checkpointed || kind == RecordKind::PersonalDataErased {
            // An exported checkpoint entry signed the old ledger's tree, and
            // an exported erasure names the old ledger's commitments (this
            // ledger seals with fresh keys): each is answered as skipped
            // once everything before it is durable.
            run.waiting.push_back(Waiting {
                durable_at: run.ledger.head().next_seq,
                answer: Some(Answer {
                    line: number,
                    seq: None,
                    hash: None,
                    skipped: Some(kind.name()),
                    source_seq: line.seq,
                    source_hash,
                }),
                line: number,
                since: Instant::now(),
            });
            run.answer(run.ledger.durable_head());
            continue;
        }
        // The values go into the personal-data store, durably, before the
        // entry that commits to them is written.
        if let Some(sealer) = sealer.as_mut()
            && let Err(e) = sealer.seal(&mut record)
        {
            failed = Some(format!(
                "storing the personal data of line {number} failed: {}\n  nothing of line \
                 {number} was stored",
                storage_message(&e)
            ));
            break;
        }
        let receipt = match run.append(&stamp, &record) {
            Ok(r) => r,
            Err(e) => {
                failed =
                    Some(format!("{}\n  nothing of line {number} was stored", storage_message(&e)));
                break;
            }
        };
        // `append` answered what was durable before this entry; queue it.
        run.waiting.push_back(Waiting {
            durable_at: receipt.seq + 1,
            answer: Some(Answer {
                line: number,
                seq: Some(receipt.seq),
                hash: Some(receipt.hash.to_string()),
                skipped: None,
                source_seq: line.seq,
                source_hash,
            }),
            line: number,
            since: Instant::now(),
        });
        run.answer(run.ledger.durable_head());
        if let (Some(t), Some(plan)) = (tree.as_mut(), plan) {
            if let Err(e) = t.nodes.push_entry(&receipt.hash.0) {
                failed = Some(format!("extending merkle.nodes failed: {e}"));
                break;
            }
            if t.nodes.size() % plan.every.max(1) == 0 {
                let mut buf = [0u8; 512];
                let record = match checkpoint_record(
                    &ledger_id,
                    t.nodes.size(),
                    &t.nodes.root(),
                    Some(&receipt.hash.0),
                    Some(&plan.signer),
                    &mut buf,
                ) {
                    Ok(r) => r,
                    Err(e) => {
                        failed = Some(format!("checkpoint signing failed: {e}"));
                        break;
                    }
                };
                let cp = match run.append(&stamp, &Record::Checkpointed(record)) {
                    Ok(r) => r,
                    Err(e) => {
                        failed = Some(format!(
                            "writing the checkpoint entry after line {number} failed: {}",
                            storage_message(&e)
                        ));
                        break;
                    }
                };
                run.waiting.push_back(Waiting {
                    durable_at: cp.seq + 1,
                    answer: None,
                    line: number,
                    since: Instant::now(),
                });
                if let Err(e) = t.nodes.push_entry(&cp.hash.0) {
                    failed = Some(format!("extending merkle.nodes failed: {e}"));
                    break;
                }
            }
        }
    }
    let input_refused = refused.is_some() && failed.is_none();
    let why = failed.or(refused);
    let (mut problems, report, durable) = run.finish(why);
    // The node file is a cache: extended with the durable entries only, and
    // rebuilt by the tree commands when it does not agree with the ledger.
    let nodes = match tree {
        Some(t) => t.nodes.sync().map_err(|e| e.to_string()),
        None => crate::tree::extend_nodes(dir, start, &durable).map_err(|e| match e {
            CliError::Io(e) => e.to_string(),
            CliError::Usage(m)
            | CliError::Input(m)
            | CliError::Storage(m)
            | CliError::Check(m)
            | CliError::Unverified(m)
            | CliError::NotFound(m) => m,
        }),
    };
    if let Err(e) = nodes {
        if problems.is_empty() {
            problems.push("every line was stored and answered".to_owned());
        }
        problems
            .push(format!("merkle.nodes could not be updated ({e}); the tree commands rebuild it"));
    }
    if problems.is_empty() {
        return Ok(());
    }
    let message = format!("{}\n  {report}", problems.join("\n  "));
    Err(if input_refused {
        CliError::Input(message)
    } else {
        CliError::Io(io::Error::other(message))
    })
}

//! Signed checkpoints and proofs over a file ledger: `checkpoint`, `prove`,
//! `consistency` and `verify --checkpoint`.
//!
//! The ledger's Merkle nodes live beside it in `merkle.nodes`
//! (`proof::NodeFile`), extended by `append`. A command reads the ledger's
//! head from its last segment and uses the node file as it is when it
//! agrees (O(log n) reads a proof, the rest of the ledger untouched);
//! otherwise it reads and verifies the whole ledger once and rebuilds it.

use std::fs;
use std::path::{Path, PathBuf};

use serde::Serialize;

use lotledger::chain::{Anchor, Verifier};
use lotledger::file::{LedgerReader, SegmentHeader};
use lotledger::frame;
use lotledger::model::{Digest, LedgerId};
use lotledger::proof::{
    BUNDLE_FORMAT, ChainHead, Checkpoint, ConsistencyProof, Ed25519Signer, InclusionProof,
    LedgerOrigin, NodeFile, NodeId, NodeSource as _, ProofBundle, VerifierKey, leaf_hash,
    prove_consistency, prove_inclusion, root_at,
};

use crate::output::{self, Format};
use crate::proof::parse_keys;
use crate::{CliError, Outcome};

/// The node file's name in a ledger directory.
pub const NODE_FILE: &str = "merkle.nodes";

/// A ledger's Merkle tree and head.
pub struct LedgerTree {
    pub ledger: LedgerId,
    pub nodes: NodeFile,
    /// The ledger's head: its entry count and last hash.
    pub head: Anchor,
}

/// A ledger read error as a command reports it: damage is a failed check
/// (exit 1), a file that cannot be read exit 4.
pub fn read_error(e: lotledger::file::Error) -> CliError {
    use lotledger::file::Error as E;
    match e {
        E::Io { .. } | E::ReadOnly { .. } | E::NoLedger { .. } => CliError::Storage(e.to_string()),
        other => CliError::Check(other.to_string()),
    }
}

/// The segment of the ledger in `dir` holding entry `seq` (the last one for
/// `u64::MAX`), read and its header checked by the library's one reader path.
fn segment_of(dir: &Path, seq: u64) -> Result<lotledger::file::SegmentBytes, CliError> {
    let reader = LedgerReader::open(dir).map_err(read_error)?;
    let mut from = reader.segments_from(seq).map_err(read_error)?;
    from.next()
        .ok_or_else(|| CliError::Storage(format!("{} holds no ledger", dir.display())))?
        .map_err(read_error)
}

/// One segment, verified from its header to its last intact frame: its
/// header, its entries (sequence number, hash the entry links to, hash,
/// body) and where its chain ends.
struct Segment {
    header: SegmentHeader,
    entries: Vec<(u64, Digest, Digest, Vec<u8>)>,
    end: Anchor,
}

fn read_segment(segment: &lotledger::file::SegmentBytes) -> Segment {
    let header = segment.header;
    let mut verifier = Verifier::new(segment.frames(), header.start);
    let mut entries = Vec::new();
    let mut prev = header.start.head;
    // A frame being written at the end is not an error for a reader; the
    // chain up to it is what counts.
    while let Some(Ok(v)) = verifier.next() {
        entries.push((v.header.seq, prev, v.hash, v.body.to_vec()));
        prev = v.hash;
    }
    Segment { header, entries, end: verifier.anchor() }
}

impl LedgerTree {
    /// The tree of the ledger in `dir`. When the node file agrees with the
    /// ledger's head (read from the last segment only), it is used as it
    /// is: O(log n) reads. Otherwise the whole ledger is read, verified,
    /// and the node file rebuilt to agree with it.
    pub fn open(dir: &Path) -> Result<Self, CliError> {
        let last = read_segment(&segment_of(dir, u64::MAX)?);
        let ledger = last.header.ledger;
        let path = dir.join(NODE_FILE);
        if let Some(nodes) = NodeFile::open_at(&path, last.end.next_seq, &last.end.head.0)? {
            return Ok(Self { ledger, nodes, head: last.end });
        }
        let reader = LedgerReader::open(dir).map_err(|e| CliError::Storage(e.to_string()))?;
        let mut hashes = Vec::new();
        for e in reader.entries().map_err(|e| CliError::Storage(e.to_string()))? {
            let e = e.map_err(|e| CliError::Check(format!("the ledger does not verify: {e}")))?;
            hashes.push(e.hash);
        }
        let head = match hashes.last() {
            Some(h) => Anchor { next_seq: hashes.len() as u64, head: *h },
            None => Anchor::genesis(&ledger),
        };
        let nodes = NodeFile::open(path, hashes.iter().map(|h| h.0))?;
        nodes.sync()?;
        Ok(Self { ledger, nodes, head })
    }

    fn origin(&self) -> LedgerOrigin {
        LedgerOrigin::new(&self.ledger.0)
    }
}

/// Brings the node file of `dir` up to date after entries were appended
/// from `before` on, if it was current before them; otherwise leaves it for
/// the next tree command to rebuild.
pub fn extend_nodes(dir: &Path, before: Anchor, appended: &[Digest]) -> Result<(), CliError> {
    if let Some(mut nodes) =
        NodeFile::open_at(dir.join(NODE_FILE), before.next_seq, &before.head.0)?
    {
        for h in appended {
            nodes.push_entry(&h.0)?;
        }
        nodes.sync()?;
    }
    Ok(())
}

/// Entry `seq`'s body and the hash it links to, read from its segment.
fn entry_of(dir: &Path, seq: u64) -> Result<(Digest, Vec<u8>), CliError> {
    read_segment(&segment_of(dir, seq)?)
        .entries
        .into_iter()
        .find(|(s, ..)| *s == seq)
        .map(|(_, prev, _, body)| (prev, body))
        .ok_or_else(|| CliError::Usage(format!("the ledger has no entry {seq}")))
}

fn signer_from(path: &Path, text: &mut String) -> Result<(), CliError> {
    *text = fs::read_to_string(path)?;
    Ok(())
}

/// `lotledger checkpoint DIR --key NAME.key`: signs the ledger's current
/// tree size, root and chain head.
pub fn checkpoint(dir: &Path, key: &Path, out: Option<&PathBuf>) -> Result<Outcome, CliError> {
    let tree = LedgerTree::open(dir)?;
    let mut secret = String::new();
    signer_from(key, &mut secret)?;
    let signer = Ed25519Signer::parse_private(secret.trim())
        .map_err(|e| CliError::Input(format!("{}: not a signer key: {e}", key.display())))?;
    let origin = tree.origin();
    let size = tree.head.next_seq;
    let mut cp = Checkpoint::new(origin.as_str(), size, tree.nodes.root());
    cp.head = size.checked_sub(1).map(|seq| ChainHead { seq, hash: tree.head.head.0 });
    let mut buf = vec![0u8; 4096];
    let n = cp
        .sign(&signer, &mut buf)
        .map_err(|e| CliError::Input(format!("signing failed: {e:?}")))?;
    let note = String::from_utf8_lossy(buf.get(..n).unwrap_or_default()).into_owned();
    match out {
        Some(path) => {
            fs::write(path, &note)?;
            output::print(&format!(
                "checkpoint of {size} entries written to {}\n",
                path.display()
            ))?;
        }
        None => output::print(&note)?,
    }
    Ok(Outcome::Ok)
}

/// Reads a signed checkpoint file and checks its signature.
fn read_checkpoint<'t>(
    text: &'t str,
    keys: &[VerifierKey<'_>],
    path: &Path,
) -> Result<Checkpoint<'t>, CliError> {
    Checkpoint::open(text.as_bytes(), keys).map_err(|e| {
        CliError::Check(format!(
            "{}: not a checkpoint signed by a trusted key: {e:?}",
            path.display()
        ))
    })
}

/// `lotledger prove DIR --seq N --checkpoint FILE --key KEY`: a proof bundle
/// for entry N against a signed checkpoint.
pub fn prove(
    dir: &Path,
    seq: u64,
    checkpoint: &Path,
    keys: &[String],
    out: Option<&PathBuf>,
) -> Result<Outcome, CliError> {
    let tree = LedgerTree::open(dir)?;
    let text = fs::read_to_string(checkpoint)?;
    let keys = parse_keys(keys)?;
    let cp = read_checkpoint(&text, &keys, checkpoint)?;
    check_against(&tree, &cp)?;
    if seq >= cp.size {
        return Err(CliError::Usage(format!(
            "entry {seq} is not in the checkpoint's tree of {} entries",
            cp.size
        )));
    }
    let path =
        prove_inclusion(&tree.nodes, seq, cp.size).map_err(|e| CliError::Storage(e.to_string()))?;
    let proof = InclusionProof { leaf_index: seq, tree_size: cp.size, path: path.as_slice() };
    let mut inclusion = vec![0u8; proof.encoded_len()];
    proof.encode(&mut inclusion).map_err(|e| CliError::Storage(format!("{e:?}")))?;
    let (prev_hash, body) = entry_of(dir, seq)?;
    let mut buf = vec![0u8; frame::MAX_FRAME_LEN];
    let end = frame::MAX_LEN_PREFIX + body.len();
    buf.get_mut(frame::MAX_LEN_PREFIX..end)
        .ok_or_else(|| CliError::Storage("entry too large".into()))?
        .copy_from_slice(&body);
    let range = frame::seal(&mut buf, body.len()).map_err(|e| CliError::Storage(e.to_string()))?;
    let bundle = ProofBundle {
        format: BUNDLE_FORMAT.into(),
        ledger: tree.ledger,
        seq,
        prev_hash,
        frame: buf.get(range).unwrap_or_default().to_vec(),
        inclusion,
        checkpoint: text.clone(),
    };
    bundle
        .verify(&keys)
        .map_err(|e| CliError::Check(format!("the bundle does not verify: {e}")))?;
    let json = serde_json::to_string_pretty(&bundle).map_err(|e| CliError::Io(e.into()))? + "\n";
    match out {
        Some(p) => {
            fs::write(p, json)?;
            output::print(&format!("proof bundle for entry {seq} written to {}\n", p.display()))?;
        }
        None => output::print(&json)?,
    }
    Ok(Outcome::Ok)
}

/// Why a ledger does not match a checkpoint.
fn check_against(tree: &LedgerTree, cp: &Checkpoint<'_>) -> Result<(), CliError> {
    let origin = tree.origin();
    if cp.origin != origin.as_str() {
        return Err(CliError::Check(format!(
            "the checkpoint is for {}, this ledger is {}",
            cp.origin,
            origin.as_str()
        )));
    }
    let size = tree.head.next_seq;
    if cp.size > size {
        return Err(CliError::Check(format!(
            "TRUNCATED or ROLLED BACK: the checkpoint covers {} entries, the ledger holds {size}",
            cp.size
        )));
    }
    let root = root_at(&tree.nodes, cp.size).map_err(|e| CliError::Storage(e.to_string()))?;
    if root != cp.root {
        return Err(CliError::Check(format!(
            "FORKED or REWRITTEN: the ledger's first {} entries do not have the checkpoint's root",
            cp.size
        )));
    }
    if let Some(head) = cp.head {
        let leaf = tree.nodes.node(NodeId { level: 0, index: head.seq }).ok();
        let ours = head.seq.checked_add(1) == Some(cp.size) && leaf == Some(leaf_hash(&head.hash));
        if !ours {
            return Err(CliError::Check(format!(
                "the checkpoint's chain head (entry {}) is not this ledger's",
                head.seq
            )));
        }
    }
    Ok(())
}

#[derive(Serialize)]
struct Consistency {
    consistent: bool,
    old_size: u64,
    new_size: u64,
    proof: Option<String>,
    error: Option<String>,
}

/// `lotledger consistency DIR --from OLD --key KEY`: proves that the
/// ledger now extends the tree an earlier checkpoint signed; fails if it
/// was truncated, rolled back or rewritten.
pub fn consistency(
    dir: &Path,
    from: &Path,
    keys: &[String],
    format: Format,
) -> Result<Outcome, CliError> {
    let tree = LedgerTree::open(dir)?;
    let text = fs::read_to_string(from)?;
    let keys = parse_keys(keys)?;
    let old = read_checkpoint(&text, &keys, from)?;
    let new_size = tree.head.next_seq;
    let result = check_against(&tree, &old).and_then(|()| {
        let path = prove_consistency(&tree.nodes, old.size, new_size)
            .map_err(|e| CliError::Storage(e.to_string()))?;
        let proof = ConsistencyProof { old_size: old.size, new_size, path: path.as_slice() };
        proof
            .verify(&old.root, &tree.nodes.root())
            .map_err(|e| CliError::Check(format!("{e:?}")))?;
        let mut enc = vec![0u8; proof.encoded_len()];
        proof.encode(&mut enc).map_err(|e| CliError::Storage(format!("{e:?}")))?;
        Ok(enc.iter().map(|b| format!("{b:02x}")).collect::<String>())
    });
    let report = match &result {
        Ok(proof) => Consistency {
            consistent: true,
            old_size: old.size,
            new_size,
            proof: Some(proof.clone()),
            error: None,
        },
        Err(CliError::Check(m)) => Consistency {
            consistent: false,
            old_size: old.size,
            new_size,
            proof: None,
            error: Some(m.clone()),
        },
        Err(_) => return result.map(|_| Outcome::Ok),
    };
    if format == Format::Json {
        output::print_json(&report)?;
    } else if let Some(p) = &report.proof {
        output::print(&format!(
            "consistent: the ledger's {new_size} entries extend the checkpoint's {}\nconsistency proof: {p}\n",
            old.size
        ))?;
    } else {
        output::print(&format!("NOT consistent: {}\n", report.error.clone().unwrap_or_default()))?;
    }
    Ok(if report.consistent { Outcome::Ok } else { Outcome::CheckFailed })
}

/// The check `lotledger verify DIR --checkpoint FILE --key KEY` adds: the
/// ledger against a checkpoint saved earlier. `Ok(Ok(summary))` when it
/// extends the signed tree, `Ok(Err(why))` when it does not; printing is
/// the verify command's, so that its result line is the overall verdict.
pub fn check_checkpoint(
    dir: &Path,
    file: &Path,
    keys: &[String],
) -> Result<Result<String, String>, CliError> {
    let tree = LedgerTree::open(dir)?;
    let text = fs::read_to_string(file)
        .map_err(|e| CliError::Storage(format!("cannot read {}: {e}", file.display())))?;
    let keys = parse_keys(keys)?;
    let cp = match read_checkpoint(&text, &keys, file) {
        Ok(cp) => cp,
        Err(CliError::Check(m)) => return Ok(Err(m)),
        Err(e) => return Err(e),
    };
    match check_against(&tree, &cp) {
        Ok(()) => Ok(Ok(format!(
            "the ledger's {} entries extend the signed tree of {} ({})",
            tree.head.next_seq, cp.size, cp.origin
        ))),
        Err(CliError::Check(m)) => Ok(Err(m)),
        Err(e) => Err(e),
    }
}

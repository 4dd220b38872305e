//! Signed checkpoints and proofs over a file ledger: `checkpoint`, `prove`,
//! `consistency` and `verify --checkpoint`.
//!
//! The ledger's Merkle nodes live beside it in `merkle.nodes`
//! (`proof::NodeFile`). Each command first reads the ledger once, verifying
//! it, and brings the node file into agreement with it; proofs are then
//! read from the node file, O(log n) nodes each.

use std::fs;
use std::path::{Path, PathBuf};

use serde::Serialize;

use lotledger::chain::Anchor;
use lotledger::file::LedgerReader;
use lotledger::frame;
use lotledger::model::{Digest, LedgerId};
use lotledger::proof::{
    BUNDLE_FORMAT, ChainHead, Checkpoint, ConsistencyProof, Ed25519Signer, InclusionProof,
    LedgerOrigin, NodeFile, ProofBundle, VerifierKey, prove_consistency, prove_inclusion, root_at,
};

use crate::output::{self, Format};
use crate::proof::parse_keys;
use crate::{CliError, Outcome};

/// The node file's name in a ledger directory.
pub const NODE_FILE: &str = "merkle.nodes";

/// A verified ledger's tree, and what proofs need besides it.
pub struct LedgerTree {
    pub ledger: LedgerId,
    pub nodes: NodeFile,
    /// Every entry's hash, in order (32 bytes an entry, in memory while the
    /// command runs).
    pub hashes: Vec<Digest>,
    pub start: Anchor,
}

impl LedgerTree {
    /// Reads and verifies the ledger in `dir`, then opens its node file.
    pub fn open(dir: &Path) -> Result<Self, CliError> {
        let reader = LedgerReader::open(dir).map_err(|e| CliError::Storage(e.to_string()))?;
        let mut entries = reader.entries().map_err(|e| CliError::Storage(e.to_string()))?;
        let mut hashes = Vec::new();
        for e in entries.by_ref() {
            let e = e.map_err(|e| CliError::Check(format!("the ledger does not verify: {e}")))?;
            hashes.push(e.hash);
        }
        let start = Anchor::genesis(&reader.ledger_id());
        let nodes = NodeFile::open(dir.join(NODE_FILE), hashes.iter().map(|h| h.0))?;
        nodes.sync()?;
        Ok(Self { ledger: reader.ledger_id(), nodes, hashes, start })
    }

    fn origin(&self) -> LedgerOrigin {
        LedgerOrigin::new(&self.ledger.0)
    }

    /// The hash entry `seq` links to.
    fn prev_hash(&self, seq: u64) -> Option<Digest> {
        match seq.checked_sub(1) {
            None => Some(self.start.head),
            Some(p) => self.hashes.get(usize::try_from(p).ok()?).copied(),
        }
    }
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
    let size = tree.hashes.len() as u64;
    let mut cp = Checkpoint::new(origin.as_str(), size, tree.nodes.root());
    cp.head = tree.hashes.last().map(|h| ChainHead { seq: size - 1, hash: h.0 });
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
    let body = LedgerReader::open(dir)
        .and_then(|r| r.entries())
        .map_err(|e| CliError::Storage(e.to_string()))?
        .filter_map(Result::ok)
        .find(|e| e.header.seq == seq)
        .map(|e| e.body)
        .ok_or_else(|| CliError::Usage(format!("the ledger has no entry {seq}")))?;
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
        prev_hash: tree
            .prev_hash(seq)
            .ok_or_else(|| CliError::Usage(format!("the ledger has no entry {seq}")))?,
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
    let size = tree.hashes.len() as u64;
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
        let ours = head.seq.checked_add(1) == Some(cp.size)
            && usize::try_from(head.seq).ok().and_then(|i| tree.hashes.get(i)).map(|h| h.0)
                == Some(head.hash);
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
    let new_size = tree.hashes.len() as u64;
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

/// `lotledger verify DIR --checkpoint FILE --key KEY`: the ledger against a
/// checkpoint saved earlier.
pub fn verify_checkpoint(dir: &Path, file: &Path, keys: &[String]) -> Result<Outcome, CliError> {
    let tree = LedgerTree::open(dir)?;
    let text = fs::read_to_string(file)?;
    let keys = parse_keys(keys)?;
    let cp = read_checkpoint(&text, &keys, file)?;
    match check_against(&tree, &cp) {
        Ok(()) => {
            output::print(&format!(
                "checkpoint OK: the ledger's {} entries extend the signed tree of {} ({})\n",
                tree.hashes.len(),
                cp.size,
                cp.origin
            ))?;
            Ok(Outcome::Ok)
        }
        Err(CliError::Check(m)) => {
            output::print(&format!("checkpoint FAILED: {m}\n"))?;
            Ok(Outcome::CheckFailed)
        }
        Err(e) => Err(e),
    }
}

//! Signed checkpoints and proofs over a file ledger: `checkpoint`, `prove`,
//! `consistency` and `verify --checkpoint`.
//!
//! The ledger's Merkle nodes live beside it in `merkle.nodes`
//! (`proof::NodeFile`), extended by `append`. The node file is a cache:
//! every tree command reads and verifies the whole ledger from entry 0,
//! recomputes the leaves from the verified entries and checks the node file
//! against them, rebuilding what disagrees. A root is signed, and a proof
//! made, only from what the verified entries give.

use std::fs;
use std::path::{Path, PathBuf};

use serde::Serialize;

use lotledger::chain::{Anchor, Chain};
use lotledger::file::StoredEntry;
use lotledger::frame;
use lotledger::model::{Checkpointed, Digest, LedgerId};
use lotledger::proof::{
    BUNDLE_FORMAT, ChainHead, Checkpoint, CheckpointError, ConsistencyProof, Ed25519Signer, Hash,
    InclusionProof, LedgerOrigin, NodeFile, NodeId, NodeSource, Note, NoteError, ProofBundle,
    VerifierKey, checkpoint_note, leaf_hash, prove_consistency, prove_inclusion, root_at,
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

pub fn read_error(e: lotledger::file::Error) -> CliError {
    use lotledger::file::Error as E;
    match e {
        E::Io { .. } | E::ReadOnly { .. } | E::NoLedger { .. } => CliError::Storage(e.to_string()),
        other => CliError::Check(other.to_string()),
    }
}

/// The one place the tree commands read a ledger: every entry of `dir`,
/// verified by the storage reader and linked again here from the genesis
/// hash of the ledger's id, so a ledger that does not start at entry 0 (a
/// deleted first segment, a forged first anchor), has a broken link or ends
/// in bytes that are no complete entry is refused, never signed or proved.
/// `visit` sees each entry with the hash it links to; `consume` gets the
/// entry hashes in order. Returns the ledger's id and head.
fn read_verified(
    dir: &Path,
    mut visit: impl FnMut(&StoredEntry, &Digest),
    consume: impl FnOnce(&mut dyn Iterator<Item = Hash>),
) -> Result<(LedgerId, Anchor), CliError> {
    let reader = crate::archive::reader(dir).map_err(read_error)?;
    let ledger = reader.ledger_id();
    let mut entries = reader.entries().map_err(read_error)?;
    let mut chain = Chain::new(Anchor::genesis(&ledger));
    let mut failure = None;
    let mut hashes = std::iter::from_fn(|| {
        if failure.is_some() {
            return None;
        }
        let e = match entries.next()? {
            Ok(e) => e,
            Err(err) => {
                failure = Some(err.to_string());
                return None;
            }
        };
        let prev = chain.anchor().head;
        match chain.step(&e.body) {
            Ok(step) if step.hash == e.hash => {
                visit(&e, &prev);
                Some(e.hash.0)
            }
            Ok(_) => {
                failure = Some(format!("entry {}: its hash does not recompute", e.header.seq));
                None
            }
            Err(kind) => {
                let archived = if e.header.seq > 0 && chain.anchor().next_seq == 0 {
                    format!(
                        " (the entries before it are archived: {})",
                        crate::archive::PASS_THE_ARCHIVE
                    )
                } else {
                    String::new()
                };
                failure = Some(format!(
                    "entry {} (segment {}, byte {}) does not follow from entry 0 of ledger \
                     {ledger}: {kind}{archived}",
                    e.header.seq, e.segment, e.offset
                ));
                None
            }
        }
    });
    consume(&mut hashes);
    hashes.by_ref().for_each(drop);
    if failure.is_none() && entries.tail_bytes() > 0 {
        failure = Some(format!(
            "the last segment ends in {} bytes after entry {} that are no complete entry \
             (a write cut short, which the next `append` recovers, or damage: run `lotledger \
             verify`; if a writer is appending, try again)",
            entries.tail_bytes(),
            chain.anchor().next_seq.saturating_sub(1)
        ));
    }
    match failure {
        Some(why) => Err(CliError::Unverified(format!(
            "the ledger in {} does not verify, so nothing was signed or proved: {why}",
            dir.display()
        ))),
        None => Ok((ledger, chain.anchor())),
    }
}

impl LedgerTree {
    /// The tree of the ledger in `dir`, for `append`, which holds the
    /// writer's lock and extends the node file: built from the verified
    /// entries ([`read_verified`]) with [`NodeFile::open`]. The node file is
    /// a cache: it is checked node by node against the leaves recomputed
    /// from the entries; where it disagrees it is reported on standard
    /// error and rebuilt, never trusted. Refuses ([`CliError::Unverified`])
    /// a ledger whose chain does not verify from entry 0.
    pub fn open(dir: &Path) -> Result<Self, CliError> {
        Self::build(dir, false, |_, _| {})
    }

    /// As [`open`](Self::open), for the tree commands, which take no lock:
    /// with [`NodeFile::open_shared`], so a running writer's nodes beyond
    /// the entries read are left alone. `visit` sees every verified entry
    /// with the hash it links to.
    fn read(dir: &Path, visit: impl FnMut(&StoredEntry, &Digest)) -> Result<Self, CliError> {
        Self::build(dir, true, visit)
    }

    fn build(
        dir: &Path,
        shared: bool,
        visit: impl FnMut(&StoredEntry, &Digest),
    ) -> Result<Self, CliError> {
        let path = dir.join(NODE_FILE);
        let mut nodes = None;
        let (ledger, head) = read_verified(dir, visit, |hashes| {
            nodes = Some(if shared {
                NodeFile::open_shared(&path, hashes)
            } else {
                NodeFile::open(&path, hashes)
            });
        })?;
        let nodes =
            nodes.ok_or_else(|| CliError::Storage("the node file was not built".into()))??;
        if let Some(leaf) = nodes.disagreed_at() {
            eprintln!(
                "lotledger: notice: {} disagreed with the ledger's entries from entry {leaf} on \
                 (a damaged or stale cache); rebuilt it from the verified entries",
                path.display()
            );
        }
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

/// Checks checkpoint entry `seq` (the tree of the entries before it, whose
/// last hashes to `head`) with the trusted `keys`: `Ok` when one of them
/// verifies its signature; otherwise why not, naming the entry and the key.
/// With keys given, `verify` fails on such an entry.
pub fn check_entry_signature(
    ledger: &LedgerId,
    seq: u64,
    record: &Checkpointed,
    head: Option<&Digest>,
    keys: &[VerifierKey<'_>],
) -> Result<(), String> {
    let Some(sig) = &record.signature else {
        return Err(format!(
            "entry {seq}: the checkpoint entry is unsigned, so none of the given keys verifies it"
        ));
    };
    let signer = format!("{} (key id {:08x})", sig.name.as_str(), u32::from_be_bytes(sig.key_id));
    let mut buf = [0u8; 512];
    let note = checkpoint_note(ledger, record, head.map(|d| &d.0), &mut buf).ok_or_else(|| {
        format!("entry {seq}: the checkpoint entry signed by {signer} cannot be rebuilt as a note")
    })?;
    match Checkpoint::open(note, keys) {
        Ok(_) => Ok(()),
        Err(CheckpointError::Note(NoteError::NoKnownSignature)) => Err(format!(
            "entry {seq}: the checkpoint entry is signed by {signer}, which is none of the \
             given keys"
        )),
        Err(CheckpointError::Note(NoteError::InvalidSignature { .. })) => Err(format!(
            "entry {seq}: the checkpoint entry's signature by {signer} does not verify with \
             that key: it was forged or the entry altered"
        )),
        Err(e) => Err(format!("entry {seq}: the checkpoint entry signed by {signer}: {e}")),
    }
}

fn signer_from(path: &Path, text: &mut String) -> Result<(), CliError> {
    *text = fs::read_to_string(path)?;
    Ok(())
}

/// `lotledger checkpoint DIR --key NAME.key`: signs the ledger's current
/// tree size, root and chain head.
pub fn checkpoint(dir: &Path, key: &Path, out: Option<&PathBuf>) -> Result<Outcome, CliError> {
    let tree = LedgerTree::read(dir, |_, _| {})?;
    let size = tree.head.next_seq;
    let note = sign_note(&tree.ledger, size, &tree.nodes.root(), tree.head.head, key)?;
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

/// A C2SP checkpoint of the tree of `size` entries of ledger `id` with
/// `root`, the last entry hashing to `head`, signed with the key in `key`.
pub fn sign_note(
    id: &LedgerId,
    size: u64,
    root: &Hash,
    head: Digest,
    key: &Path,
) -> Result<String, CliError> {
    let mut secret = String::new();
    signer_from(key, &mut secret)?;
    let signer = Ed25519Signer::parse_private(secret.trim())
        .map_err(|e| CliError::Input(format!("{}: not a signer key: {e}", key.display())))?;
    let origin = LedgerOrigin::new(&id.0);
    let mut cp = Checkpoint::new(origin.as_str(), size, *root);
    cp.head = size.checked_sub(1).map(|seq| ChainHead { seq, hash: head.0 });
    let mut buf = vec![0u8; 4096];
    let n = cp
        .sign(&signer, &mut buf)
        .map_err(|e| CliError::Input(format!("signing the checkpoint failed: {e}")))?;
    Ok(String::from_utf8_lossy(buf.get(..n).unwrap_or_default()).into_owned())
}

/// Checks the signed checkpoint in `file` with `keys` against the tree of
/// `size` entries of ledger `id` with `root` whose last entry hashes to
/// `head` (an archive's cut): `Ok(summary)` or `Err(why)`.
pub fn check_note(
    file: &Path,
    keys: &[String],
    id: &LedgerId,
    size: u64,
    root: &Hash,
    head: Digest,
) -> Result<String, String> {
    let text = fs::read_to_string(file).map_err(|e| format!("cannot read it: {e}"))?;
    let keys = parse_keys(keys).map_err(crate::archive::message)?;
    let cp = read_checkpoint(&text, &keys, file).map_err(crate::archive::message)?;
    let origin = LedgerOrigin::new(&id.0);
    let head_ok = cp.head.is_none_or(|h| h.seq.checked_add(1) == Some(size) && h.hash == head.0);
    if cp.origin != origin.as_str() || cp.size != size || cp.root != *root || !head_ok {
        return Err(format!(
            "the signed checkpoint ({} entries of {}) is not the cut's tree of {size} entries",
            cp.size, cp.origin
        ));
    }
    Ok(format!("signed tree of {size} entries at the cut ({})", cp.origin))
}

/// Reads a signed checkpoint file and checks its signature; when none of
/// `keys` verifies it, says so naming the signers the file carries.
fn read_checkpoint<'t>(
    text: &'t str,
    keys: &[VerifierKey<'_>],
    path: &Path,
) -> Result<Checkpoint<'t>, CliError> {
    Checkpoint::open(text.as_bytes(), keys).map_err(|e| {
        let signers = Note::parse(text.as_bytes()).map_or_else(
            |_| String::new(),
            |note| {
                note.signatures()
                    .map(|sig| {
                        format!("{} (key id {:08x})", sig.name, u32::from_be_bytes(sig.key_id))
                    })
                    .collect::<Vec<_>>()
                    .join(", ")
            },
        );
        let why = match e {
            CheckpointError::Note(NoteError::NoKnownSignature) => {
                format!("signed by {signers}, which is none of the given keys")
            }
            CheckpointError::Note(NoteError::InvalidSignature { key_id }) => format!(
                "the signature by the given key with id {:08x} does not verify: forged or \
                 altered (signed by {signers})",
                u32::from_be_bytes(key_id)
            ),
            other => other.to_string(),
        };
        CliError::Check(format!(
            "{}: not a checkpoint signed by a trusted key: {why}",
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
    let text = fs::read_to_string(checkpoint)?;
    let keys = parse_keys(keys)?;
    let cp = read_checkpoint(&text, &keys, checkpoint)?;
    let mut entry = None;
    let tree = LedgerTree::read(dir, |e, prev| {
        if e.header.seq == seq {
            entry = Some((*prev, e.body.clone()));
        }
    })?;
    check_against(&tree, &cp)?;
    if seq >= cp.size {
        return Err(CliError::Usage(format!(
            "entry {seq} is not in the checkpoint's tree of {} entries",
            cp.size
        )));
    }
    let (prev_hash, body) =
        entry.ok_or_else(|| CliError::Usage(format!("the ledger has no entry {seq}")))?;
    let bundle =
        proof_bundle(&tree.nodes, tree.ledger, seq, prev_hash, &body, cp.size, text.clone())?;
    bundle
        .verify(&keys)
        .map_err(|e| CliError::Check(format!("the bundle does not verify: {e}")))?;
    let json = bundle_json(&bundle)?;
    match out {
        Some(p) => {
            fs::write(p, json)?;
            output::print(&format!("proof bundle for entry {seq} written to {}\n", p.display()))?;
        }
        None => output::print(&json)?,
    }
    Ok(Outcome::Ok)
}

/// The proof bundle of entry `seq` of `ledger` (its `body` as stored, the
/// hash of the entry before it `prev_hash`) against the signed checkpoint
/// `checkpoint` of the tree of its first `size` entries, whose nodes
/// `nodes` holds. Not verified here: that needs the signer's key.
pub fn proof_bundle<S: NodeSource>(
    nodes: &S,
    ledger: LedgerId,
    seq: u64,
    prev_hash: Digest,
    body: &[u8],
    size: u64,
    checkpoint: String,
) -> Result<ProofBundle, CliError>
where
    S::Error: std::fmt::Display,
{
    let path = prove_inclusion(nodes, seq, size).map_err(|e| CliError::Storage(e.to_string()))?;
    let proof = InclusionProof { leaf_index: seq, tree_size: size, path: path.as_slice() };
    let mut inclusion = vec![0u8; proof.encoded_len()];
    proof.encode(&mut inclusion).map_err(|e| CliError::Storage(e.to_string()))?;
    let mut buf = vec![0u8; frame::MAX_FRAME_LEN];
    let end = frame::MAX_LEN_PREFIX + body.len();
    buf.get_mut(frame::MAX_LEN_PREFIX..end)
        .ok_or_else(|| CliError::Storage("entry too large".into()))?
        .copy_from_slice(body);
    let range = frame::seal(&mut buf, body.len()).map_err(|e| CliError::Storage(e.to_string()))?;
    Ok(ProofBundle {
        format: BUNDLE_FORMAT.into(),
        ledger,
        seq,
        prev_hash,
        frame: buf.get(range).unwrap_or_default().to_vec(),
        inclusion,
        checkpoint,
    })
}

/// A proof bundle as `prove` writes it: pretty JSON and a newline.
pub fn bundle_json(bundle: &ProofBundle) -> Result<String, CliError> {
    Ok(serde_json::to_string_pretty(bundle).map_err(|e| CliError::Io(e.into()))? + "\n")
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
    let tree = LedgerTree::read(dir, |_, _| {})?;
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
            .map_err(|e| CliError::Check(format!("the consistency proof does not verify: {e}")))?;
        let mut enc = vec![0u8; proof.encoded_len()];
        proof.encode(&mut enc).map_err(|e| CliError::Storage(e.to_string()))?;
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
///
/// A ledger the tree code cannot verify from entry 0 (say, one missing its
/// first segment) fails the check.
pub fn check_checkpoint(
    dir: &Path,
    file: &Path,
    keys: &[String],
) -> Result<Result<String, String>, CliError> {
    let tree = match LedgerTree::read(dir, |_, _| {}) {
        Ok(tree) => tree,
        Err(CliError::Unverified(m)) => return Ok(Err(m)),
        Err(e) => return Err(e),
    };
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

//! Checkpoints written into the ledger itself ([`Checkpointed`] records):
//! a device that signs with its secure element leaves signed anchors in the
//! ledger at intervals, and anyone can rebuild the C2SP signed note of each
//! from the ledger alone and check it with the device's verifier key.

use core::convert::Infallible;

use super::checkpoint::{ChainHead, Checkpoint, CheckpointError, LedgerOrigin};
use super::merkle::Hash;
use super::note::{KeyId, NoteError, NoteWriter, SignError, Signer};
use crate::model::{CheckpointSignature, Checkpointed, Code, Digest, LedgerId, Signature};

/// The checkpoint text for the tree of `size` entries with `root` whose
/// last entry hashes to `head` (none for an empty tree), written to `buf`.
fn body<'b>(
    ledger: &LedgerId,
    size: u64,
    root: &Hash,
    head: Option<&Hash>,
    buf: &'b mut [u8],
) -> Result<&'b [u8], CheckpointError> {
    let origin = LedgerOrigin::new(&ledger.0);
    let mut cp = Checkpoint::new(origin.as_str(), size, *root);
    cp.head = head.and_then(|h| Some(ChainHead { seq: size.checked_sub(1)?, hash: *h }));
    let n = cp.write_body(buf)?;
    Ok(buf.get(..n).unwrap_or_default())
}

/// A checkpoint record for the tree of the `size` entries before it, with
/// `root`; `head` is the hash of entry `size - 1`. Signed when a signer is
/// given. `buf` holds the checkpoint text while it is signed (256 bytes do).
///
/// # Errors
/// [`SignError`] when the text does not fit `buf`, the key name is longer
/// than 64 bytes, or the signer fails.
pub fn checkpoint_record<S: Signer>(
    ledger: &LedgerId,
    size: u64,
    root: &Hash,
    head: Option<&Hash>,
    signer: Option<&S>,
    buf: &mut [u8],
) -> Result<Checkpointed, SignError<S::Error>> {
    let signature = match signer {
        None => None,
        Some(s) => {
            let text = body(ledger, size, root, head, buf).map_err(SignError::Checkpoint)?;
            let name = Code::new(s.name()).map_err(|_| SignError::Note(NoteError::InvalidName))?;
            let signature = Signature(s.sign(text).map_err(SignError::Signer)?);
            Some(CheckpointSignature { name, key_id: s.key_id(), signature })
        }
    };
    Ok(Checkpointed { size, root: Digest(*root), signature })
}

/// A signature already made, replayed into a note.
struct Presigned<'a>(&'a CheckpointSignature);

impl Signer for Presigned<'_> {
    type Error = Infallible;

    fn name(&self) -> &str {
        self.0.name.as_str()
    }

    fn key_id(&self) -> KeyId {
        self.0.key_id
    }

    fn sign(&self, _: &[u8]) -> Result<[u8; 64], Infallible> {
        Ok(self.0.signature.0)
    }
}

/// Rebuilds the signed note a signed checkpoint record stands for, into
/// `buf` (512 bytes do); check it with [`Checkpoint::open`] and the
/// signer's verifier key. `head` is the hash of entry `size - 1`. `None`
/// when the record is unsigned or the note does not fit.
#[must_use]
pub fn checkpoint_note<'b>(
    ledger: &LedgerId,
    record: &Checkpointed,
    head: Option<&Hash>,
    buf: &'b mut [u8],
) -> Option<&'b [u8]> {
    let sig = record.signature.as_ref()?;
    let len = body(ledger, record.size, &record.root.0, head, buf).ok()?.len();
    let mut w = NoteWriter::with_text(buf, len).ok()?;
    w.sign(&Presigned(sig)).ok()?;
    let n = w.finish();
    buf.get(..n)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::proof::{CompactTree, Ed25519Signer, VerifierKey};

    #[test]
    fn a_signed_record_rebuilds_a_note_the_key_verifies() {
        let ledger = LedgerId([4; 16]);
        let mut tree: CompactTree = CompactTree::new();
        let hashes = [[1u8; 32], [2; 32], [3; 32]];
        hashes.iter().for_each(|h| tree.push_entry(h).unwrap());
        let signer = Ed25519Signer::from_seed("device.line2", &[5; 32]).unwrap();
        let mut buf = [0u8; 512];
        let rec =
            checkpoint_record(&ledger, 3, &tree.root(), Some(&hashes[2]), Some(&signer), &mut buf)
                .unwrap();
        assert_eq!(rec.size, 3);
        let note = checkpoint_note(&ledger, &rec, Some(&hashes[2]), &mut buf).unwrap();
        let key = signer.verifier_key();
        let cp = Checkpoint::open(note, &[key]).unwrap();
        assert_eq!((cp.size, cp.root), (3, tree.root()));
        assert_eq!(cp.head.map(|h| h.hash), Some(hashes[2]));
        // A record claiming another root no longer verifies.
        let mut forged = rec.clone();
        forged.root = Digest([9; 32]);
        let note = checkpoint_note(&ledger, &forged, Some(&hashes[2]), &mut buf).unwrap();
        assert!(
            Checkpoint::open(note, &[VerifierKey::parse(&std::format!("{key}")).unwrap()]).is_err()
        );
        // Unsigned records have no note.
        let plain =
            checkpoint_record::<Ed25519Signer<'_>>(&ledger, 3, &tree.root(), None, None, &mut buf)
                .unwrap();
        assert!(checkpoint_note(&ledger, &plain, None, &mut buf).is_none());
    }
}

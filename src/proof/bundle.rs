//! A proof bundle: one record, the hash it links to, its inclusion proof and
//! a signed checkpoint, so an auditor can check that record offline with
//! nothing but the signer's public key: no ledger, no network.
//!
//! The bundle is JSON (see `docs/PROOFS.md`): binary fields in lowercase hex,
//! the checkpoint as its signed-note text.

use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;

use serde::{Deserialize, Serialize};

use super::checkpoint::{Checkpoint, CheckpointError, LedgerOrigin};
use super::inclusion::InclusionProof;
use super::note::VerifierKey;
use super::path::{ParseError, VerifyError};
use crate::chain::{Anchor, Chain, FailureKind};
use crate::entry::{self, DecodeError, Header};
use crate::frame::{self, FrameError};
use crate::model::{Digest, LedgerId, Record};

/// The `format` field of a bundle this version writes and reads.
pub const BUNDLE_FORMAT: &str = "lotledger-proof-bundle/1";

/// Everything needed to check one record against a signed checkpoint.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProofBundle {
    /// Always [`BUNDLE_FORMAT`].
    pub format: String,
    /// The ledger the record belongs to.
    pub ledger: LedgerId,
    /// The record's sequence number (its leaf index).
    pub seq: u64,
    /// The hash of the entry before it (the genesis hash for entry 0): the
    /// record's hash binds it.
    pub prev_hash: Digest,
    /// The record's frame exactly as stored, in hex.
    #[serde(with = "hex_bytes")]
    pub frame: Vec<u8>,
    /// The encoded inclusion proof (`docs/PROOFS.md`), in hex.
    #[serde(with = "hex_bytes")]
    pub inclusion: Vec<u8>,
    /// The signed checkpoint, as signed-note text.
    pub checkpoint: String,
}

/// What a bundle proved.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BundleCheck {
    /// The entry's header (who, where, when).
    pub header: Header,
    /// The record, or why it could not be decoded (a newer kind, say).
    pub record: Result<Record, DecodeError>,
    /// The entry's hash, a leaf of the signed tree.
    pub entry_hash: Digest,
    /// The size of the signed tree.
    pub tree_size: u64,
    /// The checkpoint's origin.
    pub origin: String,
}

/// Why a bundle does not prove its record.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum BundleError {
    /// The `format` field names another bundle format.
    UnknownFormat(String),
    /// The frame is damaged, or has bytes after it.
    Frame(FrameError),
    /// The entry does not decode, does not have the bundle's sequence
    /// number, or does not link to `prev_hash`.
    Entry(FailureKind),
    /// The checkpoint is malformed or no trusted key signed it.
    Checkpoint(CheckpointError),
    /// The checkpoint is for another ledger.
    WrongLedger {
        /// The origin the ledger id gives.
        expected: String,
        /// The origin in the checkpoint.
        found: String,
    },
    /// The inclusion proof is malformed.
    Proof(ParseError),
    /// The inclusion proof is for another leaf than the record's.
    WrongLeaf {
        /// The record's sequence number.
        seq: u64,
        /// The leaf the proof is for.
        proof: u64,
    },
    /// The proof does not lead from the record to the signed root.
    NotIncluded(VerifyError),
}

impl fmt::Display for BundleError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::UnknownFormat(s) => {
                write!(f, "unknown bundle format {s:?}, expected {BUNDLE_FORMAT:?}")
            }
            Self::Frame(e) => write!(f, "record frame: {e}"),
            Self::Entry(e) => write!(f, "record: {e}"),
            Self::Checkpoint(e) => write!(f, "checkpoint: {e}"),
            Self::WrongLedger { expected, found } => {
                write!(f, "checkpoint is for {found}, not for this ledger ({expected})")
            }
            Self::Proof(e) => write!(f, "inclusion proof: {e}"),
            Self::WrongLeaf { seq, proof } => {
                write!(f, "inclusion proof is for entry {proof}, record is entry {seq}")
            }
            Self::NotIncluded(e) => write!(f, "record is not in the signed tree: {e}"),
        }
    }
}

impl core::error::Error for BundleError {}

impl ProofBundle {
    /// Checks the record against the checkpoint, which one of `keys` must
    /// have signed.
    ///
    /// # Errors
    /// The first [`BundleError`] found.
    pub fn verify(&self, keys: &[VerifierKey<'_>]) -> Result<BundleCheck, BundleError> {
        if self.format != BUNDLE_FORMAT {
            return Err(BundleError::UnknownFormat(self.format.clone()));
        }
        let f = frame::parse(&self.frame).map_err(BundleError::Frame)?;
        if f.len != self.frame.len() {
            return Err(BundleError::Frame(FrameError::BadLength { len: self.frame.len() as u64 }));
        }
        let mut chain = Chain::new(Anchor { next_seq: self.seq, head: self.prev_hash });
        let link = chain.follow(f.body).map_err(BundleError::Entry)?;
        let checkpoint =
            Checkpoint::open(self.checkpoint.as_bytes(), keys).map_err(BundleError::Checkpoint)?;
        let expected = LedgerOrigin::new(&self.ledger.0);
        if checkpoint.origin != expected.as_str() {
            return Err(BundleError::WrongLedger {
                expected: expected.as_str().into(),
                found: checkpoint.origin.into(),
            });
        }
        let proof = InclusionProof::parse(&self.inclusion).map_err(BundleError::Proof)?;
        if proof.leaf_index != self.seq {
            return Err(BundleError::WrongLeaf { seq: self.seq, proof: proof.leaf_index });
        }
        proof.verify_entry(&link.hash.0, &checkpoint).map_err(BundleError::NotIncluded)?;
        Ok(BundleCheck {
            header: link.header,
            record: entry::decode_record(link.record_bytes),
            entry_hash: link.hash,
            tree_size: checkpoint.size,
            origin: checkpoint.origin.into(),
        })
    }
}

mod hex_bytes {
    use alloc::string::String;
    use alloc::vec::Vec;
    use core::fmt::Write as _;

    use serde::{Deserialize, Deserializer, Serializer, de};

    pub fn serialize<S: Serializer>(bytes: &[u8], s: S) -> Result<S::Ok, S::Error> {
        let mut out = String::with_capacity(bytes.len() * 2);
        for b in bytes {
            let _ = write!(out, "{b:02x}");
        }
        s.serialize_str(&out)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
        let text = String::deserialize(d)?;
        if text.len() % 2 != 0 {
            return Err(de::Error::custom("odd number of hex digits"));
        }
        text.as_bytes()
            .chunks_exact(2)
            .enumerate()
            .map(|(i, pair)| {
                core::str::from_utf8(pair)
                    .ok()
                    .and_then(|p| u8::from_str_radix(p, 16).ok())
                    .ok_or_else(|| de::Error::custom(format_args!("not a hex digit at {}", 2 * i)))
            })
            .collect()
    }
}

//! Sealing on write for the CLI writers (`append`, `demo`): every plain
//! non-empty personal field of a record is replaced by its commitment, the
//! value and its random key stored durably in the ledger's personal-data
//! store first (docs/PRIVACY.md).

use std::path::{Path, PathBuf};

use lotledger::file::{Error as StorageError, PersonalStore};
use lotledger::model::personal::{KEY_LEN, SealKey};
use lotledger::model::{Digest, PersonalValue, Record};

/// Seals records for one file ledger; its store is created when the first
/// value is sealed.
pub struct Sealer {
    ledger_dir: PathBuf,
    store: Option<PersonalStore>,
}

impl Sealer {
    /// A sealer for the ledger in `ledger_dir`.
    pub fn new(ledger_dir: &Path) -> Self {
        Self { ledger_dir: ledger_dir.to_path_buf(), store: PersonalStore::open(ledger_dir) }
    }

    /// Seals `record` in place: a kind-8 registration (plain complainant) becomes
    /// the kind-16 form first, then every plain non-empty personal field is
    /// stored and replaced by its commitment. Returns the commitments stored.
    /// On failure, the values this call stored are removed again and the
    /// record must not be written.
    pub fn seal(&mut self, record: &mut Record) -> Result<Vec<Digest>, StorageError> {
        if let Record::ComplaintRegisteredV1(v1) = record {
            *record = Record::ComplaintRegistered(v1.clone().into());
        }
        let mut to_seal = 0usize;
        record.for_each_personal(&mut |f| {
            if matches!(f.value(), PersonalValue::Plain(v) if !v.is_empty()) {
                to_seal += 1;
            }
        });
        if to_seal == 0 {
            return Ok(Vec::new());
        }
        let store = match &self.store {
            Some(s) => s.clone(),
            None => {
                let s = PersonalStore::create(&self.ledger_dir)?;
                self.store = Some(s.clone());
                s
            }
        };
        let mut keys = vec![0u8; to_seal * KEY_LEN];
        getrandom::fill(&mut keys).map_err(|e| StorageError::Io {
            op: "draw random keys for",
            path: store.dir().to_path_buf(),
            source: std::io::Error::other(e.to_string()),
        })?;
        let mut chunks = keys.chunks_exact(KEY_LEN);
        let mut stored = Vec::new();
        let result = record.seal_personal(
            &mut || chunks.next().and_then(|k| SealKey::try_from(k).ok()).unwrap_or([0; KEY_LEN]),
            &mut |c, key, value| {
                store.put(c, key, value)?;
                stored.push(*c);
                Ok(())
            },
        );
        match result {
            Ok(_) => Ok(stored),
            Err(e) => {
                for c in &stored {
                    let _ = store.erase(c);
                }
                Err(e)
            }
        }
    }
}

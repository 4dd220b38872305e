//! `keygen` and `verify-proof`: signer keys for checkpoints, and the
//! auditor's offline check of one record.

use std::fs;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use serde::Serialize;

use lotledger::proof::{Ed25519Signer, ProofBundle, VerifierKey};

use crate::output::{self, Format};
use crate::{CliError, Outcome};

/// Writes `NAME.key` (the secret, readable by its owner only) and
/// `NAME.pub` (the verifier key to publish) into `dir`.
pub fn keygen(name: &str, dir: &Path) -> Result<Outcome, CliError> {
    let mut seed = [0u8; 32];
    getrandom::fill(&mut seed).map_err(|e| CliError::Io(std::io::Error::other(e.to_string())))?;
    let signer = Ed25519Signer::from_seed(name, &seed)
        .map_err(|e| CliError::Usage(format!("key name {name:?}: {e}")))?;
    let secret = dir.join(format!("{name}.key"));
    let public = dir.join(format!("{name}.pub"));
    for path in [&secret, &public] {
        if path.exists() {
            return Err(CliError::Usage(format!(
                "{} exists; not overwriting a key",
                path.display()
            )));
        }
    }
    write_private(&secret, &format!("{}\n", signer.private_key()))?;
    fs::write(&public, format!("{}\n", signer.verifier_key()))?;
    output::print(&format!(
        "signer key   {} (secret: keep it where only the signer can read it)\nverifier key {} (publish it)\n{}\n",
        secret.display(),
        public.display(),
        signer.verifier_key()
    ))?;
    Ok(Outcome::Ok)
}

#[cfg(unix)]
fn write_private(path: &Path, text: &str) -> std::io::Result<()> {
    use std::os::unix::fs::OpenOptionsExt as _;
    let mut f = fs::OpenOptions::new().write(true).create_new(true).mode(0o600).open(path)?;
    f.write_all(text.as_bytes())?;
    f.sync_all()
}

#[cfg(not(unix))]
fn write_private(path: &Path, text: &str) -> std::io::Result<()> {
    let mut f = fs::OpenOptions::new().write(true).create_new(true).open(path)?;
    f.write_all(text.as_bytes())?;
    f.sync_all()
}

/// Reads verifier keys: each argument is a key string or a file of them,
/// one per line.
pub fn read_keys(args: &[String]) -> Result<Vec<String>, CliError> {
    let mut keys = Vec::new();
    for arg in args {
        let path = PathBuf::from(arg);
        if path.is_file() {
            let text = fs::read_to_string(&path)?;
            keys.extend(text.lines().map(str::trim).filter(|l| !l.is_empty()).map(str::to_owned));
        } else {
            keys.push(arg.clone());
        }
    }
    if keys.is_empty() {
        return Err(CliError::Usage("give at least one verifier key (--key)".into()));
    }
    Ok(keys)
}

/// Parses key strings, naming the one that is malformed.
pub fn parse_keys(keys: &[String]) -> Result<Vec<VerifierKey<'_>>, CliError> {
    keys.iter()
        .map(|k| {
            VerifierKey::parse(k).map_err(|e| CliError::Input(format!("verifier key {k:?}: {e}")))
        })
        .collect()
}

#[derive(Serialize)]
struct Verdict {
    verified: bool,
    ledger: String,
    seq: u64,
    tree_size: Option<u64>,
    entry_hash: Option<String>,
    entry: Option<serde_json::Value>,
    error: Option<String>,
}

/// Checks a proof bundle offline against trusted verifier keys.
pub fn verify_proof(bundle: &Path, keys: &[String], format: Format) -> Result<Outcome, CliError> {
    let text = fs::read_to_string(bundle)?;
    let bundle: ProofBundle = serde_json::from_str(&text)
        .map_err(|e| CliError::Input(format!("{}: not a proof bundle: {e}", bundle.display())))?;
    let keys = parse_keys(keys)?;
    let result = bundle.verify(&keys);
    let verdict = match &result {
        Ok(check) => Verdict {
            verified: true,
            ledger: bundle.ledger.to_string(),
            seq: bundle.seq,
            tree_size: Some(check.tree_size),
            entry_hash: Some(check.entry_hash.to_string()),
            entry: Some(serde_json::json!({
                "time": check.header.time,
                "actor": check.header.actor,
                "station": check.header.station,
                "record": match &check.record {
                    Ok(r) => serde_json::to_value(r).unwrap_or_default(),
                    Err(e) => serde_json::Value::String(e.to_string()),
                },
            })),
            error: None,
        },
        Err(e) => Verdict {
            verified: false,
            ledger: bundle.ledger.to_string(),
            seq: bundle.seq,
            tree_size: None,
            entry_hash: None,
            entry: None,
            error: Some(e.to_string()),
        },
    };
    if format == Format::Json {
        output::print_json(&verdict)?;
    } else if let (Ok(check), Some(entry)) = (&result, &verdict.entry) {
        output::print(&format!(
            "verified: entry {} of ledger {} is in the signed tree of {} entries ({})\nentry hash {}\n{}\n",
            bundle.seq,
            bundle.ledger,
            check.tree_size,
            check.origin,
            check.entry_hash,
            serde_json::to_string_pretty(entry).unwrap_or_default()
        ))?;
    } else if let Err(e) = &result {
        output::print(&format!(
            "NOT verified: entry {} of ledger {}: {e}\n",
            bundle.seq, bundle.ledger
        ))?;
    }
    Ok(if result.is_ok() { Outcome::Ok } else { Outcome::CheckFailed })
}

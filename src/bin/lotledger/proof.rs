//! `keygen` and `verify-proof`: signer keys for checkpoints, and the
//! auditor's offline check of one record.

use std::fs;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use serde::Serialize;

use lotledger::proof::{Ed25519Signer, ProofBundle, VerifierKey};

use crate::output::{self, Format};
use crate::{CliError, Outcome};

/// The file stem for key `name`: the name with each `/` written as `_`, so
/// that an origin-style name (`lotledger/<ledger id>`) stays one file in
/// `--dir`. Refuses names that could reach outside `--dir`: a `\`, a NUL,
/// a leading `.`, or a `/`-separated part that is empty, `.` or `..`.
pub fn key_file_stem(name: &str) -> Result<String, CliError> {
    let bad = name.starts_with('.')
        || name.contains(['\\', '\0'])
        || name.split('/').any(|part| part.is_empty() || part == "." || part == "..");
    if bad {
        return Err(CliError::Usage(format!(
            "key name {name:?}: a key name must not start with `.`, contain `\\`, or have an \
             empty, `.` or `..` part between `/` (it names files in --dir)"
        )));
    }
    Ok(name.replace('/', "_"))
}

/// Writes `NAME.key` (the secret, readable by its owner only) and
/// `NAME.pub` (the verifier key to publish) into `dir`, with each `/` of
/// the name written as `_` in the file names ([`key_file_stem`]). Each file
/// appears whole or not at all; an existing key is never overwritten.
pub fn keygen(name: &str, dir: &Path) -> Result<Outcome, CliError> {
    let stem = key_file_stem(name)?;
    let mut seed = [0u8; 32];
    getrandom::fill(&mut seed).map_err(|e| CliError::Io(std::io::Error::other(e.to_string())))?;
    let signer = Ed25519Signer::from_seed(name, &seed)
        .map_err(|e| CliError::Usage(format!("key name {name:?}: {e}")))?;
    let secret = dir.join(format!("{stem}.key"));
    let public = dir.join(format!("{stem}.pub"));
    for path in [&secret, &public] {
        if path.exists() {
            return Err(CliError::Usage(format!(
                "{} exists; not overwriting a key",
                path.display()
            )));
        }
    }
    write_whole(&secret, &format!("{}\n", signer.private_key()), true)?;
    if let Err(e) = write_whole(&public, &format!("{}\n", signer.verifier_key()), false) {
        // No secret without its verifier key: the pair is made again whole.
        let _ = fs::remove_file(&secret);
        return Err(e);
    }
    output::print(&format!(
        "signer key   {} (secret: keep it where only the signer can read it)\nverifier key {} (publish it)\n{}\n",
        secret.display(),
        public.display(),
        signer.verifier_key()
    ))?;
    Ok(Outcome::Ok)
}

/// Writes `text` to `path` whole or not at all: into a temporary file
/// beside it (owner-only when `private`), synced, then linked in under its
/// name (which fails if `path` exists) and the directory synced. A failure
/// leaves neither the file nor the temporary one.
fn write_whole(path: &Path, text: &str, private: bool) -> Result<(), CliError> {
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(".tmp");
    let tmp = PathBuf::from(tmp);
    let result = (|| {
        let mut f = create_new(&tmp, private)?;
        f.write_all(text.as_bytes())?;
        f.sync_all()?;
        fs::hard_link(&tmp, path)?;
        fs::remove_file(&tmp)?;
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            fs::File::open(parent)?.sync_all()?;
        }
        Ok::<(), std::io::Error>(())
    })();
    result.map_err(|e| {
        let _ = fs::remove_file(&tmp);
        CliError::Storage(format!("writing {} failed: {e}; no key was left there", path.display()))
    })
}

#[cfg(unix)]
fn create_new(path: &Path, private: bool) -> std::io::Result<fs::File> {
    use std::os::unix::fs::OpenOptionsExt as _;
    let mode = if private { 0o600 } else { 0o644 };
    fs::OpenOptions::new().write(true).create_new(true).mode(mode).open(path)
}

#[cfg(not(unix))]
fn create_new(path: &Path, _private: bool) -> std::io::Result<fs::File> {
    fs::OpenOptions::new().write(true).create_new(true).open(path)
}

/// Reads verifier keys: each argument is a key string or a file of them,
/// one per line. A key that does not parse is named by where it came from
/// (argument or file and line), never by its text: it may be a secret key
/// given by mistake.
pub fn read_keys(args: &[String]) -> Result<Vec<String>, CliError> {
    let mut keys = Vec::new();
    for (n, arg) in args.iter().enumerate() {
        let path = PathBuf::from(arg);
        if path.is_file() {
            let text = fs::read_to_string(&path)
                .map_err(|e| CliError::Input(format!("--key {}: {e}", path.display())))?;
            for (i, line) in text.lines().enumerate() {
                let line = line.trim();
                if !line.is_empty() {
                    check_key(line, &format!("{} line {}", path.display(), i + 1))?;
                    keys.push(line.to_owned());
                }
            }
        } else {
            check_key(arg, &format!("--key argument {}", n + 1))?;
            keys.push(arg.clone());
        }
    }
    if keys.is_empty() {
        return Err(CliError::Usage("give at least one verifier key (--key)".into()));
    }
    Ok(keys)
}

/// Refuses `key` unless it is a verifier key, naming it by `origin` only.
fn check_key(key: &str, origin: &str) -> Result<(), CliError> {
    if key.starts_with("PRIVATE+KEY+") {
        return Err(CliError::Input(format!(
            "{origin}: this is a secret signer key, not a verifier key: give the NAME.pub \
             file, and keep the NAME.key file secret"
        )));
    }
    VerifierKey::parse(key)
        .map(drop)
        .map_err(|e| CliError::Input(format!("{origin}: not a verifier key: {e}")))
}

/// Parses key strings (checked by [`read_keys`]), naming a malformed one by
/// its position only.
pub fn parse_keys(keys: &[String]) -> Result<Vec<VerifierKey<'_>>, CliError> {
    keys.iter()
        .enumerate()
        .map(|(i, k)| {
            VerifierKey::parse(k).map_err(|e| {
                CliError::Input(format!("verifier key {}: not a verifier key: {e}", i + 1))
            })
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

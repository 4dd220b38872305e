//! Capture: bearer tokens, `POST /capture` and `POST /events` through the
//! import `import-epcis` runs, and the capture jobs.

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::{Value, json};

use lotledger::interop::epcis::ImportOptions;
use lotledger::model::{Actor, PartyId, Text, Timestamp};

use crate::CliError;

/// The tokens file: `NAME TOKEN` per line, `#` comments. The name is the
/// actor of what the token captures.
pub struct Tokens {
    by_token: BTreeMap<String, Client>,
}

/// Who a token belongs to: the actor of its captures, and the same name as
/// the partner party (an internal code) that sent them.
#[derive(Clone, Debug)]
pub struct Client {
    pub actor: Actor,
    pub party: PartyId,
}

impl Tokens {
    /// No tokens: nothing can be captured.
    pub const fn none() -> Self {
        Self { by_token: BTreeMap::new() }
    }

    /// Reads a tokens file.
    ///
    /// # Errors
    /// [`CliError::Usage`] naming the file and line that is wrong (never the token).
    pub fn read(path: &Path) -> Result<Self, CliError> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| CliError::Usage(format!("--tokens {}: {e}", path.display())))?;
        let mut by_token = BTreeMap::new();
        for (n, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let at = || format!("--tokens {} line {}", path.display(), n + 1);
            let mut parts = line.split_whitespace();
            let (Some(name), Some(token), None) = (parts.next(), parts.next(), parts.next()) else {
                return Err(CliError::Usage(format!("{}: not NAME TOKEN", at())));
            };
            let actor: Actor = name
                .parse()
                .map_err(|e| CliError::Usage(format!("{}: name {name:?}: {e}", at())))?;
            let party = name.parse().map(PartyId::Internal).map_err(|e| {
                CliError::Usage(format!("{}: name {name:?} as a party code: {e}", at()))
            })?;
            if token.len() < 16 {
                return Err(CliError::Usage(format!(
                    "{}: the token of {name} is shorter than 16 characters",
                    at()
                )));
            }
            if by_token.insert(token.to_owned(), Client { actor, party }).is_some() {
                return Err(CliError::Usage(format!("{}: a token given twice", at())));
            }
        }
        Ok(Self { by_token })
    }

    /// The client of `token`, compared in time independent of where it differs.
    pub fn client(&self, token: &str) -> Option<&Client> {
        let mut found = None;
        for (t, client) in &self.by_token {
            if constant_time_eq(t.as_bytes(), token.as_bytes()) {
                found = Some(client);
            }
        }
        found
    }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// One capture job: what `GET /capture/{id}` shows.
#[derive(Clone)]
pub struct Job {
    pub id: u64,
    pub created: Timestamp,
    pub finished: Option<Timestamp>,
    pub success: bool,
    pub errors: Vec<Value>,
    pub captured_by: String,
    pub report: Option<Value>,
}

impl Job {
    /// The job as the bindings' `CaptureJob` (running, success, errors),
    /// with lotledger's import report beside it.
    pub fn json(&self) -> Value {
        json!({
            "captureID": self.id.to_string(),
            "createdAt": self.created.to_string(),
            "finishedAt": self.finished.map(|t| t.to_string()),
            "running": self.finished.is_none(),
            "success": self.success,
            "captureErrorBehaviour": "rollback",
            "errors": self.errors,
            "capturedBy": self.captured_by,
            "ll:import": self.report,
        })
    }
}

/// A single event (`POST /events`) as a document of one event, with the
/// event's own `@context` when it has one.
pub fn single_event_document(event: &Value, created: Timestamp) -> Value {
    let context = event.get("@context").cloned().unwrap_or_else(super::events::context);
    let mut event = event.clone();
    if let Some(o) = event.as_object_mut() {
        o.remove("@context");
    }
    json!({
        "@context": context,
        "type": "EPCISDocument",
        "schemaVersion": "2.0",
        "creationDate": created.to_string(),
        "epcisBody": {"eventList": [event]}
    })
}

/// How a capture failed.
pub enum Refused {
    /// The document cannot be imported: nothing written.
    Invalid(String),
    /// The ledger could not be read or written.
    Storage(String),
}

/// Imports `bytes` into the ledger in `dir` for `client` (the actor of the
/// entries, and the partner), the import `import-epcis` runs.
pub fn capture(
    dir: &Path,
    bytes: &[u8],
    client: &Client,
    own_party: Option<&PartyId>,
    name: &str,
    now: Timestamp,
) -> Result<Value, Refused> {
    let station = "lotledger-serve".parse().map_err(|_| Refused::Storage("station".into()))?;
    let mut options = ImportOptions::new(client.party.clone(), client.actor.clone(), station, now);
    options.own_party = own_party.cloned();
    options.name = Text::new(name).unwrap_or_default();
    match crate::interchange::import_document(dir, bytes, name, options, false) {
        Ok((report, _)) => {
            let mut v =
                serde_json::to_value(&report).map_err(|e| Refused::Storage(e.to_string()))?;
            // Where the original is kept, relative to the ledger: the
            // server's own paths are not for its clients.
            if let Some(o) = v.as_object_mut() {
                let kept = format!("attachments/{}.jsonld", report.document_digest);
                o.insert("original_kept_at".into(), Value::String(kept));
            }
            Ok(v)
        }
        Err(CliError::Input(m)) => Err(Refused::Invalid(m)),
        Err(CliError::Usage(m)) => Err(Refused::Invalid(m)),
        Err(e) => {
            // The full message on the server's standard error; the client's
            // names the ledger without the server's path.
            let message = crate::serve::cli_message(&e);
            eprintln!("lotledger serve: capture by {}: {message}", client.actor);
            Err(Refused::Storage(message.replace(&dir.display().to_string(), "LEDGER")))
        }
    }
}

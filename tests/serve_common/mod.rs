//! Running `lotledger serve` in tests: the server on a free loopback port,
//! a small HTTP client, schema validation and a few helpers.
#![allow(
    dead_code,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::std_instead_of_core,
    clippy::indexing_slicing
)]

use std::io::{BufRead as _, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

/// The token of the test client `alice` in [`tokens_file`].
pub const ALICE: &str = "alice-token-0123456789abcdef";

/// A tokens file with `alice` and a comment.
pub fn tokens_file(dir: &Path) -> PathBuf {
    let path = dir.join("tokens");
    std::fs::write(&path, format!("# test clients\nalice {ALICE}\n")).unwrap();
    path
}

/// A running server, stopped when dropped.
pub struct Server {
    child: Child,
    pub base: String,
}

impl Server {
    /// Starts `lotledger serve ARGS --listen 127.0.0.1:0` and waits for its
    /// `listening on` line.
    pub fn start(args: &[&str]) -> Self {
        let mut child = Command::new(env!("CARGO_BIN_EXE_lotledger"))
            .arg("serve")
            .args(args)
            .args(["--listen", "127.0.0.1:0", "--poll-ms", "50"])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
        let base = line
            .trim()
            .strip_prefix("listening on ")
            .unwrap_or_else(|| panic!("no listening line: {line:?}"))
            .to_owned();
        Self { child, base }
    }

    /// A server of `ledger` taking captures with the tokens in `tokens`,
    /// with no rate limit.
    pub fn capturing(ledger: &Path, tokens: &Path) -> Self {
        Self::start(&[
            ledger.to_str().unwrap(),
            "--tokens",
            tokens.to_str().unwrap(),
            "--rate",
            "0",
        ])
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One answer: status, headers (lower-case names) and body.
pub struct Answer {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Answer {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }
}

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder().http_status_as_error(false).build().into()
}

fn answer(r: ureq::http::Response<ureq::Body>) -> Answer {
    let status = r.status().as_u16();
    let headers = r
        .headers()
        .iter()
        .map(|(k, v)| (k.as_str().to_ascii_lowercase(), v.to_str().unwrap_or("").to_owned()))
        .collect();
    let body = r.into_body().read_to_string().unwrap();
    Answer { status, headers, body }
}

/// `GET url`, with a bearer token if given.
pub fn get(url: &str, token: Option<&str>) -> Answer {
    let mut req = agent().get(url);
    if let Some(t) = token {
        req = req.header("Authorization", &format!("Bearer {t}"));
    }
    answer(req.call().unwrap())
}

/// `POST url` with `body`, with a bearer token if given.
pub fn post(url: &str, token: Option<&str>, body: &[u8]) -> Answer {
    let mut req = agent().post(url).header("Content-Type", "application/ld+json");
    if let Some(t) = token {
        req = req.header("Authorization", &format!("Bearer {t}"));
    }
    answer(req.send(body).unwrap())
}

/// Every event of a `GET /events` query, following the `Link` headers;
/// every page checked against the schema. Returns the events and the
/// number of pages.
pub fn all_pages(server: &Server, path_and_query: &str) -> (Vec<Value>, usize) {
    pages(server, path_and_query, true)
}

/// As [`all_pages`], without the schema check.
pub fn pages_unchecked(server: &Server, path_and_query: &str) -> (Vec<Value>, usize) {
    pages(server, path_and_query, false)
}

fn pages(server: &Server, path_and_query: &str, check: bool) -> (Vec<Value>, usize) {
    let mut url = server.url(path_and_query);
    let mut events = Vec::new();
    let mut pages = 0;
    loop {
        let a = get(&url, None);
        assert_eq!(a.status, 200, "{url}: {}", a.body);
        let doc = a.json();
        if check {
            validate(&doc);
        }
        pages += 1;
        events.extend(
            doc.pointer("/epcisBody/queryResults/resultsBody/eventList")
                .unwrap()
                .as_array()
                .unwrap()
                .iter()
                .cloned(),
        );
        let Some(link) = a.header("link") else { break };
        let target = link.split_once('<').unwrap().1.split_once('>').unwrap().0;
        assert!(link.ends_with("rel=\"next\""), "{link}");
        url = server.url(target);
    }
    (events, pages)
}

/// The ids of events.
pub fn ids(events: &[Value]) -> Vec<String> {
    events.iter().map(|e| e["eventID"].as_str().unwrap().to_owned()).collect()
}

/// Validates a document against GS1's EPCIS 2.0 JSON schema when
/// `LOTLEDGER_EPCIS_SCHEMA` names it.
pub fn validate(document: &Value) {
    let errors = schema_errors(document);
    assert!(errors.is_empty(), "{errors:#?}\n{document}");
}

/// The first errors of `document` against GS1's EPCIS 2.0 JSON schema
/// (none when `LOTLEDGER_EPCIS_SCHEMA` is not set).
pub fn schema_errors(document: &Value) -> Vec<String> {
    let Ok(path) = std::env::var("LOTLEDGER_EPCIS_SCHEMA") else { return Vec::new() };
    thread_local! {
        static VALIDATOR: std::cell::OnceCell<jsonschema::Validator> = const { std::cell::OnceCell::new() };
    }
    VALIDATOR.with(|v| {
        let v = v.get_or_init(|| {
            let schema: Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
            jsonschema::options().should_validate_formats(true).build(&schema).unwrap()
        });
        v.iter_errors(document)
            .take(10)
            .map(|e| format!("{} at {}", e, e.instance_path()))
            .collect()
    })
}

/// Retries `f` until it gives `Some`, for at most `limit` (a generous
/// bound on waiting, not a timing assertion).
pub fn eventually<T>(limit: Duration, mut f: impl FnMut() -> Option<T>) -> T {
    let start = Instant::now();
    loop {
        if let Some(t) = f() {
            return t;
        }
        assert!(start.elapsed() < limit, "nothing after {limit:?}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// The bytes of every segment file of a ledger, by name.
pub fn segments(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut out: Vec<(String, Vec<u8>)> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "seg"))
        .map(|p| (p.file_name().unwrap().to_str().unwrap().to_owned(), std::fs::read(&p).unwrap()))
        .collect();
    out.sort();
    out
}

/// Percent-encodes a path segment or query value.
pub fn enc(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                char::from(b).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

//! A load test of `lotledger serve` on loopback, bounded in time:
//! concurrent captures and queries; every acknowledged capture is in the
//! ledger afterwards and in the answers. Prints captures per second and the
//! query latency (median, p99); nothing about speed is asserted.
#![cfg(feature = "serve")]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    clippy::std_instead_of_core,
    clippy::cast_precision_loss,
    clippy::cast_possible_truncation,
    clippy::cast_sign_loss,
    clippy::print_stderr
)]

mod cli_common;
mod serve_common;

use std::collections::BTreeSet;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use lotledger::file::LedgerReader;
use lotledger::model::{DocumentKind, Record};
use serve_common::*;

const CAPTURERS: usize = 3;
const QUERIERS: usize = 3;
const RUN: Duration = Duration::from_secs(5);

fn document(client: usize, n: usize) -> String {
    format!(
        r#"{{"@context": ["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"],
 "type": "EPCISDocument", "schemaVersion": "2.0", "creationDate": "2026-01-01T00:00:00Z",
 "epcisBody": {{"eventList": [{{"type": "ObjectEvent", "eventTime": "2026-01-05T10:{:02}:{:02}.{:03}Z",
   "eventTimeZoneOffset": "+00:00", "action": "OBSERVE", "bizStep": "receiving",
   "epcList": ["https://id.gs1.org/01/09506000134352/21/L{client}-{n}"]}}]}}}}"#,
        n / 3600 % 60,
        n / 60 % 60,
        n % 1000
    )
}

fn sha256(bytes: &[u8]) -> String {
    use sha2::Digest as _;
    sha2::Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

#[test]
fn concurrent_captures_and_queries_lose_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let ledger = tmp.path().join("ledger");
    let (code, _, err) = cli_common::run(&["init", ledger.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    let tokens = tokens_file(tmp.path());
    let server = Server::capturing(&ledger, &tokens);
    let acked: Mutex<Vec<(String, String)>> = Mutex::new(Vec::new());
    let latencies: Mutex<Vec<Duration>> = Mutex::new(Vec::new());
    let refused = Mutex::new(Vec::new());
    let start = Instant::now();
    std::thread::scope(|scope| {
        for client in 0..CAPTURERS {
            let (server, acked, refused) = (&server, &acked, &refused);
            scope.spawn(move || {
                let mut n = 0;
                while start.elapsed() < RUN {
                    let doc = document(client, n);
                    let a = post(&server.url("/capture"), Some(ALICE), doc.as_bytes());
                    if a.status == 202 {
                        let epc = format!("https://id.gs1.org/01/09506000134352/21/L{client}-{n}");
                        acked.lock().unwrap().push((sha256(doc.as_bytes()), epc));
                    } else {
                        refused.lock().unwrap().push(format!("{}: {}", a.status, a.body));
                    }
                    n += 1;
                }
            });
        }
        for q in 0..QUERIERS {
            let (server, latencies) = (&server, &latencies);
            scope.spawn(move || {
                let mut mine = Vec::new();
                let mut n = 0usize;
                while start.elapsed() < RUN {
                    let query = match (n + q) % 3 {
                        0 => "/events?perPage=20".to_owned(),
                        1 => format!(
                            "/events?MATCH_epc={}",
                            enc(&format!(
                                "https://id.gs1.org/01/09506000134352/21/L{}-*",
                                n % CAPTURERS
                            ))
                        ),
                        _ => "/events?EQ_bizStep=receiving&perPage=50".to_owned(),
                    };
                    let t = Instant::now();
                    let a = get(&server.url(&query), None);
                    mine.push(t.elapsed());
                    assert_eq!(a.status, 200, "{query}: {}", a.body);
                    n += 1;
                }
                latencies.lock().unwrap().extend(mine);
            });
        }
    });
    let elapsed = start.elapsed();
    let acked = acked.into_inner().unwrap();
    let refused = refused.into_inner().unwrap();
    assert!(refused.is_empty(), "{refused:?}");
    assert!(!acked.is_empty());
    let mut latencies = latencies.into_inner().unwrap();
    latencies.sort();
    eprintln!(
        "serve load: {} captures in {:.2} s = {:.1} captures/s ({CAPTURERS} clients); {} queries ({QUERIERS} clients), latency median {:.2} ms, p99 {:.2} ms",
        acked.len(),
        elapsed.as_secs_f64(),
        acked.len() as f64 / elapsed.as_secs_f64(),
        latencies.len(),
        percentile(&latencies, 0.5).as_secs_f64() * 1e3,
        percentile(&latencies, 0.99).as_secs_f64() * 1e3,
    );
    // Every acknowledged capture is served, each event once.
    let (events, _) = all_pages(&server, "/events?perPage=1000");
    let served: BTreeSet<String> =
        events.iter().map(|e| e["epcList"][0].as_str().unwrap().to_owned()).collect();
    assert_eq!(events.len(), acked.len());
    for (_, epc) in &acked {
        assert!(served.contains(epc), "{epc} acknowledged but not served");
    }
    drop(server);
    // And in the ledger, re-opened: its attachment's digest for each.
    let reader = LedgerReader::open(&ledger).unwrap();
    let mut digests = BTreeSet::new();
    for e in reader.entries().unwrap() {
        if let Ok(Record::Attached(a)) = e.unwrap().record()
            && a.kind == DocumentKind::Interchange
        {
            digests.insert(a.digest.to_string());
        }
    }
    for (digest, epc) in &acked {
        assert!(digests.contains(digest), "capture of {epc} acknowledged but not in the ledger");
    }
    let (code, out, err) = cli_common::run(&["verify", ledger.to_str().unwrap()]);
    assert_eq!(code, 0, "{out}{err}");
}

//! `lotledger serve --tls-cert --tls-key`: HTTPS with rustls; a plain HTTP
//! request gets no answer, a bad key file is refused naming the file.
#![cfg(feature = "serve")]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    clippy::std_instead_of_core
)]

mod cli_common;
mod serve_common;

use std::io::{Read as _, Write as _};
use std::net::TcpStream;
use std::sync::Arc;

use tokio_rustls::rustls;
use tokio_rustls::rustls::pki_types::{CertificateDer, ServerName};

fn https_get(addr: &str, cert: &CertificateDer<'static>, path: &str) -> String {
    let mut roots = rustls::RootCertStore::empty();
    roots.add(cert.clone()).unwrap();
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    let name = ServerName::try_from("localhost").unwrap();
    let conn = rustls::ClientConnection::new(Arc::new(config), name).unwrap();
    let mut tls = rustls::StreamOwned::new(conn, TcpStream::connect(addr).unwrap());
    tls.write_all(
        format!("GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n").as_bytes(),
    )
    .unwrap();
    let mut answer = Vec::new();
    // The server may close without close_notify once the answer is sent.
    let _ = tls.read_to_end(&mut answer);
    String::from_utf8_lossy(&answer).into_owned()
}

#[test]
fn https_with_a_certificate_and_nothing_in_the_clear() {
    let tmp = tempfile::tempdir().unwrap();
    let ledger = tmp.path().join("ledger");
    assert_eq!(cli_common::run(&["init", ledger.to_str().unwrap()]).0, 0);
    let generated =
        rcgen::generate_simple_self_signed(vec!["localhost".to_owned(), "127.0.0.1".to_owned()])
            .unwrap();
    let (cert_pem, key_pem) = (tmp.path().join("cert.pem"), tmp.path().join("key.pem"));
    std::fs::write(&cert_pem, generated.cert.pem()).unwrap();
    std::fs::write(&key_pem, generated.signing_key.serialize_pem()).unwrap();
    let cert = CertificateDer::from(generated.cert.der().to_vec());

    // A key file that holds no key is refused, naming the file.
    let bad = tmp.path().join("bad.pem");
    std::fs::write(&bad, "not a key\n").unwrap();
    let (code, _, err) = cli_common::run(&[
        "serve",
        ledger.to_str().unwrap(),
        "--listen",
        "127.0.0.1:0",
        "--tls-cert",
        cert_pem.to_str().unwrap(),
        "--tls-key",
        bad.to_str().unwrap(),
    ]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("--tls-key") && err.contains("bad.pem"), "{err}");

    let server = serve_common::Server::start(&[
        ledger.to_str().unwrap(),
        "--tls-cert",
        cert_pem.to_str().unwrap(),
        "--tls-key",
        key_pem.to_str().unwrap(),
    ]);
    let addr = server.base.strip_prefix("https://").unwrap_or_else(|| panic!("{}", server.base));
    let answer = https_get(addr, &cert, "/events?perPage=1");
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(answer.to_ascii_lowercase().contains("gs1-epcis-version: 2.0.0"), "{answer}");
    assert!(answer.contains("EPCISQueryDocument"), "{answer}");
    // In the clear, the same request gets no HTTP answer.
    let mut plain = TcpStream::connect(addr).unwrap();
    plain.set_read_timeout(Some(std::time::Duration::from_secs(30))).unwrap();
    plain.write_all(b"GET /events HTTP/1.1\r\nHost: localhost\r\n\r\n").unwrap();
    let mut got = Vec::new();
    let _ = plain.read_to_end(&mut got);
    assert!(!String::from_utf8_lossy(&got).starts_with("HTTP/1.1 200"), "{got:?}");
}

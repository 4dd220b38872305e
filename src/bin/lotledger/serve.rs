//! `lotledger serve`: an EPCIS 2.0 REST repository over the ledgers, with
//! lotledger's own JSON API beside it (docs/SERVE.md).
//!
//! One process holds the index and an EPCIS event table in memory and
//! follows the ledgers as they grow; captures are imported into the
//! capture ledger through the import `import-epcis` runs.

mod api;
mod capture;
mod events;
mod follow;
mod tls;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{DefaultBodyLimit, Path, RawQuery, Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde_json::{Value, json};

use lotledger::file::LedgerReader;
use lotledger::index::Index;
use lotledger::model::PartyId;

use crate::interchange::now;
use crate::{CliError, Outcome};
use capture::{Client, Job, Refused, Tokens};
use events::{Discovery, Query, Table};
use follow::Follower;

/// How `serve` runs (the command line).
#[derive(clap::Args)]
pub struct Config {
    /// The ledger directories (followed as they grow).
    #[arg(required = true)]
    pub dirs: Vec<PathBuf>,
    /// The address to listen on (port 0 picks a free port).
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,
    /// The ledger captures are written to (one of DIRS; default: the first).
    #[arg(long, value_name = "DIR")]
    pub capture_into: Option<PathBuf>,
    /// The bearer tokens: one `NAME TOKEN` per line, # comments; NAME is
    /// the actor of what the token captures. Without it nothing can be captured.
    #[arg(long, value_name = "FILE")]
    pub tokens: Option<PathBuf>,
    /// Require a token for reads too.
    #[arg(long)]
    pub read_token: bool,
    /// The largest request body in bytes (a larger capture is refused).
    #[arg(long, default_value_t = 16 << 20, value_name = "BYTES")]
    pub max_body: usize,
    /// Requests per second the server answers (bursts of as many); 0: no limit.
    #[arg(long, default_value_t = 200, value_name = "N")]
    pub rate: u32,
    /// Our own party (gln:... or an internal code), for captured shipping
    /// events, as `import-epcis --own-party`.
    #[arg(long)]
    pub own_party: Option<String>,
    /// Serve HTTPS (rustls) with this PEM certificate chain (needs --tls-key).
    #[arg(long, value_name = "PEM", requires = "tls_key")]
    pub tls_cert: Option<PathBuf>,
    /// The PEM private key of --tls-cert.
    #[arg(long, value_name = "PEM", requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,
    /// Milliseconds between polls of the ledgers for new entries.
    #[arg(long, default_value_t = 250, value_name = "MS")]
    pub poll_ms: u64,
}

/// The largest number of events one capture may hold (advertised as
/// `GS1-EPCIS-Capture-Limit`).
const CAPTURE_EVENT_LIMIT: usize = 10_000;

/// What every request shares.
struct Shared {
    capture_dir: PathBuf,
    tokens: Tokens,
    read_token: bool,
    max_body: usize,
    own_party: Option<PartyId>,
    index: Arc<RwLock<Index>>,
    /// The EPCIS event table; queries hold it for reading while they run,
    /// the follower for writing while it adds rows.
    table: RwLock<Table>,
    follower: Mutex<Follower>,
    /// Captures one at a time: each is imported whole under the ledger lock.
    capturing: Mutex<()>,
    jobs: Mutex<Vec<Job>>,
    rate: Mutex<Bucket>,
}

/// A token bucket: `rate` requests a second, bursts of as many.
struct Bucket {
    rate: f64,
    tokens: f64,
    at: Instant,
}

impl Bucket {
    fn take(&mut self) -> bool {
        if self.rate <= 0.0 {
            return true;
        }
        let now = Instant::now();
        let dt = now.duration_since(self.at).as_secs_f64();
        self.at = now;
        self.tokens = (self.tokens + dt * self.rate).min(self.rate);
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

/// The message of a CLI error, for a problem document.
pub fn cli_message(e: &CliError) -> String {
    match e {
        CliError::Usage(m)
        | CliError::Input(m)
        | CliError::Storage(m)
        | CliError::Check(m)
        | CliError::Unverified(m)
        | CliError::NotFound(m) => m.clone(),
        CliError::Io(e) => e.to_string(),
    }
}

/// An RFC 7807 problem document with the bindings' exception type.
fn problem(status: StatusCode, exception: &str, title: &str, detail: &str) -> Response {
    let body = json!({
        "type": format!("epcisException:{exception}"),
        "title": title,
        "status": status.as_u16(),
        "detail": detail,
    });
    let mut r = (status, body.to_string()).into_response();
    r.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static("application/problem+json"));
    r
}

fn ld_json(value: &Value) -> Response {
    ld_text(value.to_string())
}

fn ld_text(text: String) -> Response {
    let mut r = text.into_response();
    r.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/ld+json"));
    r
}

fn plain_json(value: &Value) -> Response {
    let mut r = value.to_string().into_response();
    r.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    r
}

/// Runs the server until interrupted.
pub fn run(config: Config) -> Result<Outcome, CliError> {
    let first = config
        .dirs
        .first()
        .ok_or_else(|| CliError::Usage("give at least one ledger directory".to_owned()))?;
    let capture_dir = config.capture_into.clone().unwrap_or_else(|| first.clone());
    if !config.dirs.contains(&capture_dir) {
        return Err(CliError::Usage(format!(
            "--capture-into {}: not one of the ledgers served",
            capture_dir.display()
        )));
    }
    let tokens = match &config.tokens {
        Some(path) => Tokens::read(path)?,
        None => Tokens::none(),
    };
    if config.read_token && config.tokens.is_none() {
        return Err(CliError::Usage("--read-token needs --tokens".to_owned()));
    }
    let own_party = config
        .own_party
        .as_deref()
        .map(|p| {
            crate::queries::parse_party(p)
                .map_err(|_| CliError::Usage(format!("--own-party {p:?}: not a party")))
        })
        .transpose()?;
    let tls = match (&config.tls_cert, &config.tls_key) {
        (Some(cert), Some(key)) => Some(tls::config(cert, key)?),
        _ => None,
    };
    let mut ids = Vec::with_capacity(config.dirs.len());
    for dir in &config.dirs {
        ids.push(
            LedgerReader::open(dir).map_err(|e| CliError::Storage(e.to_string()))?.ledger_id(),
        );
    }
    let (index, _) = crate::queries::open_index(&config.dirs)?;
    let index = Arc::new(RwLock::new(std::mem::ManuallyDrop::into_inner(index)));
    let mut follower = Follower::new(&config.dirs, &ids, own_party.clone());
    follower.poll(&index);
    let table = {
        let i = index.read().map_err(|_| CliError::Storage("index lock".into()))?;
        follower.table(&i, now())
    };
    let shared = Arc::new(Shared {
        capture_dir,
        tokens,
        read_token: config.read_token,
        max_body: config.max_body,
        own_party,
        index,
        table: RwLock::new(table),
        follower: Mutex::new(follower),
        capturing: Mutex::new(()),
        jobs: Mutex::new(Vec::new()),
        rate: Mutex::new(Bucket {
            rate: f64::from(config.rate),
            tokens: f64::from(config.rate),
            at: Instant::now(),
        }),
    });
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| CliError::Storage(format!("starting the server: {e}")))?;
    let poll = Duration::from_millis(config.poll_ms.max(10));
    runtime.block_on(serve(shared, config.listen, poll, tls))
}

async fn serve(
    shared: Arc<Shared>,
    listen: SocketAddr,
    poll: Duration,
    tls: Option<Arc<tokio_rustls::rustls::ServerConfig>>,
) -> Result<Outcome, CliError> {
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .map_err(|e| CliError::Storage(format!("--listen {listen}: {e}")))?;
    let addr = listener.local_addr().map_err(|e| CliError::Storage(e.to_string()))?;
    let follower = Arc::clone(&shared);
    tokio::spawn(async move {
        loop {
            tokio::time::sleep(poll).await;
            let s = Arc::clone(&follower);
            let _ = tokio::task::spawn_blocking(move || refresh(&s)).await;
        }
    });
    let app = router(Arc::clone(&shared));
    let stop = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    let served = if let Some(config) = tls {
        let listener = tls::Listener::new(listener, config)
            .map_err(|e| CliError::Storage(format!("--listen {listen}: {e}")))?;
        announce("https", addr);
        axum::serve(listener, app).with_graceful_shutdown(stop).await
    } else {
        announce("http", addr);
        axum::serve(listener, app).with_graceful_shutdown(stop).await
    };
    served.map_err(|e| CliError::Storage(format!("serving: {e}")))?;
    Ok(Outcome::Ok)
}

/// The one line a starting server prints: where it listens.
fn announce(scheme: &str, addr: SocketAddr) {
    use std::io::Write as _;
    println!("listening on {scheme}://{addr}");
    let _ = std::io::stdout().flush();
}

/// Reads what the ledgers gained and, when they gained anything, adds the
/// rows of the new entries to the event table (or builds it again).
fn refresh(shared: &Shared) {
    let Ok(mut follower) = shared.follower.lock() else { return };
    if follower.poll(&shared.index) == 0 {
        return;
    }
    if let Ok(index) = shared.index.read() {
        follower.update(&index, &shared.table, now());
    }
}

fn table(shared: &Shared) -> std::sync::RwLockReadGuard<'_, Table> {
    shared.table.read().unwrap_or_else(std::sync::PoisonError::into_inner)
}

fn router(shared: Arc<Shared>) -> Router {
    let max_body = shared.max_body;
    let mut app = Router::new()
        .route("/events", get(get_events).post(post_event))
        .route("/events/{id}", get(get_event))
        .route("/capture", get(get_jobs).post(post_capture))
        .route("/capture/{id}", get(get_job))
        .route("/", get(|| async { ui(include_str!("serve/ui/index.html"), "text/html; charset=utf-8") }))
        .route(
            "/ui/style.css",
            get(|| async { ui(include_str!("serve/ui/style.css"), "text/css; charset=utf-8") }),
        )
        .route(
            "/ui/app.js",
            get(|| async { ui(include_str!("serve/ui/app.js"), "text/javascript; charset=utf-8") }),
        )
        .route(
            "/api/checkpoint",
            get(|State(s): State<Arc<Shared>>| async move { follower_answer(&s, Follower::checkpoints) }),
        )
        .route(
            "/api/proof",
            get(|State(s): State<Arc<Shared>>, RawQuery(q): RawQuery| async move { get_proof(s, q).await }),
        )
        .route(
            "/api/status",
            get(|State(s): State<Arc<Shared>>| async move { follower_answer(&s, Follower::status) }),
        )
        .route(
            "/api/{endpoint}",
            get(|State(s): State<Arc<Shared>>, Path(e): Path<String>, RawQuery(q): RawQuery| async move {
                own_api(s, e, None, q).await
            }),
        )
        .route(
            "/api/{endpoint}/{arg}",
            get(
                |State(s): State<Arc<Shared>>,
                 Path((e, a)): Path<(String, String)>,
                 RawQuery(q): RawQuery| async move { own_api(s, e, Some(a), q).await },
            ),
        );
    for (path, d) in [
        ("eventTypes", Discovery::EventTypes),
        ("epcs", Discovery::Epcs),
        ("bizSteps", Discovery::BizSteps),
        ("bizLocations", Discovery::BizLocations),
        ("readPoints", Discovery::ReadPoints),
        ("dispositions", Discovery::Dispositions),
    ] {
        app = app
            .route(
                &format!("/{path}"),
                get(move |State(s): State<Arc<Shared>>| async move { discovery(&s, d) }),
            )
            .route(
                &format!("/{path}/{{value}}"),
                get(|| async { ld_json(&json!({"@context": events::context(), "type": "Collection", "member": ["events"]})) }),
            )
            .route(
                &format!("/{path}/{{value}}/events"),
                get(
                    move |State(s): State<Arc<Shared>>,
                          Path(value): Path<String>,
                          RawQuery(q): RawQuery| async move {
                        let here = format!("/{path}/{}/events", events::encode(&value));
                        let mut pairs = vec![(d.parameter().to_owned(), value)];
                        pairs.extend(query_pairs(q.as_deref()));
                        events_page(&s, &pairs, &here, 1)
                    },
                ),
            );
    }
    app.layer(DefaultBodyLimit::max(max_body))
        .layer(middleware::from_fn_with_state(Arc::clone(&shared), guard))
        .with_state(shared)
}

/// The GS1 headers every response carries.
fn gs1_headers(h: &mut HeaderMap, max_body: usize) {
    h.insert("GS1-EPCIS-Version", HeaderValue::from_static("2.0.0"));
    h.insert("GS1-CBV-Version", HeaderValue::from_static("2.0.0"));
    h.insert("GS1-EPCIS-Min", HeaderValue::from_static("2.0.0"));
    h.insert("GS1-EPCIS-Max", HeaderValue::from_static("2.0.0"));
    h.insert("GS1-CBV-Min", HeaderValue::from_static("2.0.0"));
    h.insert("GS1-CBV-Max", HeaderValue::from_static("2.0.0"));
    h.insert("GS1-Extensions", HeaderValue::from_static("ll=urn:lotledger:epcis:"));
    h.insert("GS1-EPCIS-Capture-Limit", HeaderValue::from(CAPTURE_EVENT_LIMIT));
    h.insert("GS1-EPCIS-Capture-File-Size-Limit", HeaderValue::from(max_body));
    h.insert("GS1-Capture-Error-Behaviour", HeaderValue::from_static("rollback"));
}

/// The methods a path allows (for `OPTIONS` and 405 answers).
fn allowed(path: &str) -> &'static str {
    if path == "/events" || path == "/capture" { "GET, POST, OPTIONS" } else { "GET, OPTIONS" }
}

/// Rate limit, read tokens, `OPTIONS`, and the GS1 headers on every answer.
async fn guard(State(s): State<Arc<Shared>>, request: Request, next: Next) -> Response {
    let path = request.uri().path().to_owned();
    let method = request.method().clone();
    let mut response = if !s.rate.lock().is_ok_and(|mut b| b.take()) {
        let mut r = problem(
            StatusCode::TOO_MANY_REQUESTS,
            "ImplementationException",
            "Too many requests",
            "the request rate limit (--rate) is exceeded; retry later",
        );
        r.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
        r
    } else if method == Method::OPTIONS {
        let mut r = StatusCode::NO_CONTENT.into_response();
        r.headers_mut().insert(header::ALLOW, HeaderValue::from_static(allowed(&path)));
        r
    } else if method != Method::POST && s.read_token && bearer_actor(&s, request.headers()).is_err()
    {
        security(bearer_actor(&s, request.headers()).err().unwrap_or(StatusCode::UNAUTHORIZED))
    } else {
        next.run(request).await
    };
    if response.status() == StatusCode::METHOD_NOT_ALLOWED {
        response = problem(
            StatusCode::METHOD_NOT_ALLOWED,
            "ImplementationException",
            "Method not allowed",
            &format!("{path} allows {}", allowed(&path)),
        );
        response.headers_mut().insert(header::ALLOW, HeaderValue::from_static(allowed(&path)));
    } else if response.status() == StatusCode::NOT_FOUND
        && response
            .headers()
            .get(header::CONTENT_TYPE)
            .is_none_or(|c| c.as_bytes() != b"application/problem+json")
    {
        response = problem(
            StatusCode::NOT_FOUND,
            "NoSuchResourceException",
            "No such resource",
            &format!("{path} is not a resource of this repository"),
        );
    }
    gs1_headers(response.headers_mut(), s.max_body);
    response
}

/// The client of the request's bearer token; 401 without one, 403 for a token not in the file.
fn bearer_actor(s: &Shared, headers: &HeaderMap) -> Result<Client, StatusCode> {
    let Some(value) = headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()) else {
        return Err(StatusCode::UNAUTHORIZED);
    };
    let Some(token) = value.strip_prefix("Bearer ") else { return Err(StatusCode::UNAUTHORIZED) };
    s.tokens.client(token.trim()).cloned().ok_or(StatusCode::FORBIDDEN)
}

fn security(status: StatusCode) -> Response {
    let (title, detail) = if status == StatusCode::FORBIDDEN {
        ("Client unauthorised", "the bearer token is not one of the server's tokens")
    } else {
        ("Unauthorised request", "an Authorization: Bearer TOKEN header is required")
    };
    let mut r = problem(status, "SecurityException", title, detail);
    r.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
    r
}

/// The decoded pairs of a query string.
fn query_pairs(q: Option<&str>) -> Vec<(String, String)> {
    q.map(|q| {
        q.split('&')
            .filter(|p| !p.is_empty())
            .map(|p| {
                let (k, v) = p.split_once('=').unwrap_or((p, ""));
                (decode(k), decode(v))
            })
            .collect()
    })
    .unwrap_or_default()
}

/// Percent-decodes a query component (`+` is a space).
fn decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        let hex = |j: usize| bytes.get(j).and_then(|c| char::from(*c).to_digit(16));
        match b {
            b'%' => {
                if let (Some(h), Some(l)) = (hex(i + 1), hex(i + 2)) {
                    out.push(u8::try_from(h * 16 + l).unwrap_or(b'?'));
                    i += 3;
                    continue;
                }
                out.push(b);
            }
            b'+' => out.push(b' '),
            _ => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

async fn get_events(State(s): State<Arc<Shared>>, RawQuery(q): RawQuery) -> Response {
    events_page(&s, &query_pairs(q.as_deref()), "/events", 0)
}

/// One page of events: the query of `pairs`, the first `implicit` of which
/// the path (`path`) stands for and the next page's link leaves out.
fn events_page(s: &Shared, pairs: &[(String, String)], path: &str, implicit: usize) -> Response {
    let query = match Query::parse(pairs) {
        Ok(q) => q,
        Err(e) => {
            return problem(
                StatusCode::BAD_REQUEST,
                "QueryParameterException",
                "Invalid query parameter",
                &e.0,
            );
        }
    };
    let table = table(s);
    let (page, next) = match query.run(&table) {
        Ok(answer) => answer,
        Err(events::TooLarge(max)) => {
            return problem(
                StatusCode::PAYLOAD_TOO_LARGE,
                "QueryTooLargeException",
                "Query result too large",
                &format!("more than maxEventCount ({max}) events match"),
            );
        }
    };
    let mut r = match events::query_document(&table, &page, now()) {
        Ok(text) => ld_text(text),
        Err(detail) => return unrendered(detail),
    };
    if let Some(next) = next {
        let link = events::next_link(path, &query, next, implicit);
        if let Ok(v) = HeaderValue::from_str(&format!("<{link}>; rel=\"next\"")) {
            r.headers_mut().insert(header::LINK, v);
        }
    }
    r
}

/// The answer when the events of a page could not be rendered.
fn unrendered(detail: &str) -> Response {
    problem(
        StatusCode::INTERNAL_SERVER_ERROR,
        "ImplementationException",
        "The query failed",
        detail,
    )
}

async fn get_event(State(s): State<Arc<Shared>>, Path(id): Path<String>) -> Response {
    let table = table(&s);
    match table.by_id.get(id.as_str()).and_then(|&i| table.rows.get(i)) {
        Some(row) => match events::query_document(&table, &[row], now()) {
            Ok(text) => ld_text(text),
            Err(detail) => unrendered(detail),
        },
        None => problem(
            StatusCode::NOT_FOUND,
            "NoSuchResourceException",
            "No such event",
            "no event of this repository has that eventID",
        ),
    }
}

fn discovery(s: &Shared, d: Discovery) -> Response {
    let mut members = table(s).distinct(d);
    if matches!(d, Discovery::EventTypes) {
        members = events::EVENT_TYPES.iter().map(|t| (*t).to_owned()).collect();
    }
    ld_json(&json!({"@context": events::context(), "type": "Collection", "member": members}))
}

async fn post_capture(
    State(s): State<Arc<Shared>>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    capture_request(s, &headers, body, false).await
}

async fn post_event(
    State(s): State<Arc<Shared>>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    capture_request(s, &headers, body, true).await
}

fn too_large(max: usize) -> Response {
    problem(
        StatusCode::PAYLOAD_TOO_LARGE,
        "CaptureLimitExceededException",
        "Capture payload too large",
        &format!(
            "a capture holds at most {max} bytes and {CAPTURE_EVENT_LIMIT} events; nothing written"
        ),
    )
}

fn invalid(detail: &str) -> Response {
    problem(StatusCode::BAD_REQUEST, "ValidationException", "Invalid EPCIS document", detail)
}

async fn capture_request(
    s: Arc<Shared>,
    headers: &HeaderMap,
    body: Result<Bytes, BytesRejection>,
    single: bool,
) -> Response {
    let actor = match bearer_actor(&s, headers) {
        Ok(a) => a,
        Err(status) => return security(status),
    };
    let bytes = match body {
        Ok(b) => b,
        Err(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => return too_large(s.max_body),
        Err(e) => return invalid(&format!("the request body could not be read: {e}")),
    };
    if bytes.len() > s.max_body {
        return too_large(s.max_body);
    }
    let created = now();
    let document: Vec<u8> = if single {
        match serde_json::from_slice::<Value>(&bytes) {
            Ok(event) if event.is_object() => {
                capture::single_event_document(&event, created).to_string().into_bytes()
            }
            Ok(_) => {
                return invalid("POST /events takes one event, a JSON object; nothing written");
            }
            Err(e) => {
                return invalid(&format!(
                    "not JSON: error at line {}, column {}; nothing written",
                    e.line(),
                    e.column()
                ));
            }
        }
    } else {
        bytes.to_vec()
    };
    if let Ok(doc) = serde_json::from_slice::<Value>(&document) {
        let n =
            lotledger::interop::epcis::event_hash::document_events(&doc).map_or(0, <[Value]>::len);
        if n > CAPTURE_EVENT_LIMIT {
            return too_large(s.max_body);
        }
    }
    let worker = Arc::clone(&s);
    let done = tokio::task::spawn_blocking(move || {
        let _one = worker.capturing.lock();
        let name = format!("capture by {}", actor.actor);
        let result = capture::capture(
            &worker.capture_dir,
            &document,
            &actor,
            worker.own_party.as_ref(),
            &name,
            created,
        );
        if result.is_ok() {
            refresh(&worker);
        }
        (actor, result)
    })
    .await;
    let Ok((actor, result)) = done else {
        return problem(
            StatusCode::INTERNAL_SERVER_ERROR,
            "ImplementationException",
            "Capture failed",
            "the capture stopped unexpectedly; see the server's standard error",
        );
    };
    match result {
        Ok(report) => {
            let Ok(mut jobs) = s.jobs.lock() else {
                return StatusCode::INTERNAL_SERVER_ERROR.into_response();
            };
            let id = jobs.len() as u64 + 1;
            jobs.push(Job {
                id,
                created,
                finished: Some(now()),
                success: true,
                errors: Vec::new(),
                captured_by: actor.actor.to_string(),
                report: Some(report),
            });
            let mut r = StatusCode::ACCEPTED.into_response();
            if let Ok(v) = HeaderValue::from_str(&format!("/capture/{id}")) {
                r.headers_mut().insert(header::LOCATION, v);
            }
            r
        }
        Err(Refused::Invalid(m)) => invalid(&m),
        Err(Refused::Storage(m)) => problem(
            StatusCode::SERVICE_UNAVAILABLE,
            "ImplementationException",
            "The capture ledger could not be written",
            &m,
        ),
    }
}

/// An answer from what the follower holds.
fn follower_answer(s: &Shared, answer: fn(&Follower) -> Value) -> Response {
    match s.follower.lock() {
        Ok(f) => plain_json(&answer(&f)),
        Err(_) => problem(
            StatusCode::INTERNAL_SERVER_ERROR,
            "ImplementationException",
            "The follower stopped",
            "see the server's standard error",
        ),
    }
}

/// An asset of the browser view, which may load nothing but from this server.
fn ui(body: &'static str, content_type: &'static str) -> Response {
    let mut r = body.into_response();
    let h = r.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'self'; img-src 'self' blob: data:; object-src 'none'",
        ),
    );
    r
}

/// One answer of lotledger's own API (`/api/...`), as the CLI's `--json`.
async fn own_api(
    s: Arc<Shared>,
    endpoint: String,
    arg: Option<String>,
    q: Option<String>,
) -> Response {
    let mut params = api::Params::new();
    for (k, v) in query_pairs(q.as_deref()) {
        params.entry(k).or_default().push(v);
    }
    let index = Arc::clone(&s.index);
    let answered = tokio::task::spawn_blocking(move || {
        let index =
            index.read().map_err(|_| CliError::Storage("the index lock is poisoned".into()))?;
        api::answer(&index, &endpoint, arg.as_deref(), &params)
    })
    .await;
    api_response(answered, |v| plain_json(&v))
}

/// An `/api/` answer, or the problem its error is: 404 for what is not
/// there, 400 for a bad parameter, 500 for the rest.
fn api_response<T>(
    answered: Result<Result<T, CliError>, tokio::task::JoinError>,
    ok: impl FnOnce(T) -> Response,
) -> Response {
    match answered {
        Ok(Ok(v)) => ok(v),
        Ok(Err(e @ CliError::NotFound(_))) => {
            problem(StatusCode::NOT_FOUND, "NoSuchResourceException", "Not found", &cli_message(&e))
        }
        Ok(Err(e @ (CliError::Usage(_) | CliError::Input(_)))) => problem(
            StatusCode::BAD_REQUEST,
            "QueryParameterException",
            "Invalid query parameter",
            &cli_message(&e),
        ),
        Ok(Err(e)) => problem(
            StatusCode::INTERNAL_SERVER_ERROR,
            "ImplementationException",
            "The query failed",
            &cli_message(&e),
        ),
        Err(_) => problem(
            StatusCode::INTERNAL_SERVER_ERROR,
            "ImplementationException",
            "The query failed",
            "the query stopped unexpectedly; see the server's standard error",
        ),
    }
}

/// `GET /api/proof?ledger=ID&seq=N`: the proof bundle of entry N against
/// the latest signed checkpoint of the ledger, as `lotledger prove` writes
/// it (`lotledger verify-proof` checks it).
async fn get_proof(s: Arc<Shared>, q: Option<String>) -> Response {
    let mut params = api::Params::new();
    for (k, v) in query_pairs(q.as_deref()) {
        params.entry(k).or_default().push(v);
    }
    let answered = tokio::task::spawn_blocking(move || {
        let (ledger, seq) = api::proof_params(&params)?;
        let follower =
            s.follower.lock().map_err(|_| CliError::Storage("the follower stopped".into()))?;
        follower.prove(&ledger, seq)
    })
    .await;
    api_response(answered, |text| {
        let mut r = text.into_response();
        r.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
        r
    })
}

async fn get_jobs(State(s): State<Arc<Shared>>, headers: HeaderMap) -> Response {
    if let Err(status) = bearer_actor(&s, &headers) {
        return security(status);
    }
    let jobs: Vec<Value> =
        s.jobs.lock().map(|j| j.iter().map(Job::json).collect()).unwrap_or_default();
    plain_json(&Value::Array(jobs))
}

async fn get_job(
    State(s): State<Arc<Shared>>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    if let Err(status) = bearer_actor(&s, &headers) {
        return security(status);
    }
    let job = s.jobs.lock().ok().and_then(|j| {
        id.parse::<u64>().ok().and_then(|n| j.iter().find(|x| x.id == n).map(Job::json))
    });
    match job {
        Some(j) => plain_json(&j),
        None => problem(
            StatusCode::NOT_FOUND,
            "NoSuchResourceException",
            "No such capture job",
            "no capture job has that id",
        ),
    }
}

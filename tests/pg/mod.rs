//! A PostgreSQL server for the database tests.
//!
//! With `LOTLEDGER_TEST_DB` set (a connection string to a server where the
//! user may `CREATE DATABASE`), the tests use that server. Otherwise each
//! test binary starts its own: `initdb` on a temporary directory, `pg_ctl
//! start` listening only on a Unix socket inside it, trust authentication.
//! The binaries are found in `LOTLEDGER_PG_BIN`, else
//! `/usr/lib/postgresql/15/bin` (Debian's `postgresql-15`), else the newest
//! `/usr/lib/postgresql/*/bin`, else `pg_config --bindir`. PostgreSQL refuses
//! to run as root: as root, the directory is given to the `postgres` user and
//! the server run as that user (`runuser`). A watchdog process stops the
//! server (`pg_ctl stop -m immediate`) and removes the directory when the
//! test binary exits, however it exits.
//!
//! A test that needs the server and cannot get one fails with the reason;
//! it never skips.
#![allow(
    dead_code,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::std_instead_of_core
)]

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU32, Ordering};

/// A running server: how to reach it, and how to restart it.
pub struct Server {
    /// A connection string without `dbname`.
    base: String,
    /// The private cluster, when this binary started one.
    own: Option<Own>,
}

struct Own {
    bin: PathBuf,
    data: PathBuf,
    log: PathBuf,
    root: bool,
    options: String,
}

static SERVER: OnceLock<Result<Server, String>> = OnceLock::new();

/// The server, started on first use.
///
/// # Panics
/// When no server can be had, with the reason.
pub fn server() -> &'static Server {
    match SERVER.get_or_init(start) {
        Ok(s) => s,
        Err(why) => panic!("the PostgreSQL tests need a server and none could be started: {why}"),
    }
}

/// A fresh, empty database on the server: its connection string.
pub fn fresh_db() -> String {
    static N: AtomicU32 = AtomicU32::new(0);
    let s = server();
    let name = format!("lotledger_t{}_{}", std::process::id(), N.fetch_add(1, Ordering::SeqCst));
    let mut admin = postgres::Client::connect(&s.url("postgres"), postgres::NoTls)
        .unwrap_or_else(|e| panic!("cannot connect to the test server: {e}"));
    admin.batch_execute(&format!("CREATE DATABASE {name}")).unwrap();
    s.url(&name)
}

impl Server {
    /// The connection string of database `db`.
    pub fn url(&self, db: &str) -> String {
        with_dbname(&self.base, db)
    }

    /// Stops the private server (fast), as a crash of the database would.
    ///
    /// # Panics
    /// On a server given by `LOTLEDGER_TEST_DB`, which the tests do not own.
    pub fn stop(&self) {
        let own = self.own.as_ref().expect("only a private test server can be stopped");
        let out = own
            .cmd("pg_ctl")
            .args(["stop", "-w", "-m", "immediate", "-D"])
            .arg(&own.data)
            .output()
            .unwrap();
        assert!(out.status.success(), "pg_ctl stop: {}", String::from_utf8_lossy(&out.stderr));
    }

    /// Starts the private server again after [`Server::stop`].
    pub fn start_again(&self) {
        let own = self.own.as_ref().expect("only a private test server can be restarted");
        own.start().unwrap();
    }
}

impl Own {
    fn cmd(&self, tool: &str) -> Command {
        let exe = self.bin.join(tool);
        if self.root {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(exe);
            c
        } else {
            Command::new(exe)
        }
    }

    fn start(&self) -> Result<(), String> {
        let out = self
            .cmd("pg_ctl")
            .args(["start", "-w", "-t", "120", "-D"])
            .arg(&self.data)
            .arg("-l")
            .arg(&self.log)
            .args(["-o", &self.options])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .output()
            .map_err(|e| format!("cannot run pg_ctl: {e}"))?;
        if out.status.success() {
            Ok(())
        } else {
            let log = std::fs::read_to_string(&self.log).unwrap_or_default();
            Err(format!(
                "pg_ctl start failed: {}\nserver log:\n{log}",
                String::from_utf8_lossy(&out.stderr)
            ))
        }
    }
}

/// `base` with `dbname` set to `db`, for key=value and URL forms alike.
fn with_dbname(base: &str, db: &str) -> String {
    if let Some(rest) =
        base.strip_prefix("postgresql://").or_else(|| base.strip_prefix("postgres://"))
    {
        let (path, query) = rest.split_once('?').map_or((rest, None), |(p, q)| (p, Some(q)));
        let host = path.split_once('/').map_or(path, |(h, _)| h);
        let mut url = format!("postgresql://{host}/{db}");
        if let Some(q) = query {
            url.push('?');
            url.push_str(q);
        }
        url
    } else {
        format!("{base} dbname={db}")
    }
}

fn pg_bin() -> Result<PathBuf, String> {
    if let Some(dir) = std::env::var_os("LOTLEDGER_PG_BIN") {
        return Ok(PathBuf::from(dir));
    }
    let debian = Path::new("/usr/lib/postgresql/15/bin");
    if debian.join("initdb").exists() {
        return Ok(debian.to_path_buf());
    }
    let mut found: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| {
            let v: u32 = e.file_name().to_str()?.parse().ok()?;
            let bin = e.path().join("bin");
            bin.join("initdb").exists().then_some((v, bin))
        })
        .collect();
    found.sort();
    if let Some((_, bin)) = found.pop() {
        return Ok(bin);
    }
    if let Ok(out) = Command::new("pg_config").arg("--bindir").output() {
        let dir = PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
        if out.status.success() && dir.join("initdb").exists() {
            return Ok(dir);
        }
    }
    Err("no initdb found: install PostgreSQL (Debian: apt-get install postgresql-15), \
         set LOTLEDGER_PG_BIN to its bin directory, or set LOTLEDGER_TEST_DB to a server"
        .into())
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

fn start() -> Result<Server, String> {
    if let Ok(base) = std::env::var("LOTLEDGER_TEST_DB")
        && !base.trim().is_empty()
    {
        return Ok(Server { base, own: None });
    }
    let bin = pg_bin()?;
    let root = is_root();
    // A short path: the socket's path must fit in 107 bytes.
    let tmp = tempfile::Builder::new()
        .prefix("llpg")
        .tempdir_in("/tmp")
        .map_err(|e| format!("cannot make a temporary directory: {e}"))?
        .keep();
    if root {
        let out = Command::new("chown")
            .args(["-R", "postgres:"])
            .arg(&tmp)
            .output()
            .map_err(|e| format!("cannot run chown: {e}"))?;
        if !out.status.success() {
            let _ = std::fs::remove_dir_all(&tmp);
            return Err(format!(
                "running as root, the server must run as the user postgres (created by \
                 Debian's postgresql package), but chown failed: {}",
                String::from_utf8_lossy(&out.stderr)
            ));
        }
    }
    let data = tmp.join("data");
    let own = Own {
        bin: bin.clone(),
        data: data.clone(),
        log: tmp.join("server.log"),
        root,
        // Socket only, in the private directory; durability is not under
        // test here (the client is what gets killed), speed is.
        options: format!(
            "-c listen_addresses='' -c unix_socket_directories='{}' -c port=5432 \
             -c fsync=off -c synchronous_commit=off -c full_page_writes=off \
             -c max_connections=100 -c shared_buffers=64MB",
            tmp.display()
        ),
    };
    // The watchdog: stops the server and removes the directory once this
    // process is gone, however it ends.
    let pid = std::process::id();
    let stop = if root {
        format!(
            "runuser -u postgres -- '{}/pg_ctl' stop -m immediate -D '{}'",
            bin.display(),
            data.display()
        )
    } else {
        format!("'{}/pg_ctl' stop -m immediate -D '{}'", bin.display(), data.display())
    };
    let script = format!(
        "while kill -0 {pid} 2>/dev/null; do sleep 0.5; done; {stop} >/dev/null 2>&1; rm -rf '{}'",
        tmp.display()
    );
    Command::new("setsid")
        .args(["sh", "-c", &script])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("cannot start the watchdog (setsid sh): {e}"))?;
    let out = own
        .cmd("initdb")
        .args(["-D"])
        .arg(&data)
        .args(["-U", "postgres", "--auth=trust", "-E", "UTF8", "--locale=C", "--no-sync"])
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("cannot run {}/initdb: {e}", bin.display()))?;
    if !out.status.success() {
        return Err(format!(
            "initdb failed ({}): {}{}",
            bin.display(),
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    own.start()?;
    let base = format!("host={} port=5432 user=postgres", tmp.display());
    Ok(Server { base, own: Some(own) })
}

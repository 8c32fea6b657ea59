//! Services the workloads start for themselves: a private `redis-server` (Debian's package)
//! on a Unix socket in a temporary directory, without persistence, owned by a guard that
//! stops it.
//!
//! ```no_run
//! use hiperf_workloads::service::{RedisServer, Unavailable};
//!
//! match RedisServer::start() {
//!     Ok(server) => {
//!         let mut connection = server.connect().unwrap();
//!         let n: i64 = redis::cmd("INCR").arg("counter").query(&mut connection).unwrap();
//!         assert_eq!(n, 1);
//!     } // the server is killed and waited for here, also on a panic
//!     Err(Unavailable::NotInstalled(hint)) => println!("SKIPPED: {hint}"),
//!     Err(other) => panic!("{other}"),
//! }
//! ```

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The program started.
pub const REDIS_SERVER: &str = "redis-server";

/// What installs it on Debian and Ubuntu.
pub const REDIS_INSTALL: &str = "apt-get install -y redis-server";

/// How long the server may take to answer `PING`.
const READY_DEADLINE: Duration = Duration::from_secs(10);

/// Why a service could not be used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Unavailable {
    /// The program is not installed: the message says how to install it. Workloads report
    /// themselves skipped.
    NotInstalled(String),
    /// It is installed but did not start or answer: a failure, with its log.
    Failed(String),
}

impl std::fmt::Display for Unavailable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Unavailable::NotInstalled(hint) | Unavailable::Failed(hint) => f.write_str(hint),
        }
    }
}

/// A private `redis-server` on a Unix socket in a temporary directory, `--save ''
/// --appendonly no`: nothing persists. Dropping it kills the server and waits for it.
#[derive(Debug)]
pub struct RedisServer {
    child: Child,
    socket: PathBuf,
    log: PathBuf,
    // Dropped after the server is stopped (fields drop after `Drop::drop`).
    directory: tempfile::TempDir,
}

impl RedisServer {
    /// Starts a server and waits until it answers `PING` (10 s at most).
    ///
    /// # Errors
    ///
    /// [`Unavailable::NotInstalled`] when `redis-server` is not on `PATH`;
    /// [`Unavailable::Failed`], with the server's log, when it does not come up.
    pub fn start() -> Result<RedisServer, Unavailable> {
        let directory = tempfile::Builder::new()
            .prefix("hiperf-redis-")
            .tempdir()
            .map_err(|e| {
                Unavailable::Failed(format!("cannot create a temporary directory: {e}"))
            })?;
        let socket = directory.path().join("redis.sock");
        let log = directory.path().join("redis.log");
        let child = Command::new(REDIS_SERVER)
            .args(["--port", "0", "--unixsocket"])
            .arg(&socket)
            .args([
                "--unixsocketperm",
                "700",
                "--save",
                "",
                "--appendonly",
                "no",
            ])
            .arg("--dir")
            .arg(directory.path())
            .arg("--logfile")
            .arg(&log)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|error| match error.kind() {
                std::io::ErrorKind::NotFound => Unavailable::NotInstalled(format!(
                    "{REDIS_SERVER} is not installed; install it with `{REDIS_INSTALL}`"
                )),
                _ => Unavailable::Failed(format!("cannot start {REDIS_SERVER}: {error}")),
            })?;
        let mut server = RedisServer {
            child,
            socket,
            log,
            directory,
        };
        server.wait_ready()?;
        Ok(server)
    }

    /// Polls `PING` until the server answers, it exits, or the deadline passes.
    fn wait_ready(&mut self) -> Result<(), Unavailable> {
        let deadline = Instant::now() + READY_DEADLINE;
        let mut pause = Duration::from_millis(1);
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Err(Unavailable::Failed(format!(
                    "{REDIS_SERVER} exited ({status}) before answering PING; its log:\n{}",
                    self.log()
                )));
            }
            let answer = self
                .connect()
                .and_then(|mut connection| redis::cmd("PING").query::<String>(&mut connection));
            if answer.as_deref() == Ok("PONG") {
                return Ok(());
            }
            if Instant::now() >= deadline {
                return Err(Unavailable::Failed(format!(
                    "{REDIS_SERVER} did not answer PING within {READY_DEADLINE:?} ({answer:?}); its log:\n{}",
                    self.log()
                )));
            }
            std::thread::sleep(pause);
            pause = (pause * 2).min(Duration::from_millis(50));
        }
    }

    /// For tests: a started server, or `None` with the reason printed when `redis-server` is
    /// not installed (the test then skips its Redis part).
    ///
    /// # Panics
    ///
    /// When `redis-server` is installed but does not start: that is a failure, not a skip.
    pub fn start_or_skip() -> Option<RedisServer> {
        match RedisServer::start() {
            Ok(server) => Some(server),
            Err(Unavailable::NotInstalled(hint)) => {
                eprintln!("skipped the Redis part: {hint}");
                None
            }
            Err(error) => panic!("redis-server is installed but did not start: {error}"),
        }
    }

    /// The server's address for `redis::Client::open` and for worker processes.
    pub fn url(&self) -> String {
        format!("redis+unix://{}", self.socket.display())
    }

    /// The server's Unix socket.
    pub fn socket(&self) -> &Path {
        &self.socket
    }

    /// A new connection (commands time out after 10 s rather than hang).
    ///
    /// # Errors
    ///
    /// When the server does not accept it.
    pub fn connect(&self) -> redis::RedisResult<redis::Connection> {
        connect(&self.url())
    }

    /// The server's log so far (print it when a check fails).
    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log)
            .unwrap_or_else(|e| format!("(cannot read {}: {e})", self.log.display()))
    }

    /// The server's temporary directory (its socket and log).
    pub fn directory(&self) -> &Path {
        self.directory.path()
    }

    /// Adds the server's log to a failed check's message.
    pub fn explain(&self, message: String) -> String {
        format!(
            "{message}\n{REDIS_SERVER}'s log ({}):\n{}",
            self.log.display(),
            self.log()
        )
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A connection to the server at `url` (as [`RedisServer::url`] gives it), with 10 s
/// timeouts: what worker processes use.
///
/// # Errors
///
/// When the server does not accept it.
pub fn connect(url: &str) -> redis::RedisResult<redis::Connection> {
    let connection = redis::Client::open(url)?.get_connection()?;
    connection.set_read_timeout(Some(Duration::from_secs(10)))?;
    connection.set_write_timeout(Some(Duration::from_secs(10)))?;
    Ok(connection)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_started_server_answers_and_stops_with_its_guard() {
        let Some(server) = RedisServer::start_or_skip() else {
            return;
        };
        let mut connection = server.connect().unwrap();
        let count: i64 = redis::cmd("INCR").arg("n").query(&mut connection).unwrap();
        assert_eq!(count, 1);
        let saving: Vec<String> = redis::cmd("CONFIG")
            .arg("GET")
            .arg("save")
            .query(&mut connection)
            .unwrap();
        assert_eq!(saving, ["save", ""], "no persistence");
        let pid = server.child.id();
        let directory = server.directory().to_path_buf();
        drop(connection);
        drop(server);
        assert!(
            !Path::new(&format!("/proc/{pid}")).exists()
                || std::fs::read_to_string(format!("/proc/{pid}/stat"))
                    .is_ok_and(|stat| stat.contains(") Z")),
            "the server still runs after its guard was dropped"
        );
        assert!(!directory.exists(), "its temporary directory is removed");
    }
}

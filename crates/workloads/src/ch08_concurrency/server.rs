//! The book's two Tornado servers in one: `cralwer/server.py` (`GET /add?name=X&delay=MS`
//! sleeps asynchronously, answers `.` and records when each request started and ended) and
//! `workload/server.py` (`POST /add` sleeps 0.1 s and echoes the body as JSON).
//!
//! The server runs on a single-threaded tokio runtime of its own OS thread, as Tornado runs
//! in a process of its own: the clients' executors never run its handlers, so a client that
//! blocks its executor blocks only itself. It listens on `127.0.0.1`, on a port the system
//! chooses, and stops when the [`Server`] guard is dropped.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::{Query, State};
use axum::routing::get;
use serde::Deserialize;

/// The book's default `delay` of `GET /add`, in milliseconds.
pub const DEFAULT_DELAY_MS: u64 = 1024;

/// The book's sleep of `POST /add`, in milliseconds.
pub const POST_DELAY_MS: u64 = 100;

/// How long [`Server::start`] waits for the server to answer before giving up.
const READY_DEADLINE: Duration = Duration::from_secs(10);

/// Pending connections the listener queues: the sweep opens up to 500 at once, past the 128
/// that `std` would ask for, and a refused SYN is retried only after a second.
const LISTEN_BACKLOG: u32 = 1024;

/// One request the server answered (an entry of the book's `metric_data.json`).
#[derive(Clone, Debug, PartialEq)]
pub struct RequestRecord {
    /// The `name` query parameter (`POST` for the echo endpoint).
    pub name: String,
    /// Seconds from the server's start to the request's arrival.
    pub start: f64,
    /// Seconds from the server's start to its answer.
    pub end: f64,
}

impl RequestRecord {
    /// The book's `dt`: how long the server held the request.
    pub fn seconds(&self) -> f64 {
        self.end - self.start
    }
}

/// The most requests the server held at one time, from their start and end times.
pub fn most_in_flight(records: &[RequestRecord]) -> usize {
    // An end sorts before a start at the same instant: the two did not overlap.
    let mut events: Vec<(f64, i32)> = records
        .iter()
        .flat_map(|record| [(record.start, 1), (record.end, -1)])
        .collect();
    events.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
    let mut in_flight = 0_i32;
    let mut most = 0_i32;
    for (_, change) in events {
        in_flight += change;
        most = most.max(in_flight);
    }
    most as usize
}

#[derive(Debug)]
struct Shared {
    started: Instant,
    records: Mutex<Vec<RequestRecord>>,
}

impl Shared {
    fn record(&self, name: String, start: Instant) {
        let record = RequestRecord {
            name,
            start: start.duration_since(self.started).as_secs_f64(),
            end: self.started.elapsed().as_secs_f64(),
        };
        self.records
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(record);
    }
}

/// A running server, stopped when dropped: its runtime is shut down, which cancels the
/// requests in flight and closes every connection and the listener, and its thread is joined.
///
/// ```
/// use hiperf_workloads::ch08_concurrency::Server;
///
/// let server = Server::start().unwrap();
/// let body = ureq::get(&format!("{}/add?name=doc&delay=1", server.url()))
///     .call()
///     .unwrap()
///     .body_mut()
///     .read_to_string()
///     .unwrap();
/// assert_eq!(body, ".");
/// assert_eq!(server.records().len(), 1);
/// ```
#[derive(Debug)]
pub struct Server {
    address: SocketAddr,
    shared: Arc<Shared>,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl Server {
    /// Starts the server on `127.0.0.1` and an ephemeral port, and returns once it answers
    /// (polled with a deadline).
    pub fn start() -> Result<Server, String> {
        let shared = Arc::new(Shared {
            started: Instant::now(),
            records: Mutex::new(Vec::new()),
        });
        let (shutdown, stop) = tokio::sync::oneshot::channel::<()>();
        let (bound, address) = std::sync::mpsc::channel::<Result<SocketAddr, String>>();
        let state = Arc::clone(&shared);
        let thread = std::thread::Builder::new()
            .name("ch08-server".to_string())
            .spawn(move || serve(state, stop, bound))
            .map_err(|error| format!("cannot start the server's thread: {error}"))?;
        let mut server = Server {
            address: SocketAddr::from(([127, 0, 0, 1], 0)),
            shared,
            shutdown: Some(shutdown),
            thread: Some(thread),
        };
        server.address = address
            .recv_timeout(READY_DEADLINE)
            .map_err(|error| format!("the server did not report its address: {error}"))??;
        wait_until_ready(server.address, READY_DEADLINE)?;
        Ok(server)
    }

    /// `http://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("http://{}", self.address)
    }

    /// The address the server listens on.
    pub fn address(&self) -> SocketAddr {
        self.address
    }

    /// Every request answered so far, in order of answer.
    pub fn records(&self) -> Vec<RequestRecord> {
        self.shared
            .records
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Forgets the requests answered so far (the book's `?flush=True`, without the file).
    pub fn clear(&self) {
        self.shared
            .records
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clear();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            // The server may have stopped already; then there is no one to tell.
            let _ = shutdown.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// The server thread: binds, reports the address, serves until told to stop, then drops its
/// runtime, which cancels the handlers still sleeping and closes their connections.
fn serve(
    shared: Arc<Shared>,
    stop: tokio::sync::oneshot::Receiver<()>,
    bound: std::sync::mpsc::Sender<Result<SocketAddr, String>>,
) {
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            let _ = bound.send(Err(format!("cannot build the server's runtime: {error}")));
            return;
        }
    };
    runtime.block_on(async move {
        let listener = match listen() {
            Ok(listener) => listener,
            Err(error) => {
                let _ = bound.send(Err(format!("cannot listen on 127.0.0.1: {error}")));
                return;
            }
        };
        let address = listener.local_addr().map_err(|error| error.to_string());
        let _ = bound.send(address);
        let router = Router::new()
            .route("/add", get(add).post(echo))
            .route("/ready", get(|| async { "ok" }))
            .with_state(shared);
        tokio::select! {
            _ = axum::serve(listener, router).into_future() => {}
            _ = stop => {}
        }
    });
    drop(runtime);
}

fn listen() -> std::io::Result<tokio::net::TcpListener> {
    let socket = tokio::net::TcpSocket::new_v4()?;
    socket.bind(SocketAddr::from(([127, 0, 0, 1], 0)))?;
    socket.listen(LISTEN_BACKLOG)
}

/// Polls `GET /ready` until it answers `200`, or fails after `deadline`.
fn wait_until_ready(address: SocketAddr, deadline: Duration) -> Result<(), String> {
    use std::io::{Read, Write};

    let start = Instant::now();
    let mut last_error = String::from("no answer");
    while start.elapsed() < deadline {
        let attempt = (|| -> std::io::Result<String> {
            let mut stream = std::net::TcpStream::connect_timeout(&address, deadline)?;
            stream.set_read_timeout(Some(deadline))?;
            stream.write_all(
                b"GET /ready HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n",
            )?;
            let mut answer = String::new();
            stream.read_to_string(&mut answer)?;
            Ok(answer)
        })();
        match attempt {
            Ok(answer) if answer.starts_with("HTTP/1.1 200") => return Ok(()),
            Ok(answer) => last_error = format!("answered {:?}", answer.lines().next()),
            Err(error) => last_error = error.to_string(),
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    Err(format!(
        "the server on {address} was not ready after {deadline:?}: {last_error}"
    ))
}

#[derive(Deserialize)]
struct AddQuery {
    name: Option<String>,
    delay: Option<u64>,
}

/// `GET /add?name=X&delay=MS`: sleeps `delay` milliseconds without blocking the server, then
/// answers `.` (the book's `AddMetric.get`).
async fn add(State(shared): State<Arc<Shared>>, Query(query): Query<AddQuery>) -> &'static str {
    let start = Instant::now();
    let delay = query.delay.unwrap_or(DEFAULT_DELAY_MS);
    tokio::time::sleep(Duration::from_millis(delay)).await;
    shared.record(query.name.unwrap_or_default(), start);
    "."
}

#[derive(Deserialize)]
struct EchoQuery {
    delay: Option<u64>,
}

/// `POST /add`: sleeps 0.1 s (or `?delay=MS`) and answers `{"result": "b'BODY'", "t": 0.5}`,
/// the body rendered as Python's `f"{body}"` renders bytes.
async fn echo(
    State(shared): State<Arc<Shared>>,
    Query(query): Query<EchoQuery>,
    body: String,
) -> axum::Json<serde_json::Value> {
    let start = Instant::now();
    let delay = query.delay.unwrap_or(POST_DELAY_MS);
    tokio::time::sleep(Duration::from_millis(delay)).await;
    shared.record("POST".to_string(), start);
    axum::Json(serde_json::json!({ "result": format!("b'{body}'"), "t": 0.5 }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(start: f64, end: f64) -> RequestRecord {
        RequestRecord {
            name: String::new(),
            start,
            end,
        }
    }

    #[test]
    fn in_flight_counts_overlaps_but_not_touching_ends() {
        assert_eq!(most_in_flight(&[]), 0);
        let records = [record(0.0, 1.0), record(0.5, 1.5), record(1.0, 2.0)];
        assert_eq!(most_in_flight(&records), 2);
        let back_to_back = [record(0.0, 1.0), record(1.0, 2.0), record(2.0, 3.0)];
        assert_eq!(most_in_flight(&back_to_back), 1);
        let nested = [record(0.0, 3.0), record(1.0, 2.0), record(1.5, 1.8)];
        assert_eq!(most_in_flight(&nested), 3);
    }
}

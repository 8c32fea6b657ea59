//! Chapter 8, Asynchronous I/O: crawlers of a real local HTTP server (serial, a pool of
//! threads, async), the book's CPU + I/O workload (bcrypt hashes POSTed to the server) in its
//! six modes, and the sweep of concurrency against the server's delay (`parallel_requests.py`).
//!
//! Every run starts its own [`Server`] on `127.0.0.1` and an ephemeral port, and stops it
//! when the run ends, also when a check fails. Only loopback is ever contacted.

mod crawler;
mod hashing;
mod server;
mod sweep;

pub use crawler::*;
pub use hashing::*;
pub use server::*;
pub use sweep::*;

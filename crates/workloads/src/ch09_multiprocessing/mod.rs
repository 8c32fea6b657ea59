//! Chapter 9, The multiprocessing module: Monte Carlo pi, prime generation and prime
//! validation in parallel, a counter under and without locks, and an array shared between
//! processes.
//!
//! Without a GIL, Rust's threads scale as the book's processes do; the process variants are
//! still here, as [`worker`](crate::worker) processes (this program started again) fed over
//! pipes, a memory map or Redis, because that is where the book's costs of communication
//! show, and where hiperf merges the workers' profiles into the parent's: the line tables of
//! `check_prime` count every candidate, whichever process tested it.
//!
//! The variants that need Redis start a private `redis-server`
//! ([`service::RedisServer`](crate::service::RedisServer)) and report themselves skipped,
//! with the command that installs it, where it is not installed.

// The trial divisions keep the book's `n % i == 0` tests and loops, line for line: their line
// tables read as the book's programs do.
#![allow(clippy::manual_is_multiple_of, clippy::manual_find)]

mod locking;
mod pi;
mod primes;
mod shared_array;
mod validation;

pub use locking::*;
pub use pi::*;
pub use primes::*;
pub use shared_array::*;
pub use validation::*;

/// Worker threads or processes of the pi and primes variants: one per core.
pub fn parallelism() -> usize {
    std::thread::available_parallelism().map_or(2, |n| n.get())
}

/// The book's `NBR_PROCESSES` for prime validation, locking and the shared array.
pub const BOOK_WORKERS: usize = 4;

/// A workload's result when a service it needs is missing: skipped with the install command,
/// or failed when it is installed but broken.
pub(crate) fn unavailable(
    run: &mut crate::Run,
    error: crate::service::Unavailable,
) -> Result<crate::Outcome, String> {
    match error {
        crate::service::Unavailable::NotInstalled(hint) => run.skip(hint),
        crate::service::Unavailable::Failed(message) => Err(message),
    }
}

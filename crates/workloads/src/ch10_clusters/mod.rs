//! Chapter 10, Clusters and job queues: work sent off one process through a queue, and
//! chapter 9's pi on a cluster of engines.
//!
//! The job queue is the book's NSQ worker on Redis Streams (the `redis` crate): a producer
//! publishes `{"number": n}`; worker processes in a consumer group route `{"number": n,
//! "prime": bool}` to `prime` or `non_prime`, acknowledging each message; a worker killed
//! mid-run leaves its messages pending and the others claim them (`XAUTOCLAIM`). The same
//! [`produce`] and [`work`] run over the in-process [`MemoryQueue`], the embedded default,
//! so the chapter runs without Redis: the Redis variants then report themselves skipped
//! with the command that installs it. `HIPERF_REDIS_URL=redis://host:6379/` points the
//! Redis variants at a server on another host instead of a private one.
//!
//! ```
//! use hiperf_workloads::ch10_clusters::*;
//!
//! let (mut queue, _elapsed, _endings) =
//!     run_in_process(JOB_RANGE, 2, WorkerOptions::EACH_MESSAGE).unwrap();
//! let routing = check_routing(&mut queue, JOB_RANGE).unwrap();
//! assert_eq!((routing.primes, routing.non_primes), (551, 9449));
//! ```

mod cluster_pi;
mod job_queue;
mod queue;
mod redis_jobs;
mod redis_queue;

pub use cluster_pi::*;
pub use job_queue::*;
pub use queue::*;
pub use redis_jobs::*;
pub use redis_queue::*;

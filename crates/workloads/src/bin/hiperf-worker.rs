//! The worker processes of the workloads' tests and examples: `hiperf-worker __hiperf-worker
//! ROLE INDEX [ARGS...]` (see `hiperf_workloads::worker`). The runner is its own worker
//! program; this binary serves programs that are not, such as the test binaries.

use std::process::ExitCode;

/// Every allocation is counted, as in the runner: the workers' memory tables are exact.
#[global_allocator]
static ALLOC: hiperf_runtime::alloc::Alloc = hiperf_runtime::alloc::Alloc::system();

fn main() -> ExitCode {
    hiperf_workloads::worker::serve().unwrap_or_else(|| {
        eprintln!(
            "usage: hiperf-worker {} ROLE INDEX [ARGS...]; roles: {}",
            hiperf_workloads::worker::WORKER_ARGUMENT,
            hiperf_workloads::worker::roles().join(", ")
        );
        ExitCode::from(2)
    })
}

//! hiperf against the peer Rust profilers, every case in this one criterion process.
//!
//! `cargo bench --manifest-path bench/peers/Cargo.toml`, then the `peers-table` binary (see the
//! README). Three groups: the cost of one instrumented call ([`calls`]), of one line hit of
//! `#[hiperf::profile]` against one clock read ([`lines`]), and of one alloc+free pair through
//! each counting allocator ([`alloc`]).

mod alloc;
mod calls;
mod lines;

use std::path::Path;
use std::time::Duration;

use criterion::Criterion;
use hiperf_bench_peers::run::{self, RunInfo};

// `#[memit]` reads hiperf's counting allocator, so the memit case needs it as the global
// allocator. Every other case calls its allocator directly and is unaffected, except for the
// peers' own buffer growth (puffin, firestorm, hotpath), which then goes through it.
#[cfg(feature = "hiperf-memit")]
#[global_allocator]
static GLOBAL: hiperf::Alloc = hiperf::Alloc::system();

/// Warm-up per case: short, so that the whole run (compile included) fits in ten minutes on
/// two cores; the figures are nanosecond-scale and settle fast.
const WARM_UP: Duration = Duration::from_millis(500);
/// Measurement per case.
const MEASUREMENT: Duration = Duration::from_millis(1500);

fn main() {
    // Benchmark mode (`cargo bench` passes `--bench`); under `cargo test --benches` criterion
    // runs each case once, and the results of the last real run must stay the latest.
    let benchmarking = std::env::args().any(|argument| argument == "--bench");
    let started_unix_s = run::now_unix_s();
    let cpu_at_start = run::CpuSample::now();

    // hotpath: one guard for the process, as `#[hotpath::main]` would make, with no report at
    // exit and no metrics server thread (it only listens on 127.0.0.1, but it is noise here).
    // SAFETY: no other thread exists yet, so nothing reads the environment concurrently.
    unsafe { std::env::set_var("HOTPATH_METRICS_SERVER_OFF", "1") };
    let hotpath_guard = hotpath::HotpathGuardBuilder::new("hiperf-bench-peers")
        .format(hotpath::Format::None)
        .build();
    // Tracy: the client must run for `span!`; no viewer ever connects.
    let _tracy = tracy_client::Client::start();

    let package_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    let criterion_dir = run::criterion_dir(package_dir);
    let mut criterion = Criterion::default()
        .warm_up_time(WARM_UP)
        .measurement_time(MEASUREMENT)
        .sample_size(50)
        .configure_from_args();

    let mut notes = Vec::new();
    let mut cases = Vec::new();
    // The allocator group first: its figures depend on the heap's state, which the per-call
    // peers churn (hotpath's worker thread frees, on its own thread, what the calls allocated,
    // and was measured to slow `System` itself from about 11 to 18 ns per pair when run after
    // them). Then the per-line group, the per-call group, and tracy's case last of all.
    alloc::bench(&mut criterion, &mut cases, &mut notes, &criterion_dir);
    let hits = lines::bench(&mut criterion, &mut cases);
    calls::bench(&mut criterion, &mut cases, &mut notes);
    calls::bench_tracy(&mut criterion, &mut cases, &mut notes);
    criterion.final_summary();
    drop(hotpath_guard);

    notes.push(if cfg!(feature = "hotpath-alloc") {
        "hotpath: one `HotpathGuard` for the whole process (format none, metrics server off); hotpath's \
         `hotpath-alloc` feature is on for its counting allocator, so `#[measure]` records the allocations as well \
         as the time of every call (`--no-default-features` measures the time-only mode)."
            .to_owned()
    } else {
        "hotpath: one `HotpathGuard` for the whole process (format none, metrics server off); time-only mode \
         (`hotpath-alloc` off), so hotpath's counting allocator is not measured."
            .to_owned()
    });
    notes.push(if cfg!(feature = "hiperf-memit") {
        "The process's global allocator is `hiperf::Alloc::system()` (for `#[memit]`); no timed loop allocates \
         through it except the peers' own buffers (puffin, firestorm, hotpath, dhat's bookkeeping)."
            .to_owned()
    } else {
        "The process's global allocator is `System`.".to_owned()
    });
    let other_cpu_cores = cpu_at_start
        .zip(run::CpuSample::now())
        .map(|(start, end)| start.other_cores_until(&end));
    if !benchmarking {
        return;
    }
    let info = RunInfo {
        schema: run::SCHEMA.to_owned(),
        started_unix_s,
        loop_iterations: lines::ITERATIONS,
        profile_loop_hits_per_call: hits.profile,
        memit_loop_hits_per_call: hits.memit,
        cases,
        features: features(),
        flush_every_calls: calls::FLUSH_EVERY,
        tsc_ticks_per_ns: hiperf::clock::calibration().ticks_per_ns,
        cpu: run::cpu_model(),
        cores: std::thread::available_parallelism().map_or(1, usize::from),
        other_cpu_cores,
        notes,
    };
    match info.write(&criterion_dir) {
        Ok(path) => eprintln!("peers: run info written to {}", path.display()),
        Err(error) => {
            eprintln!(
                "peers: cannot write the run info into {}: {error}",
                criterion_dir.display()
            );
            std::process::exit(1);
        }
    }
}

fn features() -> Vec<String> {
    let mut features = Vec::new();
    if cfg!(feature = "hotpath-alloc") {
        features.push("hotpath-alloc".to_owned());
    }
    if cfg!(feature = "hiperf-alloc") {
        features.push("hiperf-alloc".to_owned());
    }
    if cfg!(feature = "hiperf-memit") {
        features.push("hiperf-memit".to_owned());
    }
    features
}

/// `group/id`, as the table step looks cases up.
fn key(case: &hiperf_bench_peers::catalogue::Case) -> String {
    format!("{}/{}", case.group, case.id)
}

/// The resident set size of this process, in bytes (Linux), to show what buffering peers keep.
fn resident_bytes() -> Option<u64> {
    let statm = std::fs::read_to_string("/proc/self/statm").ok()?;
    let pages: u64 = statm.split_whitespace().nth(1)?.parse().ok()?;
    Some(pages * 4096)
}

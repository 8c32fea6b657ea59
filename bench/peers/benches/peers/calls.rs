//! Per call: the same one-line `#[inline(never)]` function under each profiler.

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::Criterion;
use hiperf_bench_peers::catalogue::{self, Case, PER_CALL};

/// The multiplier of the body; any odd constant.
const K: u64 = 0x9E37_79B9_7F4A_7C15;

/// Calls between two flushes of a buffering profiler: puffin keeps every scope of the current
/// frame until `new_frame()`, firestorm every event until `clear()`.
pub const FLUSH_EVERY: u64 = 4096;

#[inline(never)]
fn bare(x: u64) -> u64 {
    black_box(x).wrapping_mul(K).rotate_left(17)
}

#[inline(never)]
#[hiperf::profile]
fn hiperf_profile(x: u64) -> u64 {
    black_box(x).wrapping_mul(K).rotate_left(17)
}

#[inline(never)]
#[hotpath::measure]
fn hotpath_measure(x: u64) -> u64 {
    black_box(x).wrapping_mul(K).rotate_left(17)
}

#[inline(never)]
fn puffin_function(x: u64) -> u64 {
    puffin::profile_function!();
    black_box(x).wrapping_mul(K).rotate_left(17)
}

#[inline(never)]
fn tracy_span(x: u64) -> u64 {
    let _span = tracy_client::span!("tracy_span");
    black_box(x).wrapping_mul(K).rotate_left(17)
}

#[inline(never)]
#[tracing::instrument]
fn tracing_no_subscriber(x: u64) -> u64 {
    black_box(x).wrapping_mul(K).rotate_left(17)
}

#[inline(never)]
#[tracing::instrument]
fn tracing_registry(x: u64) -> u64 {
    black_box(x).wrapping_mul(K).rotate_left(17)
}

#[inline(never)]
fn coarse_prof(x: u64) -> u64 {
    coarse_prof::profile!("coarse_prof");
    black_box(x).wrapping_mul(K).rotate_left(17)
}

#[inline(never)]
fn firestorm_function(x: u64) -> u64 {
    firestorm::profile_fn!(firestorm_function);
    black_box(x).wrapping_mul(K).rotate_left(17)
}

/// Times `iterations` calls, in chunks of [`FLUSH_EVERY`] with `flush` after each chunk (a
/// no-op for the profilers that need none), so that every case runs the same loop.
#[inline(always)]
fn timed(iterations: u64, call: impl Fn(u64) -> u64, flush: impl Fn()) -> Duration {
    let start = Instant::now();
    let mut done = 0;
    while done < iterations {
        let end = (done + FLUSH_EVERY).min(iterations);
        for argument in done..end {
            black_box(call(black_box(argument)));
        }
        flush();
        done = end;
    }
    start.elapsed()
}

fn no_flush() {}

fn puffin_new_frame() {
    puffin::GlobalProfiler::lock().new_frame();
}

/// Runs the per-call group; records the registered cases and notes.
pub fn bench(criterion: &mut Criterion, cases: &mut Vec<String>, notes: &mut Vec<String>) {
    let mut group = criterion.benchmark_group(PER_CALL);
    let mut register = |case: &Case| {
        cases.push(super::key(case));
        case.id
    };

    group.bench_function(register(&catalogue::CALL_BARE), |bencher| {
        bencher.iter_custom(|iterations| timed(iterations, bare, no_flush))
    });
    group.bench_function(register(&catalogue::CALL_HIPERF), |bencher| {
        bencher.iter_custom(|iterations| timed(iterations, hiperf_profile, no_flush))
    });
    group.bench_function(register(&catalogue::CALL_HIPERF_SAMPLED), |bencher| {
        hiperf::set_mode(hiperf::Mode::Sampled);
        bencher.iter_custom(|iterations| timed(iterations, hiperf_profile, no_flush));
        hiperf::set_mode(hiperf::Mode::Exact);
    });

    group.bench_function(register(&catalogue::CALL_COARSE), |bencher| {
        bencher.iter_custom(|iterations| timed(iterations, coarse_prof, no_flush))
    });
    let hotpath_case = if cfg!(feature = "hotpath-alloc") {
        &catalogue::CALL_HOTPATH_ALLOC
    } else {
        &catalogue::CALL_HOTPATH
    };
    group.bench_function(register(hotpath_case), |bencher| {
        bencher.iter_custom(|iterations| timed(iterations, hotpath_measure, no_flush))
    });
    group.bench_function(register(&catalogue::CALL_FIRESTORM), |bencher| {
        bencher.iter_custom(|iterations| timed(iterations, firestorm_function, firestorm::clear))
    });

    puffin::set_scopes_on(true);
    group.bench_function(register(&catalogue::CALL_PUFFIN_ON), |bencher| {
        bencher.iter_custom(|iterations| timed(iterations, puffin_function, puffin_new_frame))
    });
    puffin::set_scopes_on(false);
    group.bench_function(register(&catalogue::CALL_PUFFIN_OFF), |bencher| {
        bencher.iter_custom(|iterations| timed(iterations, puffin_function, puffin_new_frame))
    });

    // No subscriber first: once a global default is set it cannot be removed.
    group.bench_function(register(&catalogue::CALL_TRACING_NONE), |bencher| {
        bencher.iter_custom(|iterations| timed(iterations, tracing_no_subscriber, no_flush))
    });
    if tracing::subscriber::set_global_default(tracing_subscriber::registry()).is_err() {
        notes.push(
            "tracing: a global subscriber was already set; the registry case measured that one."
                .to_owned(),
        );
    }
    group.bench_function(register(&catalogue::CALL_TRACING_REGISTRY), |bencher| {
        bencher.iter_custom(|iterations| timed(iterations, tracing_registry, no_flush))
    });
    group.finish();
}

/// Runs the tracy case; the process runs it last of all. tracy and hotpath slow whichever of
/// them runs second in a process: hotpath's `#[measure]` measured 230-270 ns after tracy's case
/// against about 130 ns before it, and tracy's `span!` 150-165 ns after hotpath's case against
/// 66-75 ns without it (a 3 s pause between them changed nothing; the cause is not known). Run
/// last, tracy's row alone carries the effect, and a note says so.
pub fn bench_tracy(criterion: &mut Criterion, cases: &mut Vec<String>, notes: &mut Vec<String>) {
    let mut group = criterion.benchmark_group(PER_CALL);
    let mut register = |case: &Case| {
        cases.push(super::key(case));
        case.id
    };
    let before = super::resident_bytes();
    group.bench_function(register(&catalogue::CALL_TRACY), |bencher| {
        bencher.iter_custom(|iterations| timed(iterations, tracy_span, no_flush))
    });
    if let (Some(before), Some(after)) = (before, super::resident_bytes()) {
        notes.push(format!(
            "tracy-client: its case runs last, after hotpath's, which slows it: run in a process without \
             hotpath's case, `span!` measured 66-75 ns here, after it 150-165 ns (and hotpath's `#[measure]` \
             230-270 ns instead of about 130 ns when run after tracy's; cause unknown). With no viewer connected \
             the client queues every zone in memory; resident memory grew by {:.0} MiB during its case.",
            after.saturating_sub(before) as f64 / (1024.0 * 1024.0)
        ));
    }

    group.finish();
}

//! Per line: a tight loop bare and under `#[hiperf::profile]` (and `#[hiperf::memit]`), against
//! the physical floor of a timed probe, one clock read.

use std::hint::black_box;
use std::time::Instant;

use criterion::Criterion;
use hiperf_bench_peers::catalogue::{self, Case, PER_LINE};

/// Iterations of the loop per call.
pub const ITERATIONS: u64 = 1000;

#[inline(never)]
fn bare_loop(n: u64) -> u64 {
    let mut acc = 0u64;
    for i in 0..n {
        acc = acc.wrapping_add(black_box(i));
    }
    acc
}

#[inline(never)]
#[hiperf::profile]
fn profile_loop(n: u64) -> u64 {
    let mut acc = 0u64;
    for i in 0..n {
        acc = acc.wrapping_add(black_box(i));
    }
    acc
}

#[cfg(feature = "hiperf-memit")]
#[inline(never)]
#[hiperf::memit]
fn memit_loop(n: u64) -> u64 {
    let mut acc = 0u64;
    for i in 0..n {
        acc = acc.wrapping_add(black_box(i));
    }
    acc
}

/// Line hits per call, as hiperf counted them.
#[derive(Debug)]
pub struct Hits {
    /// Of [`profile_loop`].
    pub profile: f64,
    /// Of `memit_loop`, when compiled in.
    pub memit: Option<f64>,
}

/// The line hits of one call of the function named `name`: hiperf's own count, so that the
/// per-hit figure follows whatever the macro marks.
fn hits_of_one_call(name: &str, call: impl Fn()) -> f64 {
    let total = |name: &str| -> (u64, u64) {
        let profile = hiperf::take(Default::default());
        profile
            .functions
            .iter()
            .filter(|function| function.name == name)
            .map(|function| {
                (
                    function.calls,
                    function.lines.iter().map(|line| line.hits).sum::<u64>(),
                )
            })
            .fold((0, 0), |(calls, hits), (more_calls, more_hits)| {
                (calls + more_calls, hits + more_hits)
            })
    };
    let (calls_before, hits_before) = total(name);
    call();
    let (calls_after, hits_after) = total(name);
    assert_eq!(
        calls_after - calls_before,
        1,
        "hiperf did not count the call of `{name}`"
    );
    let hits = (hits_after - hits_before) as f64;
    assert!(
        hits >= 2.0 * ITERATIONS as f64,
        "hiperf counted {hits} line hits in `{name}`, expected about 2n"
    );
    hits
}

/// Runs the per-line group; records the registered cases; returns the hits per call.
pub fn bench(criterion: &mut Criterion, cases: &mut Vec<String>) -> Hits {
    let hits = Hits {
        profile: hits_of_one_call("profile_loop", || {
            black_box(profile_loop(black_box(ITERATIONS)));
        }),
        #[cfg(feature = "hiperf-memit")]
        memit: Some(hits_of_one_call("memit_loop", || {
            black_box(memit_loop(black_box(ITERATIONS)));
        })),
        #[cfg(not(feature = "hiperf-memit"))]
        memit: None,
    };

    let mut group = criterion.benchmark_group(PER_LINE);
    let mut register = |case: &Case| {
        cases.push(super::key(case));
        case.id
    };
    group.bench_function(register(&catalogue::LINE_BARE), |bencher| {
        bencher.iter(|| bare_loop(black_box(ITERATIONS)))
    });
    group.bench_function(register(&catalogue::LINE_HIPERF), |bencher| {
        bencher.iter(|| profile_loop(black_box(ITERATIONS)))
    });
    group.bench_function(register(&catalogue::LINE_HIPERF_SAMPLED), |bencher| {
        hiperf::set_mode(hiperf::Mode::Sampled);
        bencher.iter(|| profile_loop(black_box(ITERATIONS)));
        hiperf::set_mode(hiperf::Mode::Exact);
    });
    #[cfg(feature = "hiperf-memit")]
    group.bench_function(register(&catalogue::LINE_MEMIT), |bencher| {
        bencher.iter(|| memit_loop(black_box(ITERATIONS)))
    });
    group.bench_function(register(&catalogue::LINE_RDTSC), |bencher| {
        // SAFETY: `rdtsc` exists on every x86-64 processor and has no preconditions.
        bencher.iter(|| unsafe { core::arch::x86_64::_rdtsc() })
    });
    group.bench_function(register(&catalogue::LINE_INSTANT), |bencher| {
        bencher.iter(Instant::now)
    });
    group.finish();
    hits
}

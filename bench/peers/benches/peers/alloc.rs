//! Per alloc+free pair: each counting allocator called directly through `GlobalAlloc` on a
//! static instance (a binary has one global allocator, so none of them is installed as it).

use std::alloc::{GlobalAlloc, Layout, System};
use std::hint::black_box;
use std::path::Path;
use std::time::{Duration, Instant};

use criterion::Criterion;
use hiperf_bench_peers::catalogue::{self, ALLOC_PAIR, Case};

static SYSTEM: System = System;
static DIVAN: divan::AllocProfiler = divan::AllocProfiler::system();
#[cfg(feature = "hotpath-alloc")]
static HOTPATH: hotpath::CountingAllocator = hotpath::CountingAllocator::new();
static DHAT: dhat::Alloc = dhat::Alloc;
#[cfg(feature = "hiperf-alloc")]
static HIPERF: hiperf::Alloc = hiperf::Alloc::system();

/// Times `iterations` alloc+free pairs of 64..=71 bytes in turn.
#[inline(always)]
fn pairs(allocator: &impl GlobalAlloc, iterations: u64) -> Duration {
    let start = Instant::now();
    for index in 0..iterations {
        // SAFETY: the size is non-zero and at most 71, the alignment 8 is a power of two.
        let layout = unsafe { Layout::from_size_align_unchecked(64 + (index & 7) as usize, 8) };
        // SAFETY: the layout has a non-zero size; the pointer is freed with the same layout
        // by the same allocator, and only if the allocation succeeded.
        unsafe {
            let pointer = allocator.alloc(layout);
            if !pointer.is_null() {
                // The pointer escapes, so the pair cannot be optimised away.
                black_box(pointer);
                allocator.dealloc(pointer, layout);
            }
        }
    }
    start.elapsed()
}

#[inline(never)]
fn system_pairs(iterations: u64) -> Duration {
    pairs(&SYSTEM, iterations)
}

#[inline(never)]
fn divan_pairs(iterations: u64) -> Duration {
    pairs(&DIVAN, iterations)
}

/// Inside a measured function, as hotpath counts allocations per function.
#[cfg(feature = "hotpath-alloc")]
#[inline(never)]
#[hotpath::measure]
fn hotpath_pairs(iterations: u64) -> Duration {
    pairs(&HOTPATH, iterations)
}

#[inline(never)]
fn dhat_pairs(iterations: u64) -> Duration {
    pairs(&DHAT, iterations)
}

#[cfg(feature = "hiperf-alloc")]
#[inline(never)]
fn hiperf_pairs(iterations: u64) -> Duration {
    pairs(&HIPERF, iterations)
}

/// Runs the allocator group; records the registered cases and notes.
pub fn bench(
    criterion: &mut Criterion,
    cases: &mut Vec<String>,
    notes: &mut Vec<String>,
    criterion_dir: &Path,
) {
    let mut group = criterion.benchmark_group(ALLOC_PAIR);
    let mut register = |case: &Case| {
        cases.push(super::key(case));
        case.id
    };
    group.bench_function(register(&catalogue::ALLOC_SYSTEM), |bencher| {
        bencher.iter_custom(system_pairs)
    });
    #[cfg(feature = "hiperf-alloc")]
    group.bench_function(register(&catalogue::ALLOC_HIPERF), |bencher| {
        bencher.iter_custom(hiperf_pairs)
    });
    group.bench_function(register(&catalogue::ALLOC_DIVAN), |bencher| {
        bencher.iter_custom(divan_pairs)
    });
    #[cfg(feature = "hotpath-alloc")]
    group.bench_function(register(&catalogue::ALLOC_HOTPATH), |bencher| {
        bencher.iter_custom(hotpath_pairs)
    });
    {
        // dhat tracks only while a heap profiler runs; it records a backtrace per allocation.
        let _profiler = dhat::Profiler::builder()
            .file_name(criterion_dir.join("dhat-heap.json"))
            .build();
        group.bench_function(register(&catalogue::ALLOC_DHAT), |bencher| {
            bencher.iter_custom(dhat_pairs)
        });
    }
    notes.push(
        "dhat: `Profiler::new_heap()` (a heap profiler built with `Profiler::builder()`) runs during the dhat case \
         only; dhat is not the global allocator, so it tracks exactly the pairs measured, each with a backtrace."
            .to_owned(),
    );
    group.finish();
}

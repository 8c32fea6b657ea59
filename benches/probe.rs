//! The probe's cost, with the same bodies bare and annotated, in one run.
//!
//! `cargo bench --bench probe --features enable` measures the overhead of `#[hiperf::profile]`
//! per line hit and per call, in the exact mode and in the sampled mode (`sampled_*`: the
//! same functions after `hiperf::set_mode(Sampled)`), beside one clock read; without `enable`
//! the annotated functions must time like the bare ones (the attribute returns the function
//! untouched). `cargo xtask bench` runs both.

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};

const LOOP_LENGTH: u64 = 1_000;

#[inline(never)]
fn bare_loop(n: u64) -> u64 {
    let mut total = 0u64;
    for i in 0..n {
        total = total.wrapping_add(black_box(i));
    }
    total
}

/// Line hits per call: `let` 1, `for` n + 1, body n, tail 1.
#[hiperf::profile]
#[inline(never)]
fn profiled_loop(n: u64) -> u64 {
    let mut total = 0u64;
    for i in 0..n {
        total = total.wrapping_add(black_box(i));
    }
    total
}

/// The same loop under `#[memit]`: the memory line probe (no clock read).
#[hiperf::memit]
#[inline(never)]
fn memit_loop(n: u64) -> u64 {
    let mut total = 0u64;
    for i in 0..n {
        total = total.wrapping_add(black_box(i));
    }
    total
}

#[inline(never)]
fn bare_call(x: u64) -> u64 {
    black_box(x)
}

#[hiperf::profile]
#[inline(never)]
fn profiled_call(x: u64) -> u64 {
    black_box(x)
}

#[hiperf::profile]
#[inline(never)]
fn profiled_empty() {}

#[inline(never)]
fn bare_empty() {}

fn per_line(c: &mut Criterion) {
    let mut group = c.benchmark_group("per_line");
    group.bench_function("bare_loop_1000", |b| {
        b.iter(|| bare_loop(black_box(LOOP_LENGTH)))
    });
    group.bench_function("profiled_loop_1000", |b| {
        b.iter(|| profiled_loop(black_box(LOOP_LENGTH)))
    });
    group.bench_function("sampled_loop_1000", |b| {
        hiperf::set_mode(hiperf::Mode::Sampled);
        b.iter(|| profiled_loop(black_box(LOOP_LENGTH)));
        hiperf::set_mode(hiperf::Mode::Exact);
    });
    group.bench_function("memit_loop_1000", |b| {
        b.iter(|| memit_loop(black_box(LOOP_LENGTH)))
    });
    #[cfg(target_arch = "x86_64")]
    group.bench_function("rdtsc", |b| {
        // SAFETY: `rdtsc` exists on every x86-64 processor.
        #[allow(unused_unsafe)]
        b.iter(|| unsafe { core::arch::x86_64::_rdtsc() })
    });
    group.bench_function("instant_now", |b| b.iter(std::time::Instant::now));
    group.finish();
}

fn per_call(c: &mut Criterion) {
    let mut group = c.benchmark_group("per_call");
    group.bench_function("bare_call", |b| b.iter(|| bare_call(black_box(7))));
    group.bench_function("profiled_call", |b| b.iter(|| profiled_call(black_box(7))));
    group.bench_function("bare_empty", |b| b.iter(bare_empty));
    group.bench_function("profiled_empty", |b| b.iter(profiled_empty));
    group.bench_function("sampled_call", |b| {
        hiperf::set_mode(hiperf::Mode::Sampled);
        b.iter(|| profiled_call(black_box(7)));
        hiperf::set_mode(hiperf::Mode::Exact);
    });
    group.bench_function("sampled_empty", |b| {
        hiperf::set_mode(hiperf::Mode::Sampled);
        b.iter(profiled_empty);
        hiperf::set_mode(hiperf::Mode::Exact);
    });
    #[cfg(target_arch = "x86_64")]
    group.bench_function("rdtsc", |b| {
        // SAFETY: `rdtsc` exists on every x86-64 processor.
        #[allow(unused_unsafe)]
        b.iter(|| unsafe { core::arch::x86_64::_rdtsc() })
    });
    group.finish();
}

/// The counting allocator, called directly (see `allocator`).
static COUNTING: hiperf::Alloc = hiperf::Alloc::system();

/// One alloc+free pair of 64 + `index % 8` bytes through the counting allocator.
#[inline(always)]
fn counting_pair(index: usize) {
    use std::alloc::{GlobalAlloc, Layout};
    let layout = Layout::from_size_align(64 + (index & 7), 8).unwrap();
    // SAFETY: a non-zero layout, freed with the same layout.
    unsafe {
        let pointer = COUNTING.alloc(black_box(layout));
        COUNTING.dealloc(black_box(pointer), layout);
    }
}

/// `iters` pairs timed on a thread started for them (whose first pair claims its heap slot).
fn pairs_on_a_new_thread(iters: u64) -> std::time::Duration {
    std::thread::spawn(move || {
        counting_pair(0);
        let start = std::time::Instant::now();
        for index in 0..iters as usize {
            counting_pair(index);
        }
        start.elapsed()
    })
    .join()
    .unwrap()
}

/// One alloc+free pair through each allocator, called directly (a binary has one global
/// allocator; calling the wrappers through `GlobalAlloc` measures each in the same process).
/// Then the counting pair on a new thread, before and after 10^5 threads that used the
/// allocator and exited: the cost must not grow with the threads over the process's life.
fn allocator(c: &mut Criterion) {
    use std::alloc::{GlobalAlloc, Layout, System};
    let layouts: Vec<Layout> = (64..72)
        .map(|size| Layout::from_size_align(size, 8).unwrap())
        .collect();
    let mut group = c.benchmark_group("allocator");
    group.bench_function("system_pair", |b| {
        let mut index = 0;
        b.iter(|| {
            index = (index + 1) & 7;
            // SAFETY: a non-zero layout, freed with the same layout.
            unsafe {
                let pointer = System.alloc(black_box(layouts[index]));
                System.dealloc(black_box(pointer), layouts[index]);
            }
        })
    });
    group.bench_function("hiperf_alloc_pair", |b| {
        let mut index = 0;
        b.iter(|| {
            index = (index + 1) & 7;
            // SAFETY: as above.
            unsafe {
                let pointer = COUNTING.alloc(black_box(layouts[index]));
                COUNTING.dealloc(black_box(pointer), layouts[index]);
            }
        })
    });
    group.bench_function("hiperf_alloc_pair_new_thread", |b| {
        b.iter_custom(pairs_on_a_new_thread)
    });
    group.bench_function("hiperf_alloc_pair_new_thread_after_100k_threads", |b| {
        static SPAWNED: std::sync::Once = std::sync::Once::new();
        SPAWNED.call_once(|| {
            for _ in 0..100_000 {
                std::thread::spawn(|| counting_pair(1)).join().unwrap();
            }
        });
        b.iter_custom(pairs_on_a_new_thread)
    });
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .warm_up_time(std::time::Duration::from_millis(500))
        .measurement_time(std::time::Duration::from_secs(2));
    targets = per_line, per_call, allocator
}
criterion_main!(benches);

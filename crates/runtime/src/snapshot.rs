//! A plain-data copy of every counter, in nanoseconds: what reports render and JSON stores.
//!
//! JSON schema `hiperf.profile/3` (documented in `docs/json-schema.md`): the [`Profile`] struct
//! serialised by serde, field for field.

use serde::{Deserialize, Serialize};

use crate::clock;
use crate::graph::{self, CallPath, Timeline};
use crate::lines::{BlockCell, MemorySlot};
use crate::lines::{HISTOGRAM_BUCKETS, histogram_floor};
use crate::probe::{Probe, TimeFrame};
use crate::registry::{Measures, Site, SiteInfo};

/// The schema name written in every profile.
pub const SCHEMA: &str = "hiperf.profile/3";

/// Everything one run recorded.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Profile {
    /// Always [`SCHEMA`].
    pub schema: String,
    /// How time was measured.
    pub clock: ClockInfo,
    /// Every annotated function linked into the program, run or not, by file and line.
    pub functions: Vec<FunctionProfile>,
    /// Every distinct call path between annotated functions, summed over threads: each path
    /// after its parent, depth first.
    #[serde(default)]
    pub paths: Vec<CallPath>,
}

/// The clock and the probe's own cost.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ClockInfo {
    /// `"tsc"` (x86-64 time-stamp counter) or `"instant"`.
    pub source: String,
    /// Counter frequency in ticks per nanosecond.
    pub ticks_per_ns: f64,
    /// Whether the processor reports an invariant counter.
    pub invariant: bool,
    /// Time one line probe adds to the line it closes, in nanoseconds (calibrated at report time).
    pub probe_line_ns: f64,
    /// Time one call probe (entry and exit) adds to a call, in nanoseconds.
    pub probe_call_ns: f64,
    /// Whether `probe_line_ns` was subtracted from every line time (`HIPERF_SUBTRACT_PROBE=1`).
    pub probe_subtracted: bool,
    /// `"exact"` (every line reads the clock) or `"sampled"` (hits and calls exact, times
    /// from a sampler thread: see `sampler`), the mode in force when the profile was taken.
    #[serde(default = "exact_mode")]
    pub mode: String,
    /// The sampler's period in nanoseconds (0 in the exact mode).
    #[serde(default)]
    pub sample_period_ns: f64,
    /// Samples taken: wakes of the sampler that found a sampled call running, per thread.
    #[serde(default)]
    pub samples: u64,
}

fn exact_mode() -> String {
    "exact".to_string()
}

/// One annotated function.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FunctionProfile {
    /// The function's name.
    pub name: String,
    /// Its module path.
    pub module_path: String,
    /// Its file, as `file!()` gives it.
    pub file: String,
    /// The line of its `fn` keyword.
    pub line: u32,
    /// Whether it is an `async fn`.
    pub is_async: bool,
    /// Whether per-line time was recorded (`#[profile]`).
    pub measures_time: bool,
    /// Whether per-line memory was recorded (`#[memit]`).
    pub measures_memory: bool,
    /// Whether some of its time comes from samples (the sampled mode): its times are
    /// estimates, each line's backed by [`LineProfile::samples`].
    #[serde(default)]
    pub sampled: bool,
    /// Calls that ended.
    pub calls: u64,
    /// Calls not nested in another call of the same function.
    pub primitive_calls: u64,
    /// Threads that ran the function (blocks with at least one call).
    pub threads: u64,
    /// Sum of the line times, in nanoseconds (line_profiler's "Total time").
    pub total_ns: f64,
    /// Inclusive time of the primitive calls, in nanoseconds (cProfile's cumtime).
    pub cumulative_ns: f64,
    /// Time in the function itself, outside profiled callees, in nanoseconds (cProfile's tottime).
    pub self_ns: f64,
    /// The longest call, in nanoseconds.
    pub max_call_ns: f64,
    /// Time from entry to the first line, summed over calls (probe cost, not shown per line).
    pub entry_ns: f64,
    /// Time an `async fn` spent suspended at `.await`s (inside `cumulative_ns`, outside the lines' times).
    #[serde(default)]
    pub suspended_ns: f64,
    /// Per-call duration percentiles (from a histogram with buckets at most 12.5% wide).
    #[serde(default)]
    pub percentiles: Option<Percentiles>,
    /// Memory per call, when measured.
    pub memory: Option<CallMemory>,
    /// Every source line of the function, in order.
    pub lines: Vec<LineProfile>,
}

/// Per-call duration percentiles, in nanoseconds: the midpoint of the histogram bucket that
/// holds the percentile, brought inside the shortest and the longest call.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Percentiles {
    /// Median call.
    pub p50_ns: f64,
    /// 95th percentile.
    pub p95_ns: f64,
    /// 99th percentile.
    pub p99_ns: f64,
}

/// The percentiles of the calls counted in `histogram`, whose durations lie in `min..=max`
/// ticks.
fn percentiles(
    histogram: &[u64],
    (min, max): (u64, u64),
    calibration: &clock::Calibration,
) -> Option<Percentiles> {
    let calls: u64 = histogram.iter().sum();
    if calls == 0 {
        return None;
    }
    let (min_ns, max_ns) = (calibration.to_ns(min), calibration.to_ns(max));
    let quantile = |q: f64| {
        let rank = ((q * calls as f64).ceil() as u64).max(1);
        let mut seen = 0;
        for (bucket, &count) in histogram.iter().enumerate() {
            seen += count;
            if seen >= rank {
                let low = histogram_floor(bucket);
                let high = histogram_floor(bucket + 1).max(low + 1);
                let middle = calibration.to_ns(low) + calibration.to_ns(high - low - 1) / 2.0;
                return middle.clamp(min_ns, max_ns.max(min_ns));
            }
        }
        max_ns
    };
    Some(Percentiles {
        p50_ns: quantile(0.50),
        p95_ns: quantile(0.95),
        p99_ns: quantile(0.99),
    })
}

/// Per-call memory figures of a function.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CallMemory {
    /// Highest live heap reached during a call, above the level at its entry, over all calls.
    pub peak_bytes: u64,
    /// Net change of live heap summed over all calls.
    pub increment_bytes: i64,
    /// Process RSS at the first call's entry (Linux), the memory_profiler view.
    pub rss_entry_bytes: Option<u64>,
    /// Process RSS at the latest sampled exit (read at most every 10 ms).
    pub rss_exit_bytes: Option<u64>,
    /// Live heap of the whole process (every thread) at the first call's entry.
    pub process_heap_entry_bytes: i64,
    /// Live heap of the whole process at the latest sampled exit.
    pub process_heap_exit_bytes: i64,
    /// Whether `hiperf::Alloc` is the global allocator (without it heap figures are zero).
    pub allocator_installed: bool,
}

/// One source line.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LineProfile {
    /// Line number in the file.
    pub line: u32,
    /// The source text, captured at compile time.
    pub contents: String,
    /// Whether a probe covers this line (false for blank lines, comments, closing braces).
    pub probed: bool,
    /// Times the line started.
    pub hits: u64,
    /// Time charged to the line, in nanoseconds (while running: an `async fn`'s suspensions
    /// are in `suspended_ns`).
    pub time_ns: f64,
    /// Of `time_ns`, the time inside calls of other annotated functions.
    #[serde(default)]
    pub callee_ns: f64,
    /// Time an `async fn` spent suspended at this line's `.await`s.
    #[serde(default)]
    pub suspended_ns: f64,
    /// Memory figures, when measured.
    /// Samples behind the line's time (the sampled mode; 0 in the exact mode).
    #[serde(default)]
    pub samples: u64,
    pub memory: Option<LineMemory>,
}

/// Memory figures of one line.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LineMemory {
    /// The thread's live heap after the line's last run, above its level at that call's
    /// entry, in bytes (negative when the call freed what it was given).
    pub usage_bytes: i64,
    /// Net change of live heap over every run of the line, in bytes.
    pub increment_bytes: i64,
    /// Highest live heap reached while the line ran, above its level at the line's start.
    pub peak_bytes: u64,
    /// Allocations the line made.
    pub allocations: u64,
    /// Bytes the line allocated.
    pub allocated_bytes: u64,
}

/// Options of a snapshot.
#[derive(Clone, Copy, Debug, Default)]
pub struct SnapshotOptions {
    /// Subtract the calibrated probe cost from every line time.
    pub subtract_probe: bool,
}

impl SnapshotOptions {
    /// Options from the environment: `HIPERF_SUBTRACT_PROBE=1` subtracts the probe cost.
    pub fn from_env() -> Self {
        let subtract_probe =
            std::env::var("HIPERF_SUBTRACT_PROBE").is_ok_and(|v| v == "1" || v == "true");
        SnapshotOptions { subtract_probe }
    }
}

/// Reads every counter of every registered site.
///
/// # Examples
///
/// ```
/// let profile = hiperf_runtime::snapshot::take(Default::default());
/// assert_eq!(profile.schema, hiperf_runtime::snapshot::SCHEMA);
/// ```
pub fn take(options: SnapshotOptions) -> Profile {
    let calibration = clock::calibration();
    let (probe_line_ns, probe_call_ns) = probe_cost(&calibration);
    let sites = crate::registry::sites();
    let mut functions: Vec<FunctionProfile> = sites
        .iter()
        .map(|site| function(site, &calibration, probe_line_ns, options))
        .collect();
    let paths = graph::paths(&sites, &calibration);
    // A function's self time is the sum over the call paths that end in it.
    for path in &paths {
        if let Some(function) = functions.get_mut(path.function as usize) {
            function.self_ns += path.self_ns;
        }
    }
    let mode = crate::sampler::mode();
    let sampled = mode == crate::sampler::Mode::Sampled;
    let mut profile = Profile {
        schema: SCHEMA.to_string(),
        clock: ClockInfo {
            source: calibration.source.to_string(),
            ticks_per_ns: calibration.ticks_per_ns,
            invariant: calibration.invariant,
            probe_line_ns,
            probe_call_ns,
            probe_subtracted: options.subtract_probe,
            mode: mode.name().to_string(),
            sample_period_ns: if sampled {
                crate::sampler::period() as f64
            } else {
                0.0
            },
            samples: crate::sampler::samples_taken(),
        },
        functions,
        paths,
    };
    // Worker processes' profiles, absorbed with `merge::absorb`, count as this process's.
    crate::merge::add_absorbed(&mut profile);
    profile
}

/// Every thread's logged calls, with the same function indices as [`take`]'s.
pub fn timeline() -> Timeline {
    let sites = crate::registry::sites();
    graph::timeline(&sites, &clock::calibration())
}

fn function(
    site: &'static Site,
    calibration: &clock::Calibration,
    probe_line_ns: f64,
    options: SnapshotOptions,
) -> FunctionProfile {
    let info = &site.info;
    let slots = site.slot_count();
    let mut hits = vec![0u64; slots];
    let mut ticks = vec![0u64; slots];
    let mut callee_ticks = vec![0u64; slots];
    let mut suspended_ticks = vec![0u64; slots];
    let mut histogram = vec![0u64; HISTOGRAM_BUCKETS];
    let mut suspended = 0u64;
    let mut samples = vec![0u64; slots];
    let mut memory: Vec<MemoryTotals> =
        vec![MemoryTotals::default(); if info.measures.memory { slots } else { 0 }];
    let (mut calls, mut primitive_calls, mut threads) = (0, 0, 0);
    let (mut cumulative, mut max_ticks, mut min_ticks) = (0u64, 0u64, u64::MAX);
    let (mut call_peak, mut call_increment) = (0u64, 0i64);
    let (mut rss_entry, mut rss_exit) = (None, None);
    let (mut process_entry, mut process_exit) = (0i64, 0i64);
    for block in site.blocks() {
        let block_calls = block.calls.get();
        calls += block_calls;
        threads += block.threads.get();
        primitive_calls += block.primitive_calls.get();
        cumulative += block.cumulative_ticks.get();
        max_ticks = max_ticks.max(block.max_ticks.get());
        min_ticks = min_ticks.min(block.min_ticks().unwrap_or(u64::MAX));
        call_peak = call_peak.max(block.call_peak.get());
        call_increment += block.call_increment.get() as i64;
        for (index, slot) in block.time_slots().iter().enumerate() {
            hits[index] += slot.hits.get();
            ticks[index] += slot.ticks.get();
            callee_ticks[index] += slot.callee_ticks.get();
            suspended_ticks[index] += slot.suspended_ticks.get();
        }
        for (bucket, count) in histogram.iter_mut().zip(block.histogram()) {
            *bucket += count;
        }
        suspended += block.suspended_ticks.get();
        for (index, slot) in block.memory_slots().iter().enumerate() {
            memory[index].add(slot);
        }
        if rss_entry.is_none() && block.rss_entry.get() != 0 {
            rss_entry = nonzero(block.rss_entry.get());
            process_entry = block.process_heap_entry.get() as i64;
        }
        if block.rss_exit.get() != 0 {
            rss_exit = nonzero(block.rss_exit.get());
            process_exit = block.process_heap_exit.get() as i64;
        }
    }
    // The sampler's figures (the sampled mode) add to the clock's (the exact mode): a call
    // is timed by one or the other, never both.
    let exact_ticks = ticks.clone();
    // A call in the exact mode always adds clock ticks to its block's cumulative time: a
    // function that ran and has none ran sampled, whether or not a sample caught it.
    let exact_cumulative = cumulative;
    let site_samples = crate::sampler::site_samples(site);
    if let Some(site_samples) = site_samples {
        cumulative += site_samples.cumulative_ticks.get();
        for (index, line) in site_samples.lines().iter().enumerate().take(slots) {
            ticks[index] += line.ticks.get();
            callee_ticks[index] += line.callee_ticks.get();
            samples[index] += line.samples.get();
        }
    }
    let first = info.first_line;
    let mut lines: Vec<LineProfile> = info
        .source
        .iter()
        .enumerate()
        .map(|(offset, contents)| LineProfile {
            line: first + offset as u32,
            contents: (*contents).to_string(),
            probed: false,
            hits: 0,
            time_ns: 0.0,
            callee_ns: 0.0,
            suspended_ns: 0.0,
            samples: 0,
            memory: None,
        })
        .collect();
    let mut total_ns = 0.0;
    let mut total_ticks = 0u64;
    // Each row's memory, summed over its slots, made a `LineMemory` once they are all in.
    let mut row_memory: Vec<Option<MemoryTotals>> = vec![None; lines.len()];
    for (index, &line) in info.slot_lines.iter().enumerate().skip(1) {
        let Some((row, memory_of_row)) = line.checked_sub(first).and_then(|offset| {
            lines
                .get_mut(offset as usize)
                .zip(row_memory.get_mut(offset as usize))
        }) else {
            continue;
        };
        let mut time_ns = calibration.to_ns(ticks[index]);
        // Only clock-timed lines carry the probe's clock reads.
        if options.subtract_probe && exact_ticks[index] > 0 {
            time_ns = (time_ns - hits[index] as f64 * probe_line_ns).max(0.0);
        }
        row.samples += samples[index];
        row.probed = true;
        row.hits += hits[index];
        row.time_ns += time_ns;
        row.callee_ns += calibration.to_ns(callee_ticks[index]);
        row.suspended_ns += calibration.to_ns(suspended_ticks[index]);
        total_ns += time_ns;
        total_ticks += ticks[index];
        if let Some(totals) = memory.get(index) {
            memory_of_row
                .get_or_insert_with(MemoryTotals::default)
                .absorb(totals);
        }
    }
    for (row, totals) in lines.iter_mut().zip(row_memory) {
        row.memory = totals.map(|totals| totals.line());
    }
    if !options.subtract_probe {
        // The sum of the ticks, converted once: equal tick counts give equal figures (the
        // sum of converted line times may differ from `cumulative_ns` in the last bit).
        total_ns = calibration.to_ns(total_ticks);
    }
    FunctionProfile {
        name: info.qualified_name(),
        module_path: info.module_path.to_string(),
        file: info.file.to_string(),
        line: info.line,
        is_async: info.is_async,
        measures_time: info.measures.time,
        measures_memory: info.measures.memory,
        sampled: site_samples.is_some_and(|s| s.cumulative_ticks.get() > 0)
            || (calls > 0 && exact_cumulative == 0 && !info.is_async),
        calls,
        primitive_calls,
        threads,
        total_ns,
        cumulative_ns: calibration.to_ns(cumulative),
        // From the call tree, in `take`.
        self_ns: 0.0,
        max_call_ns: calibration.to_ns(max_ticks),
        entry_ns: ticks.first().map_or(0.0, |&t| calibration.to_ns(t)),
        suspended_ns: calibration.to_ns(suspended),
        percentiles: percentiles(&histogram, (min_ticks, max_ticks), calibration),
        memory: info.measures.memory.then_some(CallMemory {
            peak_bytes: call_peak,
            increment_bytes: call_increment,
            rss_entry_bytes: rss_entry,
            rss_exit_bytes: rss_exit,
            process_heap_entry_bytes: process_entry,
            process_heap_exit_bytes: process_exit,
            allocator_installed: crate::alloc::installed(),
        }),
        lines,
    }
}

/// A figure recorded as 1 when it could not be read (0 means never recorded).
fn nonzero(value: u64) -> Option<u64> {
    (value > 1).then_some(value)
}

#[derive(Clone, Debug, Default)]
struct MemoryTotals {
    usage: Option<i64>,
    increment: i64,
    peak: u64,
    allocations: u64,
    allocated: u64,
}

impl MemoryTotals {
    fn add(&mut self, slot: &MemorySlot) {
        self.absorb(&MemoryTotals {
            usage: slot.usage_level(),
            increment: slot.increment.get() as i64,
            peak: slot.peak.get(),
            allocations: slot.allocations.get(),
            allocated: slot.allocated.get(),
        });
    }

    /// Adds `other`'s figures (another block's, or another slot of the same line).
    fn absorb(&mut self, other: &MemoryTotals) {
        // Usage is a level, not a sum: the highest where the line ran (`None` elsewhere), and
        // with one thread the line's last run (threads that took one block in turn, one
        // after another exited, leave the last one's).
        self.usage = self.usage.max(other.usage);
        self.increment += other.increment;
        self.peak = self.peak.max(other.peak);
        self.allocations += other.allocations;
        self.allocated += other.allocated;
    }

    /// The line's figures (a level of 0 for a line that never ran).
    fn line(&self) -> LineMemory {
        LineMemory {
            usage_bytes: self.usage.unwrap_or(0),
            increment_bytes: self.increment,
            peak_bytes: self.peak,
            allocations: self.allocations,
            allocated_bytes: self.allocated,
        }
    }
}

static CALIBRATION_SITE: Site = Site::new(SiteInfo {
    name: "hiperf-calibration",
    path: None,
    module_path: module_path!(),
    file: file!(),
    line: 0,
    first_line: 0,
    source: &[],
    slot_lines: &[0, 0, 0],
    is_async: false,
    measures: Measures {
        time: true,
        memory: false,
    },
});

thread_local! {
    static CALIBRATION_BLOCK: BlockCell = const { BlockCell::new() };
}

/// The probe's own cost, measured once per process on a thread of its own, so that its calls
/// never show in the call tree or the timeline.
fn probe_cost(calibration: &clock::Calibration) -> (f64, f64) {
    static COST: std::sync::OnceLock<(f64, f64)> = std::sync::OnceLock::new();
    *COST.get_or_init(|| {
        let calibration = *calibration;
        std::thread::Builder::new()
            .name("hiperf-calibration".into())
            .spawn(move || {
                crate::calls::mark_thread_internal();
                measure_probe_cost(&calibration)
            })
            .ok()
            .and_then(|thread| thread.join().ok())
            .unwrap_or((0.0, 0.0))
    })
}

/// Nanoseconds one line mark adds to the line it closes, and nanoseconds one call (entry plus
/// exit) adds. Median of several rounds.
fn measure_probe_cost(calibration: &clock::Calibration) -> (f64, f64) {
    const MARKS: u64 = 20_000;
    const CALLS: u64 = 10_000;
    let mut per_line = Vec::new();
    let mut per_call = Vec::new();
    for _ in 0..15 {
        let block = crate::probe::local_block(&CALIBRATION_BLOCK, &CALIBRATION_SITE);
        let frame = TimeFrame::enter_in(block, &CALIBRATION_SITE, 0, false);
        let start = clock::now();
        for _ in 0..MARKS / 2 {
            std::hint::black_box(&frame).mark(1);
            std::hint::black_box(&frame).mark(2);
        }
        let end = clock::now();
        drop(frame);
        per_line.push(calibration.to_ns(end - start) / MARKS as f64);
        let start = clock::now();
        for _ in 0..CALLS {
            let block = crate::probe::local_block(&CALIBRATION_BLOCK, &CALIBRATION_SITE);
            drop(std::hint::black_box(TimeFrame::enter_in(
                block,
                &CALIBRATION_SITE,
                0,
                false,
            )));
        }
        let end = clock::now();
        per_call.push(calibration.to_ns(end - start) / CALLS as f64);
    }
    (median(&mut per_line), median(&mut per_call))
}

fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

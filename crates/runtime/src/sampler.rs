//! The sampled mode: exact hits and calls, time per line and per function from sampling.
//!
//! In the exact mode (the default) every line mark reads the clock. In the sampled mode
//! (`HIPERF_MODE=sampled`, or [`set_mode`]) a line mark stores the line's slot in its call
//! path's node and counts the hit, and a call counts itself on its path, with no clock read;
//! a sampler thread wakes every [`period`] and charges the time since its last wake to what
//! each thread is running: the line of every sampled call on the thread's stack (the
//! innermost's as its own time, the others' as time in callees), every path on the stack
//! (inclusive; the innermost also as self time) and every function on it once (cumulative).
//! Time is wall time, as in the exact mode: a thread blocked inside a profiled function keeps
//! collecting it.
//!
//! Signal safety: nothing here runs in a signal handler. The sampler is a thread of its own
//! that reads other threads' state while they run: each thread writes its current path and
//! each path its current line with plain atomic stores (`Relaxed`, a `mov` on x86-64), the
//! sampler reads them with atomic loads, and only the sampler writes the sampled counters, so
//! every figure has one writer. A sample may see a thread between two stores (the path
//! entered, its first line not yet stored): that sample is charged to the caller's line, an
//! error of one sample at most per call boundary, which is the resolution of sampling anyway.
//!
//! `async fn`s are measured as in the exact mode in both modes (their polls and lines read the
//! clock), so their suspended time stays exact; the sampler sees their synchronous callees.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicU8, AtomicU64, Ordering::*};

use crate::calls::{self, ACTIVE, OVERFLOW, ROOT};
use crate::clock;
use crate::lines::Counter;
use crate::registry::Site;

/// How time is measured.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// Every line and call reads the clock: exact time, at a clock read per line hit.
    Exact,
    /// Hits and calls are counted exactly; time comes from a sampler thread.
    Sampled,
}

impl Mode {
    /// The name used by `HIPERF_MODE` and in reports.
    pub fn name(self) -> &'static str {
        match self {
            Mode::Exact => "exact",
            Mode::Sampled => "sampled",
        }
    }
}

const UNSET: u8 = 0;
const EXACT: u8 = 1;
const SAMPLED: u8 = 2;

static MODE: AtomicU8 = AtomicU8::new(UNSET);

/// Whether the sampled mode is in force (each thread's tree holds a copy, read at entry).
fn sampled() -> bool {
    MODE.load(Relaxed) == SAMPLED
}

/// The mode in force (the environment's, read on first use, unless [`set_mode`] changed it).
///
/// # Examples
///
/// ```
/// use hiperf_runtime::sampler::{mode, Mode};
/// assert!(matches!(mode(), Mode::Exact | Mode::Sampled));
/// ```
pub fn mode() -> Mode {
    init_from_env();
    if MODE.load(Relaxed) == SAMPLED {
        Mode::Sampled
    } else {
        Mode::Exact
    }
}

/// Selects the mode for the calls entered from now on (a call keeps the mode it started
/// in). The sampled mode starts the sampler thread.
///
/// # Examples
///
/// ```
/// use hiperf_runtime::sampler::{mode, set_mode, Mode};
/// set_mode(Mode::Exact);
/// assert_eq!(mode(), Mode::Exact);
/// ```
pub fn set_mode(mode: Mode) {
    match mode {
        Mode::Exact => {
            MODE.store(EXACT, Relaxed);
            calls::set_sampled(false);
        }
        Mode::Sampled => {
            start();
            MODE.store(SAMPLED, Relaxed);
            calls::set_sampled(true);
        }
    }
}

/// Reads `HIPERF_MODE` once (from the first annotated call's thread). Unknown values are
/// named on stderr with the valid ones, and the exact mode is kept.
pub(crate) fn init_from_env() {
    if MODE.load(Relaxed) != UNSET {
        return;
    }
    let wanted = read_env(c"HIPERF_MODE");
    let mode = match wanted.as_ref().map(EnvValue::as_bytes) {
        None | Some(b"" | b"exact") => EXACT,
        Some(b"sampled") => SAMPLED,
        Some(other) => {
            use std::io::Write;
            let _ = writeln!(
                std::io::stderr(),
                "hiperf: HIPERF_MODE={:?} is not a mode; valid: exact, sampled (the exact mode is used)",
                String::from_utf8_lossy(other)
            );
            EXACT
        }
    };
    if MODE.compare_exchange(UNSET, mode, Relaxed, Relaxed).is_ok() && mode == SAMPLED {
        start();
        calls::set_sampled(true);
    }
}

/// A short environment value, copied without allocating.
struct EnvValue {
    bytes: [u8; 32],
    len: usize,
}

impl EnvValue {
    fn as_bytes(&self) -> &[u8] {
        &self.bytes[..self.len]
    }
}

/// An environment variable's value, read without allocating (a user's memory figures must
/// not move because hiperf read its settings); a value longer than 32 bytes reads as
/// `(too long)`. Not synchronised with `set_var`, which Rust makes `unsafe` for that reason.
fn read_env(name: &std::ffi::CStr) -> Option<EnvValue> {
    let mut value = EnvValue {
        bytes: [0; 32],
        len: 0,
    };
    #[cfg(unix)]
    {
        // SAFETY: `name` is NUL-terminated; a non-null result points to a NUL-terminated
        // string in the environment, copied at once.
        let raw = unsafe { libc::getenv(name.as_ptr()) };
        if raw.is_null() {
            return None;
        }
        // SAFETY: as above.
        let bytes = unsafe { std::ffi::CStr::from_ptr(raw) }.to_bytes();
        let bytes: &[u8] = if bytes.len() <= 32 {
            bytes
        } else {
            b"(too long)"
        };
        value.bytes[..bytes.len()].copy_from_slice(bytes);
        value.len = bytes.len();
    }
    #[cfg(not(unix))]
    {
        let text = std::env::var(name.to_str().ok()?).ok()?;
        let bytes: &[u8] = if text.len() <= 32 {
            text.as_bytes()
        } else {
            b"(too long)"
        };
        value.bytes[..bytes.len()].copy_from_slice(bytes);
        value.len = bytes.len();
    }
    Some(value)
}

/// The sampling period in nanoseconds: `HIPERF_SAMPLE_US` microseconds (default 100, at
/// least 10).
pub fn period() -> u64 {
    static PERIOD: AtomicU64 = AtomicU64::new(0);
    let known = PERIOD.load(Relaxed);
    if known != 0 {
        return known;
    }
    let micros = read_env(c"HIPERF_SAMPLE_US")
        .and_then(|value| {
            std::str::from_utf8(value.as_bytes())
                .ok()?
                .trim()
                .parse::<u64>()
                .ok()
        })
        .unwrap_or(100)
        .max(10);
    PERIOD.store(micros * 1000, Relaxed);
    micros * 1000
}

/// The sampler's counters of one function: written by the sampler thread only.
#[derive(Debug)]
pub struct SiteSamples {
    /// Ticks at which the function was on some thread's stack, once per stack (cProfile's
    /// cumtime, recursion not counted twice).
    pub cumulative_ticks: Counter,
    /// The wake that last charged `cumulative_ticks` (to count a recursive stack once).
    stamp: Counter,
    lines: *const LineSamples,
    len: usize,
}

/// The sampler's counters of one line.
#[derive(Debug, Default)]
pub struct LineSamples {
    /// Ticks charged to the line (its calls to profiled functions included).
    pub ticks: Counter,
    /// Of those, ticks at which a profiled callee was running.
    pub callee_ticks: Counter,
    /// Samples behind `ticks`.
    pub samples: Counter,
}

// SAFETY: the line array is leaked and made of atomics; only the sampler writes.
unsafe impl Sync for SiteSamples {}
// SAFETY: as above.
unsafe impl Send for SiteSamples {}

impl SiteSamples {
    /// The per-slot counters.
    pub fn lines(&self) -> &[LineSamples] {
        // SAFETY: allocated zeroed with `len` entries, never freed.
        unsafe { std::slice::from_raw_parts(self.lines, self.len) }
    }
}

/// The sampler's counters of `site`, if it was ever sampled.
pub fn site_samples(site: &Site) -> Option<&'static SiteSamples> {
    // SAFETY: set once by the sampler to a leaked allocation, never freed.
    unsafe { site.samples.load(Acquire).as_ref() }
}

/// Wakes of the sampler that found at least one sampled call running.
static SAMPLES: AtomicU64 = AtomicU64::new(0);

/// How many times the sampler found a sampled call running (over every thread, a wake
/// counting once per thread).
pub fn samples_taken() -> u64 {
    SAMPLES.load(Relaxed)
}

/// Starts the sampler thread, once.
fn start() {
    static STARTED: std::sync::Once = std::sync::Once::new();
    STARTED.call_once(|| {
        #[cfg(unix)]
        {
            extern "C" fn run(_: *mut libc::c_void) -> *mut libc::c_void {
                sample_forever()
            }
            let mut thread = std::mem::MaybeUninit::<libc::pthread_t>::uninit();
            // A raw thread: `std::thread::spawn` would allocate on the user's thread, and
            // its memory figures must not move.
            // SAFETY: `run` has the signature pthread_create expects and ignores its argument.
            let created = unsafe {
                libc::pthread_create(
                    thread.as_mut_ptr(),
                    std::ptr::null(),
                    run,
                    std::ptr::null_mut(),
                )
            };
            if created == 0 {
                // SAFETY: created above; it runs until the process ends.
                unsafe { libc::pthread_detach(thread.assume_init()) };
            }
        }
        #[cfg(not(unix))]
        {
            let _ = std::thread::Builder::new()
                .name("hiperf-sampler".into())
                .spawn(|| {
                    sample_forever();
                });
        }
    });
}

fn sample_forever() -> ! {
    #[cfg(target_os = "linux")]
    // SAFETY: PR_SET_TIMERSLACK takes a nanosecond count; it only affects this thread's sleeps.
    unsafe {
        libc::prctl(libc::PR_SET_TIMERSLACK, 1 as libc::c_ulong);
    }
    let period = std::time::Duration::from_nanos(period());
    let mut last = clock::now();
    let mut wake: u64 = 0;
    loop {
        std::thread::sleep(if sampled() {
            period
        } else {
            period.max(std::time::Duration::from_millis(10))
        });
        let now = clock::now();
        let elapsed = now.wrapping_sub(last);
        last = now;
        wake += 1;
        for tree in calls::trees() {
            if tree.in_use() {
                sample_tree(tree, elapsed, wake);
            }
        }
    }
}

/// Charges `elapsed` ticks to the sampled calls on `tree`'s thread's stack.
fn sample_tree(tree: &calls::Tree, elapsed: u64, wake: u64) {
    let mut index = tree.current();
    let len = tree.len();
    let mut innermost = true;
    while index != ROOT && index != OVERFLOW && index < len {
        let node = tree.node(index);
        let slot = node.slot.load(Relaxed);
        if slot & ACTIVE != 0
            && let Some(site) = node.site()
        {
            let slot = (slot & !ACTIVE) as usize;
            let samples = samples_of(site);
            if let Some(line) = samples.lines().get(slot) {
                line.ticks.add(elapsed);
                line.samples.add(1);
                if !innermost {
                    line.callee_ticks.add(elapsed);
                }
            }
            node.sampled_total_ticks.add(elapsed);
            if innermost {
                node.sampled_self_ticks.add(elapsed);
                SAMPLES.fetch_add(1, Relaxed);
            }
            if samples.stamp.get() != wake {
                samples.stamp.set(wake);
                samples.cumulative_ticks.add(elapsed);
            }
            innermost = false;
        }
        index = node.parent();
    }
}

/// The sampler's counters of `site`, made on first use (by the sampler, the only writer).
fn samples_of(site: &'static Site) -> &'static SiteSamples {
    if let Some(samples) = site_samples(site) {
        return samples;
    }
    let len = site.slot_count().max(1);
    let lines = zeroed::<LineSamples>(len);
    let samples = zeroed::<SiteSamples>(1);
    // SAFETY: a fresh allocation of one `SiteSamples`.
    unsafe {
        samples.write(SiteSamples {
            cumulative_ticks: Counter::new(),
            stamp: Counter::new(),
            lines,
            len,
        })
    };
    site.samples.store(samples, Release);
    // SAFETY: leaked for the life of the program.
    unsafe { &*samples }
}

/// A zeroed array from `System` (zero bits are valid counters), so that the profiler's own
/// memory never shows in the counting allocator's figures.
fn zeroed<T>(len: usize) -> *mut T {
    let layout = Layout::array::<T>(len).expect("sample counters fit in memory");
    // SAFETY: a non-zero size.
    let raw = unsafe { System.alloc_zeroed(layout) };
    if raw.is_null() {
        std::alloc::handle_alloc_error(layout);
    }
    raw.cast()
}

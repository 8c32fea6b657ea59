//! The probe clock: the time-stamp counter on x86-64, a monotonic nanosecond count elsewhere.
//!
//! Ticks are converted to nanoseconds only at report time, with a calibration measured against
//! [`std::time::Instant`]: the hot path reads the counter and nothing else.

use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// Reads the probe clock, in ticks.
///
/// # Examples
///
/// ```
/// let before = hiperf_runtime::clock::now();
/// let after = hiperf_runtime::clock::now();
/// assert!(after >= before);
/// ```
#[inline(always)]
pub fn now() -> u64 {
    #[cfg(target_arch = "x86_64")]
    {
        // PERF: one `rdtsc` (~10 ns on the target VM) against ~25 ns for `Instant::now()`.
        // SAFETY: `rdtsc` exists on every x86-64 processor and has no preconditions.
        #[allow(unused_unsafe)]
        unsafe {
            core::arch::x86_64::_rdtsc()
        }
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        epoch().elapsed().as_nanos() as u64
    }
}

#[cfg(not(target_arch = "x86_64"))]
fn epoch() -> &'static Instant {
    static EPOCH: OnceLock<Instant> = OnceLock::new();
    EPOCH.get_or_init(Instant::now)
}

/// Where the ticks come from and how many make a nanosecond.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Calibration {
    /// `"tsc"` or `"instant"`.
    pub source: &'static str,
    /// Ticks per nanosecond (the counter's frequency in GHz).
    pub ticks_per_ns: f64,
    /// Whether the processor reports an invariant counter (constant rate in every power state).
    pub invariant: bool,
}

impl Calibration {
    /// Converts a tick count to nanoseconds.
    ///
    /// # Examples
    ///
    /// ```
    /// let calibration = hiperf_runtime::clock::calibration();
    /// assert!(calibration.to_ns(0) == 0.0);
    /// ```
    pub fn to_ns(&self, ticks: u64) -> f64 {
        ticks as f64 / self.ticks_per_ns
    }
}

static ANCHOR: OnceLock<(Instant, u64)> = OnceLock::new();

/// Records the first moment the profiler was used, so that the calibration at report time can
/// span the whole run (the longer the interval, the smaller the error).
pub(crate) fn anchor() {
    ANCHOR.get_or_init(|| (Instant::now(), now()));
}

/// The calibration of the probe clock, measured once and cached.
///
/// # Examples
///
/// ```
/// let calibration = hiperf_runtime::clock::calibration();
/// assert!(calibration.ticks_per_ns > 0.0);
/// ```
pub fn calibration() -> Calibration {
    static CALIBRATION: OnceLock<Calibration> = OnceLock::new();
    *CALIBRATION.get_or_init(measure)
}

fn measure() -> Calibration {
    if cfg!(not(target_arch = "x86_64")) {
        return Calibration {
            source: "instant",
            ticks_per_ns: 1.0,
            invariant: true,
        };
    }
    let (start_instant, start_ticks) = match ANCHOR.get() {
        Some(&(instant, ticks)) if instant.elapsed() >= Duration::from_millis(200) => {
            (instant, ticks)
        }
        _ => {
            let pair = (Instant::now(), now());
            // Spin rather than sleep: a descheduled thread still counts, but spinning keeps
            // the two reads close to their instants.
            while pair.0.elapsed() < Duration::from_millis(50) {
                std::hint::spin_loop();
            }
            pair
        }
    };
    let end_instant = Instant::now();
    let end_ticks = now();
    let nanos = end_instant.duration_since(start_instant).as_nanos() as f64;
    let ticks = end_ticks.wrapping_sub(start_ticks) as f64;
    Calibration {
        source: "tsc",
        ticks_per_ns: ticks / nanos,
        invariant: invariant_tsc(),
    }
}

fn invariant_tsc() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        use core::arch::x86_64::__cpuid;
        // SAFETY: `cpuid` is available on every x86-64 processor.
        #[allow(unused_unsafe)]
        let max_extended = unsafe { __cpuid(0x8000_0000) }.eax;
        if max_extended < 0x8000_0007 {
            return false;
        }
        // SAFETY: as above; leaf 0x8000_0007 exists, checked just before.
        #[allow(unused_unsafe)]
        let power = unsafe { __cpuid(0x8000_0007) };
        power.edx & (1 << 8) != 0
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn calibration_matches_a_known_interval() {
        let calibration = calibration();
        let start = now();
        let instant = Instant::now();
        while instant.elapsed() < Duration::from_millis(20) {}
        let measured = calibration.to_ns(now() - start);
        let expected = instant.elapsed().as_nanos() as f64;
        assert!(
            (measured / expected - 1.0).abs() < 0.05,
            "{measured} ns against {expected} ns"
        );
    }
}

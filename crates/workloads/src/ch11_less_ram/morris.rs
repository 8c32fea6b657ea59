//! `morris_counter.py`: approximate counters that keep only an exponent, one byte each, so
//! that a byte counts to about 2^255 (the book's "count to 10^76 using 1 byte").
//!
//! `add` raises the exponent e with probability 1/2^e and the count read back is 2^e, whose
//! expectation after n adds is n + 1. The naive port draws one random number per add, as the
//! book does; the optimized one draws, for the current exponent, how many adds pass before
//! the next raise (a geometric number of trials), so counting to 10^12 takes a few dozen
//! draws. The two see different random numbers, so their counts differ; both are unbiased.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::{Outcome, Run, Size, Unit, Workload, expect_eq};

/// Counters of one byte each (`array('B')`), with their own seeded generator.
#[derive(Debug)]
pub struct MorrisCounter {
    exponents: Vec<u8>,
    rng: ChaCha8Rng,
}

impl MorrisCounter {
    /// `counters` counters at zero.
    pub fn new(counters: usize, seed: u64) -> Self {
        MorrisCounter {
            exponents: vec![0; counters],
            rng: ChaCha8Rng::seed_from_u64(seed),
        }
    }

    /// `add(counter)`: `if random() < 1 / 2**exp: exp += 1`. The exponent stops at 255, where
    /// Python's `array('B')` would raise (2^255 adds are out of reach either way).
    pub fn add(&mut self, counter: usize) {
        let exponent = self.exponents[counter];
        if self.rng.random::<f64>() < 1.0 / 2_f64.powi(i32::from(exponent)) {
            self.exponents[counter] = exponent.saturating_add(1);
        }
    }

    /// `adds` calls of [`add`](Self::add), by geometric skips: at exponent e the adds until
    /// the next raise are geometric with p = 2^-e; the adds that remain when the next raise
    /// lies beyond `adds` raise nothing, which is the same distribution.
    pub fn add_many(&mut self, counter: usize, adds: u64) {
        let mut remaining = adds;
        while remaining > 0 {
            let exponent = self.exponents[counter];
            if exponent == u8::MAX {
                return;
            }
            let trials = if exponent == 0 {
                1
            } else {
                let uniform: f64 = 1.0 - self.rng.random::<f64>();
                let p = 2_f64.powi(-i32::from(exponent));
                (uniform.ln() / (-p).ln_1p()).floor() as u64 + 1
            };
            if trials > remaining {
                return;
            }
            remaining -= trials;
            self.exponents[counter] = exponent + 1;
        }
    }

    /// The exponent of `counter`.
    pub fn exponent(&self, counter: usize) -> u8 {
        self.exponents[counter]
    }

    /// `get(counter)`: `2**exp`.
    pub fn get(&self, counter: usize) -> f64 {
        2_f64.powi(i32::from(self.exponents[counter]))
    }

    /// The heap the exponents take: one byte a counter.
    pub fn heap_bytes(&self) -> usize {
        self.exponents.capacity()
    }
}

/// The seed of the counters (the book's are unseeded).
pub const MORRIS_SEED: u64 = 2;

/// `show_morris_counter.py`'s three counters.
pub const COUNTERS: usize = 3;

/// Adds per counter: the book's 1,000,000, or 100,000.
pub fn adds(size: Size) -> u64 {
    match size {
        Size::Quick => 100_000,
        Size::Book => 1_000_000,
    }
}

/// The mean of 2^e over `trials` seeded counters of `adds` adds each, counted one add at a
/// time (`geometric` false) or by skips.
pub fn mean_count(trials: usize, adds: u64, geometric: bool, seed: u64) -> f64 {
    let mut counter = MorrisCounter::new(trials, seed);
    for trial in 0..trials {
        if geometric {
            counter.add_many(trial, adds);
        } else {
            for _ in 0..adds {
                counter.add(trial);
            }
        }
    }
    (0..trials).map(|trial| counter.get(trial)).sum::<f64>() / trials as f64
}

fn run_morris(run: &mut Run, geometric: bool) -> Result<Outcome, String> {
    let adds = adds(run.size());
    let count = |seed: u64| {
        let mut counter = MorrisCounter::new(COUNTERS, seed);
        for index in 0..COUNTERS {
            if geometric {
                counter.add_many(index, adds);
            } else {
                for _ in 0..adds {
                    counter.add(index);
                }
            }
        }
        counter
    };
    let (counter, memory) = run.time(|| hiperf_runtime::memit::measure(|| count(MORRIS_SEED)));
    let again = count(MORRIS_SEED);
    let exponents: Vec<u8> = (0..COUNTERS).map(|i| counter.exponent(i)).collect();
    let repeat: Vec<u8> = (0..COUNTERS).map(|i| again.exponent(i)).collect();
    expect_eq(
        "exponents of a second run with the same seed",
        &repeat,
        &exponents,
    )?;
    // 2^e is within a factor 2^6 of the count for all but a vanishing share of runs.
    for (index, &exponent) in exponents.iter().enumerate() {
        let estimate = 2_f64.powi(i32::from(exponent));
        let ratio = estimate / adds as f64;
        if !(1.0 / 64.0..=64.0).contains(&ratio) {
            return Err(format!("counter {index}: 2^{exponent} after {adds} adds"));
        }
    }
    // E[2^e] = n + 1: the mean over 1000 counters of 1000 adds is within 10% (4.5 sigma).
    let mean = mean_count(1000, 1000, geometric, MORRIS_SEED + 1);
    if (mean / 1001.0 - 1.0).abs() > 0.1 {
        return Err(format!(
            "mean of 2^e over 1000 counters of 1000 adds is {mean}, not within 10% of 1001"
        ));
    }
    let mut beyond = String::new();
    if geometric {
        // Beyond: 10^12 adds, and 2^200 adds' worth where one byte still holds the exponent.
        let mut far = MorrisCounter::new(2, MORRIS_SEED);
        far.add_many(0, 1_000_000_000_000);
        far.add_many(1, u64::MAX);
        let ratio = far.get(0) / 1e12;
        if !(1.0 / 64.0..=64.0).contains(&ratio) {
            return Err(format!("2^{} after 10^12 adds", far.exponent(0)));
        }
        beyond = format!(
            "; 10^12 adds -> 2^{} = {:.3e}; 2^64-1 adds -> 2^{}",
            far.exponent(0),
            far.get(0),
            far.exponent(1)
        );
    }
    let held = memory.net_bytes;
    if memory.allocations > 0 {
        expect_eq("heap of the counters", held, counter.heap_bytes() as i64)?;
    }
    run.record("held bytes", held as f64, Unit::Bytes);
    run.record(
        "estimate",
        (0..COUNTERS).map(|i| counter.get(i)).sum::<f64>() / COUNTERS as f64,
        Unit::Count,
    );
    run.record("exact", adds as f64, Unit::Count);
    Ok(Outcome {
        parameters: format!(
            "{COUNTERS} counters x {adds} adds, seed {MORRIS_SEED}; mean check over 1000 x 1000"
        ),
        result: format!(
            "exponents {exponents:?} -> {:?} in {COUNTERS} bytes (exact u64 counters: {} bytes); \
             mean of 2^e over 1000 x 1000 adds {mean:.1}{beyond}",
            exponents
                .iter()
                .map(|&e| 2_u128.pow(u32::from(e)))
                .collect::<Vec<_>>(),
            COUNTERS * 8
        ),
    })
}

inventory::submit! {
    Workload {
        chapter: 11,
        name: "morris-counter",
        variant: "random-per-add",
        rank: 0,
        description: "one-byte exponents; each add draws `random() < 1/2**e` (the book's `add`)",
        run: |run| run_morris(run, false),
        python: None,
    }
}

inventory::submit! {
    Workload {
        chapter: 11,
        name: "morris-counter",
        variant: "geometric-skip",
        rank: 1,
        description: "one-byte exponents; one geometric draw per raise of the exponent, not per add",
        run: |run| run_morris(run, true),
        python: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_are_unbiased_both_ways() {
        for geometric in [false, true] {
            let mean = mean_count(1000, 1000, geometric, 7);
            assert!((mean / 1001.0 - 1.0).abs() < 0.1, "{geometric}: {mean}");
        }
    }

    #[test]
    fn the_same_seed_gives_the_same_exponents_and_they_stop_at_255() {
        let run = |seed| {
            let mut counter = MorrisCounter::new(1, seed);
            for _ in 0..10_000 {
                counter.add(0);
            }
            counter.exponent(0)
        };
        assert_eq!(run(5), run(5));
        let mut counter = MorrisCounter::new(1, 1);
        counter.exponents[0] = 255;
        counter.add(0);
        counter.add_many(0, 1 << 40);
        assert_eq!(counter.exponent(0), 255);
        assert_eq!(counter.get(0), 2_f64.powi(255));
    }

    #[test]
    fn zero_adds_leave_zero_and_one_add_always_raises_from_zero() {
        let mut counter = MorrisCounter::new(2, 3);
        counter.add_many(0, 0);
        assert_eq!(counter.exponent(0), 0);
        counter.add(1);
        assert_eq!(counter.exponent(1), 1);
    }
}

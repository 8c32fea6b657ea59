//! The book's LogLog family, ported with its quirks: `llregister.py`, `ll.py`, `superll.py`
//! and `hyperloglog.py`.
//!
//! The naive ports keep one heap object per register, as the book's list of `LLRegister`
//! objects does ([`LogLog`]); [`PackedLogLog`] keeps one byte per register. Both feed the
//! same estimators, which reproduce the book's floating-point expressions in its order:
//! `math.log(x, 2)` is `ln(x) / ln(2)` (not `log2`), and `int()` truncates.

use super::hash::{mmh3_hash, trailing_zeros};

/// `llregister.py`: one LogLog register, the largest `trailing_zeros` seen.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct LlRegister {
    /// The largest 1-based index of a lowest set bit seen so far (0 before any add).
    pub counter: u8,
}

impl LlRegister {
    /// `add`: hashes `str(item)`, then keeps the larger index.
    pub fn add(&mut self, item: &str) {
        self.add_hash(i64::from(mmh3_hash(item)));
    }

    /// `_add`: keeps `trailing_zeros(hash)` if it is larger.
    pub fn add_hash(&mut self, hash: i64) {
        let bit_index = trailing_zeros(hash);
        if bit_index > self.counter {
            self.counter = bit_index;
        }
    }

    /// `len`: `2**counter`.
    ///
    /// ```
    /// use hiperf_workloads::ch11_less_ram::LlRegister;
    ///
    /// let mut register = LlRegister::default();
    /// for i in 0..100_000 {
    ///     register.add(&i.to_string());
    /// }
    /// assert_eq!(register.len(), 1_048_576);
    /// ```
    #[allow(clippy::len_without_is_empty)]
    pub fn len(&self) -> u64 {
        1 << self.counter
    }
}

/// `ll.py`'s `alpha`, the HyperLogLog constant the book uses for all three estimators.
fn alpha(registers: f64) -> f64 {
    0.7213 / (1.0 + 1.079 / registers)
}

/// Which register and which value a hash goes to: index `hash & (m - 1)`, value `hash >> p`
/// (an arithmetic shift: negative hashes stay negative).
fn split(hash: i64, precision: u32) -> (usize, i64) {
    let registers = 1_i64 << precision;
    ((hash & (registers - 1)) as usize, hash >> precision)
}

/// `LL.__len__`: `int(m * alpha * 2**(sum / m))`.
pub fn loglog_estimate(counters: &[u8]) -> u64 {
    let registers = counters.len() as f64;
    let sum: u64 = counters.iter().map(|&c| u64::from(c)).sum();
    (registers * alpha(registers) * 2_f64.powf(sum as f64 / registers)) as u64
}

/// `SuperLL.__len__`: the smallest 70% of the registers, without those above
/// `B = ceil(log(1e9 / m) / log(2) + 3)`, and alpha recomputed for the registers kept.
/// Returns 0 where the book would divide by zero (no register kept).
pub fn superloglog_estimate(counters: &[u8]) -> u64 {
    const NMAX: f64 = 1_000_000_000.0;
    let registers = counters.len();
    let kept_count = (registers as f64 * 0.7) as usize;
    let mut sorted = counters.to_vec();
    sorted.sort_unstable();
    sorted.truncate(kept_count);
    let bound = ((NMAX / registers as f64).ln() / 2_f64.ln() + 3.0).ceil();
    let kept: Vec<u8> = sorted
        .into_iter()
        .filter(|&c| f64::from(c) <= bound)
        .collect();
    if kept.is_empty() {
        return 0;
    }
    let kept_registers = kept.len() as f64;
    let sum: u64 = kept.iter().map(|&c| u64::from(c)).sum();
    (2_f64.powf(sum as f64 / kept_registers) * kept_registers * alpha(kept_registers)) as u64
}

/// `HyperLogLog.__len__`: the harmonic mean, with the book's small-range correction
/// `m * log2(m / V)` (base 2 where the paper has ln: small estimates come out 1/ln 2 larger),
/// and its large-range one.
pub fn hyperloglog_estimate(counters: &[u8]) -> u64 {
    let registers = counters.len() as f64;
    let indicator: f64 = counters.iter().map(|&c| 2_f64.powi(-i32::from(c))).sum();
    let estimate = alpha(registers) * (registers * registers) / indicator;
    let two_32 = 4_294_967_296.0_f64;
    let corrected = if estimate <= 5.0 / 2.0 * registers {
        let zeros = counters.iter().filter(|&&c| c == 0).count();
        if zeros != 0 {
            registers * ((registers / zeros as f64).ln() / 2_f64.ln())
        } else {
            estimate
        }
    } else if estimate <= two_32 / 30.0 {
        estimate
    } else {
        -two_32 * ((1.0 - estimate / two_32).ln() / 2_f64.ln())
    };
    corrected as u64
}

/// Which estimator reads the registers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Estimator {
    /// `ll.py`.
    LogLog,
    /// `superll.py`.
    SuperLogLog,
    /// `hyperloglog.py`.
    HyperLogLog,
}

impl Estimator {
    /// The estimate from the register values.
    pub fn estimate(self, counters: &[u8]) -> u64 {
        match self {
            Estimator::LogLog => loglog_estimate(counters),
            Estimator::SuperLogLog => superloglog_estimate(counters),
            Estimator::HyperLogLog => hyperloglog_estimate(counters),
        }
    }
}

/// `ll.py` (and its subclasses): 2^p registers, each a heap object of its own as the book's
/// list of `LLRegister` instances.
#[derive(Clone, Debug)]
pub struct LogLog {
    precision: u32,
    #[allow(
        clippy::vec_box,
        reason = "one heap object per register, as the book's list of `LLRegister` objects"
    )]
    registers: Vec<Box<LlRegister>>,
    estimator: Estimator,
}

impl LogLog {
    /// `LL(p)`, `SuperLL(p)` or `HyperLogLog(p)`.
    pub fn new(precision: u32, estimator: Estimator) -> Self {
        LogLog {
            precision,
            registers: (0..1_usize << precision)
                .map(|_| Box::new(LlRegister::default()))
                .collect(),
            estimator,
        }
    }

    /// `add`: hashes `str(item)` and updates one register.
    pub fn add(&mut self, item: &str) {
        let (index, value) = split(i64::from(mmh3_hash(item)), self.precision);
        self.registers[index].add_hash(value);
    }

    /// The register values, in order.
    pub fn counters(&self) -> Vec<u8> {
        self.registers.iter().map(|r| r.counter).collect()
    }

    /// `len`.
    ///
    /// ```
    /// use hiperf_workloads::ch11_less_ram::{Estimator, LogLog};
    ///
    /// let mut hll = LogLog::new(4, Estimator::HyperLogLog);
    /// for i in 0..100_000 {
    ///     hll.add(&i.to_string());
    /// }
    /// assert_eq!(hll.len(), 80977);
    /// ```
    #[allow(clippy::len_without_is_empty)]
    pub fn len(&self) -> u64 {
        self.estimator.estimate(&self.counters())
    }
}

/// The optimized rung: one byte per register in one allocation, the same answers.
#[derive(Clone, Debug)]
pub struct PackedLogLog {
    precision: u32,
    counters: Vec<u8>,
    estimator: Estimator,
}

impl PackedLogLog {
    /// 2^p registers of one byte.
    pub fn new(precision: u32, estimator: Estimator) -> Self {
        PackedLogLog {
            precision,
            counters: vec![0; 1 << precision],
            estimator,
        }
    }

    /// The same update as [`LogLog::add`].
    pub fn add(&mut self, item: &str) {
        let (index, value) = split(i64::from(mmh3_hash(item)), self.precision);
        let counter = &mut self.counters[index];
        *counter = (*counter).max(trailing_zeros(value));
    }

    /// The same estimate as [`LogLog::len`].
    #[allow(clippy::len_without_is_empty)]
    pub fn len(&self) -> u64 {
        self.estimator.estimate(&self.counters)
    }
}

/// `hyperloglog.py`'s `__main__`: HLL(8) over `mmh3.hash(str(i))` for i below `items`, each
/// hashed again by `add` (the book's 99907 for 100,000).
pub fn hyperloglog_main(items: u32) -> u64 {
    let mut hll = LogLog::new(8, Estimator::HyperLogLog);
    for i in 0..items {
        hll.add(&mmh3_hash(&i.to_string()).to_string());
    }
    hll.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn filled<T>(mut structure: T, add: impl Fn(&mut T, &str), items: u32) -> T {
        for i in 0..items {
            add(&mut structure, &i.to_string());
        }
        structure
    }

    #[test]
    fn hyperloglog_main_gives_99907() {
        assert_eq!(hyperloglog_main(100_000), 99_907);
    }

    #[test]
    fn unique_items_estimates_match_the_book() {
        let register = filled(LlRegister::default(), LlRegister::add, 100_000);
        assert_eq!(register.len(), 1_048_576);
        let hll = filled(LogLog::new(4, Estimator::HyperLogLog), LogLog::add, 100_000);
        assert_eq!(hll.len(), 80_977);
        let loglog = filled(LogLog::new(4, Estimator::LogLog), LogLog::add, 100_000);
        assert_eq!(loglog.len(), crate::ch11_less_ram::LOGLOG_4);
        let superloglog = filled(LogLog::new(4, Estimator::SuperLogLog), LogLog::add, 100_000);
        assert_eq!(superloglog.len(), crate::ch11_less_ram::SUPERLOGLOG_4);
    }

    #[test]
    fn packed_registers_give_the_same_answers() {
        for estimator in [
            Estimator::LogLog,
            Estimator::SuperLogLog,
            Estimator::HyperLogLog,
        ] {
            for precision in [4, 8, 12] {
                let naive = filled(LogLog::new(precision, estimator), LogLog::add, 20_000);
                let packed = filled(
                    PackedLogLog::new(precision, estimator),
                    PackedLogLog::add,
                    20_000,
                );
                assert_eq!(naive.counters(), packed.counters);
                assert_eq!(naive.len(), packed.len(), "{estimator:?} p={precision}");
            }
        }
    }

    #[test]
    fn the_value_is_an_arithmetic_shift_and_zero_counts_32() {
        assert_eq!(split(-1, 4), (15, -1));
        assert_eq!(split(0b1_0011, 4), (3, 1));
        let mut register = LlRegister::default();
        register.add_hash(0);
        assert_eq!(register.counter, 32);
    }

    #[test]
    fn small_range_correction_is_base_two() {
        // 16 registers, 8 of them zero: m * log2(m / V) = 16 * log2(2) = 16 (ln would give 11).
        let counters = [0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1];
        assert_eq!(hyperloglog_estimate(&counters), 16);
        assert_eq!(hyperloglog_estimate(&[0; 16]), 0);
    }

    #[test]
    fn superloglog_drops_the_top_30_percent_and_values_above_b() {
        // m = 16: 11 registers kept; B = ceil(log2(1e9 / 16) + 3) = 29.
        let mut counters = [2_u8; 16];
        counters[0] = 31;
        counters[15] = 30;
        let alpha = 0.7213 / (1.0 + 1.079 / 11.0);
        assert_eq!(
            superloglog_estimate(&counters),
            (2_f64.powf(2.0) * 11.0 * alpha) as u64
        );
    }
}

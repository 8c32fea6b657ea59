//! `prime_validation/`: is one large number prime? Serially; with its divisors split in four
//! ranges (`create_range`) checked in parallel; and with a shared "found" flag, polled every
//! 1000 divisors, that stops the other workers once one finds a factor: an atomic, a
//! lock-guarded value, one byte of a memory map shared by worker processes, a key in Redis.

use std::io::{BufRead, Write};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU8, Ordering};

use crate::service::RedisServer;
use crate::worker::{Pool, Role, Task};
use crate::{Outcome, Run, Size, Workload, expect_eq};

/// A number to validate, with its verdict and, for a composite, its factor.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Candidate {
    /// The book's label.
    pub label: &'static str,
    /// The number.
    pub n: u64,
    /// `None` for a prime; the factor at most √n the search finds (the only one, for the
    /// products of two primes).
    pub factor: Option<u64>,
}

/// The book's five numbers (verdicts and factors: reference values computed from a faithful
/// transcription).
pub const BOOK_NUMBERS: [Candidate; 5] = [
    Candidate {
        label: "trivial non-prime",
        n: 112_272_535_095_295,
        factor: Some(5),
    },
    Candidate {
        label: "expensive non-prime18_1",
        n: 100_109_100_129_100_369,
        factor: Some(95_362_951),
    },
    Candidate {
        label: "expensive non-prime18_2",
        n: 100_109_100_129_101_027,
        factor: Some(171_656_941),
    },
    Candidate {
        label: "prime18_1",
        n: 100_109_100_129_100_151,
        factor: None,
    },
    Candidate {
        label: "prime18_2",
        n: 100_109_100_129_162_907,
        factor: None,
    },
];

/// Smaller numbers of the same kinds for quick runs: 1000003 × 3000017, 700001 × 9000011,
/// and the first primes from 1e13 and from 1e13 + 60000.
pub const QUICK_NUMBERS: [Candidate; 5] = [
    BOOK_NUMBERS[0],
    Candidate {
        label: "non-prime 1000003 x 3000017",
        n: 3_000_026_000_051,
        factor: Some(1_000_003),
    },
    Candidate {
        label: "non-prime 700001 x 9000011",
        n: 6_300_016_700_011,
        factor: Some(700_001),
    },
    Candidate {
        label: "prime13_1",
        n: 10_000_000_000_037,
        factor: None,
    },
    Candidate {
        label: "prime13_2",
        n: 10_000_000_060_073,
        factor: None,
    },
];

/// The numbers at a size.
pub fn validation_numbers(size: Size) -> &'static [Candidate; 5] {
    match size {
        Size::Quick => &QUICK_NUMBERS,
        Size::Book => &BOOK_NUMBERS,
    }
}

/// The book's `SERIAL_CHECK_CUTOFF`: divisors 3 to 19 are tried serially first.
pub const SERIAL_CHECK_CUTOFF: u64 = 21;
/// The book's `CHECK_EVERY`: the flag is read once per 1000 divisors.
pub const CHECK_EVERY: u32 = 1000;
/// The Redis key of the flag, as in the book.
pub const REDIS_FLAG_KEY: &str = "redis_primes_flag";

/// `create_range.create`: `[from, to)` split into `chunks` ranges whose lower bounds after the
/// first are odd, transcribed with its arithmetic (a float length truncated to the step, odd
/// bounds made by adding one, a surplus bound dropped).
///
/// ```
/// use hiperf_workloads::ch09_multiprocessing::create_range;
///
/// assert_eq!(create_range(2, 11, 2), Ok(vec![(2, 7), (7, 11)]));
/// // The book's test3 expects [(1, 9), (9, 17), (17, 25), (25, 31)]: Python 3 gives this.
/// assert_eq!(create_range(1, 31, 4), Ok(vec![(1, 9), (9, 15), (15, 23), (23, 31)]));
/// ```
///
/// # Errors
///
/// Where the book's `assert len(lower_ranges) == chunks` fails (a range too short to split).
pub fn create_range(from: u64, to: u64, chunks: u64) -> Result<Vec<(u64, u64)>, String> {
    let partial_range_length = (to - from) as f64 / chunks as f64;
    let step = partial_range_length as u64;
    if step == 0 {
        return Err(format!(
            "range({from}, {to}, 0): [{from}, {to}) is too short for {chunks} chunks"
        ));
    }
    let mut lower_ranges: Vec<u64> = (from..to).step_by(step as usize).collect();
    for lower in lower_ranges.iter_mut().skip(1) {
        if *lower % 2 == 0 {
            *lower += 1;
        }
    }
    if lower_ranges.len() as u64 > chunks {
        lower_ranges.pop();
    }
    if lower_ranges.len() as u64 != chunks {
        return Err(format!(
            "create({from}, {to}, {chunks}) made {} lower bounds",
            lower_ranges.len()
        ));
    }
    let mut ranges: Vec<(u64, u64)> = lower_ranges.windows(2).map(|w| (w[0], w[1])).collect();
    ranges.push((lower_ranges[lower_ranges.len() - 1], to));
    Ok(ranges)
}

/// `check_prime` of `prime_validation/primes.py`: the verdict and, for a composite, the
/// first factor (odd divisors from 3 while below `int(sqrt(n) + 1)`).
#[hiperf::profile]
pub fn smallest_factor(n: u64) -> Option<u64> {
    if n % 2 == 0 {
        return Some(2);
    }
    let to_i = ((n as f64).sqrt() + 1.0) as u64;
    for i in (3..to_i).step_by(2) {
        if n % i == 0 {
            return Some(i);
        }
    }
    None
}

/// A "found" flag shared by the workers of one number.
pub trait Flag {
    /// Whether a worker found a factor.
    fn is_set(&self) -> bool;
    /// Tells the others a factor was found.
    fn set(&self);
}

/// No flag: every range runs to its end or its own factor (`primes_pool_per_number2`).
#[derive(Debug, Default)]
pub struct NoFlag;

impl Flag for NoFlag {
    fn is_set(&self) -> bool {
        false
    }
    fn set(&self) {}
}

impl Flag for AtomicBool {
    fn is_set(&self) -> bool {
        self.load(Ordering::Relaxed)
    }
    fn set(&self) {
        self.store(true, Ordering::Relaxed);
    }
}

impl Flag for Mutex<bool> {
    fn is_set(&self) -> bool {
        *self.lock().unwrap_or_else(|p| p.into_inner())
    }
    fn set(&self) {
        *self.lock().unwrap_or_else(|p| p.into_inner()) = true;
    }
}

/// What one worker found in its range.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RangeVerdict {
    /// No divisor in the range.
    NoFactor,
    /// This divisor divides the number.
    Factor(u64),
    /// Another worker found a factor first.
    Stopped,
}

/// `check_prime_in_range`: odd divisors in `[from, to)`, the flag read every
/// [`CHECK_EVERY`] divisors, and set on a factor.
pub fn check_prime_in_range(n: u64, from: u64, to: u64, flag: &impl Flag) -> RangeVerdict {
    if n % 2 == 0 {
        return RangeVerdict::Factor(2);
    }
    let mut check_every = CHECK_EVERY;
    for i in (from..to).step_by(2) {
        check_every -= 1;
        if check_every == 0 {
            if flag.is_set() {
                return RangeVerdict::Stopped;
            }
            check_every = CHECK_EVERY;
        }
        if n % i == 0 {
            flag.set();
            return RangeVerdict::Factor(i);
        }
    }
    RangeVerdict::NoFactor
}

/// A number's verdict from its ranges': prime when no range found a factor or was stopped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Verdict {
    /// Whether no factor was found.
    pub prime: bool,
    /// The factor a worker found.
    pub factor: Option<u64>,
}

/// The serial pre-check of divisors 3 to 19, then the split of the rest into `workers`
/// ranges, checked by `check_ranges` (ranges in, verdicts out); the book's `check_prime(n,
/// pool, nbr_processes)`.
pub fn validate_split(
    n: u64,
    workers: u64,
    check_ranges: impl FnOnce(&[(u64, u64)]) -> Result<Vec<RangeVerdict>, String>,
) -> Result<Verdict, String> {
    if let RangeVerdict::Factor(factor) = check_prime_in_range(n, 3, SERIAL_CHECK_CUTOFF, &NoFlag) {
        return Ok(Verdict {
            prime: false,
            factor: Some(factor),
        });
    }
    let to = ((n as f64).sqrt()) as u64 + 1;
    let ranges = create_range(SERIAL_CHECK_CUTOFF, to, workers)?;
    let verdicts = check_ranges(&ranges)?;
    expect_eq("ranges answered", verdicts.len(), ranges.len())?;
    let factor = verdicts.iter().find_map(|v| match v {
        RangeVerdict::Factor(f) => Some(*f),
        _ => None,
    });
    Ok(Verdict {
        prime: verdicts.iter().all(|v| *v == RangeVerdict::NoFactor),
        factor,
    })
}

/// The ranges in scoped threads sharing `flag` (reset before each number).
pub fn check_ranges_in_threads(
    n: u64,
    ranges: &[(u64, u64)],
    flag: &(impl Flag + Sync),
) -> Vec<RangeVerdict> {
    std::thread::scope(|scope| {
        let handles: Vec<_> = ranges
            .iter()
            .map(|&(from, to)| scope.spawn(move || check_prime_in_range(n, from, to, flag)))
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("a validation thread panicked"))
            .collect()
    })
}

/// One byte of a memory-mapped file, shared by the processes that map it.
#[derive(Debug)]
pub struct MappedFlag {
    map: memmap2::MmapMut,
}

impl MappedFlag {
    /// Maps the first byte of `path` (created, one byte long, if missing).
    ///
    /// # Errors
    ///
    /// When the file cannot be opened or mapped.
    pub fn open(path: &std::path::Path) -> Result<MappedFlag, String> {
        let file = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(path)
            .map_err(|e| format!("cannot open {}: {e}", path.display()))?;
        if file.metadata().map_err(|e| e.to_string())?.len() < 1 {
            file.set_len(1).map_err(|e| e.to_string())?;
        }
        // SAFETY: the file is private to this workload's temporary directory; every process
        // that maps it reads and writes its one byte only through `byte`'s atomic accesses.
        let map = unsafe { memmap2::MmapOptions::new().len(1).map_mut(&file) }
            .map_err(|e| format!("cannot map {}: {e}", path.display()))?;
        Ok(MappedFlag { map })
    }

    fn byte(&self) -> &AtomicU8 {
        // SAFETY: the mapping is page-aligned, at least one byte long and lives as long as
        // `self`; an `AtomicU8` has the size and alignment of a `u8`.
        unsafe { &*self.map.as_ptr().cast::<AtomicU8>() }
    }

    /// Clears the flag.
    pub fn clear(&self) {
        self.byte().store(0, Ordering::Relaxed);
    }
}

impl Flag for MappedFlag {
    fn is_set(&self) -> bool {
        self.byte().load(Ordering::Relaxed) != 0
    }
    fn set(&self) {
        self.byte().store(1, Ordering::Relaxed);
    }
}

/// The flag as a Redis key, read with `GET` and set with `SET`.
pub struct RedisFlag {
    connection: std::cell::RefCell<redis::Connection>,
}

impl std::fmt::Debug for RedisFlag {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("RedisFlag")
    }
}

impl RedisFlag {
    /// A flag on the server at `url`.
    ///
    /// # Errors
    ///
    /// When the server does not answer.
    pub fn connect(url: &str) -> Result<RedisFlag, String> {
        let connection = crate::service::connect(url).map_err(|e| e.to_string())?;
        Ok(RedisFlag {
            connection: std::cell::RefCell::new(connection),
        })
    }

    /// Clears the flag (`SET redis_primes_flag 0`).
    ///
    /// # Errors
    ///
    /// When the server does not answer.
    pub fn clear(&self) -> Result<(), String> {
        redis::cmd("SET")
            .arg(REDIS_FLAG_KEY)
            .arg(0)
            .query::<()>(&mut self.connection.borrow_mut())
            .map_err(|e| e.to_string())
    }
}

impl Flag for RedisFlag {
    fn is_set(&self) -> bool {
        // A server that stopped answering stops the search too: the parent reports the error.
        redis::cmd("GET")
            .arg(REDIS_FLAG_KEY)
            .query::<Option<u8>>(&mut self.connection.borrow_mut())
            .map_or(true, |value| value == Some(1))
    }
    fn set(&self) {
        let _ = redis::cmd("SET")
            .arg(REDIS_FLAG_KEY)
            .arg(1)
            .query::<()>(&mut self.connection.borrow_mut());
    }
}

const MMAP_ROLE: &str = "ch09/validation-mmap";
const REDIS_ROLE: &str = "ch09/validation-redis";

/// A validation worker: `N FROM TO` per input line; answers `factor F`, `none` or `stopped`.
fn validation_worker(flag: &impl Flag) -> Result<(), String> {
    let mut output = std::io::stdout().lock();
    for line in std::io::stdin().lock().lines() {
        let line = line.map_err(|e| e.to_string())?;
        let numbers: Vec<u64> = line
            .split_whitespace()
            .map(str::parse)
            .collect::<Result<_, _>>()
            .map_err(|_| format!("not `N FROM TO`: `{line}`"))?;
        let [n, from, to] = numbers[..] else {
            return Err(format!("not `N FROM TO`: `{line}`"));
        };
        let answer = match check_prime_in_range(n, from, to, flag) {
            RangeVerdict::Factor(factor) => format!("factor {factor}"),
            RangeVerdict::NoFactor => "none".to_string(),
            RangeVerdict::Stopped => "stopped".to_string(),
        };
        writeln!(output, "{answer}")
            .and_then(|()| output.flush())
            .map_err(|e| e.to_string())?;
    }
    Ok(())
}

inventory::submit! {
    Role {
        name: MMAP_ROLE,
        run: |task| validation_worker(&MappedFlag::open(std::path::Path::new(task.arg(0)?))?),
    }
}

inventory::submit! {
    Role { name: REDIS_ROLE, run: |task: &Task| validation_worker(&RedisFlag::connect(task.arg(0)?)?) }
}

/// Sends each worker of `pool` its range of `n` and reads the verdicts.
fn check_ranges_in_pool(
    pool: &mut Pool,
    n: u64,
    ranges: &[(u64, u64)],
) -> Result<Vec<RangeVerdict>, String> {
    for (worker, &(from, to)) in pool.workers_mut().iter_mut().zip(ranges) {
        worker
            .send_line(&format!("{n} {from} {to}"))
            .map_err(|e| e.to_string())?;
    }
    pool.workers_mut()
        .iter_mut()
        .take(ranges.len())
        .map(|worker| {
            let line = worker
                .read_line()
                .map_err(|e| e.to_string())?
                .ok_or_else(|| format!("a validation worker stopped: {}", worker.log()))?;
            match line.split_once(' ') {
                Some(("factor", factor)) => factor
                    .parse()
                    .map(RangeVerdict::Factor)
                    .map_err(|_| format!("a validation worker answered `{line}`")),
                _ if line == "none" => Ok(RangeVerdict::NoFactor),
                _ if line == "stopped" => Ok(RangeVerdict::Stopped),
                _ => Err(format!("a validation worker answered `{line}`")),
            }
        })
        .collect()
}

/// Checks every verdict and factor against the references.
pub fn check_verdicts(numbers: &[Candidate], verdicts: &[Verdict]) -> Result<(), String> {
    expect_eq("numbers validated", verdicts.len(), numbers.len())?;
    for (candidate, verdict) in numbers.iter().zip(verdicts) {
        let what = format!("{} ({})", candidate.label, candidate.n);
        expect_eq(
            &format!("{what} is prime"),
            verdict.prime,
            candidate.factor.is_none(),
        )?;
        match (candidate.factor, verdict.factor) {
            (None, None) => {}
            // The trivial number has more than one small factor: any found must divide it.
            (Some(_), Some(found)) if candidate.n % found == 0 && found > 1 => {
                if candidate.label != BOOK_NUMBERS[0].label {
                    expect_eq(&format!("factor of {what}"), Some(found), candidate.factor)?;
                }
            }
            (expected, found) => {
                return Err(format!(
                    "factor of {what}: got {found:?}, expected {expected:?}"
                ));
            }
        }
    }
    Ok(())
}

fn run_validation(
    run: &mut Run,
    how: &str,
    mut validate: impl FnMut(u64) -> Result<Verdict, String>,
) -> Result<Outcome, String> {
    let numbers = validation_numbers(run.size());
    let verdicts = run.time(|| {
        numbers
            .iter()
            .map(|candidate| validate(candidate.n))
            .collect::<Result<Vec<_>, _>>()
    })?;
    check_verdicts(numbers, &verdicts)?;
    let summary: Vec<String> = verdicts
        .iter()
        .map(|v| match v.factor {
            Some(factor) => format!("composite ({factor})"),
            None => "prime".to_string(),
        })
        .collect();
    Ok(Outcome {
        parameters: format!(
            "the {} five numbers; {how}",
            if run.size() == Size::Book {
                "book's"
            } else {
                "quick"
            }
        ),
        result: summary.join(", "),
    })
}

fn validate_in_threads(
    n: u64,
    flag: &(impl Flag + Sync),
    reset: impl Fn(),
) -> Result<Verdict, String> {
    validate_split(n, super::BOOK_WORKERS as u64, |ranges| {
        reset();
        Ok(check_ranges_in_threads(n, ranges, flag))
    })
}

fn run_mmap(run: &mut Run) -> Result<Outcome, String> {
    let workers = super::BOOK_WORKERS;
    let directory = crate::worker::scratch_directory("hiperf-flag-")?;
    let path = directory.path().join("flag");
    let flag = MappedFlag::open(&path)?;
    let mut pool = Pool::spawn(MMAP_ROLE, workers, &[path.display().to_string()])?;
    let outcome = run_validation(
        run,
        &format!("{workers} worker processes, a mapped byte"),
        |n| {
            validate_split(n, workers as u64, |ranges| {
                flag.clear();
                check_ranges_in_pool(&mut pool, n, ranges)
            })
        },
    );
    pool.finish()?;
    outcome
}

fn run_redis(run: &mut Run) -> Result<Outcome, String> {
    let server = match RedisServer::start() {
        Ok(server) => server,
        Err(error) => return super::unavailable(run, error),
    };
    let workers = super::BOOK_WORKERS;
    let flag = RedisFlag::connect(&server.url()).map_err(|e| server.explain(e))?;
    let mut pool = Pool::spawn(REDIS_ROLE, workers, &[server.url()])?;
    let outcome = run_validation(
        run,
        &format!("{workers} worker processes, a Redis key"),
        |n| {
            validate_split(n, workers as u64, |ranges| {
                flag.clear()?;
                check_ranges_in_pool(&mut pool, n, ranges)
            })
        },
    );
    let finished = pool.finish();
    outcome
        .and_then(|outcome| finished.map(|()| outcome))
        .map_err(|message| server.explain(message))
}

inventory::submit! {
    Workload {
        chapter: 9,
        name: "prime-validation",
        variant: "serial",
        rank: 0,
        description: "trial division by every odd number up to sqrt(n) in one thread",
        run: |run| run_validation(run, "1 thread", |n| {
            let factor = smallest_factor(n);
            Ok(Verdict { prime: factor.is_none(), factor })
        }),
        python: None,
    }
}

inventory::submit! {
    Workload {
        chapter: 9,
        name: "prime-validation",
        variant: "split",
        rank: 1,
        description: "divisors 3..21 serially, the rest split in 4 by create_range, 4 threads, no flag",
        run: |run| run_validation(run, "4 threads, no flag", |n| validate_in_threads(n, &NoFlag, || {})),
        python: None,
    }
}

inventory::submit! {
    Workload {
        chapter: 9,
        name: "prime-validation",
        variant: "atomic-flag",
        rank: 2,
        description: "as split, a found flag in an AtomicBool read every 1000 divisors (RawValue)",
        run: |run| {
            let flag = AtomicBool::new(false);
            run_validation(run, "4 threads, an atomic flag", |n| {
                validate_in_threads(n, &flag, || flag.store(false, Ordering::Relaxed))
            })
        },
        python: None,
    }
}

inventory::submit! {
    Workload {
        chapter: 9,
        name: "prime-validation",
        variant: "mutex-flag",
        rank: 3,
        description: "as split, the flag a Mutex<bool> locked for every read (the Manager's Value)",
        run: |run| {
            let flag = Mutex::new(false);
            run_validation(run, "4 threads, a lock-guarded flag", |n| {
                validate_in_threads(n, &flag, || *flag.lock().unwrap_or_else(|p| p.into_inner()) = false)
            })
        },
        python: None,
    }
}

inventory::submit! {
    Workload {
        chapter: 9,
        name: "prime-validation",
        variant: "mmap-flag",
        rank: 4,
        description: "4 worker processes over pipes, the flag one byte of a memory-mapped file",
        run: run_mmap,
        python: None,
    }
}

inventory::submit! {
    Workload {
        chapter: 9,
        name: "prime-validation",
        variant: "redis-flag",
        rank: 5,
        description: "4 worker processes, the flag the key redis_primes_flag on a private redis-server",
        run: run_redis,
        python: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn create_range_reproduces_the_books_tests_and_python_3s_test3() {
        assert_eq!(create_range(2, 11, 2), Ok(vec![(2, 7), (7, 11)]));
        assert_eq!(
            create_range(1, 31, 3),
            Ok(vec![(1, 11), (11, 21), (21, 31)])
        );
        // test3 fails under Python 3: it expects [(1, 9), (9, 17), (17, 25), (25, 31)].
        assert_eq!(
            create_range(1, 31, 4),
            Ok(vec![(1, 9), (9, 15), (15, 23), (23, 31)])
        );
        assert_eq!(
            create_range(21, 316_400_222, 4),
            Ok(vec![
                (21, 79_100_071),
                (79_100_071, 158_200_121),
                (158_200_121, 237_300_171),
                (237_300_171, 316_400_222)
            ])
        );
        assert!(create_range(1, 3, 4).is_err());
    }

    #[test]
    fn the_eighteen_digit_numbers_split_at_316400222() {
        for candidate in &BOOK_NUMBERS[1..] {
            assert_eq!(((candidate.n as f64).sqrt()) as u64 + 1, 316_400_222);
        }
        for candidate in BOOK_NUMBERS
            .iter()
            .filter_map(|c| c.factor.map(|f| (c.n, f)))
        {
            assert_eq!(candidate.0 % candidate.1, 0);
        }
    }

    #[test]
    fn quick_numbers_have_the_verdicts_of_their_kind_in_every_thread_variant() {
        let serial: Vec<Verdict> = QUICK_NUMBERS
            .iter()
            .map(|c| {
                let factor = smallest_factor(c.n);
                Verdict {
                    prime: factor.is_none(),
                    factor,
                }
            })
            .collect();
        check_verdicts(&QUICK_NUMBERS, &serial).unwrap();
        let atomic = AtomicBool::new(false);
        let mutex = Mutex::new(false);
        for c in &QUICK_NUMBERS {
            let expected = serial[QUICK_NUMBERS.iter().position(|x| x == c).unwrap()];
            let split = validate_in_threads(c.n, &NoFlag, || {}).unwrap();
            let flagged =
                validate_in_threads(c.n, &atomic, || atomic.store(false, Ordering::Relaxed))
                    .unwrap();
            let locked =
                validate_in_threads(c.n, &mutex, || *mutex.lock().unwrap() = false).unwrap();
            for verdict in [split, flagged, locked] {
                assert_eq!(verdict.prime, expected.prime, "{}", c.label);
                check_verdicts(std::slice::from_ref(c), &[verdict]).unwrap();
            }
        }
    }

    #[test]
    fn a_set_flag_stops_a_range_within_check_every_divisors() {
        let flag = AtomicBool::new(true);
        // A prime: without the flag the range would run to its end.
        let n = QUICK_NUMBERS[3].n;
        assert_eq!(
            check_prime_in_range(n, 21, 3_000_001, &flag),
            RangeVerdict::Stopped
        );
        assert_eq!(
            check_prime_in_range(n, 21, 1_021, &flag),
            RangeVerdict::NoFactor,
            "fewer than 1000 divisors"
        );
    }

    #[test]
    fn a_wrong_verdict_or_factor_is_reported() {
        let wrong = [Verdict {
            prime: true,
            factor: None,
        }; 5];
        assert!(check_verdicts(&QUICK_NUMBERS, &wrong).is_err());
        let mut right: Vec<Verdict> = QUICK_NUMBERS
            .iter()
            .map(|c| Verdict {
                prime: c.factor.is_none(),
                factor: c.factor,
            })
            .collect();
        check_verdicts(&QUICK_NUMBERS, &right).unwrap();
        right[1].factor = Some(3);
        assert!(
            check_verdicts(&QUICK_NUMBERS, &right)
                .unwrap_err()
                .contains("factor")
        );
    }
}

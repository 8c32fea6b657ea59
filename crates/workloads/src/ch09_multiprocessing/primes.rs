//! `prime_generation/`: the primes of a range by trial division, serially, with rayon (the
//! book's `Pool.map`), through a queue served by worker threads until a poison pill, and by
//! worker processes fed over pipes.

use std::io::{BufReader, BufWriter, Read, Write};

use rayon::prelude::*;

use crate::worker::{Pool, Role, Task};
use crate::{Outcome, Run, Size, Workload, expect_eq};

/// Range A, `[1e8, 1e8 + 1e4)`: 551 primes.
pub const RANGE_A: (u64, u64) = (100_000_000, 100_010_000);
/// Range B, `[1e8, 1e8 + 1e5)`: 5411 primes.
pub const RANGE_B: (u64, u64) = (100_000_000, 100_100_000);
/// Range C, `[1e8, 1.01e8)`, the book's: 54208 primes.
pub const RANGE_C: (u64, u64) = (100_000_000, 101_000_000);

/// The first ten primes of every range (they all start at 1e8).
pub const FIRST_TEN: [u64; 10] = [
    100000007, 100000037, 100000039, 100000049, 100000073, 100000081, 100000123, 100000127,
    100000193, 100000213,
];

/// A range's prime count and its last ten primes (reference values computed with a faithful
/// Python transcription of `primes.py`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PrimesReference {
    /// `[from, to)`.
    pub range: (u64, u64),
    /// How many primes.
    pub count: usize,
    /// The last ten.
    pub last_ten: [u64; 10],
}

/// Ranges A, B and C.
pub const PRIMES_REFERENCES: [PrimesReference; 3] = [
    PrimesReference {
        range: RANGE_A,
        count: 551,
        last_ten: [
            100009823, 100009831, 100009837, 100009841, 100009849, 100009883, 100009913, 100009933,
            100009969, 100009979,
        ],
    },
    PrimesReference {
        range: RANGE_B,
        count: 5411,
        last_ten: [
            100099789, 100099817, 100099889, 100099913, 100099921, 100099939, 100099949, 100099969,
            100099973, 100099981,
        ],
    },
    PrimesReference {
        range: RANGE_C,
        count: 54208,
        last_ten: [
            100999889, 100999897, 100999901, 100999903, 100999919, 100999939, 100999949, 100999979,
            100999981, 100999993,
        ],
    },
];

/// Range A at quick size, the book's range C at book size.
pub fn primes_range(size: Size) -> (u64, u64) {
    match size {
        Size::Quick => RANGE_A,
        Size::Book => RANGE_C,
    }
}

/// `check_prime` of `primes.py`: even numbers are not prime (2 included, as in the book);
/// then every odd `i` from 3 while `i < int(sqrt(n) + 1)`.
#[hiperf::profile]
pub fn check_prime(n: u64) -> bool {
    if n % 2 == 0 {
        return false;
    }
    let to_i = ((n as f64).sqrt() + 1.0) as u64;
    for i in (3..to_i).step_by(2) {
        if n % i == 0 {
            return false;
        }
    }
    true
}

/// The loop iterations `check_prime(n)` makes (its `for` body runs this often): what a test
/// compares the line table with.
pub fn check_prime_iterations(n: u64) -> u64 {
    if n % 2 == 0 {
        return 0;
    }
    let to_i = ((n as f64).sqrt() + 1.0) as u64;
    let mut iterations = 0;
    for i in (3..to_i).step_by(2) {
        iterations += 1;
        if n % i == 0 {
            break;
        }
    }
    iterations
}

/// The primes of `[from, to)` in this thread.
pub fn primes_serial((from, to): (u64, u64)) -> Vec<u64> {
    (from..to).filter(|&n| check_prime(n)).collect()
}

/// rayon's `filter` over the range, in order (the book's `Pool.map` + `compress`).
pub fn primes_rayon((from, to): (u64, u64)) -> Vec<u64> {
    (from..to)
        .into_par_iter()
        .filter(|&n| check_prime(n))
        .collect()
}

/// A queue item: a number to test, or the poison pill that stops a worker.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Job {
    /// Test this number.
    Number(u64),
    /// `WORK_FINISHED`: no more work for this worker.
    Finished,
}

/// `primes_queue.py` with threads: every number on one queue shared by `workers` threads,
/// one poison pill per worker at the end; the primes come back on a second queue, unordered.
/// Returns them sorted.
pub fn primes_queue((from, to): (u64, u64), workers: usize) -> Vec<u64> {
    // PERF: one multi-consumer queue (crossbeam's), not std's single-consumer channel behind a
    // mutex, and an array sized for every item, so that the producer never waits and a take is
    // one compare-and-swap. On the 2-core machine (range C, medians of 7): behind a mutex the
    // variant ran 1.5x the serial one (0.358 s) against rayon's 1.9x; with crossbeam's
    // unbounded list, 1.7x (0.326 s); with the array, 1.9x (0.296 s against rayon's 0.279 s,
    // `cargo xtask report --only ch09/primes --runs 7 --no-profile`). What remains is the
    // queue's own cost per item, a million items.
    let (job_sender, job_receiver) = crossbeam_channel::bounded::<Job>(
        (to.saturating_sub(from) as usize).saturating_add(workers),
    );
    let (prime_sender, prime_receiver) = crossbeam_channel::unbounded::<u64>();
    std::thread::scope(|scope| {
        let handles: Vec<_> = (0..workers)
            .map(|_| {
                let jobs = job_receiver.clone();
                let primes = prime_sender.clone();
                scope.spawn(move || {
                    loop {
                        match jobs.recv() {
                            Ok(Job::Number(n)) => {
                                if check_prime(n) {
                                    let _ = primes.send(n);
                                }
                            }
                            Ok(Job::Finished) | Err(_) => return,
                        }
                    }
                })
            })
            .collect();
        drop(prime_sender);
        for n in from..to {
            let _ = job_sender.send(Job::Number(n));
        }
        for _ in 0..workers {
            let _ = job_sender.send(Job::Finished);
        }
        // The book asserts that every worker finished: here a worker that did not would
        // have panicked, and the panic goes on.
        for handle in handles {
            handle.join().expect("a queue worker panicked");
        }
    });
    let mut primes: Vec<u64> = prime_receiver.into_iter().collect();
    primes.sort_unstable();
    primes
}

/// The poison pill on a worker's pipe (no candidate is 0).
const PIPE_FINISHED: u64 = 0;
/// Candidates sent to one worker before the next one's turn.
const PIPE_CHUNK: u64 = 1024;

/// `workers` worker processes, each fed its share of the range over its standard input
/// (chunks of 1024 candidates dealt round-robin, as little-endian `u64`s, then a 0 as the
/// poison pill), each writing its primes back, then a 0. Returns them sorted.
pub fn primes_processes((from, to): (u64, u64), workers: usize) -> Result<Vec<u64>, String> {
    let mut pool = Pool::spawn(PRIMES_ROLE, workers, &[])?;
    let inputs: Vec<_> = pool
        .workers_mut()
        .iter_mut()
        .map(|worker| worker.take_input().ok_or("a primes worker has no input"))
        .collect::<Result<_, _>>()?;
    let mut primes = Vec::new();
    std::thread::scope(|scope| -> Result<(), String> {
        // Feeding runs beside the reading, or both sides could wait on full pipes.
        let feeders: Vec<_> = inputs
            .into_iter()
            .enumerate()
            .map(|(index, input)| scope.spawn(move || feed(input, index, workers, from, to)))
            .collect();
        // Each worker's output is read on a thread of its own: read one after the other, a
        // worker whose primes filled its pipe (64 KiB, a third of its share) would wait for
        // the others to finish before going on.
        let readers: Vec<_> = pool
            .workers_mut()
            .iter_mut()
            .map(|worker| {
                scope.spawn(move || {
                    let mut found = Vec::new();
                    read_primes(worker.output(), &mut found)
                        .map_err(|message| format!("{message}; its log: {}", worker.log().trim()))
                        .map(|()| found)
                })
            })
            .collect();
        for reader in readers {
            let found = reader
                .join()
                .map_err(|_| "a reader thread panicked".to_string())??;
            primes.extend(found);
        }
        for feeder in feeders {
            feeder
                .join()
                .map_err(|_| "a feeder thread panicked".to_string())?
                .map_err(|e| format!("cannot feed a primes worker: {e}"))?;
        }
        Ok(())
    })?;
    pool.finish()?;
    primes.sort_unstable();
    Ok(primes)
}

fn feed(
    input: BufWriter<std::process::ChildStdin>,
    index: usize,
    workers: usize,
    from: u64,
    to: u64,
) -> std::io::Result<()> {
    let mut input = input;
    let mut start = from + index as u64 * PIPE_CHUNK;
    while start < to {
        for n in start..(start + PIPE_CHUNK).min(to) {
            input.write_all(&n.to_le_bytes())?;
        }
        start += workers as u64 * PIPE_CHUNK;
    }
    input.write_all(&PIPE_FINISHED.to_le_bytes())?;
    input.flush()
}

fn read_primes(output: &mut impl Read, primes: &mut Vec<u64>) -> Result<(), String> {
    let mut word = [0u8; 8];
    loop {
        output
            .read_exact(&mut word)
            .map_err(|e| format!("a primes worker stopped before its poison pill: {e}"))?;
        match u64::from_le_bytes(word) {
            PIPE_FINISHED => return Ok(()),
            prime => primes.push(prime),
        }
    }
}

const PRIMES_ROLE: &str = "ch09/primes";

/// A primes worker: candidates in, primes out, until the poison pill.
fn primes_worker(_task: &Task) -> Result<(), String> {
    let mut input = BufReader::with_capacity(1 << 16, std::io::stdin().lock());
    let mut output = BufWriter::with_capacity(1 << 16, std::io::stdout().lock());
    let mut word = [0u8; 8];
    loop {
        input
            .read_exact(&mut word)
            .map_err(|e| format!("input ended before the poison pill: {e}"))?;
        let n = u64::from_le_bytes(word);
        if n == PIPE_FINISHED {
            break;
        }
        if check_prime(n) {
            output.write_all(&word).map_err(|e| e.to_string())?;
        }
    }
    output
        .write_all(&PIPE_FINISHED.to_le_bytes())
        .and_then(|()| output.flush())
        .map_err(|e| e.to_string())
}

inventory::submit! { Role { name: PRIMES_ROLE, run: primes_worker } }

/// Checks sorted primes against the range's reference: count, first ten and last ten.
pub fn check_primes(range: (u64, u64), primes: &[u64]) -> Result<(), String> {
    let Some(reference) = PRIMES_REFERENCES.iter().find(|r| r.range == range) else {
        return Err(format!("no reference for the range {range:?}"));
    };
    expect_eq("primes", primes.len(), reference.count)?;
    expect_eq("first ten primes", &primes[..10], &FIRST_TEN[..])?;
    expect_eq(
        "last ten primes",
        &primes[primes.len() - 10..],
        &reference.last_ten[..],
    )
}

fn run_primes(
    run: &mut Run,
    how: &str,
    kernel: impl FnOnce((u64, u64)) -> Result<Vec<u64>, String>,
) -> Result<Outcome, String> {
    let range = primes_range(run.size());
    let primes = run.time(|| kernel(range))?;
    check_primes(range, &primes)?;
    Ok(Outcome {
        parameters: format!("[{}, {}), {how}", range.0, range.1),
        result: format!(
            "{} primes, first {}, last {}",
            primes.len(),
            primes[0],
            primes[primes.len() - 1]
        ),
    })
}

inventory::submit! {
    Workload {
        chapter: 9,
        name: "primes",
        variant: "serial",
        rank: 0,
        description: "check_prime (trial division by odd numbers) on every candidate in one thread",
        run: |run| run_primes(run, "1 thread", |range| Ok(primes_serial(range))),
        python: None,
    }
}

inventory::submit! {
    Workload {
        chapter: 9,
        name: "primes",
        variant: "rayon",
        rank: 1,
        description: "rayon's par_iter().filter(check_prime): the book's Pool.map",
        run: |run| run_primes(run, "rayon", |range| Ok(primes_rayon(range))),
        python: None,
    }
}

inventory::submit! {
    Workload {
        chapter: 9,
        name: "primes",
        variant: "queue",
        rank: 2,
        description: "one queue item per candidate, worker threads until a poison pill, primes back unordered",
        run: |run| {
            let workers = super::parallelism();
            run_primes(run, &format!("queue, {workers} threads"), |range| {
                Ok(primes_queue(range, workers))
            })
        },
        python: None,
    }
}

inventory::submit! {
    Workload {
        chapter: 9,
        name: "primes",
        variant: "processes",
        rank: 3,
        description: "worker processes fed candidates over pipes, primes back over pipes, then merged",
        run: |run| {
            let workers = super::parallelism();
            run_primes(run, &format!("{workers} worker processes over pipes"), |range| {
                primes_processes(range, workers)
            })
        },
        python: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn check_prime_keeps_the_books_quirks() {
        assert!(!check_prime(2), "even, so not prime in the book");
        assert!(check_prime(1), "no divisor tried");
        assert!(!check_prime(9) && !check_prime(25) && !check_prime(49));
        assert!(check_prime(3) && check_prime(5) && check_prime(7) && check_prime(11));
        assert!(check_prime(100_000_007));
    }

    #[test]
    fn the_iteration_count_follows_the_loop() {
        assert_eq!(check_prime_iterations(100), 0);
        assert_eq!(check_prime_iterations(9), 1);
        assert_eq!(
            check_prime_iterations(11),
            1,
            "i = 3 only (int(sqrt(11) + 1) = 4)"
        );
        assert_eq!(check_prime_iterations(15), 1);
        assert_eq!(check_prime_iterations(49), 3);
    }

    #[test]
    fn range_a_in_every_thread_variant() {
        for (name, primes) in [
            ("serial", primes_serial(RANGE_A)),
            ("rayon", primes_rayon(RANGE_A)),
            ("queue 1", primes_queue(RANGE_A, 1)),
            ("queue 3", primes_queue(RANGE_A, 3)),
        ] {
            check_primes(RANGE_A, &primes).unwrap_or_else(|e| panic!("{name}: {e}"));
        }
    }

    #[test]
    fn range_b_has_5411_primes() {
        check_primes(RANGE_B, &primes_rayon(RANGE_B)).unwrap();
    }

    #[test]
    fn a_wrong_list_is_reported() {
        let mut primes = primes_serial(RANGE_A);
        primes.pop();
        assert!(
            check_primes(RANGE_A, &primes)
                .unwrap_err()
                .contains("primes")
        );
    }
}

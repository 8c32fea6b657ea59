//! `pi_lists_parallel` / `pi_processes_parallel`: Monte Carlo pi, darts thrown at the unit
//! square and counted inside the quarter circle, in blocks.
//!
//! Each block draws from its own generator, ChaCha8 seeded with the block's index, so the
//! count is exact and the same whatever runs the blocks (one thread, threads, processes,
//! rayon) and however many workers there are: a test can assert it.

use std::io::{BufRead, Write};

use rand::{Rng, RngCore, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;

use crate::worker::{Pool, Role, Task};
use crate::{Outcome, Run, Size, Workload, expect_eq};

/// Darts and blocks at a size: the book's 1e8 darts at book size, in 100 blocks of 1e6.
pub fn pi_parameters(size: Size) -> PiParameters {
    match size {
        Size::Quick => PiParameters {
            blocks: 8,
            block_darts: 50_000,
        },
        Size::Book => PiParameters {
            blocks: 100,
            block_darts: 1_000_000,
        },
    }
}

/// How many darts, in how many blocks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PiParameters {
    /// Blocks, each with its own generator.
    pub blocks: u64,
    /// Darts per block.
    pub block_darts: u64,
}

impl PiParameters {
    /// Every dart.
    pub fn darts(&self) -> u64 {
        self.blocks * self.block_darts
    }
}

/// The exact count inside the quarter circle at quick size (400,000 darts).
pub const PI_QUICK_INSIDE: u64 = 313_822;
/// The exact count at book size (1e8 darts).
pub const PI_BOOK_INSIDE: u64 = 78_542_038;

/// The generator of block `block`.
pub fn block_rng(block: u64) -> ChaCha8Rng {
    ChaCha8Rng::seed_from_u64(block)
}

/// `estimate_nbr_points_in_quarter_circle`: `nbr_estimates` darts of block `block`, two
/// uniform draws each, counted when `x*x + y*y <= 1`.
#[hiperf::profile]
pub fn estimate_nbr_points_in_quarter_circle(nbr_estimates: u64, block: u64) -> u64 {
    let mut rng = block_rng(block);
    let mut nbr_trials_in_quarter_unit_circle = 0;
    for _ in 0..nbr_estimates {
        let x: f64 = rng.random();
        let y: f64 = rng.random();
        let is_in_unit_circle = x * x + y * y <= 1.0;
        nbr_trials_in_quarter_unit_circle += u64::from(is_in_unit_circle);
    }
    nbr_trials_in_quarter_unit_circle
}

/// The same count, the generator's output drawn 2048 words at a time and converted as
/// `rand` converts a `u64` to an `f64` in [0, 1) (the top 53 bits, times 2⁻⁵³), so that the
/// loop over a buffer vectorises.
pub fn count_block_vectorised(nbr_estimates: u64, block: u64) -> u64 {
    const PAIRS: usize = 1024;
    const SCALE: f64 = 1.0 / (1u64 << 53) as f64;
    let mut rng = block_rng(block);
    let mut buffer = [0u64; 2 * PAIRS];
    let mut inside = 0;
    let mut remaining = nbr_estimates;
    while remaining > 0 {
        let pairs = remaining.min(PAIRS as u64) as usize;
        let numbers = &mut buffer[..2 * pairs];
        // PERF: the words are drawn first, in the order the dart-by-dart loop draws them, so
        // that the conversion and the comparison below run over a buffer.
        for number in numbers.iter_mut() {
            *number = rng.next_u64();
        }
        inside += numbers
            .chunks_exact(2)
            .map(|pair| {
                let x = (pair[0] >> 11) as f64 * SCALE;
                let y = (pair[1] >> 11) as f64 * SCALE;
                u64::from(x * x + y * y <= 1.0)
            })
            .sum::<u64>();
        remaining -= pairs as u64;
    }
    inside
}

/// Every block in this thread.
pub fn pi_serial(parameters: PiParameters) -> u64 {
    (0..parameters.blocks)
        .map(|block| estimate_nbr_points_in_quarter_circle(parameters.block_darts, block))
        .sum()
}

/// `threads` scoped threads, thread `t` running blocks `t`, `t + threads`, ...
pub fn pi_threads(parameters: PiParameters, threads: usize) -> u64 {
    std::thread::scope(|scope| {
        let handles: Vec<_> = (0..threads as u64)
            .map(|first| {
                scope.spawn(move || {
                    (first..parameters.blocks)
                        .step_by(threads)
                        .map(|block| {
                            estimate_nbr_points_in_quarter_circle(parameters.block_darts, block)
                        })
                        .sum::<u64>()
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|handle| handle.join().expect("a pi thread panicked"))
            .sum()
    })
}

/// rayon over the blocks (the book's `Pool.map`), dart by dart. (The buffered count,
/// [`count_block_vectorised`], was slower here: 0.251 s against 0.231 s at book size, both
/// cores, `hiperf-runner run --size book --only ch09/pi --runs 5`, 2026-12-05: the generator
/// dominates, and the buffer adds a store and a load per word.)
pub fn pi_rayon(parameters: PiParameters) -> u64 {
    (0..parameters.blocks)
        .into_par_iter()
        .map(|block| estimate_nbr_points_in_quarter_circle(parameters.block_darts, block))
        .sum()
}

/// `workers` worker processes: block indices sent over each one's standard input (blocks
/// dealt round-robin), counts read back from its standard output.
pub fn pi_processes(parameters: PiParameters, workers: usize) -> Result<u64, String> {
    let mut pool = Pool::spawn(PI_ROLE, workers, &[parameters.block_darts.to_string()])?;
    for (index, worker) in pool.workers_mut().iter_mut().enumerate() {
        let input = worker.input().map_err(|e| e.to_string())?;
        for block in (index as u64..parameters.blocks).step_by(workers) {
            writeln!(input, "{block}").map_err(|e| e.to_string())?;
        }
        worker.close_input();
    }
    let mut inside = 0;
    let mut blocks = 0;
    for worker in pool.workers_mut() {
        while let Some(line) = worker.read_line().map_err(|e| e.to_string())? {
            inside += line
                .parse::<u64>()
                .map_err(|_| format!("a pi worker answered `{line}`"))?;
            blocks += 1;
        }
    }
    pool.finish()?;
    expect_eq("blocks counted by the workers", blocks, parameters.blocks)?;
    Ok(inside)
}

const PI_ROLE: &str = "ch09/pi";

/// A pi worker: one block index per input line, its count per output line.
fn pi_worker(task: &Task) -> Result<(), String> {
    let block_darts: u64 = task.parsed(0)?;
    let mut output = std::io::BufWriter::new(std::io::stdout().lock());
    for line in std::io::stdin().lock().lines() {
        let line = line.map_err(|e| e.to_string())?;
        let block: u64 = line
            .parse()
            .map_err(|_| format!("not a block index: `{line}`"))?;
        let inside = estimate_nbr_points_in_quarter_circle(block_darts, block);
        writeln!(output, "{inside}").map_err(|e| e.to_string())?;
    }
    output.flush().map_err(|e| e.to_string())
}

inventory::submit! { Role { name: PI_ROLE, run: pi_worker } }

/// Checks a count: exact against the reference at the standard sizes, and within 6 sigma of
/// pi at any size.
pub fn check_pi(parameters: PiParameters, inside: u64) -> Result<f64, String> {
    let darts = parameters.darts();
    let estimate = 4.0 * inside as f64 / darts as f64;
    let p = std::f64::consts::FRAC_PI_4;
    let sigma = 4.0 * (p * (1.0 - p) / darts as f64).sqrt();
    if (estimate - std::f64::consts::PI).abs() >= 6.0 * sigma {
        return Err(format!(
            "pi estimate {estimate} is more than 6 sigma ({sigma:.2e}) from pi"
        ));
    }
    if parameters == pi_parameters(Size::Quick) {
        expect_eq("darts inside (quick)", inside, PI_QUICK_INSIDE)?;
    } else if parameters == pi_parameters(Size::Book) {
        expect_eq("darts inside (book)", inside, PI_BOOK_INSIDE)?;
    }
    Ok(estimate)
}

fn run_pi(
    run: &mut Run,
    workers: &str,
    kernel: impl FnOnce(PiParameters) -> Result<u64, String>,
) -> Result<Outcome, String> {
    let parameters = pi_parameters(run.size());
    let inside = run.time(|| kernel(parameters))?;
    let estimate = check_pi(parameters, inside)?;
    Ok(Outcome {
        parameters: format!(
            "{} darts in {} blocks of {}, ChaCha8 seeded per block; {workers}",
            parameters.darts(),
            parameters.blocks,
            parameters.block_darts
        ),
        result: format!("{inside} inside, pi ~ {estimate:.6}"),
    })
}

inventory::submit! {
    Workload {
        chapter: 9,
        name: "pi",
        variant: "serial",
        rank: 0,
        description: "estimate_nbr_points_in_quarter_circle over every block in one thread",
        run: |run| run_pi(run, "1 thread", |p| Ok(pi_serial(p))),
        python: None,
    }
}

inventory::submit! {
    Workload {
        chapter: 9,
        name: "pi",
        variant: "threads",
        rank: 1,
        description: "one scoped thread per core, blocks dealt round-robin (no GIL: threads scale)",
        run: |run| {
            let threads = super::parallelism();
            run_pi(run, &format!("{threads} threads"), |p| Ok(pi_threads(p, threads)))
        },
        python: None,
    }
}

inventory::submit! {
    Workload {
        chapter: 9,
        name: "pi",
        variant: "processes",
        rank: 2,
        description: "one worker process per core, block indices over pipes, counts back",
        run: |run| {
            let workers = super::parallelism();
            run_pi(run, &format!("{workers} worker processes"), |p| pi_processes(p, workers))
        },
        python: None,
    }
}

inventory::submit! {
    Workload {
        chapter: 9,
        name: "pi",
        variant: "rayon",
        rank: 3,
        description: "rayon over the blocks (the book's `Pool.map`), each block dart by dart",
        run: |run| run_pi(run, "rayon", |p| Ok(pi_rayon(p))),
        python: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_vectorised_count_equals_the_dart_by_dart_count() {
        for (darts, block) in [(0, 0), (1, 3), (1023, 1), (1024, 2), (5000, 7)] {
            assert_eq!(
                count_block_vectorised(darts, block),
                estimate_nbr_points_in_quarter_circle(darts, block),
                "{darts} darts of block {block}"
            );
        }
    }

    #[test]
    fn threads_and_rayon_count_what_one_thread_counts() {
        let parameters = pi_parameters(Size::Quick);
        let serial = pi_serial(parameters);
        assert_eq!(serial, PI_QUICK_INSIDE);
        for threads in [1, 2, 3, 8] {
            assert_eq!(pi_threads(parameters, threads), serial, "{threads} threads");
        }
        assert_eq!(pi_rayon(parameters), serial);
        check_pi(parameters, serial).unwrap();
    }

    #[test]
    fn a_count_far_from_pi_fails() {
        let parameters = pi_parameters(Size::Quick);
        assert!(check_pi(parameters, parameters.darts()).is_err());
        assert!(check_pi(parameters, PI_QUICK_INSIDE + 1).is_err());
    }
}

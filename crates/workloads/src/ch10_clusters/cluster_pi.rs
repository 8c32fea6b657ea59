//! `pi_ipython_cluster.py`: chapter 9's Monte Carlo pi on a cluster of engines, each one
//! worker process that stays up between calls; a call is sent to every engine at once and
//! each answers with its count and its process id (ipyparallel's `dview.apply_sync`).
//!
//! The book's program gives every engine the same 2.5e7 darts, correct only with its 4
//! engines; here engine `e` of `E` throws blocks `e, e + E, ...` of chapter 9's blocks, so the
//! count is chapter 9's exactly, whatever the number of engines.

use std::io::{BufRead, Write};

use crate::ch09_multiprocessing::{
    PiParameters, check_pi, estimate_nbr_points_in_quarter_circle, pi_parameters,
};
use crate::worker::{Pool, Role, Task};
use crate::{Outcome, Run, Workload, expect_eq};

/// The book's engines (`nbr_parallel_blocks = 4`).
pub const BOOK_ENGINES: usize = 4;

const ENGINE_ROLE: &str = "ch10/pi-engine";

/// A cluster of engines: worker processes that answer calls until the cluster is finished.
#[derive(Debug)]
pub struct Cluster {
    pool: Pool,
}

impl Cluster {
    /// Starts `engines` engines.
    ///
    /// # Errors
    ///
    /// When a process cannot start.
    pub fn start(engines: usize) -> Result<Cluster, String> {
        Ok(Cluster {
            pool: Pool::spawn(ENGINE_ROLE, engines, &[engines.to_string()])?,
        })
    }

    /// `apply_sync`: every engine counts its share of the darts of `parameters`; returns each
    /// engine's count and process id, in engine order.
    ///
    /// # Errors
    ///
    /// When an engine fails or answers something else.
    pub fn apply_pi(&mut self, parameters: PiParameters) -> Result<Vec<(u64, u32)>, String> {
        let call = format!("{} {}", parameters.blocks, parameters.block_darts);
        for engine in self.pool.workers_mut() {
            engine.send_line(&call).map_err(|e| e.to_string())?;
        }
        self.pool
            .workers_mut()
            .iter_mut()
            .map(|engine| {
                let line = engine
                    .read_line()
                    .map_err(|e| e.to_string())?
                    .ok_or_else(|| format!("an engine stopped: {}", engine.log().trim()))?;
                line.split_once(' ')
                    .and_then(|(inside, pid)| Some((inside.parse().ok()?, pid.parse().ok()?)))
                    .ok_or_else(|| format!("an engine answered `{line}`"))
            })
            .collect()
    }

    /// Stops the engines and merges their profiles into this process's.
    ///
    /// # Errors
    ///
    /// When an engine failed.
    pub fn finish(self) -> Result<(), String> {
        self.pool.finish()
    }
}

/// An engine: `BLOCKS BLOCK_DARTS` per call line; answers `INSIDE PID` for its share.
fn engine(task: &Task) -> Result<(), String> {
    let engines: u64 = task.parsed(0)?;
    let mut output = std::io::stdout().lock();
    for line in std::io::stdin().lock().lines() {
        let line = line.map_err(|e| e.to_string())?;
        let parsed = line
            .split_once(' ')
            .and_then(|(blocks, darts)| Some((blocks.parse().ok()?, darts.parse().ok()?)));
        let Some((blocks, block_darts)) = parsed else {
            return Err(format!("not `BLOCKS BLOCK_DARTS`: `{line}`"));
        };
        let inside: u64 = (task.index as u64..blocks)
            .step_by(engines as usize)
            .map(|block| estimate_nbr_points_in_quarter_circle(block_darts, block))
            .sum();
        writeln!(output, "{inside} {}", std::process::id())
            .and_then(|()| output.flush())
            .map_err(|e| e.to_string())?;
    }
    Ok(())
}

inventory::submit! { Role { name: ENGINE_ROLE, run: engine } }

fn run_cluster_pi(run: &mut Run) -> Result<Outcome, String> {
    let parameters = pi_parameters(run.size());
    let mut cluster = Cluster::start(BOOK_ENGINES)?;
    let answers = run.time(|| cluster.apply_pi(parameters))?;
    cluster.finish()?;
    let mut pids: Vec<u32> = answers.iter().map(|&(_, pid)| pid).collect();
    pids.sort_unstable();
    pids.dedup();
    expect_eq(
        "engines that answered, by process id",
        pids.len(),
        BOOK_ENGINES,
    )?;
    let inside = answers.iter().map(|&(inside, _)| inside).sum();
    let estimate = check_pi(parameters, inside)?;
    Ok(Outcome {
        parameters: format!(
            "{} darts in {} blocks of {}, ChaCha8 seeded per block; {BOOK_ENGINES} engines (worker processes), one call",
            parameters.darts(),
            parameters.blocks,
            parameters.block_darts
        ),
        result: format!("{inside} inside, pi ~ {estimate:.6}, from {BOOK_ENGINES} process ids"),
    })
}

inventory::submit! {
    Workload {
        chapter: 10,
        name: "cluster-pi",
        variant: "engines",
        rank: 0,
        description: "chapter 9's pi on 4 engines (worker processes kept up), one call to all, counts and pids back (ipyparallel's apply_sync)",
        run: run_cluster_pi,
        python: None,
    }
}

#[cfg(test)]
mod tests {
    use crate::Size;
    use crate::ch09_multiprocessing::{PI_QUICK_INSIDE, pi_serial};

    #[test]
    fn engine_shares_cover_every_block_once() {
        let parameters = crate::ch09_multiprocessing::pi_parameters(Size::Quick);
        for engines in [1_u64, 3, 4, 9] {
            let total: u64 = (0..engines)
                .flat_map(|engine| (engine..parameters.blocks).step_by(engines as usize))
                .map(|block| {
                    crate::ch09_multiprocessing::estimate_nbr_points_in_quarter_circle(
                        parameters.block_darts,
                        block,
                    )
                })
                .sum();
            assert_eq!(total, PI_QUICK_INSIDE, "{engines} engines");
        }
        assert_eq!(pi_serial(parameters), PI_QUICK_INSIDE);
    }
}

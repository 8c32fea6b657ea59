//! The registry entry of a workload and the context a run gets.

use std::time::{Duration, Instant};

/// Book size or the small size used by tests and `--quick`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Size {
    /// Small parameters that run in well under a second each.
    Quick,
    /// The book's parameters.
    Book,
}

/// A Python figure to show beside a workload.
#[derive(Clone, Copy, Debug)]
pub struct Baseline {
    /// Median seconds of the timed region.
    pub seconds: f64,
    /// Where the figure comes from, cited as such in reports.
    pub source: &'static str,
}

/// One variant of one of the book's programs.
#[derive(Debug)]
pub struct Workload {
    /// The book's chapter (2 to 11).
    pub chapter: u8,
    /// The program, shared by every variant of a ladder (`julia`, `diffusion`, ...).
    pub name: &'static str,
    /// The variant (`naive` first; the others are compared with it).
    pub variant: &'static str,
    /// Position in the ladder, from the naive port (0) up.
    pub rank: u8,
    /// One line: what this variant does differently.
    pub description: &'static str,
    /// Runs the variant, times its kernel with [`Run::time`], and checks the book's values:
    /// `Err` says what differed.
    pub run: fn(&mut Run) -> Result<Outcome, String>,
    /// The Python figure at book size, if one was measured or recorded.
    pub python: Option<Baseline>,
}

inventory::collect!(Workload);

impl Workload {
    /// `chNN/name/variant`, the name `--only` matches.
    pub fn id(&self) -> String {
        format!("ch{:02}/{}/{}", self.chapter, self.name, self.variant)
    }
}

/// Every registered workload, by chapter, name and rank.
pub fn workloads() -> Vec<&'static Workload> {
    let mut all: Vec<&'static Workload> = inventory::iter::<Workload>.into_iter().collect();
    all.sort_by(|a, b| {
        (a.chapter, a.name, a.rank, a.variant).cmp(&(b.chapter, b.name, b.rank, b.variant))
    });
    all
}

/// What a successful run reports.
#[derive(Clone, Debug, PartialEq)]
pub struct Outcome {
    /// The parameters used, e.g. `width 1000, 300 iterations`.
    pub parameters: String,
    /// The checked result, e.g. `sum 33219980, 100321 points at 300`.
    pub result: String,
}

/// The context of one run: the size, and the timer of the kernel region.
#[derive(Debug)]
pub struct Run {
    size: Size,
    elapsed: Duration,
    timed: bool,
}

impl Run {
    /// A run at `size`.
    pub fn new(size: Size) -> Self {
        Run {
            size,
            elapsed: Duration::ZERO,
            timed: false,
        }
    }

    /// The size to run at.
    pub fn size(&self) -> Size {
        self.size
    }

    /// Runs `kernel` and adds its wall time to the run's timed region (the book's `@timefn`:
    /// the kernel call, not the building of its inputs).
    pub fn time<T>(&mut self, kernel: impl FnOnce() -> T) -> T {
        let start = Instant::now();
        let value = kernel();
        self.elapsed += start.elapsed();
        self.timed = true;
        value
    }

    /// The timed region's total, `None` if the workload never called [`Run::time`].
    pub fn elapsed(&self) -> Option<Duration> {
        self.timed.then_some(self.elapsed)
    }
}

/// Returns `Ok(())` when `actual == expected`, else an error naming `what`.
pub fn expect_eq<T: PartialEq + std::fmt::Debug>(
    what: &str,
    actual: T,
    expected: T,
) -> Result<(), String> {
    if actual == expected {
        Ok(())
    } else {
        Err(format!("{what}: got {actual:?}, expected {expected:?}"))
    }
}

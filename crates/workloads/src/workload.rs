//! The registry entry of a workload and the context a run gets.

use std::time::{Duration, Instant};

pub use hiperf_report::model::{Chart, ChartSeries};

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
    page_faults: Option<u64>,
    skipped: Option<String>,
    charts: Vec<Chart>,
    notes: Vec<String>,
    figures: Vec<Figure>,
    isa: Option<&'static str>,
}

/// A quantity a workload measured beside its timed region (the bytes its structure holds, an
/// estimate and the exact count, the time of its lookups), shown in the report's tables and
/// charts.
#[derive(Clone, Debug, PartialEq)]
pub struct Figure {
    /// What it is, shared by the variants of a ladder that measure it (`held bytes`).
    pub name: &'static str,
    /// Its value, in `unit`.
    pub value: f64,
    /// How to read `value`.
    pub unit: Unit,
}

/// The unit of a [`Figure`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Unit {
    /// Bytes of memory.
    Bytes,
    /// Seconds of wall time.
    Seconds,
    /// A count (items, an estimate of them).
    Count,
}

impl Unit {
    /// `bytes`, `seconds` or `count`, as the report's data writes it.
    pub fn name(self) -> &'static str {
        match self {
            Unit::Bytes => "bytes",
            Unit::Seconds => "seconds",
            Unit::Count => "count",
        }
    }
}

impl Run {
    /// A run at `size`.
    pub fn new(size: Size) -> Self {
        Run {
            size,
            elapsed: Duration::ZERO,
            timed: false,
            page_faults: Some(0),
            skipped: None,
            charts: Vec::new(),
            notes: Vec::new(),
            figures: Vec::new(),
            isa: None,
        }
    }

    /// Adds a note every report prints beside the workload: what a reader must know to read
    /// its figures, such as a book parameter run smaller to keep the report practical.
    pub fn note(&mut self, note: impl Into<String>) {
        let note = note.into();
        if !self.notes.contains(&note) {
            self.notes.push(note);
        }
    }

    /// The notes the run added.
    pub fn notes(&self) -> &[String] {
        &self.notes
    }

    /// Adds a chart of what the run measured, for the report to draw beside the workload.
    pub fn add_chart(&mut self, chart: Chart) {
        self.charts.push(chart);
    }

    /// The charts the run added.
    pub fn charts(&self) -> &[Chart] {
        &self.charts
    }

    /// The size to run at.
    pub fn size(&self) -> Size {
        self.size
    }

    /// Runs `kernel` and adds its wall time to the run's timed region (the book's `@timefn`:
    /// the kernel call, not the building of its inputs).
    ///
    /// The minor page faults of the whole process during the region are counted too (Linux).
    pub fn time<T>(&mut self, kernel: impl FnOnce() -> T) -> T {
        let faults_before = minor_page_faults();
        let start = Instant::now();
        let value = kernel();
        self.elapsed += start.elapsed();
        let faults_after = minor_page_faults();
        self.timed = true;
        self.page_faults = match (self.page_faults, faults_before, faults_after) {
            (Some(total), Some(before), Some(after)) => Some(total + after.saturating_sub(before)),
            _ => None,
        };
        value
    }

    /// The minor page faults the process took inside the timed region (the book's
    /// `/usr/bin/time -v` figure, for the kernel only); `None` where `/proc/self/stat` is not
    /// readable, or if the workload never called [`Run::time`].
    pub fn page_faults(&self) -> Option<u64> {
        self.page_faults.filter(|_| self.timed)
    }

    /// Marks the run skipped, because something it needs is missing (`redis-server`), and
    /// returns the `Err` the workload returns: `reason` says what to install.
    ///
    /// ```
    /// use hiperf_workloads::{Run, Size};
    ///
    /// let mut run = Run::new(Size::Quick);
    /// let outcome = run.skip("redis-server is not installed; `apt-get install -y redis-server`");
    /// assert!(outcome.is_err());
    /// assert!(run.skipped().unwrap().contains("apt-get"));
    /// ```
    pub fn skip(&mut self, reason: impl Into<String>) -> Result<Outcome, String> {
        let reason = reason.into();
        self.skipped = Some(reason.clone());
        Err(reason)
    }

    /// Why the run was skipped, if it was (see [`Run::skip`]).
    pub fn skipped(&self) -> Option<&str> {
        self.skipped.as_deref()
    }

    /// Records a figure measured beside the timed region; a second figure of the same name
    /// replaces the first.
    ///
    /// ```
    /// use hiperf_workloads::{Run, Size, Unit};
    ///
    /// let mut run = Run::new(Size::Quick);
    /// run.record("held bytes", 4096.0, Unit::Bytes);
    /// assert_eq!(run.figures()[0].value, 4096.0);
    /// ```
    pub fn record(&mut self, name: &'static str, value: f64, unit: Unit) {
        self.figures.retain(|figure| figure.name != name);
        self.figures.push(Figure { name, value, unit });
    }

    /// The figures recorded so far, in order.
    pub fn figures(&self) -> &[Figure] {
        &self.figures
    }

    /// Records the instruction-set path the run's SIMD or assembly kernel takes on this CPU
    /// (`avx512f+avx512bw`, `avx2+fma`, `portable`, ...), so that the reports say what was
    /// measured.
    ///
    /// ```
    /// use hiperf_workloads::{Run, Size};
    ///
    /// let mut run = Run::new(Size::Quick);
    /// assert_eq!(run.isa(), None);
    /// run.set_isa("avx2+fma");
    /// assert_eq!(run.isa(), Some("avx2+fma"));
    /// ```
    pub fn set_isa(&mut self, isa: &'static str) {
        self.isa = Some(isa);
    }

    /// The instruction-set path recorded by [`Run::set_isa`], `None` for a workload with no
    /// SIMD or assembly kernel of its own.
    pub fn isa(&self) -> Option<&'static str> {
        self.isa
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

/// The process's minor page faults so far, from `/proc/self/stat`, read into a stack buffer so
/// that the count never allocates (the runner counts the heap around it).
fn minor_page_faults() -> Option<u64> {
    use std::io::Read;

    let mut buffer = [0_u8; 1024];
    let mut file = std::fs::File::open("/proc/self/stat").ok()?;
    let mut length = 0;
    while length < buffer.len() {
        match file.read(&mut buffer[length..]) {
            Ok(0) => break,
            Ok(read) => length += read,
            Err(_) => return None,
        }
    }
    parse_minor_faults(&buffer[..length])
}

/// Field 10 of `/proc/<pid>/stat` (`minflt`), counted after the `)` that closes the command
/// name, which may itself hold spaces and parentheses.
fn parse_minor_faults(stat: &[u8]) -> Option<u64> {
    let after_name = stat.iter().rposition(|&b| b == b')')? + 1;
    let fields = std::str::from_utf8(&stat[after_name..]).ok()?;
    // state ppid pgrp session tty_nr tpgid flags minflt
    fields.split_ascii_whitespace().nth(7)?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn minor_faults_are_the_tenth_field_even_after_a_command_with_spaces_and_parentheses() {
        let stat = b"4242 (my (odd) cmd) R 1 4242 4242 0 -1 4194560 12345 0 0 0 7 3 0 0 20 0 1 0";
        assert_eq!(parse_minor_faults(stat), Some(12345));
        assert_eq!(parse_minor_faults(b"4242 (cmd) R 1"), None);
        assert_eq!(parse_minor_faults(b"no name here"), None);
    }

    #[test]
    #[cfg(target_os = "linux")]
    fn a_timed_region_that_touches_fresh_pages_counts_their_faults() {
        let mut run = Run::new(Size::Quick);
        assert_eq!(run.page_faults(), None, "nothing timed yet");
        // 32 MiB written byte by byte: fresh pages from the kernel, at least one fault per
        // page, or per huge page where transparent huge pages back the mapping.
        let bytes = run.time(|| {
            let pages = vec![1_u8; 32 << 20];
            pages.iter().map(|&b| u64::from(b)).sum::<u64>()
        });
        assert_eq!(bytes, 32 << 20);
        assert!(run.page_faults().is_some_and(|faults| faults >= 16));
    }
}

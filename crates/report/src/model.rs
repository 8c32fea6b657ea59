//! The report's data, shared by the runner (which writes it) and `cargo xtask report` (which
//! renders it). Serialised as JSON with schema [`SCHEMA`]; see `docs/json-schema.md`.

use serde::{Deserialize, Serialize};

pub use hiperf_runtime::alloc::Sample;
pub use hiperf_runtime::snapshot::Profile;

/// The schema name written in every report.
pub const SCHEMA: &str = "hiperf.report/1";

/// One runner session.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RunReport {
    /// Always [`SCHEMA`].
    pub schema: String,
    /// `"quick"` or `"book"`.
    pub size: String,
    /// Timed runs per workload.
    pub runs: u32,
    /// The machine the figures come from.
    pub machine: Machine,
    /// Every workload run, by chapter, program and rank.
    pub workloads: Vec<WorkloadResult>,
    /// The line tables from the profiled build, when one ran.
    pub profile: Option<Profile>,
}

impl RunReport {
    /// An empty report for this machine.
    pub fn new(size: &str, runs: u32) -> Self {
        RunReport {
            schema: SCHEMA.to_string(),
            size: size.to_string(),
            runs,
            machine: Machine::this(),
            workloads: Vec::new(),
            profile: None,
        }
    }

    /// Whether no check failed (skipped workloads did not fail).
    pub fn all_passed(&self) -> bool {
        self.workloads.iter().all(|w| !w.check.is_failure())
    }

    /// The workloads that were skipped.
    pub fn skipped(&self) -> impl Iterator<Item = &WorkloadResult> {
        self.workloads.iter().filter(|w| w.check.skipped)
    }

    /// The naive variant of `workload`'s ladder (rank 0), if it ran.
    pub fn naive_of(&self, workload: &WorkloadResult) -> Option<&WorkloadResult> {
        self.workloads
            .iter()
            .find(|w| w.chapter == workload.chapter && w.name == workload.name && w.rank == 0)
    }

    /// How many times faster than its naive variant `workload` ran (medians).
    pub fn speedup(&self, workload: &WorkloadResult) -> Option<f64> {
        let naive = self.naive_of(workload)?;
        let (Some(base), Some(this)) = (&naive.seconds, &workload.seconds) else {
            return None;
        };
        (this.median > 0.0).then(|| base.median / this.median)
    }
}

/// Where the figures were measured.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Machine {
    /// The processor's model name.
    pub cpu: String,
    /// Logical cores available.
    pub cores: usize,
    /// `std::env::consts::OS`/`ARCH`.
    pub platform: String,
    /// The processor's family and model (`family 19h model 11h`), which tell its kind where
    /// the model name does not (a VM's "AMD EPYC"); `None` where `/proc/cpuinfo` does not say,
    /// and in reports written before this field.
    #[serde(default)]
    pub model: Option<String>,
    /// The vector extensions of the processor that the kernels choose between (`avx512f`,
    /// `avx512bw`, `avx512vl`, `avx2`, `fma`), as `/proc/cpuinfo` lists them.
    #[serde(default)]
    pub simd: Vec<String>,
}

impl Machine {
    /// This machine.
    pub fn this() -> Self {
        let cpu = std::fs::read_to_string("/proc/cpuinfo")
            .ok()
            .and_then(|text| {
                text.lines()
                    .find(|l| l.starts_with("model name"))
                    .and_then(|l| l.split(':').nth(1))
                    .map(|s| s.trim().to_string())
            })
            .unwrap_or_else(|| "unknown".to_string());
        let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
        let (model, simd) = processor_kind(&cpuinfo);
        Machine {
            cpu,
            cores: std::thread::available_parallelism().map_or(1, |n| n.get()),
            platform: format!("{}-{}", std::env::consts::OS, std::env::consts::ARCH),
            model,
            simd,
        }
    }

    /// The processor as the reports name it: its model name, then its family and model and
    /// its vector extensions when known.
    ///
    /// ```
    /// use hiperf_report::model::Machine;
    ///
    /// let machine = Machine {
    ///     cpu: "AMD EPYC".into(),
    ///     cores: 2,
    ///     platform: "linux-x86_64".into(),
    ///     model: Some("family 19h model 11h".into()),
    ///     simd: vec!["avx512f".into(), "avx2".into()],
    /// };
    /// assert_eq!(machine.processor(), "AMD EPYC (family 19h model 11h; avx512f, avx2)");
    /// ```
    pub fn processor(&self) -> String {
        let details: Vec<String> = self
            .model
            .iter()
            .cloned()
            .chain((!self.simd.is_empty()).then(|| self.simd.join(", ")))
            .collect();
        if details.is_empty() {
            self.cpu.clone()
        } else {
            format!("{} ({})", self.cpu, details.join("; "))
        }
    }
}

/// The first processor's family and model, and the vector extensions the kernels choose
/// between, from the text of `/proc/cpuinfo`.
fn processor_kind(cpuinfo: &str) -> (Option<String>, Vec<String>) {
    let field = |name: &str| {
        cpuinfo
            .lines()
            .find(|line| line.split(':').next().is_some_and(|key| key.trim() == name))
            .and_then(|line| line.split(':').nth(1))
            .map(str::trim)
    };
    let number = |name: &str| field(name).and_then(|value| value.parse::<u32>().ok());
    let model = match (number("cpu family"), number("model")) {
        (Some(family), Some(model)) => Some(format!("family {family:x}h model {model:x}h")),
        _ => None,
    };
    let flags: Vec<&str> = field("flags")
        .unwrap_or_default()
        .split_whitespace()
        .collect();
    let simd = ["avx512f", "avx512bw", "avx512vl", "avx2", "fma"]
        .into_iter()
        .filter(|extension| flags.contains(extension))
        .map(str::to_string)
        .collect();
    (model, simd)
}

/// One workload variant's results.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct WorkloadResult {
    /// `chNN/name/variant`.
    pub id: String,
    /// The book's chapter.
    pub chapter: u8,
    /// The program.
    pub name: String,
    /// The variant.
    pub variant: String,
    /// Position in the ladder (0 = naive).
    pub rank: u8,
    /// What the variant does.
    pub description: String,
    /// The parameters it ran with.
    pub parameters: String,
    /// The checked result.
    pub result: String,
    /// Whether the book's values were reproduced.
    pub check: Check,
    /// Seconds of the timed region over the runs (`None` if it failed before timing).
    pub seconds: Option<Stats>,
    /// Seconds of the timed region in the profiled build (one run), when it ran.
    pub profiled_seconds: Option<f64>,
    /// Heap figures of one run, from the counting allocator.
    pub memory: Option<Memory>,
    /// Minor page faults of the process inside the timed region, median over the runs (Linux;
    /// absent in reports written before this field).
    #[serde(default)]
    pub page_faults: Option<u64>,
    /// The instruction-set path the variant's SIMD or assembly kernel ran on this machine
    /// (`avx512f+avx512bw`, `avx2+fma`, `avx2`, `portable`, ...); `None` for a variant with no
    /// such kernel, and in reports written before this field.
    #[serde(default)]
    pub isa: Option<String>,
    /// The Python figure at book size, cited.
    pub python: Option<Baseline>,
    /// Charts the workload drew from its own measurements (absent in reports written before
    /// this field, and when it drew none).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub charts: Vec<Chart>,
    /// What a reader must know to read the figures, such as a book parameter the report runs
    /// smaller (absent when there is none).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
    /// What the workload measured beside its timed region (the bytes its structure holds, an
    /// estimate and the exact count...), the median over the runs (absent in reports written
    /// before this field).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub figures: Vec<Figure>,
}

impl WorkloadResult {
    /// The figure called `name`, if the workload recorded one.
    pub fn figure(&self, name: &str) -> Option<&Figure> {
        self.figures.iter().find(|figure| figure.name == name)
    }
}

/// A quantity measured beside the timed region.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Figure {
    /// What it is (`held bytes`, `estimate`, `exact`), shared across a ladder's variants.
    pub name: String,
    /// Its value: the median over the runs.
    pub value: f64,
    /// `bytes`, `seconds` or `count`.
    pub unit: String,
}

impl Figure {
    /// The value as text in its unit: `1.5 MiB`, `12.3 ms`, `80977` (durations in the unit
    /// that reads best, as the call tables write them).
    ///
    /// ```
    /// use hiperf_report::model::Figure;
    ///
    /// let figure = Figure { name: "estimate".into(), value: 80977.0, unit: "count".into() };
    /// assert_eq!(figure.display(), "80977");
    /// let figure = Figure { name: "per message".into(), value: 44.39e-6, unit: "seconds".into() };
    /// assert_eq!(figure.display(), "44.39 µs");
    /// ```
    pub fn display(&self) -> String {
        match self.unit.as_str() {
            "bytes" if self.value.abs() < 1024.0 && self.value.fract() != 0.0 => {
                format!("{:.1} B", self.value)
            }
            "bytes" => hiperf_runtime::report::bytes(self.value),
            "seconds" => hiperf_runtime::report::duration(self.value * 1e9),
            _ if self.value.fract() == 0.0 && self.value.abs() < 1e15 => {
                format!("{}", self.value as i64)
            }
            _ if self.value.abs() < 1e15 => format!("{:.1}", self.value),
            _ => format!("{:.4e}", self.value),
        }
    }
}

/// A chart a workload draws from what it measured, such as chapter 8's sweep of concurrency
/// against delay: the HTML report draws it under its ladder, the Markdown report tabulates it.
/// Its y values are seconds.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Chart {
    /// What the chart shows, one sentence.
    pub title: String,
    /// The x axis: what and in which unit.
    pub x_label: String,
    /// The y axis: what and in which unit.
    pub y_label: String,
    /// Whether the y axis is logarithmic (every y must then be positive).
    pub log_y: bool,
    /// One line per series.
    pub series: Vec<ChartSeries>,
}

/// One line of a [`Chart`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ChartSeries {
    /// Its name in the legend.
    pub name: String,
    /// `(x, seconds)` points in order of x.
    pub points: Vec<(f64, f64)>,
}

/// A check's verdict: passed, failed, or skipped (the workload could not run here).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Check {
    /// Whether it passed (false for a skipped workload too).
    pub passed: bool,
    /// What differed, when it failed; why it did not run, when skipped (with what to
    /// install); empty when it passed.
    pub message: String,
    /// Whether the workload did not run because something it needs is missing here
    /// (`redis-server`); absent in reports written before this field.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub skipped: bool,
}

impl Check {
    /// A check that passed.
    pub fn passed() -> Self {
        Check {
            passed: true,
            message: String::new(),
            skipped: false,
        }
    }

    /// A check that failed, saying what differed.
    pub fn failed(message: impl Into<String>) -> Self {
        Check {
            passed: false,
            message: message.into(),
            skipped: false,
        }
    }

    /// A workload that did not run, saying why and what to install.
    pub fn skipped(reason: impl Into<String>) -> Self {
        Check {
            passed: false,
            message: reason.into(),
            skipped: true,
        }
    }

    /// Whether the check ran and failed.
    pub fn is_failure(&self) -> bool {
        !self.passed && !self.skipped
    }

    /// `ok`, `FAILED` or `SKIPPED`.
    pub fn status(&self) -> &'static str {
        if self.skipped {
            "SKIPPED"
        } else if self.passed {
            "ok"
        } else {
            "FAILED"
        }
    }
}

/// Timing statistics over runs.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Stats {
    /// Median seconds.
    pub median: f64,
    /// Fastest run.
    pub min: f64,
    /// Slowest run.
    pub max: f64,
    /// Every run, in order.
    pub runs: Vec<f64>,
}

impl Stats {
    /// Statistics of `runs` (at least one).
    pub fn of(runs: Vec<f64>) -> Option<Self> {
        let mut sorted = runs.clone();
        sorted.sort_by(f64::total_cmp);
        let median = match sorted.len() {
            0 => return None,
            n if n % 2 == 1 => sorted[n / 2],
            n => (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0,
        };
        Some(Stats {
            median,
            min: sorted[0],
            max: sorted[sorted.len() - 1],
            runs,
        })
    }
}

/// Heap use of one run of a workload, from the counting allocator.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Memory {
    /// Highest live heap during the run, above the level at its start, in bytes: exact for
    /// the runner's thread, and at least the highest sampled process level (other threads).
    pub peak_bytes: u64,
    /// Live heap of the process after the run minus before it, in bytes.
    pub increment_bytes: i64,
    /// Allocation requests made during the run, by every thread.
    pub allocations: u64,
    /// The process's live heap and RSS over the run (mprof's time series).
    pub series: Vec<Sample>,
}

/// A Python figure to compare with.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Baseline {
    /// Median seconds.
    pub seconds: f64,
    /// Where it comes from.
    pub source: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_processor_kind_comes_from_family_model_and_flags() {
        let cpuinfo = "processor\t: 0\nvendor_id\t: AuthenticAMD\ncpu family\t: 25\n\
                       model\t\t: 17\nmodel name\t: AMD EPYC\n\
                       flags\t\t: fpu avx2 fma avx512f avx512dq avx512bw avx512vl\n";
        let (model, simd) = processor_kind(cpuinfo);
        assert_eq!(model.as_deref(), Some("family 19h model 11h"));
        assert_eq!(simd, ["avx512f", "avx512bw", "avx512vl", "avx2", "fma"]);
        assert_eq!(processor_kind(""), (None, Vec::new()));
    }

    #[test]
    fn median_of_even_and_odd_runs() {
        assert_eq!(Stats::of(vec![3.0, 1.0, 2.0]).unwrap().median, 2.0);
        assert_eq!(Stats::of(vec![4.0, 1.0, 2.0, 3.0]).unwrap().median, 2.5);
        assert!(Stats::of(vec![]).is_none());
    }
}

//! What the bench process records beside criterion's results for the table step: when it ran,
//! the exact line hits of the loop, which cases it compiled in, and the machine.

use std::fs;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

/// The schema of [`RunInfo`].
pub const SCHEMA: &str = "hiperf.peers-run/1";

/// The file name of [`RunInfo`], in criterion's directory.
pub const FILE_NAME: &str = "hiperf-peers-run.json";

/// One run of the bench process.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct RunInfo {
    /// Always [`SCHEMA`].
    pub schema: String,
    /// When the process started measuring, in seconds since the Unix epoch. Estimates older than
    /// this belong to an earlier run and are not used.
    pub started_unix_s: f64,
    /// Iterations of the per-line loop per call.
    pub loop_iterations: u64,
    /// Line hits per call of the `#[profile]` loop, as hiperf counted them.
    pub profile_loop_hits_per_call: f64,
    /// Line hits per call of the `#[memit]` loop, when that case is compiled in.
    pub memit_loop_hits_per_call: Option<f64>,
    /// `group/id` of every case this build registered.
    pub cases: Vec<String>,
    /// The bench crate's cargo features that were on.
    pub features: Vec<String>,
    /// Calls between two flushes of a buffering peer (puffin's `new_frame`, firestorm's `clear`).
    pub flush_every_calls: u64,
    /// hiperf's clock: ticks per nanosecond of the time-stamp counter.
    pub tsc_ticks_per_ns: f64,
    /// The processor, from `/proc/cpuinfo`.
    pub cpu: String,
    /// Logical processors available to the process.
    pub cores: usize,
    /// CPU used by other processes during the run, in cores (of [`RunInfo::cores`]); anything
    /// above a few hundredths means the figures were taken on a shared machine.
    #[serde(default)]
    pub other_cpu_cores: Option<f64>,
    /// Free-form facts about how peers were run.
    pub notes: Vec<String>,
}

impl RunInfo {
    /// The start of the run as a [`SystemTime`].
    pub fn started(&self) -> SystemTime {
        UNIX_EPOCH + Duration::from_secs_f64(self.started_unix_s)
    }

    /// Writes the file into `criterion_dir` (a temporary name, then a rename).
    pub fn write(&self, criterion_dir: &Path) -> std::io::Result<PathBuf> {
        fs::create_dir_all(criterion_dir)?;
        let path = criterion_dir.join(FILE_NAME);
        let text = serde_json::to_string_pretty(self).map_err(std::io::Error::other)?;
        let temporary = path.with_extension("json.tmp");
        fs::write(&temporary, text)?;
        fs::rename(&temporary, &path)?;
        Ok(path)
    }

    /// Reads the file from `criterion_dir`.
    pub fn read(criterion_dir: &Path) -> Result<RunInfo, String> {
        let path = criterion_dir.join(FILE_NAME);
        let text = fs::read_to_string(&path).map_err(|error| {
            format!(
                "cannot read {} ({error}); run `cargo bench` in bench/peers first",
                path.display()
            )
        })?;
        let info: RunInfo =
            serde_json::from_str(&text).map_err(|error| format!("{}: {error}", path.display()))?;
        if info.schema != SCHEMA {
            return Err(format!(
                "{}: schema `{}`, expected `{SCHEMA}`",
                path.display(),
                info.schema
            ));
        }
        Ok(info)
    }
}

/// Seconds since the Unix epoch, now.
pub fn now_unix_s() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0.0, |elapsed| elapsed.as_secs_f64())
}

/// The processor's model name, from `/proc/cpuinfo` (or `"unknown"`).
pub fn cpu_model() -> String {
    fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|text| {
            text.lines()
                .find(|line| line.starts_with("model name"))
                .and_then(|line| line.split_once(':'))
                .map(|(_, model)| model.trim().to_owned())
        })
        .unwrap_or_else(|| "unknown".to_owned())
}

/// Where criterion writes its results, resolved as criterion does for a bench run from its
/// package: `CRITERION_HOME`, else `$CARGO_TARGET_DIR/criterion`, else `target/criterion`
/// under the package.
pub fn criterion_dir(package_dir: &Path) -> PathBuf {
    if let Some(home) = std::env::var_os("CRITERION_HOME") {
        return PathBuf::from(home);
    }
    match std::env::var_os("CARGO_TARGET_DIR") {
        Some(target) => package_dir.join(target).join("criterion"),
        None => package_dir.join("target").join("criterion"),
    }
}

/// The machine's and this process's CPU time at one moment (Linux), to tell how much of the
/// machine other processes used during a run.
#[derive(Clone, Copy, Debug)]
pub struct CpuSample {
    /// Busy time of all processors, in clock ticks.
    machine_busy_ticks: u64,
    /// This process's user and system time, its waited-for children included, in clock ticks.
    process_ticks: u64,
    /// When the sample was taken.
    at: std::time::Instant,
}

/// Clock ticks per second of `/proc/stat` and `/proc/self/stat` (`USER_HZ`, 100 on Linux).
const TICKS_PER_SECOND: f64 = 100.0;

impl CpuSample {
    /// Reads `/proc/stat` and `/proc/self/stat`; `None` where they do not exist.
    pub fn now() -> Option<CpuSample> {
        let stat = fs::read_to_string("/proc/stat").ok()?;
        let machine_busy_ticks = machine_busy_ticks(stat.lines().next()?)?;
        let process_ticks = process_ticks(&fs::read_to_string("/proc/self/stat").ok()?)?;
        Some(CpuSample {
            machine_busy_ticks,
            process_ticks,
            at: std::time::Instant::now(),
        })
    }

    /// The CPU other processes used from `self` to `later`, in cores.
    pub fn other_cores_until(&self, later: &CpuSample) -> f64 {
        let seconds = later.at.duration_since(self.at).as_secs_f64();
        let machine = later
            .machine_busy_ticks
            .saturating_sub(self.machine_busy_ticks);
        let own = later.process_ticks.saturating_sub(self.process_ticks);
        (machine.saturating_sub(own) as f64 / TICKS_PER_SECOND / seconds).max(0.0)
    }
}

/// Busy ticks from the `cpu` line of `/proc/stat`: user, nice, system, irq, softirq, steal.
///
/// # Examples
///
/// ```
/// let line = "cpu  100 5 50 1000 7 1 2 3 0 0";
/// assert_eq!(hiperf_bench_peers::run::machine_busy_ticks(line), Some(161));
/// ```
pub fn machine_busy_ticks(cpu_line: &str) -> Option<u64> {
    let fields: Vec<u64> = cpu_line
        .split_whitespace()
        .skip(1)
        .map(|field| field.parse().ok())
        .collect::<Option<_>>()?;
    let [user, nice, system, _idle, _iowait, irq, softirq, steal, ..] = fields[..] else {
        return None;
    };
    Some(user + nice + system + irq + softirq + steal)
}

/// utime + stime + cutime + cstime from `/proc/self/stat` (fields 14 to 17).
///
/// # Examples
///
/// ```
/// let stat = "42 (a (b) c) R 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16";
/// assert_eq!(hiperf_bench_peers::run::process_ticks(stat), Some(11 + 12 + 13 + 14));
/// ```
pub fn process_ticks(stat: &str) -> Option<u64> {
    // The command name may hold spaces and parentheses: the fields start after the last `)`.
    let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
    // `fields[0]` is field 3 (the state), so field 14 (utime) is `fields[11]`.
    fields
        .get(11..15)?
        .iter()
        .map(|field| field.parse::<u64>().ok())
        .sum()
}

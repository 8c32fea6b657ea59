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

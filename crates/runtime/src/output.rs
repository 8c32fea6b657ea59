//! The edge where reports leave the process: at exit, to stderr or files named by the
//! environment. Files are written to a temporary name and renamed.

use std::io::Write;
use std::path::Path;

use crate::report;
use crate::snapshot::{self, Profile, SnapshotOptions};

/// Prints the report when dropped: at the end of `main`, or while a panic unwinds out of it.
/// `#[hiperf::main]` creates one.
///
/// Environment:
/// - `HIPERF_REPORT=PATH` writes the text report to `PATH` instead of stderr
///   (`HIPERF_REPORT=off` writes none);
/// - `HIPERF_JSON=PATH` also writes the profile as JSON (schema `hiperf.profile/1`);
/// - `HIPERF_SUBTRACT_PROBE=1` subtracts the calibrated probe cost from line times;
/// - `HIPERF_SORT=cumulative|tottime|ncalls|name` orders the call table;
/// - `HIPERF_FOLDED=PATH` writes folded stacks (for flame graphs);
/// - `HIPERF_TRACE=PATH` writes a Chrome trace (opens in Perfetto and chrome://tracing);
/// - `HIPERF_PPROF=PATH` writes a gzip-compressed pprof profile (`go tool pprof`).
///
/// # Examples
///
/// ```
/// let _report = hiperf_runtime::output::ReportGuard::new();
/// // ... the program; the report prints when `_report` goes out of scope ...
/// ```
#[derive(Debug, Default)]
pub struct ReportGuard {
    _private: (),
}

impl ReportGuard {
    /// Makes a guard that reports when dropped. With `HIPERF_TRACE` set, it also turns the
    /// call log for the trace on.
    pub fn new() -> Self {
        if std::env::var_os("HIPERF_TRACE").is_some() {
            crate::calls::log_events(true);
        }
        ReportGuard { _private: () }
    }
}

impl Drop for ReportGuard {
    fn drop(&mut self) {
        if let Err(error) = finish() {
            eprintln!("hiperf: could not write the report: {error}");
        }
    }
}

/// Takes a snapshot and writes it where the environment says (see [`ReportGuard`]).
pub fn finish() -> std::io::Result<()> {
    let profile = snapshot::take(SnapshotOptions::from_env());
    if let Some(path) = std::env::var_os("HIPERF_JSON") {
        write_json(Path::new(&path), &profile)?;
    }
    let sort = match std::env::var("HIPERF_SORT") {
        Ok(key) => key.parse().unwrap_or_else(|message| {
            eprintln!("hiperf: HIPERF_SORT: {message}");
            report::SortKey::default()
        }),
        Err(_) => report::SortKey::default(),
    };
    if let Some(path) = std::env::var_os("HIPERF_FOLDED") {
        write_atomically(Path::new(&path), report::render_folded(&profile).as_bytes())?;
    }
    if let Some(path) = std::env::var_os("HIPERF_TRACE") {
        let trace = report::render_chrome_trace(&profile, &crate::snapshot::timeline());
        write_atomically(Path::new(&path), trace.as_bytes())?;
    }
    #[cfg(feature = "pprof")]
    if let Some(path) = std::env::var_os("HIPERF_PPROF") {
        write_atomically(Path::new(&path), &report::render_pprof(&profile))?;
    }
    let text = report::render_text(&profile, sort);
    match std::env::var_os("HIPERF_REPORT") {
        Some(target) if target == "off" => Ok(()),
        Some(path) => write_atomically(Path::new(&path), text.as_bytes()),
        None => {
            let mut stderr = std::io::stderr().lock();
            stderr.write_all(text.as_bytes())?;
            stderr.flush()
        }
    }
}

/// Writes `profile` as pretty JSON to `path`.
pub fn write_json(path: &Path, profile: &Profile) -> std::io::Result<()> {
    let json = serde_json::to_vec_pretty(profile).map_err(std::io::Error::other)?;
    write_atomically(path, &json)
}

/// Writes `bytes` to a temporary file beside `path`, then renames it over `path`.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent)?;
    }
    let mut temporary = path.as_os_str().to_owned();
    temporary.push(format!(".tmp{}", std::process::id()));
    std::fs::write(&temporary, bytes)?;
    std::fs::rename(&temporary, path)
}

//! The edge where reports leave the process: to stderr or to the files the environment names.
//! Each output is written on its own: one that fails is named (variable, path, OS error) and
//! the others are still written. Files are written to a temporary name and renamed, and a
//! temporary file is removed whenever writing it fails.

use std::ffi::OsString;
use std::fmt;
use std::io::Write;
use std::path::{Path, PathBuf};

use crate::report;
use crate::snapshot::{self, Profile, SnapshotOptions};

/// Prints the report when dropped: at the end of `main`, or while a panic unwinds out of it.
/// `#[hiperf::main]` creates one.
///
/// The report is written once per process: by the first of this guard's drop, [`finish`], the
/// exit hook (`std::process::exit`, or the end of a program or test binary with no guard) and
/// the signal watcher (Ctrl-C, SIGTERM, SIGHUP); see [`crate::exit`].
///
/// Environment:
/// - `HIPERF_REPORT=PATH` writes the text report to `PATH` instead of stderr
///   (`HIPERF_REPORT=off` writes none);
/// - `HIPERF_JSON=PATH` also writes the profile as JSON (schema `hiperf.profile/3`);
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
    /// Makes a guard that reports when dropped. It also arms the exit hook and the signal
    /// watcher, and with `HIPERF_TRACE` set it turns the call log for the trace on.
    pub fn new() -> Self {
        crate::exit::arm();
        ReportGuard { _private: () }
    }
}

impl Drop for ReportGuard {
    fn drop(&mut self) {
        crate::exit::report_once();
    }
}

/// Takes a snapshot and writes every output the environment names (see [`ReportGuard`]),
/// each on its own; the error lists every output that failed. The exit hook then writes
/// nothing more.
///
/// # Examples
///
/// ```
/// // With HIPERF_REPORT unset, the text report goes to stderr.
/// hiperf_runtime::output::finish().unwrap();
/// ```
pub fn finish() -> std::io::Result<()> {
    crate::exit::finish()
}

/// Writes every output and returns the ones that failed (the exit machinery's entry).
pub(crate) fn write_outputs() -> Vec<OutputError> {
    let profile = snapshot::take(SnapshotOptions::from_env());
    let mut failures = Vec::new();
    if let Some(path) = requested("HIPERF_JSON", &mut failures) {
        let written = crate::json::to_string_pretty(&profile)
            .map_err(std::io::Error::from)
            .and_then(|json| write_atomically(&path, json.as_bytes()));
        note("HIPERF_JSON", &path, written, &mut failures);
    }
    if let Some(path) = requested("HIPERF_FOLDED", &mut failures) {
        let written = write_atomically(&path, report::render_folded(&profile).as_bytes());
        note("HIPERF_FOLDED", &path, written, &mut failures);
    }
    if let Some(path) = requested("HIPERF_TRACE", &mut failures) {
        let trace = report::render_chrome_trace(&profile, &snapshot::timeline());
        note(
            "HIPERF_TRACE",
            &path,
            write_atomically(&path, trace.as_bytes()),
            &mut failures,
        );
    }
    #[cfg(feature = "pprof")]
    if let Some(path) = requested("HIPERF_PPROF", &mut failures) {
        let written = write_atomically(&path, &report::render_pprof(&profile));
        note("HIPERF_PPROF", &path, written, &mut failures);
    }
    let sort = match std::env::var("HIPERF_SORT") {
        Ok(key) => key.parse().unwrap_or_else(|message| {
            let _ = writeln!(std::io::stderr(), "hiperf: HIPERF_SORT: {message}");
            report::SortKey::default()
        }),
        Err(_) => report::SortKey::default(),
    };
    let report_target = std::env::var_os("HIPERF_REPORT");
    if report_target.as_deref() == Some("off".as_ref()) {
        return failures;
    }
    let text = report::render_text(&profile, sort);
    match requested("HIPERF_REPORT", &mut failures) {
        Some(path) => {
            let written = write_atomically(&path, text.as_bytes());
            note("HIPERF_REPORT", &path, written, &mut failures);
        }
        // An empty HIPERF_REPORT is a failure already noted; the text still goes to stderr,
        // so that nothing is lost.
        None => {
            let mut stderr = std::io::stderr().lock();
            // A closed stderr loses only this copy; nothing else depends on it.
            let _ = stderr
                .write_all(text.as_bytes())
                .and_then(|()| stderr.flush());
        }
    }
    failures
}

/// The path an output variable names: `None` when unset or empty (an empty value is noted as
/// a failure, so that a typo in a script is seen rather than written to `.tmp<pid>`).
fn requested(variable: &'static str, failures: &mut Vec<OutputError>) -> Option<PathBuf> {
    let value: OsString = std::env::var_os(variable)?;
    if value.is_empty() {
        failures.push(OutputError {
            variable,
            path: PathBuf::new(),
            error: std::io::Error::new(std::io::ErrorKind::InvalidInput, "the variable is empty"),
        });
        return None;
    }
    Some(PathBuf::from(value))
}

fn note(
    variable: &'static str,
    path: &Path,
    written: std::io::Result<()>,
    failures: &mut Vec<OutputError>,
) {
    if let Err(error) = written {
        failures.push(OutputError {
            variable,
            path: path.to_path_buf(),
            error,
        });
    }
}

/// One output that could not be written: its variable, its path and the OS error.
#[derive(Debug)]
pub struct OutputError {
    /// The environment variable that named the output (`HIPERF_JSON`, ...).
    pub variable: &'static str,
    /// The path it named (empty when the variable was empty).
    pub path: PathBuf,
    /// Why writing failed.
    pub error: std::io::Error,
}

impl fmt::Display for OutputError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "could not write {}={:?}: {}",
            self.variable,
            self.path.display().to_string(),
            self.error
        )
    }
}

impl std::error::Error for OutputError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.error)
    }
}

/// Writes `profile` as pretty JSON to `path`.
///
/// # Examples
///
/// ```
/// let profile = hiperf_runtime::snapshot::take(Default::default());
/// let path = std::env::temp_dir().join(format!("hiperf-doc-{}.json", std::process::id()));
/// hiperf_runtime::output::write_json(&path, &profile).unwrap();
/// # std::fs::remove_file(&path).unwrap();
/// ```
pub fn write_json(path: &Path, profile: &Profile) -> std::io::Result<()> {
    let json = crate::json::to_string_pretty(profile)?;
    write_atomically(path, json.as_bytes())
}

/// Writes `bytes` to a temporary file beside `path`, then renames it over `path`; on any
/// failure the temporary file is removed. A path that exists and is not a regular file (a
/// terminal, `/dev/stdout`, a pipe, `/dev/full`) is written directly: renaming over it would
/// replace the device with a file.
///
/// # Examples
///
/// ```
/// let path = std::env::temp_dir().join(format!("hiperf-doc-{}.txt", std::process::id()));
/// hiperf_runtime::output::write_atomically(&path, b"report").unwrap();
/// assert_eq!(std::fs::read(&path).unwrap(), b"report");
/// # std::fs::remove_file(&path).unwrap();
/// ```
pub fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    if path.as_os_str().is_empty() {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            "the path is empty",
        ));
    }
    match std::fs::metadata(path) {
        Ok(metadata) if metadata.is_dir() => {
            return Err(std::io::Error::new(
                std::io::ErrorKind::IsADirectory,
                "the path is a directory",
            ));
        }
        Ok(metadata) if !metadata.is_file() => {
            let mut file = std::fs::OpenOptions::new().write(true).open(path)?;
            return file.write_all(bytes).and_then(|()| file.flush());
        }
        _ => {}
    }
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent)?;
    }
    let file_name = path.file_name().ok_or_else(|| {
        std::io::Error::new(std::io::ErrorKind::InvalidInput, "the path names no file")
    })?;
    let mut temporary_name = OsString::from(".");
    temporary_name.push(file_name);
    temporary_name.push(format!(".tmp{}", std::process::id()));
    let temporary = path.with_file_name(temporary_name);
    let written = write_new(&temporary, bytes).and_then(|()| std::fs::rename(&temporary, path));
    if written.is_err() {
        // The temporary may be missing (creating it failed): nothing to remove then.
        let _ = std::fs::remove_file(&temporary);
    }
    written
}

fn write_new(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let mut file = std::fs::File::create(path)?;
    file.write_all(bytes)?;
    // A full disk may only show when the data reaches it.
    file.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch(name: &str) -> PathBuf {
        let directory =
            std::env::temp_dir().join(format!("hiperf-output-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&directory);
        std::fs::create_dir_all(&directory).unwrap();
        directory
    }

    fn entries(directory: &Path) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(directory)
            .unwrap()
            .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    #[test]
    fn a_file_is_written_and_no_temporary_stays() {
        let directory = scratch("ok");
        let path = directory.join("nested/report.txt");
        write_atomically(&path, b"table").unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"table");
        assert_eq!(entries(&directory.join("nested")), ["report.txt"]);
    }

    #[test]
    fn a_directory_as_the_path_fails_and_leaves_nothing() {
        let directory = scratch("dir");
        let error = write_atomically(&directory, b"table").unwrap_err();
        assert_eq!(error.kind(), std::io::ErrorKind::IsADirectory);
        assert!(entries(&directory).is_empty());
    }

    #[test]
    fn a_file_as_the_parent_fails_and_leaves_nothing() {
        let directory = scratch("parent");
        std::fs::write(directory.join("file"), b"").unwrap();
        assert!(write_atomically(&directory.join("file/report.json"), b"{}").is_err());
        assert_eq!(entries(&directory), ["file"]);
    }

    #[test]
    fn an_empty_path_fails_without_a_temporary_in_the_working_directory() {
        let before = entries(Path::new("."));
        let error = write_atomically(Path::new(""), b"{}").unwrap_err();
        assert_eq!(error.kind(), std::io::ErrorKind::InvalidInput);
        assert_eq!(entries(Path::new(".")), before);
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn a_full_device_reports_the_os_error_and_stays_a_device() {
        let error = write_atomically(Path::new("/dev/full"), &[0; 4096]).unwrap_err();
        assert_eq!(error.raw_os_error(), Some(28), "ENOSPC: {error}");
        assert!(!std::fs::metadata("/dev/full").unwrap().is_file());
    }

    #[test]
    fn an_error_names_the_variable_the_path_and_the_os_error() {
        let error = OutputError {
            variable: "HIPERF_JSON",
            path: PathBuf::from("/x/p.json"),
            error: std::io::Error::from_raw_os_error(20),
        };
        let message = error.to_string();
        assert!(message.starts_with("could not write HIPERF_JSON=\"/x/p.json\": "));
        assert!(message.contains("os error 20"), "{message}");
    }
}

//! Each output (`HIPERF_REPORT`, `HIPERF_JSON`, `HIPERF_FOLDED`, `HIPERF_TRACE`) is written on
//! its own: one pointed at a bad path is named with its variable, its path and the OS error,
//! the others are still written, and no temporary file stays behind (issue 18 item 11).
//!
//! Each case runs this test binary again as a child, with only `child_reports_at_exit`
//! selected: the child calls an annotated function and ends, and the report is written at the
//! end of the test binary, without a guard (issue 13 item 6). With profiling off, the child
//! writes nothing at all.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const CHILD: &str = "HIPERF_OUTPUTS_CHILD";
const VARIABLES: [&str; 4] = [
    "HIPERF_REPORT",
    "HIPERF_JSON",
    "HIPERF_FOLDED",
    "HIPERF_TRACE",
];

#[hiperf::profile]
fn work(n: u64) -> u64 {
    let mut total = 0;
    for i in 0..n {
        total += i * i;
    }
    total
}

/// The child's work; it does nothing unless run as the child.
#[test]
fn child_reports_at_exit() {
    if std::env::var_os(CHILD).is_none() {
        return;
    }
    assert_eq!(work(4), 14);
}

/// A fresh directory for one case, with `good/` for the outputs that must be written and
/// `cwd/` as the child's working directory.
fn scratch(case: &str) -> PathBuf {
    let directory = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("outputs-{case}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&directory);
    std::fs::create_dir_all(directory.join("good")).unwrap();
    std::fs::create_dir_all(directory.join("cwd")).unwrap();
    directory
}

fn good_path(directory: &Path, variable: &str) -> PathBuf {
    directory.join("good").join(variable.to_lowercase())
}

/// Runs the child with every output variable pointed into `good/`, except `variable`, set to
/// `bad`; `shell` wraps the child in `sh -c` (for a file size limit).
fn run_child(directory: &Path, variable: &str, bad: &str, shell: Option<&str>) -> Output {
    let executable = std::env::current_exe().unwrap();
    let mut command = match shell {
        Some(script) => {
            let mut command = Command::new("sh");
            command.arg("-c").arg(script).arg("sh").arg(&executable);
            command
        }
        None => Command::new(&executable),
    };
    command
        .args(["--exact", "child_reports_at_exit", "--test-threads=1"])
        .current_dir(directory.join("cwd"))
        .env(CHILD, "1");
    for other in VARIABLES {
        if other == variable {
            command.env(other, bad);
        } else {
            command.env(other, good_path(directory, other));
        }
    }
    command.output().unwrap()
}

/// Every file under `directory`, as paths relative to it.
fn files(directory: &Path) -> Vec<String> {
    let mut found = Vec::new();
    let mut pending = vec![directory.to_path_buf()];
    while let Some(next) = pending.pop() {
        for entry in std::fs::read_dir(&next).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                pending.push(path);
            } else {
                let relative = path.strip_prefix(directory).unwrap();
                found.push(relative.to_string_lossy().into_owned());
            }
        }
    }
    found.sort();
    found
}

/// The checks every case shares: the failure named (variable, path, `error_text`), the other
/// outputs written, the exit status unchanged, and no temporary file anywhere.
fn check(directory: &Path, variable: &str, bad: &str, output: &Output, error_text: &str) {
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    let leftovers: Vec<String> = files(directory)
        .into_iter()
        .filter(|name| name.contains(".tmp"))
        .collect();
    assert!(leftovers.is_empty(), "temporary files left: {leftovers:?}");
    assert!(
        files(&directory.join("cwd")).is_empty(),
        "nothing in the working directory"
    );
    if !hiperf::ENABLED {
        assert!(!stderr.contains("hiperf"), "nothing printed off: {stderr}");
        assert!(
            files(&directory.join("good")).is_empty(),
            "nothing written off"
        );
        return;
    }
    let named = format!("hiperf: could not write {variable}={bad:?}: ");
    let line = stderr
        .lines()
        .find(|line| line.starts_with(&named))
        .unwrap_or_else(|| panic!("no line starting {named:?} in:\n{stderr}"));
    assert!(line.contains(error_text), "{line:?} lacks {error_text:?}");
    assert_eq!(
        stderr.matches("hiperf: could not write").count(),
        1,
        "{stderr}"
    );
    for other in VARIABLES.into_iter().filter(|other| *other != variable) {
        let path = good_path(directory, other);
        let text = std::fs::read_to_string(&path)
            .unwrap_or_else(|error| panic!("{other} was not written ({error}):\n{stderr}"));
        assert!(!text.is_empty(), "{other} is empty");
    }
    if variable == "HIPERF_REPORT" && bad.is_empty() {
        assert!(
            stderr.contains("Timer unit:"),
            "the text goes to stderr: {stderr}"
        );
    }
}

fn each_variable(case: &str, bad: impl Fn(&Path) -> String, error_text: &str) {
    for variable in VARIABLES {
        let directory = scratch(&format!("{case}-{variable}"));
        let bad = bad(&directory);
        let output = run_child(&directory, variable, &bad, None);
        check(&directory, variable, &bad, &output, error_text);
    }
}

#[test]
fn a_file_as_the_parent_directory() {
    each_variable(
        "parent-file",
        |directory| {
            std::fs::write(directory.join("plain"), b"").unwrap();
            directory.join("plain/out").display().to_string()
        },
        "os error",
    );
}

#[test]
fn a_directory_as_the_path() {
    each_variable(
        "directory",
        |directory| {
            std::fs::create_dir_all(directory.join("taken")).unwrap();
            directory.join("taken").display().to_string()
        },
        "directory",
    );
}

#[test]
fn an_empty_variable() {
    each_variable("empty", |_| String::new(), "the variable is empty");
}

#[cfg(target_os = "linux")]
#[test]
fn a_full_disk() {
    each_variable(
        "full",
        |_| "/dev/full".to_string(),
        "No space left on device",
    );
}

/// A file size limit makes writes fail halfway, as a full disk does: the temporary file is
/// removed. (SIGXFSZ is ignored, so that the write fails with EFBIG instead of killing.)
#[cfg(unix)]
#[test]
fn a_write_that_fails_halfway() {
    let directory = scratch("file-size");
    let bad = directory.join("limited/profile.json").display().to_string();
    // The JSON (several KiB) is over the 1-block limit; the other outputs are under it.
    let script = "trap '' XFSZ; ulimit -f 1; exec \"$@\"";
    let output = run_child(&directory, "HIPERF_JSON", &bad, Some(script));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    let leftovers: Vec<String> = files(&directory)
        .into_iter()
        .filter(|name| name.contains(".tmp"))
        .collect();
    assert!(leftovers.is_empty(), "temporary files left: {leftovers:?}");
    if hiperf::ENABLED {
        let named = format!("hiperf: could not write HIPERF_JSON={bad:?}: ");
        assert!(stderr.contains(&named), "{stderr}");
        assert!(stderr.contains("too large"), "EFBIG: {stderr}");
        assert!(!Path::new(&bad).exists());
        assert!(good_path(&directory, "HIPERF_FOLDED").exists());
    }
}

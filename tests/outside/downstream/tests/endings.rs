//! Issue 13 item 7: the program's exit status is the same with profiling off and on, however
//! it ends (return, `process::exit`, Ctrl-C, SIGTERM); with profiling on its report is written
//! exactly once, to stderr and to `HIPERF_JSON`.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};

const REPORT_HEADER: &str = "Timer unit:";

fn program() -> Command {
    Command::new(env!("CARGO_BIN_EXE_outside-downstream"))
}

fn json_path(name: &str) -> PathBuf {
    let directory = PathBuf::from(env!("CARGO_TARGET_TMPDIR"));
    let path = directory.join(format!("{name}-{}.json", std::process::id()));
    let _ = std::fs::remove_file(&path);
    path
}

/// Checks the report: once on stderr and in the JSON file with profiling on, absent off.
fn check_report(output: &Output, json: &PathBuf) {
    let stderr = String::from_utf8_lossy(&output.stderr);
    let reports = stderr.matches(REPORT_HEADER).count();
    if cfg!(feature = "profile") {
        assert_eq!(reports, 1, "one report on stderr:\n{stderr}");
        let text = std::fs::read_to_string(json).expect("HIPERF_JSON is written");
        assert!(text.contains("\"wrap\""), "the JSON lists `wrap`: {text}");
    } else {
        assert_eq!(reports, 0, "no report without profiling:\n{stderr}");
        assert!(!json.exists(), "no JSON without profiling");
    }
}

fn run(ending: &str) -> (Output, PathBuf) {
    let json = json_path(ending);
    let output = program()
        .arg(ending)
        .env("HIPERF_JSON", &json)
        .env_remove("HIPERF_REPORT")
        .output()
        .expect("the program starts");
    (output, json)
}

#[test]
fn returning_from_main_exits_0() {
    let (output, json) = run("return");
    assert_eq!(output.status.code(), Some(0));
    check_report(&output, &json);
}

#[test]
fn process_exit_keeps_its_code() {
    let (output, json) = run("exit");
    assert_eq!(output.status.code(), Some(3));
    check_report(&output, &json);
}

#[cfg(unix)]
fn killed_by(signal: &str, number: i32) {
    use std::os::unix::process::ExitStatusExt;

    let json = json_path(signal);
    let mut child = program()
        .arg("wait")
        .env("HIPERF_JSON", &json)
        .env_remove("HIPERF_REPORT")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the program starts");
    let stdout = child.stdout.take().expect("stdout is piped");
    let mut lines = BufReader::new(stdout).lines();
    loop {
        let line = lines
            .next()
            .expect("the program prints `ready`")
            .expect("stdout reads");
        if line == "ready" {
            break;
        }
    }
    let status = Command::new("kill")
        .args([&format!("-{signal}"), &child.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(status.success());
    let output = child.wait_with_output().expect("the program ends");
    assert_eq!(output.status.signal(), Some(number), "{:?}", output.status);
    check_report(&output, &json);
}

#[cfg(unix)]
#[test]
fn sigterm_ends_the_program_with_sigterm() {
    killed_by("TERM", 15);
}

#[cfg(unix)]
#[test]
fn ctrl_c_ends_the_program_with_sigint() {
    killed_by("INT", 2);
}

//! The report is written exactly once however the process ends: at the end of a test binary,
//! at `std::process::exit`, on SIGTERM and Ctrl-C (and the signal still ends the process), or
//! by a `ReportGuard`; not at all after `report_at_exit(false)`. With profiling off nothing is
//! printed or written, a guard included (issue 13 items 3, 6 and 7).
//!
//! Each case runs this test binary again as a child, with one `child` test selected by
//! `HIPERF_EXIT_CHILD`.

use std::path::PathBuf;
use std::process::{Command, Output};

const CHILD: &str = "HIPERF_EXIT_CHILD";

#[hiperf::profile]
fn work(n: u64) -> u64 {
    let mut total = 0;
    for i in 0..n {
        total += i * i;
    }
    total
}

/// The child's ending, when this process is a child.
#[test]
fn child() {
    let Ok(ending) = std::env::var(CHILD) else {
        return;
    };
    match ending.as_str() {
        "guard" => {
            let _report = hiperf::ReportGuard::new();
            assert_eq!(work(4), 14);
        }
        "opted-out" => {
            hiperf::report_at_exit(false);
            assert_eq!(work(4), 14);
        }
        _ => assert_eq!(work(4), 14),
    }
    match ending.as_str() {
        "exit" => std::process::exit(3),
        "TERM" | "INT" => {
            let status = Command::new("kill")
                .arg(format!("-{ending}"))
                .arg(std::process::id().to_string())
                .status()
                .unwrap();
            assert!(status.success());
            // The signal ends the process; this wait is only reached if it does not.
            std::thread::sleep(std::time::Duration::from_secs(10));
            panic!("the signal did not end the process");
        }
        _ => {}
    }
}

fn run_child(ending: &str) -> (Output, PathBuf) {
    let json = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("exit-report-{ending}-{}.json", std::process::id()));
    let _ = std::fs::remove_file(&json);
    let output = Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "child", "--test-threads=1"])
        .env(CHILD, ending)
        .env("HIPERF_JSON", &json)
        .env_remove("HIPERF_REPORT")
        .output()
        .unwrap();
    (output, json)
}

/// One report on stderr and in `HIPERF_JSON` with profiling on (`reports` false: none),
/// nothing at all off.
fn check_reports(output: &Output, json: &PathBuf, reports: bool) {
    let stderr = String::from_utf8_lossy(&output.stderr);
    let expected = usize::from(hiperf::ENABLED && reports);
    assert_eq!(stderr.matches("Timer unit:").count(), expected, "{stderr}");
    assert_eq!(json.exists(), expected == 1, "{stderr}");
    if !hiperf::ENABLED {
        assert!(!stderr.contains("hiperf"), "nothing printed off: {stderr}");
    }
    if expected == 1 {
        let text = std::fs::read_to_string(json).unwrap();
        assert!(text.contains("\"name\": \"work\""), "{text}");
    }
}

#[test]
fn the_end_of_a_test_binary_writes_its_report() {
    let (output, json) = run_child("return");
    assert!(output.status.success());
    check_reports(&output, &json, true);
}

#[test]
fn process_exit_writes_the_report_and_keeps_its_code() {
    let (output, json) = run_child("exit");
    assert_eq!(output.status.code(), Some(3));
    check_reports(&output, &json, true);
}

#[test]
fn a_guard_writes_the_report_once_and_nothing_off() {
    let (output, json) = run_child("guard");
    assert!(output.status.success());
    check_reports(&output, &json, true);
}

#[test]
fn report_at_exit_false_writes_nothing() {
    let (output, json) = run_child("opted-out");
    assert!(output.status.success());
    check_reports(&output, &json, false);
}

#[cfg(unix)]
fn ended_by(signal: &str, number: i32) {
    use std::os::unix::process::ExitStatusExt;

    let (output, json) = run_child(signal);
    assert_eq!(output.status.signal(), Some(number), "{:?}", output.status);
    check_reports(&output, &json, true);
}

#[cfg(unix)]
#[test]
fn sigterm_writes_the_report_and_still_ends_the_process_by_sigterm() {
    ended_by("TERM", 15);
}

#[cfg(unix)]
#[test]
fn ctrl_c_writes_the_report_and_still_ends_the_process_by_sigint() {
    ended_by("INT", 2);
}

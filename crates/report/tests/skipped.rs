//! A workload skipped because something it needs is not installed (`redis-server`): every
//! report says SKIPPED with the install command, counts it apart from the checks that ran,
//! and the run still passes.

use hiperf_report::model::{Check, RunReport, WorkloadResult};
use hiperf_report::supplement::Supplement;

const HINT: &str =
    "redis-server is not installed; install it with `apt-get install -y redis-server`";

fn workload(variant: &str, rank: u8, check: Check) -> WorkloadResult {
    serde_json::from_value(serde_json::json!({
        "id": format!("ch09/locking/{variant}"),
        "chapter": 9,
        "name": "locking",
        "variant": variant,
        "rank": rank,
        "description": "a counter",
        "parameters": "",
        "result": if check.passed { "count 4000" } else { "" },
        "check": check,
        "seconds": if check.passed {
            serde_json::json!({"median": 0.1, "min": 0.1, "max": 0.1, "runs": [0.1]})
        } else {
            serde_json::Value::Null
        },
        "profiled_seconds": null,
        "memory": null,
        "python": null,
    }))
    .unwrap()
}

fn report(with_failure: bool) -> RunReport {
    let mut report = RunReport::new("quick", 1);
    report
        .workloads
        .push(workload("file-lock", 0, Check::passed()));
    report
        .workloads
        .push(workload("redis-incr", 1, Check::skipped(HINT)));
    if with_failure {
        report
            .workloads
            .push(workload("mutex", 2, Check::failed("count 3999")));
    }
    report
}

#[test]
fn a_skipped_workload_does_not_fail_the_run_and_every_report_says_why() {
    let report = report(false);
    assert!(report.all_passed());
    assert_eq!(report.skipped().count(), 1);

    let text = hiperf_report::text::render(&report, Default::default());
    assert!(text.contains("All 1 checks passed."), "{text}");
    assert!(text.contains("SKIPPED"), "{text}");
    assert!(text.contains("apt-get install -y redis-server"), "{text}");

    let supplement = Supplement::default();
    let markdown = hiperf_report::markdown::render_with(&report, &supplement);
    assert!(markdown.contains("**SKIPPED**"), "{markdown}");
    assert!(markdown.contains("- Skipped: 1"), "{markdown}");
    assert!(markdown.contains("apt-get install -y redis-server"));

    let html = hiperf_report::html::render_with(&report, &supplement);
    assert!(html.contains("class=\"skipped\""), "no skipped cell");
    assert!(html.contains("1 skipped"));
    assert!(html.contains("apt-get install -y redis-server"));
    assert!(
        !html.contains("FAILED"),
        "a skipped workload is not a failure"
    );

    let json = serde_json::to_value(&report).unwrap();
    assert_eq!(json["workloads"][1]["check"]["skipped"], true);
    assert!(json["workloads"][0]["check"].get("skipped").is_none());
}

#[test]
fn a_failure_beside_a_skip_still_fails_the_run() {
    let report = report(true);
    assert!(!report.all_passed());
    let text = hiperf_report::text::render(&report, Default::default());
    assert!(text.contains("1 of 2 checks FAILED"), "{text}");
    assert!(text.contains("count 3999"));
}

#[test]
fn reports_written_before_the_skipped_field_still_read() {
    let check: Check = serde_json::from_str(r#"{"passed": false, "message": "x"}"#).unwrap();
    assert!(!check.skipped);
    assert!(check.is_failure());
}

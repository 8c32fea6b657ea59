//! Issue 13 item 5: an attribute macro above `#[hiperf::profile]` keeps the line table. The
//! outer attribute re-emits the function through syn, which rebuilds the body's brace group
//! on one joined span (`#[reemit]` here, tracing's `#[instrument]` in real crates, and
//! `#[hiperf::main]` over a profiled `main`).
//!
//! These cases are fixed in hiperf's macro crate (the line range is read from the body's own
//! tokens); they pass the same with profiling off and on once that fix is in.

use std::process::Command;

#[test]
fn a_reemitting_attribute_keeps_the_line_table() {
    let total = outside_downstream::outer_attribute::sum_of_squares(&[4]);
    assert_eq!(total, 16);
    #[cfg(feature = "profile")]
    {
        let profile = hiperf::take(hiperf::snapshot::SnapshotOptions::default());
        let function = profile
            .functions
            .iter()
            .find(|function| function.name.ends_with("sum_of_squares"))
            .expect("sum_of_squares is registered");
        let first = function
            .lines
            .iter()
            .find(|line| line.contents.trim() == outside_downstream::outer_attribute::FIRST_LINE)
            .unwrap_or_else(|| panic!("no line table under an outer attribute: {function:?}"));
        assert!(first.hits >= 1);
    }
}

#[test]
fn hiperf_main_over_a_profiled_main_counts_its_call() {
    let json = std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("main-calls-{}.json", std::process::id()));
    let _ = std::fs::remove_file(&json);
    let output = Command::new(env!("CARGO_BIN_EXE_outside-downstream"))
        .env("HIPERF_JSON", &json)
        .env_remove("HIPERF_REPORT")
        .output()
        .expect("the program starts");
    assert!(output.status.success());
    if cfg!(feature = "profile") {
        let text = std::fs::read_to_string(&json).expect("HIPERF_JSON is written");
        // Read without a JSON parser: a JSON crate in this crate's tests is what issue 13
        // item 1 is about.
        let main = text
            .find("\"name\": \"main\"")
            .expect("the JSON lists `main`");
        let calls = text[main..]
            .split("\"calls\": ")
            .nth(1)
            .and_then(|rest| rest.split(',').next())
            .expect("`main` has a call count");
        assert_eq!(calls.trim(), "1", "`main` ran once");
        assert!(
            text[main..].contains(
                "\"contents\": \"    let ending = std::env::args().nth(1).unwrap_or_default();\""
            ),
            "`main` has its line table"
        );
    }
}

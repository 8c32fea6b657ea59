//! `cargo xtask merge A.json B.json... -o OUT.json`: one profile from the profiles of several
//! processes (each `HIPERF_JSON`, or a `report.json`'s line tables): calls, hits, times and
//! allocations summed, function by function and line by line (`hiperf::merge`).

use std::path::PathBuf;
use std::process::ExitCode;

use hiperf_runtime::report::SortKey;

#[derive(clap::Args)]
pub struct Args {
    /// The profiles: `hiperf.profile/1` files (`HIPERF_JSON`) or `hiperf.report/1` reports.
    #[arg(required = true, num_args = 1.., value_name = "PROFILE.json")]
    inputs: Vec<PathBuf>,
    /// Where to write the merged profile (`hiperf.profile/1`).
    #[arg(short, long, value_name = "OUT.json")]
    output: PathBuf,
    /// Also print the merged line tables and call statistics.
    #[arg(long)]
    text: bool,
}

pub fn run(args: &Args) -> Result<ExitCode, String> {
    let mut profiles = Vec::with_capacity(args.inputs.len());
    for path in &args.inputs {
        let run = crate::compare::read(path)?;
        let profile = run.profile.ok_or_else(|| {
            format!(
                "{} holds no profile (a report of a run without the profiled build); \
                 rerun `cargo xtask report` without --no-profile",
                path.display()
            )
        })?;
        profiles.push(profile);
    }
    let merged = hiperf_runtime::merge::merged(&profiles);
    hiperf_runtime::output::write_json(&args.output, &merged)
        .map_err(|e| format!("cannot write {}: {e}", args.output.display()))?;
    if args.text {
        print!(
            "{}",
            hiperf_runtime::report::render_text(&merged, SortKey::default())
        );
    }
    let calls: u64 = merged.functions.iter().map(|f| f.calls).sum();
    eprintln!(
        "Merged {} profiles ({} functions, {calls} calls) into {}",
        profiles.len(),
        merged.functions.len(),
        args.output.display()
    );
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A profile with one function of `calls` calls, one line hit `calls` times.
    fn profile(calls: u64) -> serde_json::Value {
        let mut profile =
            serde_json::to_value(hiperf_runtime::snapshot::take(Default::default())).unwrap();
        profile["functions"] = serde_json::json!([{
            "name": "work", "module_path": "app", "file": "src/main.rs", "line": 3,
            "is_async": false, "measures_time": true, "measures_memory": false,
            "calls": calls, "primitive_calls": calls, "threads": 1,
            "total_ns": 10.0, "cumulative_ns": 10.0, "self_ns": 10.0, "max_call_ns": 5.0,
            "entry_ns": 0.0, "memory": null,
            "lines": [{"line": 4, "contents": "x += 1;", "probed": true, "hits": calls,
                       "time_ns": 10.0, "memory": null}],
        }]);
        profile["paths"] = serde_json::json!([{"parent": null, "function": 0, "calls": calls, "total_ns": 10.0, "self_ns": 10.0}]);
        profile
    }

    #[test]
    fn two_saved_profiles_merge_into_their_sum() {
        let folder = tempfile_folder("merge");
        let (a, b, out) = (
            folder.join("a.json"),
            folder.join("b.json"),
            folder.join("out.json"),
        );
        std::fs::write(&a, profile(3).to_string()).unwrap();
        std::fs::write(&b, profile(4).to_string()).unwrap();
        let args = Args {
            inputs: vec![a, b],
            output: out.clone(),
            text: false,
        };
        assert_eq!(run(&args), Ok(ExitCode::SUCCESS));
        let merged: hiperf_runtime::snapshot::Profile =
            serde_json::from_slice(&std::fs::read(&out).unwrap()).unwrap();
        assert_eq!(merged.functions.len(), 1);
        assert_eq!(merged.functions[0].calls, 7);
        assert_eq!(merged.functions[0].lines[0].hits, 7);
        assert_eq!(merged.paths[0].calls, 7);
        std::fs::remove_dir_all(&folder).unwrap();
    }

    #[test]
    fn a_file_without_a_profile_is_named() {
        let folder = tempfile_folder("merge-bad");
        let bad = folder.join("bad.json");
        std::fs::write(&bad, r#"{"schema": "something/1"}"#).unwrap();
        let args = Args {
            inputs: vec![bad],
            output: folder.join("out.json"),
            text: false,
        };
        let error = run(&args).unwrap_err();
        assert!(error.contains("bad.json"), "{error}");
        assert!(!folder.join("out.json").exists(), "nothing written");
        std::fs::remove_dir_all(&folder).unwrap();
    }

    fn tempfile_folder(name: &str) -> PathBuf {
        let folder =
            std::env::temp_dir().join(format!("hiperf-xtask-{name}-{}", std::process::id()));
        std::fs::create_dir_all(&folder).unwrap();
        folder
    }
}

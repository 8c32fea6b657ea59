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

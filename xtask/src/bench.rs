//! `cargo xtask bench`: hiperf against the peer profilers in one criterion run (the
//! `bench/peers` workspace, kept out of hiperf's dependency graph), then the table.
//! `--probe` also runs hiperf's own probe benchmark with profiling on and off.

use std::process::ExitCode;

use crate::{cargo, root, status};

#[derive(clap::Args)]
pub struct Args {
    /// Also run hiperf's own probe benchmark (`benches/probe.rs`) with profiling on, then off:
    /// with it off the annotated functions must time like the bare ones.
    #[arg(long)]
    probe: bool,
    /// Where to write peers.json and peers.md.
    #[arg(long, value_name = "DIR", default_value = "target/hiperf")]
    out: std::path::PathBuf,
}

pub fn run(args: &Args) -> Result<ExitCode, String> {
    let manifest = root().join("bench/peers/Cargo.toml");
    let manifest = manifest
        .to_str()
        .ok_or("the repository path is not UTF-8")?;
    let mut peers = cargo();
    peers.args(["bench", "--manifest-path", manifest, "--bench", "peers"]);
    eprintln!("== the peers benchmark (bench/peers)");
    if !status(&mut peers)?.success() {
        return Err(format!(
            "the peers benchmark failed; run `cargo bench --manifest-path {manifest} --bench peers` to see why"
        ));
    }
    let out = if args.out.is_absolute() {
        args.out.clone()
    } else {
        root().join(&args.out)
    };
    let mut table = cargo();
    table
        .args([
            "run",
            "--quiet",
            "--release",
            "--manifest-path",
            manifest,
            "--bin",
            "peers-table",
            "--",
        ])
        .arg("--out")
        .arg(&out);
    if !status(&mut table)?.success() {
        return Err("the peers table failed".into());
    }
    if args.probe {
        for (label, features) in [
            ("profiling on", &["--features", "enable"][..]),
            ("profiling off", &[][..]),
        ] {
            eprintln!("== cargo bench --bench probe ({label})");
            let mut command = cargo();
            command.args(["bench", "--bench", "probe"]).args(features);
            if !status(&mut command)?.success() {
                return Err(
                    "the probe benchmark failed; run `cargo bench --bench probe --features enable`"
                        .into(),
                );
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

//! `cargo xtask bench`.

use std::process::ExitCode;

use crate::{cargo, status};

#[derive(clap::Args)]
pub struct Args {}

pub fn run(_args: &Args) -> Result<ExitCode, String> {
    for features in [&["--features", "enable"][..], &[][..]] {
        let mut command = cargo();
        command.args(["bench", "--bench", "probe"]).args(features);
        if !status(&mut command)?.success() {
            return Err(
                "the probe benchmark failed; run `cargo bench --bench probe --features enable`"
                    .into(),
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}

//! One profile across processes, in a program of your own: the parent starts itself again as
//! two workers, each writes its profile where `HIPERF_JSON` says, and the parent absorbs them,
//! so that the table printed at exit counts every call, whichever process made it:
//! `cargo run --example worker_processes --features enable` (`count_divisors` shows 3000 calls:
//! 1000 in each worker and 1000 in the parent).

use std::process::Command;

#[hiperf::profile]
fn count_divisors(n: u64) -> u64 {
    let mut divisors = 0;
    for i in 1..=n {
        if n.is_multiple_of(i) {
            divisors += 1;
        }
    }
    divisors
}

fn work(first: u64) -> u64 {
    (first..first + 1000).map(count_divisors).sum()
}

#[hiperf::main]
fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let [_, role, first] = &args[..] {
        if role == "worker" {
            // A worker: its own #[hiperf::main] writes its profile to HIPERF_JSON at exit.
            println!("{}", work(first.parse().expect("a number")));
            return;
        }
    }
    let folder = std::env::temp_dir().join(format!("worker-profiles-{}", std::process::id()));
    std::fs::create_dir_all(&folder).expect("a temporary folder");
    let this = std::env::current_exe().expect("this program");
    let workers: Vec<_> = [1, 1001]
        .iter()
        .enumerate()
        .map(|(index, first)| {
            let profile = folder.join(format!("worker-{index}.json"));
            let child = Command::new(&this)
                .args(["worker", &first.to_string()])
                .env("HIPERF_JSON", &profile) // where the worker saves its profile
                .env("HIPERF_REPORT", "off") // and no table of its own
                .stdout(std::process::Stdio::piped())
                .spawn()
                .expect("a worker");
            (child, profile)
        })
        .collect();
    let mut total = work(2001);
    #[cfg_attr(not(feature = "enable"), allow(unused_variables))]
    for (child, profile) in workers {
        let output = child.wait_with_output().expect("the worker ran");
        total += String::from_utf8_lossy(&output.stdout)
            .trim()
            .parse::<u64>()
            .unwrap_or(0);
        // From now on this process's report includes the worker's calls and lines (the
        // feature-off build has no profile to merge).
        #[cfg(feature = "enable")]
        hiperf::merge::absorb_file(&profile).expect("the worker's profile");
    }
    let _ = std::fs::remove_dir_all(&folder);
    println!("divisors of 1..=3000, summed: {total}");
}

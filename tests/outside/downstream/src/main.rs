//! A program that ends in the ways a profiled program must survive (issue 13 item 7), chosen
//! by its first argument:
//! - `return`: `main` returns;
//! - `exit`: `std::process::exit(3)` after the work;
//! - `wait`: prints `ready` and sleeps until a signal (Ctrl-C, SIGTERM) ends it.
//!
//! With the `profile` feature each way writes hiperf's report once, and the exit status is
//! the one the program has without profiling.

use std::io::Write;

// `#[hiperf::main]` above `#[hiperf::profile]`: an outer attribute over the profiled `main`
// (issue 13 item 5); `main` must be listed with its call and its lines.
#[cfg_attr(feature = "profile", hiperf::main)]
#[cfg_attr(feature = "profile", hiperf::profile)]
fn main() {
    let lines = outside_downstream::wrap("the quick brown fox jumps over the lazy dog", 10);
    let words = outside_annotated::word_count(&lines.join(" "));
    let ending = std::env::args().nth(1).unwrap_or_default();
    println!("{words} words in {} lines", lines.len());
    match ending.as_str() {
        "exit" => std::process::exit(3),
        "wait" => {
            println!("ready");
            std::io::stdout().flush().expect("stdout is open");
            loop {
                std::thread::park();
            }
        }
        _ => {}
    }
}

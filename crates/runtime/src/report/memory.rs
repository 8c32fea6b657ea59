//! The memory table of a `#[memit]` function, shaped like memory_profiler's.

use std::fmt::Write;

use super::{bytes, calls, render_table};
use crate::snapshot::FunctionProfile;

/// Renders one function's memory table, shaped like memory_profiler's, plus the `Peak` and
/// `Allocs` columns.
pub fn render_memory(out: &mut String, function: &FunctionProfile) {
    let _ = writeln!(out, "Filename: {}", function.file);
    let _ = writeln!(
        out,
        "Function: {} at line {}; Mem usage: the calling thread's heap above its level at the outermost call's entry",
        function.name, function.line
    );
    if let Some(memory) = &function.memory {
        if !memory.allocator_installed {
            let _ = writeln!(
                out,
                "hiperf::Alloc is not the global allocator, so heap figures are zero; install it with\n  \
                 #[global_allocator] static ALLOC: hiperf::Alloc = hiperf::Alloc::system();"
            );
        }
        let rss = |value: Option<u64>| value.map_or_else(|| "-".to_string(), |b| bytes(b as f64));
        let _ = writeln!(
            out,
            "Calls: {}; over all calls: peak {} above entry, increment {} (this thread)",
            calls(function),
            bytes(memory.peak_bytes as f64),
            bytes(memory.increment_bytes as f64),
        );
        let _ = writeln!(
            out,
            "Process (every thread): heap {} at first entry, {} at last exit; RSS {} at first entry, {} at last exit",
            bytes(memory.process_heap_entry_bytes as f64),
            bytes(memory.process_heap_exit_bytes as f64),
            rss(memory.rss_entry_bytes),
            rss(memory.rss_exit_bytes),
        );
    }
    out.push('\n');
    let headers = [
        "Line #",
        "Mem usage",
        "Increment",
        "Peak",
        "Allocs",
        "Occurrences",
    ];
    let minimums = [6, 12, 12, 12, 8, 11];
    let rows: Vec<Vec<String>> = function
        .lines
        .iter()
        .map(|line| match (&line.memory, line.probed && line.hits > 0) {
            (Some(memory), true) => vec![
                line.line.to_string(),
                bytes(memory.usage_bytes as f64),
                bytes(memory.increment_bytes as f64),
                bytes(memory.peak_bytes as f64),
                memory.allocations.to_string(),
                line.hits.to_string(),
            ],
            _ => {
                let mut row = vec![String::new(); headers.len()];
                row[0] = line.line.to_string();
                row
            }
        })
        .collect();
    let contents: Vec<&str> = function
        .lines
        .iter()
        .map(|line| line.contents.as_str())
        .collect();
    render_table(out, &headers, &minimums, &rows, &contents, 2);
}

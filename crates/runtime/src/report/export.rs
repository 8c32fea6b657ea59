//! Exports for other tools: folded stacks (flame graphs: inferno, speedscope) and Chrome
//! Trace Event JSON (Perfetto, chrome://tracing). Pure: data in, text out.

use std::fmt::Write;

use serde_json::{Value, json};

use crate::calls::EVENTS_PER_THREAD;
use crate::graph::{TRUNCATED, Timeline, walk};
use crate::snapshot::Profile;

/// Frames a folded stack keeps: the self time of deeper paths is charged to their ancestor
/// at this depth, under a last frame `[deeper calls]`, so that deep recursion gives output
/// that grows with the number of paths, not with their depth squared.
pub const FOLDED_DEPTH: usize = 256;

/// Folded stacks, one line per call path: `outer;inner;leaf SELF_NS`, the format of
/// inferno's and Brendan Gregg's flame graph tools (the count is self time in nanoseconds).
/// Paths deeper than [`FOLDED_DEPTH`] are folded into their ancestor at that depth.
///
/// # Examples
///
/// ```
/// let profile = hiperf_runtime::snapshot::take(Default::default());
/// let folded = hiperf_runtime::report::render_folded(&profile);
/// assert!(folded.lines().all(|line| line.rsplit_once(' ').is_some()));
/// ```
pub fn render_folded(profile: &Profile) -> String {
    let names: Vec<String> = profile
        .functions
        .iter()
        .map(|f| format!("{}::{}", f.module_path, f.name).replace([';', ' '], "_"))
        .collect();
    let name = |index: u32| match index {
        TRUNCATED => "[call tree full]",
        index => names.get(index as usize).map_or("?", String::as_str),
    };
    let paths = &profile.paths;
    let mut out = String::new();
    // Self time of the paths past the depth limit, by their ancestor at the limit.
    let mut deeper: Vec<(u32, f64)> = Vec::new();
    walk(paths, |index, ancestors| {
        let self_ns = paths[index].self_ns;
        if ancestors.len() >= FOLDED_DEPTH {
            let cut = ancestors[FOLDED_DEPTH - 1];
            match deeper.last_mut() {
                Some((last, sum)) if *last == cut => *sum += self_ns,
                _ => deeper.push((cut, self_ns)),
            }
            return;
        }
        let self_ns = self_ns.round() as u64;
        if self_ns == 0 {
            return;
        }
        for &ancestor in ancestors {
            out.push_str(name(paths[ancestor as usize].function));
            out.push(';');
        }
        let _ = writeln!(out, "{} {self_ns}", name(paths[index].function));
    });
    for (cut, self_ns) in deeper {
        let self_ns = self_ns.round() as u64;
        if self_ns == 0 {
            continue;
        }
        let mut frames = Vec::with_capacity(FOLDED_DEPTH);
        let mut at = Some(cut);
        while let Some(step) = at {
            frames.push(name(paths[step as usize].function));
            at = paths[step as usize].parent;
        }
        frames.reverse();
        let _ = writeln!(out, "{};[deeper calls] {self_ns}", frames.join(";"));
    }
    out
}

/// Chrome Trace Event JSON: one complete ("X") event per logged call, one track per thread,
/// times in microseconds from the first logged call. The file says how many calls were not
/// logged (each thread logs its first 65,536 calls).
pub fn render_chrome_trace(profile: &Profile, timeline: &Timeline) -> String {
    let mut events = Vec::new();
    for track in &timeline.tracks {
        events.push(json!({
            "name": "thread_name", "ph": "M", "pid": 1, "tid": track.track,
            "args": { "name": format!("thread {}", track.track) }
        }));
        for event in &track.events {
            let Some(function) = profile.functions.get(event.function as usize) else {
                continue;
            };
            events.push(json!({
                "name": function.name,
                "cat": function.module_path,
                "ph": "X",
                "ts": event.start_ns / 1e3,
                "dur": event.duration_ns / 1e3,
                "pid": 1,
                "tid": track.track,
                "args": { "file": function.file, "line": function.line },
            }));
        }
    }
    let document = json!({
        "traceEvents": Value::Array(events),
        "displayTimeUnit": "ns",
        "otherData": {
            "producer": "hiperf",
            "events_per_thread_cap": EVENTS_PER_THREAD,
            "calls_not_logged": timeline.dropped_events,
        },
    });
    serde_json::to_string(&document).unwrap_or_default()
}

//! The table: one row per case, overheads over each group's baseline, ratios, and hiperf's
//! targets checked. Pure: estimates in, [`Report`] out.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::catalogue::{self, ALLOC_PAIR, Case, PER_CALL, PER_LINE, Role};
use crate::estimates::Median;
use crate::run::RunInfo;

/// The schema of the JSON the table step writes.
pub const SCHEMA: &str = "hiperf.peers/1";

/// hiperf's per-call overhead must be at most this share of the best time-recording peer's.
pub const PER_CALL_SHARE: f64 = 1.0 / 3.0;
/// hiperf's cost per line hit must be at most this many `rdtsc` reads.
pub const PER_LINE_RDTSC: f64 = 1.25;

/// The whole result.
#[derive(Clone, Debug, Serialize)]
pub struct Report {
    /// Always [`SCHEMA`].
    pub schema: &'static str,
    /// The processor.
    pub cpu: String,
    /// Logical processors.
    pub cores: usize,
    /// The compiler, as `rustc --version` prints it.
    pub rustc: String,
    /// Resolved versions of hiperf and the peers.
    pub versions: BTreeMap<String, String>,
    /// The bench run these figures come from.
    pub run: RunInfo,
    /// The three groups, in order.
    pub groups: Vec<Group>,
    /// hiperf's targets, checked.
    pub targets: Vec<Target>,
    /// Peers left out, with the reason.
    pub excluded: Vec<Excluded>,
    /// How to read the figures.
    pub notes: Vec<String>,
}

/// One group of rows sharing a baseline and a unit.
#[derive(Clone, Debug, Serialize)]
pub struct Group {
    /// Criterion group name.
    pub name: &'static str,
    /// What one figure is.
    pub unit: &'static str,
    /// What the ratio column divides by.
    pub ratio_basis: String,
    /// The rows, in catalogue order.
    pub rows: Vec<Row>,
}

/// One case.
#[derive(Clone, Debug, Serialize)]
pub struct Row {
    /// Criterion id.
    pub id: &'static str,
    /// The tool.
    pub tool: &'static str,
    /// What was measured.
    pub label: &'static str,
    /// Its part in the group.
    pub role: Role,
    /// `"measured"`, `"not built"` (behind a feature that was off), `"not run"` or `"stale"`.
    pub status: &'static str,
    /// The cargo feature it waits behind, if any.
    pub feature: Option<&'static str>,
    /// Criterion's median per iteration, in nanoseconds (per call, per loop call, per clock
    /// read, per alloc+free pair).
    pub median: Option<Median>,
    /// The figure of the row in the group's unit, in nanoseconds (for hiperf's per-line row:
    /// the overhead per line hit).
    pub ns: Option<f64>,
    /// `ns` minus the baseline's, in nanoseconds.
    pub overhead_ns: Option<f64>,
    /// The group's ratio (see [`Group::ratio_basis`]).
    pub ratio: Option<f64>,
}

/// One of hiperf's targets.
#[derive(Clone, Debug, Serialize)]
pub struct Target {
    /// What is required.
    pub name: String,
    /// hiperf's figure, in nanoseconds.
    pub hiperf_ns: Option<f64>,
    /// The largest figure that meets the target, in nanoseconds.
    pub bound_ns: Option<f64>,
    /// `"met"`, `"within noise"` (over the bound, but the confidence intervals overlap),
    /// `"missed"`, or `"not measured"`.
    pub verdict: &'static str,
    /// The figures behind the verdict, in words.
    pub detail: String,
}

/// A peer that was left out.
#[derive(Clone, Debug, Serialize)]
pub struct Excluded {
    /// The peer.
    pub tool: String,
    /// Why.
    pub reason: String,
}

/// What the table step knows about one case.
#[derive(Clone, Copy, Debug)]
pub enum Measurement {
    /// Its fresh median.
    Measured(Median),
    /// Not compiled into the bench (feature off).
    NotBuilt,
    /// Compiled in but without fresh estimates (filtered out, or failed).
    NotRun,
    /// Only estimates from an earlier run.
    Stale,
}

/// Builds the report from the measurement of every catalogue case (looked up by `group/id`).
pub fn build(
    run: RunInfo,
    measurements: &BTreeMap<String, Measurement>,
    rustc: String,
    versions: BTreeMap<String, String>,
) -> Report {
    let lookup = |case: &Case| -> Measurement {
        measurements
            .get(&format!("{}/{}", case.group, case.id))
            .copied()
            .unwrap_or(Measurement::NotRun)
    };
    let median = |case: &Case| match lookup(case) {
        Measurement::Measured(median) => Some(median),
        _ => None,
    };

    let per_call = per_call_group(&lookup);
    let per_line = per_line_group(&lookup, &run);
    let alloc = alloc_group(&lookup);

    let targets = vec![
        per_call_target(&per_call),
        per_line_target(&per_line, &run, &median),
        alloc_target(&alloc, &median),
    ];

    let excluded = catalogue::EXCLUDED
        .iter()
        .map(|(tool, reason)| Excluded {
            tool: (*tool).to_owned(),
            reason: (*reason).to_owned(),
        })
        .collect();

    let notes = notes(&run);
    Report {
        schema: SCHEMA,
        cpu: run.cpu.clone(),
        cores: run.cores,
        rustc,
        versions,
        run,
        groups: vec![per_call, per_line, alloc],
        targets,
        excluded,
        notes,
    }
}

fn row(case: &Case, measurement: Measurement) -> Row {
    let (status, median) = match measurement {
        Measurement::Measured(median) => ("measured", Some(median)),
        Measurement::NotBuilt => ("not built", None),
        Measurement::NotRun => ("not run", None),
        Measurement::Stale => ("stale", None),
    };
    Row {
        id: case.id,
        tool: case.tool,
        label: case.label,
        role: case.role,
        status,
        feature: case.feature,
        median,
        ns: median.map(|median| median.ns),
        overhead_ns: None,
        ratio: None,
    }
}

fn cases(group: &str) -> impl Iterator<Item = &'static Case> + '_ {
    catalogue::ALL
        .iter()
        .filter(move |case| case.group == group)
}

fn baseline_ns(rows: &[Row]) -> Option<f64> {
    rows.iter()
        .find(|row| row.role == Role::Baseline)
        .and_then(|row| row.ns)
}

fn per_call_group(lookup: &dyn Fn(&Case) -> Measurement) -> Group {
    let mut rows: Vec<Row> = cases(PER_CALL)
        .map(|case| row(case, lookup(case)))
        .collect();
    let baseline = baseline_ns(&rows);
    for row in &mut rows {
        if row.role != Role::Baseline {
            row.overhead_ns = row.ns.zip(baseline).map(|(ns, baseline)| ns - baseline);
        }
    }
    let best = best_time_peer(&rows);
    for row in &mut rows {
        if row.role != Role::Baseline {
            row.ratio = row
                .overhead_ns
                .zip(best.map(|(_, overhead)| overhead))
                .map(|(ns, best)| ns / best);
        }
    }
    let ratio_basis = match best {
        Some((label, overhead)) => {
            format!(
                "overhead ÷ the best per-call-time-recording peer's overhead ({label}: {overhead:.1} ns)"
            )
        }
        None => {
            "overhead ÷ the best per-call-time-recording peer's overhead (none measured)".to_owned()
        }
    };
    Group {
        name: PER_CALL,
        unit: "ns per call",
        ratio_basis,
        rows,
    }
}

/// The peer that records a time per call with the smallest overhead.
fn best_time_peer(rows: &[Row]) -> Option<(&'static str, f64)> {
    rows.iter()
        .filter(|row| row.role == Role::Peer { records_time: true })
        .filter_map(|row| row.overhead_ns.map(|overhead| (row.label, overhead)))
        .min_by(|a, b| a.1.total_cmp(&b.1))
}

fn hits_per_call(case: &Case, run: &RunInfo) -> Option<f64> {
    if case.id == catalogue::LINE_MEMIT.id {
        run.memit_loop_hits_per_call
    } else {
        Some(run.profile_loop_hits_per_call)
    }
}

fn per_line_group(lookup: &dyn Fn(&Case) -> Measurement, run: &RunInfo) -> Group {
    let mut rows: Vec<Row> = cases(PER_LINE)
        .map(|case| row(case, lookup(case)))
        .collect();
    let baseline = baseline_ns(&rows);
    let rdtsc = rows
        .iter()
        .find(|row| row.id == catalogue::LINE_RDTSC.id)
        .and_then(|row| row.ns);
    for (row, case) in rows.iter_mut().zip(cases(PER_LINE)) {
        if row.role == Role::Hiperf {
            // The loop's extra time spread over its line hits: the probe's cost per line hit.
            let per_hit = row
                .ns
                .zip(baseline)
                .zip(hits_per_call(case, run))
                .map(|((ns, baseline), hits)| (ns - baseline) / hits);
            row.ns = per_hit;
            row.overhead_ns = per_hit;
        }
        if matches!(row.role, Role::Hiperf | Role::Floor) {
            row.ratio = row.ns.zip(rdtsc).map(|(ns, rdtsc)| ns / rdtsc);
        }
    }
    let ratio_basis = match rdtsc {
        Some(rdtsc) => format!("÷ one `rdtsc` ({rdtsc:.2} ns)"),
        None => "÷ one `rdtsc` (not measured)".to_owned(),
    };
    Group {
        name: PER_LINE,
        unit: "ns per line hit (loop rows: ns per call; clock rows: ns per read)",
        ratio_basis,
        rows,
    }
}

fn alloc_group(lookup: &dyn Fn(&Case) -> Measurement) -> Group {
    let mut rows: Vec<Row> = cases(ALLOC_PAIR)
        .map(|case| row(case, lookup(case)))
        .collect();
    let baseline = baseline_ns(&rows);
    let best = best_alloc_peer(&rows);
    for row in &mut rows {
        if row.role != Role::Baseline {
            row.overhead_ns = row.ns.zip(baseline).map(|(ns, baseline)| ns - baseline);
        }
        row.ratio = row
            .ns
            .zip(best.map(|(_, ns)| ns))
            .map(|(ns, best)| ns / best);
    }
    let ratio_basis = match best {
        Some((label, ns)) => format!("÷ the best peer's ns per pair ({label}: {ns:.2} ns)"),
        None => "÷ the best peer's ns per pair (none measured)".to_owned(),
    };
    Group {
        name: ALLOC_PAIR,
        unit: "ns per alloc+free pair",
        ratio_basis,
        rows,
    }
}

fn best_alloc_peer(rows: &[Row]) -> Option<(&'static str, f64)> {
    rows.iter()
        .filter(|row| matches!(row.role, Role::Peer { .. }))
        .filter_map(|row| row.ns.map(|ns| (row.label, ns)))
        .min_by(|a, b| a.1.total_cmp(&b.1))
}

fn hiperf_row<'a>(group: &'a Group, id: &str) -> Option<&'a Row> {
    group.rows.iter().find(|row| row.id == id)
}

fn not_measured(name: String, why: &str) -> Target {
    Target {
        name,
        hiperf_ns: None,
        bound_ns: None,
        verdict: "not measured",
        detail: why.to_owned(),
    }
}

fn per_call_target(group: &Group) -> Target {
    let name =
        "hiperf per-call overhead ≤ 1/3 of the best per-call-time-recording peer's".to_owned();
    let hiperf = hiperf_row(group, catalogue::CALL_HIPERF.id).and_then(|row| row.overhead_ns);
    let Some(hiperf) = hiperf else {
        return not_measured(name, "hiperf's per-call case has no fresh result");
    };
    let Some((peer, peer_overhead)) = best_time_peer(&group.rows) else {
        return not_measured(name, "no time-recording peer has a fresh result");
    };
    let bound = peer_overhead * PER_CALL_SHARE;
    let verdict = if hiperf <= bound { "met" } else { "missed" };
    let detail = format!(
        "hiperf +{hiperf:.1} ns per call; best peer {peer} +{peer_overhead:.1} ns, a third of it {bound:.1} ns \
         (hiperf = {:.2}× the best peer's overhead)",
        hiperf / peer_overhead
    );
    Target {
        name,
        hiperf_ns: Some(hiperf),
        bound_ns: Some(bound),
        verdict,
        detail,
    }
}

fn per_line_target(
    group: &Group,
    run: &RunInfo,
    median: &dyn Fn(&Case) -> Option<Median>,
) -> Target {
    let name = "hiperf per line hit ≤ 1.25× one `rdtsc`".to_owned();
    let hiperf = hiperf_row(group, catalogue::LINE_HIPERF.id).and_then(|row| row.ns);
    let Some(hiperf) = hiperf else {
        return not_measured(name, "the `#[profile]` loop has no fresh result");
    };
    let Some(rdtsc) = median(&catalogue::LINE_RDTSC) else {
        return not_measured(name, "the `rdtsc` floor has no fresh result");
    };
    let bound = rdtsc.ns * PER_LINE_RDTSC;
    let verdict = if hiperf <= bound { "met" } else { "missed" };
    let detail = format!(
        "hiperf {hiperf:.2} ns per line hit ({:.0} hits per call of the {}-iteration loop); one rdtsc {:.2} ns, \
         1.25× = {bound:.2} ns (hiperf = {:.2}× rdtsc)",
        run.profile_loop_hits_per_call,
        run.loop_iterations,
        rdtsc.ns,
        hiperf / rdtsc.ns
    );
    Target {
        name,
        hiperf_ns: Some(hiperf),
        bound_ns: Some(bound),
        verdict,
        detail,
    }
}

fn alloc_target(group: &Group, median: &dyn Fn(&Case) -> Option<Median>) -> Target {
    let name =
        "hiperf allocator no slower than the best peer's (ns per alloc+free pair)".to_owned();
    let Some(hiperf) = median(&catalogue::ALLOC_HIPERF) else {
        return not_measured(
            name,
            "`hiperf::Alloc` not benchmarked (build with `--features hiperf-alloc` once it exists)",
        );
    };
    let best = group
        .rows
        .iter()
        .filter(|row| matches!(row.role, Role::Peer { .. }))
        .filter_map(|row| row.median.map(|median| (row.label, median)))
        .min_by(|a, b| a.1.ns.total_cmp(&b.1.ns));
    let Some((peer, peer_median)) = best else {
        return not_measured(name, "no peer allocator has a fresh result");
    };
    let verdict = if hiperf.ns <= peer_median.ns {
        "met"
    } else if hiperf.overlaps(&peer_median) {
        "within noise"
    } else {
        "missed"
    };
    let detail = format!(
        "hiperf {:.2} ns [{:.2}, {:.2}]; best peer {peer} {:.2} ns [{:.2}, {:.2}] (medians with criterion's 95% interval)",
        hiperf.ns,
        hiperf.low_ns,
        hiperf.high_ns,
        peer_median.ns,
        peer_median.low_ns,
        peer_median.high_ns
    );
    Target {
        name,
        hiperf_ns: Some(hiperf.ns),
        bound_ns: Some(peer_median.ns),
        verdict,
        detail,
    }
}

fn notes(run: &RunInfo) -> Vec<String> {
    let mut notes = vec![
        "Medians of criterion's per-iteration estimates, all cases in one bench process on this machine; \
         each case calls one `#[inline(never)]` function (or allocator) through the same loop."
            .to_owned(),
        format!(
            "Per call: the body is `black_box(x).wrapping_mul(K).rotate_left(17)`. puffin's `new_frame()` and \
             firestorm's `clear()` run every {} calls inside the timed loop (their buffers grow without them); \
             their cost is part of the figure.",
            run.flush_every_calls
        ),
        "A \"records per-call time\" peer keeps a duration (or timestamps) for every call: hotpath, puffin with \
         scopes on, tracy, coarse-prof, firestorm. tracing + bare registry keeps spans but no time, puffin with \
         scopes off and tracing without a subscriber record nothing; they are shown for scale only."
            .to_owned(),
        format!(
            "Per line: `for i in 0..{n} {{ acc = acc.wrapping_add(black_box(i)); }}`; hiperf's figure is \
             (profiled − bare) ÷ line hits per call ({hits:.0} for `#[profile]`{memit}, counted by hiperf \
             itself), so it includes the frame's entry and exit spread over the hits. The clock rows time one \
             read each, loop included.",
            n = run.loop_iterations,
            hits = run.profile_loop_hits_per_call,
            memit = run.memit_loop_hits_per_call.map_or_else(String::new, |hits| format!(", {hits:.0} for `#[memit]`")),
        ),
        "Allocator: each wrapper is called directly through `GlobalAlloc` on a static instance, with layouts \
         of 64..=71 bytes in turn; one pair = `alloc` + `dealloc`."
            .to_owned(),
    ];
    match run.other_cpu_cores {
        Some(cores) => notes.push(format!(
            "Other processes used {cores:.2} of the {} cores on average during the run; on this machine anything \
             else running inflates every figure.",
            run.cores
        )),
        None => notes.push("The CPU use of other processes during the run is unknown.".to_owned()),
    }
    notes.extend(run.notes.iter().cloned());
    notes
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run() -> RunInfo {
        RunInfo {
            schema: crate::run::SCHEMA.to_owned(),
            started_unix_s: 0.0,
            loop_iterations: 1000,
            profile_loop_hits_per_call: 2000.0,
            memit_loop_hits_per_call: None,
            cases: Vec::new(),
            features: Vec::new(),
            flush_every_calls: 4096,
            tsc_ticks_per_ns: 3.0,
            cpu: "test".to_owned(),
            cores: 2,
            other_cpu_cores: Some(0.0),
            notes: Vec::new(),
        }
    }

    fn measured(ns: f64) -> Measurement {
        Measurement::Measured(Median {
            ns,
            low_ns: ns - 0.1,
            high_ns: ns + 0.1,
        })
    }

    fn key(case: &Case) -> String {
        format!("{}/{}", case.group, case.id)
    }

    fn report(pairs: &[(&Case, Measurement)]) -> Report {
        let measurements = pairs
            .iter()
            .map(|(case, measurement)| (key(case), *measurement))
            .collect();
        build(run(), &measurements, "rustc".to_owned(), BTreeMap::new())
    }

    #[test]
    fn per_call_target_compares_overheads_with_the_best_time_recording_peer() {
        let report = report(&[
            (&catalogue::CALL_BARE, measured(2.0)),
            (&catalogue::CALL_HIPERF, measured(20.0)),
            (&catalogue::CALL_TRACY, measured(62.0)),
            (&catalogue::CALL_HOTPATH, measured(92.0)),
            // Cheaper, but records no time: not the reference.
            (&catalogue::CALL_PUFFIN_OFF, measured(3.0)),
        ]);
        let target = &report.targets[0];
        assert_eq!(target.bound_ns, Some(20.0));
        assert_eq!(target.hiperf_ns, Some(18.0));
        assert_eq!(target.verdict, "met");
        let hiperf = report.groups[0]
            .rows
            .iter()
            .find(|row| row.id == "hiperf_profile")
            .unwrap();
        assert!((hiperf.ratio.unwrap() - 0.3).abs() < 1e-9);
    }

    #[test]
    fn per_line_figure_is_the_extra_time_per_hit() {
        let report = report(&[
            (&catalogue::LINE_BARE, measured(500.0)),
            (&catalogue::LINE_HIPERF, measured(24_500.0)),
            (&catalogue::LINE_RDTSC, measured(10.0)),
        ]);
        let hiperf = report.groups[1]
            .rows
            .iter()
            .find(|row| row.id == "hiperf_profile_loop")
            .unwrap();
        assert_eq!(hiperf.ns, Some(12.0));
        assert_eq!(report.targets[1].verdict, "met");
        assert_eq!(report.targets[1].bound_ns, Some(12.5));
    }

    #[test]
    fn allocator_within_the_peers_noise_is_not_a_miss() {
        let report = report(&[
            (&catalogue::ALLOC_SYSTEM, measured(11.0)),
            (&catalogue::ALLOC_DIVAN, measured(11.0)),
            (&catalogue::ALLOC_HIPERF, measured(11.15)),
        ]);
        assert_eq!(report.targets[2].verdict, "within noise");
    }

    #[test]
    fn an_unbuilt_allocator_is_not_measured() {
        let report = report(&[
            (&catalogue::ALLOC_SYSTEM, measured(11.0)),
            (&catalogue::ALLOC_HIPERF, Measurement::NotBuilt),
        ]);
        assert_eq!(report.targets[2].verdict, "not measured");
        let hiperf = report.groups[2]
            .rows
            .iter()
            .find(|row| row.id == "hiperf")
            .unwrap();
        assert_eq!(hiperf.status, "not built");
    }
}

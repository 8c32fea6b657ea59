//! The report as Markdown: one table, the targets, the exclusions and the notes. Pure.

use std::fmt::Write;

use crate::catalogue::{PER_CALL, Role};
use crate::table::{Report, Row};

/// Other processes' average CPU use above which the report warns that the machine was shared.
const SHARED_MACHINE_CORES: f64 = 0.1;

/// Renders the whole report.
pub fn markdown(report: &Report) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "# hiperf against the peer Rust profilers\n");
    let _ = writeln!(
        out,
        "{} ({} logical cores), {}. Schema `{}`.\n",
        report.cpu, report.cores, report.rustc, report.schema
    );
    if let Some(cores) = report
        .run
        .other_cpu_cores
        .filter(|cores| *cores > SHARED_MACHINE_CORES)
    {
        let _ = writeln!(
            out,
            "> **Shared machine**: other processes used {cores:.2} cores on average during the run; the figures \
             are inflated and noisy. Re-run on an idle machine.\n"
        );
    }
    out.push_str(&table(report));
    out.push('\n');
    let _ = writeln!(out, "## Targets\n");
    for target in &report.targets {
        let _ = writeln!(
            out,
            "- **{}** — {}: {}",
            target.verdict.to_uppercase(),
            target.name,
            target.detail
        );
    }
    out.push('\n');
    let _ = writeln!(out, "## Peers left out\n");
    if report.excluded.is_empty() {
        let _ = writeln!(out, "None: every peer built and ran.");
    }
    for excluded in &report.excluded {
        let _ = writeln!(out, "- {}: {}", excluded.tool, excluded.reason);
    }
    let waiting: Vec<&Row> = report
        .groups
        .iter()
        .flat_map(|group| &group.rows)
        .filter(|row| row.status == "not built" && row.role == Role::Hiperf)
        .collect();
    if !waiting.is_empty() {
        let _ = writeln!(out, "\n## Waiting behind a feature\n");
        for row in waiting {
            let _ = writeln!(
                out,
                "- {} (`--features {}`)",
                row.label,
                row.feature.unwrap_or("?")
            );
        }
    }
    let _ = writeln!(out, "\n## Versions\n");
    let versions: Vec<String> = report
        .versions
        .iter()
        .map(|(name, version)| format!("{name} {version}"))
        .collect();
    let _ = writeln!(out, "{}", versions.join(", "));
    let _ = writeln!(out, "\n## Notes\n");
    for note in &report.notes {
        let _ = writeln!(out, "- {note}");
    }
    out
}

/// The table alone: a header row per group, then its rows.
pub fn table(report: &Report) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "| tool (config) | ns | overhead (ns) | ratio | records per-call time |"
    );
    let _ = writeln!(out, "|---|---:|---:|---:|---|");
    for group in &report.groups {
        let _ = writeln!(
            out,
            "| **{}** — {}; ratio = {} | | | | |",
            group.name, group.unit, group.ratio_basis
        );
        // A peer configuration this build left out (hotpath has two) is not a row; hiperf's
        // cases that wait behind a feature stay visible.
        for row in group
            .rows
            .iter()
            .filter(|row| row.status != "not built" || row.role == Role::Hiperf)
        {
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} | {} |",
                label(row),
                figure(row.ns, 2, row.status),
                signed(row.overhead_ns),
                ratio(row.ratio),
                records(group.name, row.role)
            );
        }
    }
    out
}

fn label(row: &Row) -> String {
    match row.role {
        Role::Hiperf => format!("**{}**", row.label),
        _ => row.label.to_owned(),
    }
}

fn figure(value: Option<f64>, decimals: usize, status: &str) -> String {
    match value {
        Some(value) => format!("{value:.decimals$}"),
        None => status.to_owned(),
    }
}

fn signed(value: Option<f64>) -> String {
    value.map_or_else(|| "—".to_owned(), |value| format!("{value:+.2}"))
}

fn ratio(value: Option<f64>) -> String {
    value.map_or_else(|| "—".to_owned(), |value| format!("{value:.2}×"))
}

fn records(group: &str, role: Role) -> &'static str {
    if group != PER_CALL {
        return "—";
    }
    match role {
        Role::Peer { records_time: true } => "yes",
        Role::Peer {
            records_time: false,
        } => "no",
        Role::Hiperf => "yes (per line)",
        Role::Baseline | Role::Floor => "—",
    }
}

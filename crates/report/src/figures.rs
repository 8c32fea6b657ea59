//! The figures a workload measured beside its timed region ([`Figure`]): one table per
//! ladder in each renderer, and in the HTML two charts, bytes per variant (what each
//! structure holds) and estimate against the exact count (the probabilistic structures).
//! Pure: data in, text out.
//!
//! ```
//! use hiperf_report::figures::names;
//! use hiperf_report::model::RunReport;
//!
//! assert!(names(&[]).is_empty());
//! let _ = RunReport::new("quick", 1);
//! ```

use std::fmt::Write;

use crate::html::escape;
use crate::model::{Figure, WorkloadResult};
use crate::svg::{self, Bar, BarKind};

/// The figure names chapter 11's text containers record, which the Python comparison
/// (`cargo xtask report --vs-python`) reads back: one definition for both.
pub mod containers {
    /// The heap the built container holds, in bytes.
    pub const HELD: &str = "held bytes";
    /// `HELD` over the word list's tokens.
    pub const PER_WORD: &str = "bytes per word";
    /// Seconds for 100,000 lookups.
    pub const LOOKUPS: &str = "100,000 lookups";
}

/// The figure whose value each estimate is drawn against.
pub const EXACT: &str = "exact";
/// The figure drawn against [`EXACT`].
pub const ESTIMATE: &str = "estimate";

/// The figure names of `variants` with their units, in the order they first appear.
pub fn names(variants: &[&WorkloadResult]) -> Vec<(String, String)> {
    let mut names: Vec<(String, String)> = Vec::new();
    for figure in variants.iter().flat_map(|w| &w.figures) {
        if !names.iter().any(|(name, _)| *name == figure.name) {
            names.push((figure.name.clone(), figure.unit.clone()));
        }
    }
    names
}

/// Rows of cells: a header (`variant` then the figure names), then one row per variant.
fn rows(variants: &[&WorkloadResult]) -> Option<Vec<Vec<String>>> {
    let names = names(variants);
    if names.is_empty() {
        return None;
    }
    let mut rows = vec![
        std::iter::once("variant".to_string())
            .chain(names.iter().map(|(name, _)| name.clone()))
            .collect::<Vec<_>>(),
    ];
    for workload in variants {
        let mut row = vec![workload.variant.clone()];
        row.extend(names.iter().map(|(name, _)| {
            workload
                .figure(name)
                .map_or_else(|| "-".to_string(), Figure::display)
        }));
        rows.push(row);
    }
    Some(rows)
}

/// A plain-text table of the ladder's figures, empty when it recorded none.
pub fn render_text(ladder_id: &str, variants: &[&WorkloadResult]) -> String {
    let Some(rows) = rows(variants) else {
        return String::new();
    };
    let mut widths = vec![0; rows[0].len()];
    for row in &rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    let mut out = format!("{ladder_id}, measured beside the timed region:\n");
    for (index, row) in rows.iter().enumerate() {
        let mut line = String::new();
        for (column, (cell, width)) in row.iter().zip(&widths).enumerate() {
            if column == 0 {
                let _ = write!(line, "  {cell:<width$}");
            } else {
                let _ = write!(line, "  {cell:>width$}");
            }
        }
        let _ = writeln!(out, "{}", line.trim_end());
        if index == 0 {
            let _ = writeln!(out, "  {}", "-".repeat(line.trim().chars().count()));
        }
    }
    out
}

/// A Markdown table of the ladder's figures, empty when it recorded none.
pub fn render_markdown(variants: &[&WorkloadResult]) -> String {
    let Some(rows) = rows(variants) else {
        return String::new();
    };
    let mut out = String::from("Measured beside the timed region:\n\n");
    for (index, row) in rows.iter().enumerate() {
        let cells: Vec<String> = row
            .iter()
            .enumerate()
            .map(|(column, cell)| {
                let cell = cell.replace('|', "\\|");
                if index > 0 && column == 0 {
                    format!("`{cell}`")
                } else {
                    cell
                }
            })
            .collect();
        let _ = writeln!(out, "| {} |", cells.join(" | "));
        if index == 0 {
            let align: Vec<&str> = (0..row.len())
                .map(|column| if column == 0 { "---" } else { "--:" })
                .collect();
            let _ = writeln!(out, "|{}|", align.join("|"));
        }
    }
    out.push('\n');
    out
}

/// The HTML table and charts of the ladder's figures, empty when it recorded none.
pub fn render_html(ladder_id: &str, variants: &[&WorkloadResult]) -> String {
    let Some(rows) = rows(variants) else {
        return String::new();
    };
    let mut out = String::new();
    out.push_str("<h4>Measured beside the timed region</h4>\n");
    for (name, unit) in names(variants) {
        if unit == "bytes"
            && !name.contains(" per ")
            && let Some(chart) = bytes_chart(ladder_id, &name, variants)
        {
            out.push_str(&chart);
        }
    }
    if let Some(chart) = estimate_chart(ladder_id, variants) {
        out.push_str(&chart);
    }
    let _ = write!(
        out,
        "<table class=\"figures\">\n<caption>{} figures (median over the runs)</caption>\n<thead><tr>",
        escape(ladder_id)
    );
    for (column, cell) in rows[0].iter().enumerate() {
        let class = if column == 0 { "" } else { " class=\"num\"" };
        let _ = write!(out, "<th scope=\"col\"{class}>{}</th>", escape(cell));
    }
    out.push_str("</tr></thead>\n<tbody>\n");
    for row in &rows[1..] {
        let _ = write!(
            out,
            "<tr><th scope=\"row\"><code>{}</code></th>",
            escape(&row[0])
        );
        for cell in &row[1..] {
            let _ = write!(out, "<td class=\"num\">{}</td>", escape(cell));
        }
        out.push_str("</tr>\n");
    }
    out.push_str("</tbody>\n</table>\n");
    out
}

fn kind(workload: &WorkloadResult) -> BarKind {
    if !workload.check.passed {
        BarKind::Failed
    } else if workload.rank == 0 {
        BarKind::Naive
    } else {
        BarKind::Variant
    }
}

/// Bars of the bytes figure `name` per variant, with each as a share of the naive variant's.
fn bytes_chart(ladder_id: &str, name: &str, variants: &[&WorkloadResult]) -> Option<String> {
    let naive = variants
        .iter()
        .find(|w| w.rank == 0)
        .and_then(|w| w.figure(name))
        .map(|f| f.value);
    let bars: Vec<Bar> = variants
        .iter()
        .filter_map(|workload| {
            let figure = workload.figure(name)?;
            let share = naive
                .filter(|n| *n > 0.0)
                .map_or_else(String::new, |n| share_of_naive(figure.value / n));
            Some(Bar {
                label: workload.variant.clone(),
                value: figure.value,
                low: None,
                high: None,
                annotation: format!("{}{share}", figure.display()),
                title: format!("{}: {name} {}{share}", workload.id, figure.display()),
                kind: kind(workload),
            })
        })
        .collect();
    if bars.is_empty() {
        return None;
    }
    let title = format!("{ladder_id}: {name} per variant");
    Some(format!(
        "<figure>\n{}\n<figcaption>{} per variant, exact from the counting allocator (bytes \
         requested; linear axis from zero), and as a share of the naive variant's.</figcaption>\n</figure>\n",
        svg::bar_chart(&title, &bars, hiperf_runtime::report::bytes),
        escape(&capitalised(name))
    ))
}

/// Each variant's estimate against the exact count, drawn as a first bar; estimates beyond
/// twice the exact count are cut at the axis's end and say so.
fn estimate_chart(ladder_id: &str, variants: &[&WorkloadResult]) -> Option<String> {
    let exact = variants.iter().find_map(|w| w.figure(EXACT))?.value;
    if exact <= 0.0 {
        return None;
    }
    let limit = 2.0 * exact;
    let count = |value: f64| Figure {
        name: String::new(),
        value,
        unit: "count".to_string(),
    };
    let mut bars = vec![Bar {
        label: EXACT.to_string(),
        value: exact,
        low: None,
        high: None,
        annotation: count(exact).display(),
        title: format!("the exact count, {}", count(exact).display()),
        kind: BarKind::Naive,
    }];
    for workload in variants {
        let Some(estimate) = workload.figure(ESTIMATE) else {
            continue;
        };
        let error = estimate.value / exact - 1.0;
        let clipped = if estimate.value > limit {
            ", beyond the axis"
        } else {
            ""
        };
        bars.push(Bar {
            label: workload.variant.clone(),
            value: estimate.value.min(limit),
            low: None,
            high: None,
            annotation: format!("{} ({:+.1}%){clipped}", estimate.display(), error * 100.0),
            title: format!(
                "{}: estimate {} against {}, {:+.2}%",
                workload.id,
                estimate.display(),
                count(exact).display(),
                error * 100.0
            ),
            kind: if workload.check.passed {
                BarKind::Variant
            } else {
                BarKind::Failed
            },
        });
    }
    if bars.len() < 2 {
        return None;
    }
    let title = format!("{ladder_id}: estimate against the exact count");
    Some(format!(
        "<figure>\n{}\n<figcaption>Each variant's estimate against the exact count (first bar), \
         with its error; the axis ends at twice the exact count.</figcaption>\n</figure>\n",
        svg::bar_chart(&title, &bars, |value| format!("{value:.0}"))
    ))
}

/// `, 0.300x naive`, or for shares below a thousandth `, 1/26149 of naive` (0 stays `0x`).
fn share_of_naive(share: f64) -> String {
    if share > 0.0 && share < 0.001 {
        format!(", 1/{:.0} of naive", 1.0 / share)
    } else {
        format!(", {share:.3}x naive")
    }
}

fn capitalised(text: &str) -> String {
    let mut characters = text.chars();
    characters.next().map_or_else(String::new, |first| {
        first.to_uppercase().chain(characters).collect()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn figures_display_in_their_units() {
        let figure = |value: f64, unit: &str| Figure {
            name: "x".into(),
            value,
            unit: unit.into(),
        };
        assert_eq!(figure(80977.0, "count").display(), "80977");
        assert_eq!(figure(2048.0, "bytes").display(), "2.000 KiB");
        assert_eq!(figure(57.5, "bytes").display(), "57.5 B");
        assert_eq!(figure(3.0, "bytes").display(), "3 B");
        assert_eq!(figure(87381.33, "count").display(), "87381.3");
        assert_eq!(figure(0.25, "seconds").display(), "250.00 ms");
        assert_eq!(figure(35.03e-6, "seconds").display(), "35.03 µs");
        assert_eq!(figure(51.343, "seconds").display(), "51.343 s");
    }

    #[test]
    fn tiny_shares_of_the_naive_bytes_read_as_fractions() {
        assert_eq!(share_of_naive(0.3), ", 0.300x naive");
        assert_eq!(share_of_naive(144.0 / 3_765_000.0), ", 1/26146 of naive");
        assert_eq!(share_of_naive(0.0), ", 0.000x naive");
    }
}

//! The report of a runner session: what ran, how fast, whether each check passed, and the
//! line tables of the profiled run. [`model`] is the data (JSON schema `hiperf.report/1`);
//! the renderers are pure functions from it to text: [`text`] for the terminal, [`markdown`]
//! and [`html`] (one self-contained page with inline SVG charts, see [`svg`]) for files.
//! [`python`] holds the `--vs-python` measurements and [`supplement`] what a page adds to a
//! report (date, Python comparison).
//!
//! ```
//! use hiperf_report::model::RunReport;
//!
//! let report = RunReport::new("quick", 3);
//! let text = hiperf_report::text::render_summary(&report);
//! assert!(text.contains("workload"));
//! let page = hiperf_report::html::render(&report);
//! assert!(page.contains("<h1>hiperf report</h1>"));
//! ```

pub mod figures;
pub mod html;
pub mod ladder;
pub mod markdown;
pub mod model;
pub mod python;
pub mod supplement;
pub mod svg;
pub mod text;

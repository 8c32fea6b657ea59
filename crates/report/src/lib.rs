//! The report of a runner session: what ran, how fast, whether each check passed, and the
//! line tables of the profiled run. [`model`] is the data (JSON schema `hiperf.report/1`);
//! the renderers are pure functions from it to text.
//!
//! ```
//! use hiperf_report::model::RunReport;
//!
//! let report = RunReport::new("quick", 3);
//! let text = hiperf_report::text::render_summary(&report);
//! assert!(text.contains("workload"));
//! ```

pub mod html;
pub mod ladder;
pub mod markdown;
pub mod model;
pub mod python;
pub mod supplement;
pub mod svg;
pub mod text;

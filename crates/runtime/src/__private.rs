//! Names the generated code uses. Not public API: no stability promise.

pub use core::any::type_name_of_val;
pub use core::option::Option;
pub use core::{file, module_path};
pub use std::thread_local;

pub use inventory;

pub use crate::budget::{Budget, BudgetStart, Figure as BudgetFigure, Relation as BudgetRelation};
pub use crate::future::{AsyncCall, AsyncFrame};
pub use crate::lines::BlockCell;
pub use crate::memit::MemitStart;
pub use crate::probe::{Frame, MarkIter, MemoryFrame, Probe, TimeFrame, TimeMemoryFrame};
pub use crate::registry::{Measures, Site, SiteInfo, SiteRef};

/// What `#[hiperf::main]` puts at the top of `main`. It arms the exit hook, which writes the
/// report once `main` has returned, so that a profiled `main` (`#[hiperf::main]` over
/// `#[hiperf::profile]`) has completed its own call when the report is taken. Where there is
/// no exit hook (not Unix), it writes the report when dropped, like the public guard.
#[derive(Debug)]
pub struct ReportGuard {
    _private: (),
}

impl ReportGuard {
    /// Arms the report at exit and on signals.
    #[allow(clippy::new_without_default, reason = "only generated code makes one")]
    pub fn new() -> Self {
        crate::exit::arm();
        ReportGuard { _private: () }
    }
}

impl Drop for ReportGuard {
    fn drop(&mut self) {
        if !cfg!(unix) {
            crate::exit::report_once();
        }
    }
}

/// Declares an annotated function's site, its per-thread block cell, and registers the site.
///
/// Written as `macro_rules!` so that the `unsafe` inside `inventory::submit!` comes from an
/// external macro: a user crate with `#![forbid(unsafe_code)]` still compiles.
#[doc(hidden)]
#[macro_export]
macro_rules! __hiperf_site {
    ($site:ident, $cell:ident, $info:expr) => {
        static $site: $crate::__private::Site = $crate::__private::Site::new($info);
        $crate::__private::thread_local! {
            static $cell: $crate::__private::BlockCell = const { $crate::__private::BlockCell::new() };
        }
        $crate::__private::inventory::submit! { $crate::__private::SiteRef(&$site) }
    };
}

pub use crate::__hiperf_site as site;

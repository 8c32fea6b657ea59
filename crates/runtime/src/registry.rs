//! The static registry of instrumented functions: one [`Site`] per annotated function,
//! submitted to `inventory` so that reports list functions that never ran.

use std::sync::atomic::{AtomicPtr, Ordering};

use crate::lines::Block;

/// What an annotated function records.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Measures {
    /// `#[profile]`: per-line hits and time.
    pub time: bool,
    /// `#[memit]`: per-line heap usage, increment, peak and allocations.
    pub memory: bool,
}

/// The compile-time description of an annotated function, written by the attribute macros.
#[derive(Debug)]
pub struct SiteInfo {
    /// The function's name (or the name given with `name = "..."`).
    pub name: &'static str,
    /// `module_path!()` at the function.
    pub module_path: &'static str,
    /// `file!()` at the function.
    pub file: &'static str,
    /// The line of the `fn` keyword.
    pub line: u32,
    /// The line of `source[0]`.
    pub first_line: u32,
    /// Every source line of the function, captured at compile time.
    pub source: &'static [&'static str],
    /// The source line of each probe slot; slot 0 is the function's entry.
    pub slot_lines: &'static [u32],
    /// Whether the function is an `async fn`.
    pub is_async: bool,
    /// What the function records.
    pub measures: Measures,
}

/// One annotated function: its description and the counters of every thread that ran it.
#[derive(Debug)]
pub struct Site {
    /// The compile-time description.
    pub info: SiteInfo,
    /// Every thread's counter block, as an intrusive list (pushed to, never removed from).
    pub(crate) blocks: AtomicPtr<Block>,
}

impl Site {
    /// Makes a site with no counters yet.
    pub const fn new(info: SiteInfo) -> Self {
        Site {
            info,
            blocks: AtomicPtr::new(std::ptr::null_mut()),
        }
    }

    /// The number of probe slots (statement marks plus the entry slot).
    pub fn slot_count(&self) -> usize {
        self.info.slot_lines.len()
    }

    /// Every counter block of this site, whether its thread is alive or not.
    pub(crate) fn blocks(&self) -> impl Iterator<Item = &'static Block> {
        let mut next = self.blocks.load(Ordering::Acquire);
        std::iter::from_fn(move || {
            // SAFETY: blocks are leaked on creation and never freed, so every pointer in the
            // list stays valid; `Acquire` pairs with the `Release` of the push.
            let block: &'static Block = unsafe { next.as_ref()? };
            next = block.next.load(Ordering::Acquire);
            Some(block)
        })
    }
}

/// The unit `inventory` collects: a pointer to a site.
#[derive(Debug)]
pub struct SiteRef(pub &'static Site);

inventory::collect!(SiteRef);

/// Every annotated function linked into the program, in a stable order (file, then line).
///
/// # Examples
///
/// ```
/// for site in hiperf_runtime::registry::sites() {
///     println!("{} at {}:{}", site.info.name, site.info.file, site.info.line);
/// }
/// ```
pub fn sites() -> Vec<&'static Site> {
    let mut sites: Vec<&'static Site> = inventory::iter::<SiteRef>
        .into_iter()
        .map(|r| r.0)
        .collect();
    sites.sort_by(|a, b| {
        (a.info.file, a.info.line, a.info.name).cmp(&(b.info.file, b.info.line, b.info.name))
    });
    sites
}

//! Memory budgets for tests: the peak, the net increment (leak), the allocations and the bytes
//! allocated that an expression may reach, from exact allocator counts, so that a budget
//! never flakes. Used through `hiperf::assert_memory!`; [`BudgetStart`] is its engine.
//!
//! The figures are the calling thread's (allocations made on other threads are not counted),
//! so tests running in parallel do not disturb each other. Without `hiperf::Alloc` as the
//! global allocator nothing is counted, and a budget fails with a message saying so rather
//! than pass on zeros.

use std::collections::HashMap;
use std::fmt;

use crate::lines::{self, Block};
use crate::memit::{Memit, MemitStart};
use crate::registry::{self, Site};
use crate::report::bytes;

/// A figure a budget limits.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Figure {
    /// `peak`: the highest rise of the thread's live heap above its level at the start.
    Peak,
    /// `leak`: the thread's live heap after the expression minus before it (a returned value
    /// that owns heap memory counts: drop it inside the expression to leave it out).
    Leak,
    /// `allocs`: allocation requests (`alloc`, `alloc_zeroed`, `realloc`).
    Allocations,
    /// `bytes`: bytes allocated, freed or not.
    AllocatedBytes,
}

/// How the measured figure must compare with the limit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Relation {
    /// `<=`
    AtMost,
    /// `<`
    Below,
    /// `==`
    Equal,
}

/// One budget: `figure relation limit`, e.g. `peak <= 64 KiB`.
///
/// # Examples
///
/// ```
/// use hiperf_runtime::budget::{Budget, Figure, Relation};
///
/// let budget = Budget::new(Figure::Peak, Relation::AtMost, 64 * 1024, "peak <= 64 KiB");
/// assert!(budget.holds(65_536) && !budget.holds(65_537));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Budget {
    /// What is limited.
    pub figure: Figure,
    /// How it compares with `limit`.
    pub relation: Relation,
    /// The limit, in bytes or allocations.
    pub limit: i64,
    /// The budget as written, for messages.
    pub text: &'static str,
}

impl Budget {
    /// A budget (`text` is how the test wrote it).
    pub const fn new(figure: Figure, relation: Relation, limit: i64, text: &'static str) -> Self {
        Budget {
            figure,
            relation,
            limit,
            text,
        }
    }

    /// Whether `measured` keeps within the budget.
    pub fn holds(&self, measured: i64) -> bool {
        match self.relation {
            Relation::AtMost => measured <= self.limit,
            Relation::Below => measured < self.limit,
            Relation::Equal => measured == self.limit,
        }
    }

    /// The budget's figure in `figures`.
    pub fn measured(&self, figures: &Memit) -> i64 {
        match self.figure {
            Figure::Peak => figures.increment_bytes,
            Figure::Leak => figures.net_bytes,
            Figure::Allocations => figures.allocations as i64,
            Figure::AllocatedBytes => figures.allocated_bytes as i64,
        }
    }

    fn show(&self, value: i64) -> String {
        match self.figure {
            Figure::Allocations => format!("{value} allocation{}", plural(value)),
            _ if value.abs() < 1024 => format!("{value} B"),
            _ => format!("{value} B ({})", bytes(value as f64)),
        }
    }
}

fn plural(count: i64) -> &'static str {
    if count == 1 { "" } else { "s" }
}

/// The line of a `#[memit]` function that allocated the most bytes while a budget ran.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TopLine {
    /// The function, as `module::name`.
    pub function: String,
    /// Its file.
    pub file: &'static str,
    /// The line.
    pub line: u32,
    /// Bytes the line allocated (every thread).
    pub allocated_bytes: u64,
    /// Allocations it made (every thread).
    pub allocations: u64,
}

/// Why an expression failed its budgets.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Exceeded {
    /// The expression, as written.
    pub expression: String,
    /// Each broken budget with its measured figure (all budgets, unmeasured, when no
    /// allocator counted).
    pub broken: Vec<(Budget, i64)>,
    /// What was measured.
    pub figures: Memit,
    /// The line that allocated most, when a `#[memit]` function ran inside.
    pub top_line: Option<TopLine>,
}

impl fmt::Display for Exceeded {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if !self.figures.allocator_installed {
            let budgets: Vec<&str> = self.broken.iter().map(|(b, _)| b.text).collect();
            return write!(
                f,
                "memory budget `{}` of `{}` cannot be checked: hiperf::Alloc is not the global \
                 allocator, so no allocation was counted; add to the test crate \
                 `#[global_allocator] static ALLOC: hiperf::Alloc = hiperf::Alloc::system();`",
                budgets.join(", "),
                self.expression
            );
        }
        for (index, (budget, measured)) in self.broken.iter().enumerate() {
            if index > 0 {
                f.write_str("\n")?;
            }
            write!(
                f,
                "memory budget exceeded: `{}` of `{}`: measured {}",
                budget.text,
                self.expression,
                budget.show(*measured)
            )?;
        }
        let figures = &self.figures;
        write!(
            f,
            "\n  measured (calling thread, exact): peak {}, leak {}, {} allocation{}, {} allocated",
            bytes(figures.increment_bytes as f64),
            bytes(figures.net_bytes as f64),
            figures.allocations,
            plural(figures.allocations as i64),
            bytes(figures.allocated_bytes as f64)
        )?;
        match &self.top_line {
            Some(top) => write!(
                f,
                "\n  line that allocated most: {}:{} in {} ({} in {} allocation{})",
                top.file,
                top.line,
                top.function,
                bytes(top.allocated_bytes as f64),
                top.allocations,
                plural(top.allocations as i64)
            ),
            None => write!(
                f,
                "\n  line that allocated most: not known (no `#[hiperf::memit]` function \
                 allocated inside; annotate the functions it calls and build with hiperf's \
                 `enable` feature to see it)"
            ),
        }
    }
}

impl std::error::Error for Exceeded {}

/// A budgeted expression under way: counts per line of the `#[memit]` functions, then the
/// thread's heap figures.
#[derive(Debug)]
pub struct BudgetStart {
    lines: LineCounts,
    memit: MemitStart,
}

impl BudgetStart {
    /// Starts measuring the calling thread.
    pub fn now() -> Self {
        // The line counts are read first and last, so that their own allocations stay outside
        // the measured figures.
        let lines = LineCounts::read();
        BudgetStart {
            lines,
            memit: MemitStart::now(),
        }
    }

    /// Stops measuring and checks `budgets`: the figures when all hold.
    ///
    /// # Examples
    ///
    /// ```
    /// use hiperf_runtime::budget::{Budget, BudgetStart, Figure, Relation};
    ///
    /// let start = BudgetStart::now();
    /// let sum: u64 = (0..10).sum();
    /// let budgets = [Budget::new(Figure::Allocations, Relation::Equal, 0, "allocs == 0")];
    /// // Without hiperf::Alloc installed the check reports that it cannot measure.
    /// let checked = start.finish(&budgets, "(0..10).sum()");
    /// assert_eq!(checked.is_ok(), hiperf_runtime::alloc::installed());
    /// # let _ = sum;
    /// ```
    pub fn finish(self, budgets: &[Budget], expression: &str) -> Result<Memit, Box<Exceeded>> {
        let figures = self.memit.finish();
        let broken: Vec<(Budget, i64)> = if figures.allocator_installed {
            budgets
                .iter()
                .map(|budget| (*budget, budget.measured(&figures)))
                .filter(|(budget, measured)| !budget.holds(*measured))
                .collect()
        } else {
            budgets.iter().map(|budget| (*budget, 0)).collect()
        };
        if broken.is_empty() {
            return Ok(figures);
        }
        Err(Box::new(Exceeded {
            expression: expression.to_string(),
            broken,
            figures,
            top_line: self.lines.top_line_since(),
        }))
    }

    /// [`finish`](Self::finish), panicking with the message of [`Exceeded`] when a budget is
    /// broken (what `assert_memory!` calls).
    #[track_caller]
    pub fn enforce(self, budgets: &[Budget], expression: &str) -> Memit {
        match self.finish(budgets, expression) {
            Ok(figures) => figures,
            Err(exceeded) => panic!("{exceeded}"),
        }
    }
}

/// Bytes and allocations per probe slot of every counter block of the `#[memit]` functions,
/// keyed by the block's address. A block serves one thread at a time, and keeps its sums
/// when a later thread takes it over: the figures of a line are the growth of the blocks the
/// calling thread holds at the end.
#[derive(Debug)]
struct LineCounts(HashMap<usize, Vec<(u64, u64)>>);

impl LineCounts {
    fn read() -> Self {
        let mut counts = HashMap::new();
        for site in registry::sites() {
            if site.info.measures.memory {
                for block in site.blocks() {
                    counts.insert(block as *const Block as usize, slot_counts(block));
                }
            }
        }
        LineCounts(counts)
    }

    /// The line whose allocated bytes grew most, in the calling thread, since `self` was read.
    fn top_line_since(&self) -> Option<TopLine> {
        let mut grown: Vec<(u64, u64, &'static Site, usize)> = Vec::new();
        lines::for_each_held_block(|block| {
            let before = self.0.get(&(block as *const Block as usize));
            for (slot, (allocated, allocations)) in slot_counts(block).into_iter().enumerate() {
                let (allocated_before, allocations_before) =
                    before.and_then(|b| b.get(slot)).copied().unwrap_or((0, 0));
                if allocated > allocated_before {
                    grown.push((
                        allocated - allocated_before,
                        allocations - allocations_before,
                        block.site,
                        slot,
                    ));
                }
            }
        });
        // The most bytes; among equals, the earliest line, for a message that never varies.
        grown.sort_by_key(|&(bytes, _, site, slot)| {
            (
                std::cmp::Reverse(bytes),
                site.info.file,
                site.info.slot_lines[slot],
            )
        });
        let &(allocated_bytes, allocations, site, slot) = grown.first()?;
        Some(TopLine {
            function: format!("{}::{}", site.info.module_path, site.info.qualified_name()),
            file: site.info.file,
            line: site.info.slot_lines[slot],
            allocated_bytes,
            allocations,
        })
    }
}

fn slot_counts(block: &Block) -> Vec<(u64, u64)> {
    block
        .memory_slots()
        .iter()
        .map(|slot| (slot.allocated.get(), slot.allocations.get()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relations_compare_as_written() {
        let at_most = Budget::new(Figure::Leak, Relation::AtMost, 0, "leak <= 0");
        assert!(at_most.holds(0) && at_most.holds(-8) && !at_most.holds(1));
        let below = Budget::new(Figure::Allocations, Relation::Below, 3, "allocs < 3");
        assert!(below.holds(2) && !below.holds(3));
        let equal = Budget::new(Figure::Peak, Relation::Equal, 1024, "peak == 1 KiB");
        assert!(equal.holds(1024) && !equal.holds(1023) && !equal.holds(1025));
    }

    #[test]
    fn the_message_names_the_budget_the_figure_and_the_line() {
        let figures = Memit {
            allocator_installed: true,
            baseline_bytes: 0,
            increment_bytes: 80_000,
            peak_bytes: 80_000,
            net_bytes: 4096,
            allocations: 3,
            allocated_bytes: 80_000,
            rss_before_bytes: None,
            rss_after_bytes: None,
        };
        let budget = Budget::new(Figure::Peak, Relation::AtMost, 65_536, "peak <= 64 KiB");
        let exceeded = Exceeded {
            expression: "build()".to_string(),
            broken: vec![(budget, 80_000)],
            figures,
            top_line: Some(TopLine {
                function: "app::build".to_string(),
                file: "src/lib.rs",
                line: 12,
                allocated_bytes: 76_000,
                allocations: 1,
            }),
        };
        let message = exceeded.to_string();
        assert!(
            message.starts_with(
                "memory budget exceeded: `peak <= 64 KiB` of `build()`: measured 80000 B (78.125 KiB)"
            ),
            "{message}"
        );
        assert!(message.contains(
            "line that allocated most: src/lib.rs:12 in app::build (74.219 KiB in 1 allocation)"
        ));
        let without_allocator = Exceeded {
            figures: Memit {
                allocator_installed: false,
                ..figures
            },
            ..exceeded
        };
        assert!(
            without_allocator
                .to_string()
                .contains("cannot be checked: hiperf::Alloc is not the global allocator")
        );
    }
}

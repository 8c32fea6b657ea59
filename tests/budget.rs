//! Memory budgets (`hiperf::assert_memory!`): exact figures pass exactly at their limit, a
//! broken budget fails the test with a message naming the budget, the figure and the line
//! that allocated most.

// A value bound on a line of its own and then returned gives that line a row of its own.
#![allow(clippy::let_and_return)]
// With `enable` off nothing is measured: tests/budget_off.rs covers that build.
#![cfg(feature = "enable")]

#[global_allocator]
static ALLOC: hiperf::Alloc = hiperf::Alloc::system();

#[hiperf::memit]
fn table(rows: usize) -> Vec<u64> {
    let mut table = Vec::with_capacity(rows);
    table.extend((0..rows as u64).map(|row| row * row));
    table
}

#[hiperf::memit]
fn scratch_then_sum(rows: usize) -> u64 {
    let scratch = table(rows);
    let label = String::with_capacity(16);
    let sum = scratch.iter().sum::<u64>() + label.len() as u64;
    sum
}

/// Called by one test only, so that its counters are that test's.
#[hiperf::memit]
fn labelled_table(rows: usize) -> usize {
    let table = table(rows);
    let label = String::with_capacity(16);
    table.len() + label.len()
}

#[test]
fn exact_figures_meet_budgets_set_at_them() {
    let kept = hiperf::assert_memory!(
        table(1000),
        peak == 8000 B,
        leak == 8000 B,
        allocs == 1,
        bytes == 8000
    );
    assert_eq!(kept.len(), 1000);
    // Freed inside the expression: no leak, but the peak of both buffers at once.
    let sum = hiperf::assert_memory!(
        scratch_then_sum(1000),
        peak == (8000 + 16) B,
        leak == 0,
        allocs == 2,
        bytes < 8 KiB
    );
    assert_eq!(sum, 332_833_500);
    hiperf::assert_memory!(
        std::hint::black_box(3 + 4),
        allocs == 0,
        peak == 0,
        leak <= 0
    );
}

#[test]
fn the_budget_returns_the_figures_it_measured() {
    let start = hiperf::__private::BudgetStart::now();
    let kept = vec![0u8; 4096];
    let figures = start.enforce(&[], "vec![0u8; 4096]");
    assert_eq!((figures.net_bytes, figures.allocations), (4096, 1));
    drop(kept);
}

/// Fails on purpose: a table of 1000 rows takes 8000 bytes, over a 4 KiB budget.
#[test]
#[should_panic(
    expected = "memory budget exceeded: `peak <= 4 KiB` of `table(1000)`: measured 8000 B (7.812 KiB)"
)]
fn a_peak_over_budget_fails_the_test() {
    hiperf::assert_memory!(table(1000), peak <= 4 KiB);
}

#[test]
#[should_panic(expected = "`leak == 0` of `table(10)`: measured 80 B")]
fn a_leak_fails_the_test() {
    let _ = hiperf::assert_memory!(table(10), leak == 0);
}

#[test]
#[should_panic(expected = "`allocs < 2` of `scratch_then_sum(10)`: measured 2 allocations")]
fn too_many_allocations_fail_the_test() {
    hiperf::assert_memory!(scratch_then_sum(10), allocs < 2);
}

#[test]
fn the_message_names_every_broken_budget_and_the_line_that_allocated_most() {
    let failure = std::panic::catch_unwind(
        || hiperf::assert_memory!(labelled_table(100), peak <= 512 B, leak == 0, allocs <= 1),
    )
    .expect_err("two budgets are broken");
    let message = failure
        .downcast_ref::<String>()
        .expect("a formatted message");
    let lines: Vec<&str> = message.lines().collect();
    assert_eq!(
        lines[0],
        "memory budget exceeded: `peak <= 512 B` of `labelled_table(100)`: measured 816 B"
    );
    assert_eq!(
        lines[1],
        "memory budget exceeded: `allocs <= 1` of `labelled_table(100)`: measured 2 allocations"
    );
    assert_eq!(
        lines[2],
        "  measured (calling thread, exact): peak 816 B, leak 0 B, 2 allocations, 816 B allocated"
    );
    let line_of = |text: &str| {
        include_str!("budget.rs")
            .lines()
            .position(|line| line.trim() == text)
            .unwrap()
            + 1
    };
    let expected = if hiperf::ENABLED {
        format!(
            "  line that allocated most: {}:{} in budget::table (800 B in 1 allocation)",
            file!(),
            line_of("let mut table = Vec::with_capacity(rows);")
        )
    } else {
        "  line that allocated most: not known (no `#[hiperf::memit]` function allocated \
         inside; annotate the functions it calls and build with hiperf's `enable` feature to \
         see it)"
            .to_string()
    };
    assert_eq!(lines[3], expected);
}

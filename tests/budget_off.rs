//! With `enable` off, `hiperf::assert_memory!` measures nothing and fails nothing: the
//! expression is evaluated once and its value returned, budgets that would be broken included.

#![cfg(not(feature = "enable"))]

use std::cell::Cell;

#[test]
fn the_expression_is_evaluated_once_and_returned() {
    let evaluations = Cell::new(0);
    let table: Vec<u64> = hiperf::assert_memory!(
        {
            evaluations.set(evaluations.get() + 1);
            (0..1000u64).collect()
        },
        peak <= 1 B,
        leak == 0,
        allocs == 0,
        bytes < (2 + 2) KiB,
    );
    assert_eq!((table.len(), evaluations.get()), (1000, 1));
}

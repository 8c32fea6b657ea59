//! The checks of a final grid: the exact mass (`math.fsum`), the book's values at book size,
//! and elsewhere bit-exactness with a plain `%`-indexed reference in the same order.

use super::{BOOK, D, DT, Order, Shape, initial_grid, mass};
use crate::{Outcome, expect_eq};

/// The reference the variants are checked against: `steps` steps in `order`, flat, with `%`
/// wrap-around on every neighbour and a fresh grid per step.
pub fn reference(order: Order, shape: Shape, steps: usize) -> Vec<f64> {
    let Shape { rows, cols } = shape;
    let mut grid = initial_grid(shape);
    for _ in 0..steps {
        let mut next = vec![0.0; shape.cells()];
        for i in 0..rows {
            for j in 0..cols {
                let at = |i: usize, j: usize| grid[(i % rows) * cols + j % cols];
                next[i * cols + j] = order.cell(
                    at(i, j),
                    at(i + rows - 1, j),
                    at(i + 1, j),
                    at(i, j + cols - 1),
                    at(i, j + 1),
                );
            }
        }
        grid = next;
    }
    grid
}

/// The correctly rounded sum of `values`, Python's `math.fsum` (Shewchuk's exact partials,
/// rounded half-even at the end).
pub fn fsum(values: impl IntoIterator<Item = f64>) -> f64 {
    let mut partials: Vec<f64> = Vec::new();
    for value in values {
        let mut x = value;
        let mut kept = 0;
        for index in 0..partials.len() {
            let mut y = partials[index];
            if x.abs() < y.abs() {
                std::mem::swap(&mut x, &mut y);
            }
            let high = x + y;
            let low = y - (high - x);
            if low != 0.0 {
                partials[kept] = low;
                kept += 1;
            }
            x = high;
        }
        partials.truncate(kept);
        partials.push(x);
    }
    let Some(mut high) = partials.pop() else {
        return 0.0;
    };
    let mut low = 0.0;
    while let Some(y) = partials.pop() {
        let x = high;
        high = x + y;
        low = y - (high - x);
        if low != 0.0 {
            break;
        }
    }
    // Half-even correction: the remaining partials decide a tie of `high + low`.
    if let Some(&next) = partials.last()
        && ((low < 0.0 && next < 0.0) || (low > 0.0 && next > 0.0))
    {
        let y = low * 2.0;
        let x = high + y;
        if y == x - high {
            high = x;
        }
    }
    high
}

/// The row-major sequential sum (one accumulator), as `numpy.sum` is not: the value a plain
/// loop gives.
pub fn sequential_sum(grid: &[f64]) -> f64 {
    grid.iter().fold(0.0, |total, &value| total + value)
}

/// Python's `sum(sum(r) for r in g)` (CPython before 3.12: plain accumulation per row, then
/// over the row sums).
pub fn sum_of_row_sums(grid: &[f64], cols: usize) -> f64 {
    grid.chunks(cols)
        .map(sequential_sum)
        .fold(0.0, |total, row| total + row)
}

/// The reference values of the book's run (640², 500 steps) in one order.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct BookValues {
    /// The largest cell.
    pub max: f64,
    /// `g[300, 300]`.
    pub probe: f64,
    /// The sum a plain loop gives: row-major sequential for A and B, Python's sum of row
    /// sums for C.
    pub plain_sum: f64,
}

/// The book's values in `order` (WORKLOADS.md §Ch6a, computed from a faithful transcription).
pub fn book_values(order: Order) -> BookValues {
    match order {
        Order::A => BookValues {
            max: 0.004985955676727785,
            probe: 0.004747633359865574,
            plain_sum: 20.47999999999942,
        },
        Order::B => BookValues {
            max: 0.0049859556767277834,
            probe: 0.004747633359865574,
            plain_sum: 20.47999999999942,
        },
        Order::C => BookValues {
            max: 0.004985955676727785,
            probe: 0.004747633359865575,
            plain_sum: 20.479999999999976,
        },
    }
}

/// The book's exact mass, `math.fsum` of the final grid: 0.005 × 64².
pub const BOOK_MASS: f64 = 20.48;

/// The largest difference between two grids.
pub fn max_difference(a: &[f64], b: &[f64]) -> f64 {
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y).abs())
        .fold(0.0, f64::max)
}

/// Checks a final grid: the mass always; at book size the book's max, `g[300, 300]` and plain
/// sum bit for bit; at any other size bit-exactness with the [`reference`] in the same order
/// and agreement within 1e-15 with the other orders.
pub fn check(order: Order, shape: Shape, steps: usize, grid: &[f64]) -> Result<Outcome, String> {
    expect_eq("cells", grid.len(), shape.cells())?;
    let total = fsum(grid.iter().copied());
    let expected_mass = mass(shape);
    if (total - expected_mass).abs() >= 1e-12 {
        return Err(format!(
            "mass: fsum {total:?}, expected {expected_mass:?} within 1e-12"
        ));
    }
    let max = grid.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let parameters = format!(
        "{}x{} grid, {steps} steps, dt {DT}, D {D}, order {order:?}",
        shape.rows, shape.cols
    );
    if (shape, steps) == BOOK {
        let expected = book_values(order);
        let probe = grid[300 * shape.cols + 300];
        expect_eq("fsum", total, BOOK_MASS)?;
        expect_eq("max", max, expected.max)?;
        expect_eq("g[300, 300]", probe, expected.probe)?;
        let plain_sum = if order == Order::C {
            sum_of_row_sums(grid, shape.cols)
        } else {
            sequential_sum(grid)
        };
        expect_eq("plain sum", plain_sum, expected.plain_sum)?;
        return Ok(Outcome {
            parameters,
            result: format!("fsum {total}, max {max:?}, g[300,300] {probe:?}"),
        });
    }
    let mut largest = 0.0_f64;
    for other in Order::ALL {
        let reference = reference(other, shape, steps);
        if other == order {
            if let Some(cell) =
                (0..grid.len()).find(|&cell| grid[cell].to_bits() != reference[cell].to_bits())
            {
                return Err(format!(
                    "cell ({}, {}): got {:?}, the order {order:?} reference has {:?}",
                    cell / shape.cols,
                    cell % shape.cols,
                    grid[cell],
                    reference[cell]
                ));
            }
        } else {
            let difference = max_difference(grid, &reference);
            if difference >= 1e-15 {
                return Err(format!(
                    "differs from order {other:?} by {difference:e}, expected under 1e-15"
                ));
            }
            largest = largest.max(difference);
        }
    }
    Ok(Outcome {
        parameters,
        result: format!(
            "fsum {total}, max {max:?}, bit-exact with the order {order:?} reference, {largest:e} from the others"
        ),
    })
}

/// The bit patterns of a grid, for comparisons that must be exact (and show where they fail).
#[cfg(test)]
pub(crate) fn bits(grid: &[f64]) -> Vec<u64> {
    grid.iter().map(|v| v.to_bits()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ch06_matrix::diffusion::QUICK;

    #[test]
    fn the_orders_differ_in_the_last_place_and_the_check_tells_them_apart() {
        let (shape, steps) = QUICK;
        let grids: Vec<Vec<f64>> = Order::ALL
            .iter()
            .map(|&order| reference(order, shape, steps))
            .collect();
        for a in &grids {
            for b in &grids {
                assert!(max_difference(a, b) < 1e-15);
            }
        }
        assert!(bits(&grids[0]) != bits(&grids[1]) && bits(&grids[0]) != bits(&grids[2]));
        assert!(check(Order::A, shape, steps, &grids[0]).is_ok());
        assert!(check(Order::B, shape, steps, &grids[0]).is_err());
        assert!(check(Order::C, shape, steps, &grids[0]).is_err());
    }

    #[test]
    fn a_grid_that_loses_mass_fails_the_check() {
        let (shape, steps) = QUICK;
        let mut grid = reference(Order::A, shape, steps);
        grid[0] -= 1e-11;
        assert!(
            check(Order::A, shape, steps, &grid)
                .unwrap_err()
                .starts_with("mass")
        );
    }

    #[test]
    fn fsum_is_exact_where_a_plain_sum_is_not() {
        assert_eq!(fsum([0.1; 10]), 1.0);
        assert_ne!(sequential_sum(&[0.1; 10]), 1.0);
        assert_eq!(fsum([1e100, 1.0, -1e100, 1e-100]), 1.0);
        assert_eq!(fsum([]), 0.0);
        // Ties of the top two partials, broken by the ones below (CPython's test_math cases).
        let two_53 = 2.0_f64.powi(53);
        assert_eq!(fsum([two_53, 1.0, 2.0_f64.powi(-100)]), two_53 + 2.0);
        assert_eq!(fsum([two_53, -0.5, -(2.0_f64.powi(-54))]), two_53 - 1.0);
    }
}

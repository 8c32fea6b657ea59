//! `#[hiperf::profile]` on an `impl` block or an inline module instruments every function in
//! it (line_profiler's autoprofile), with `#[hiperf::skip]` to leave one out.

// A value bound on a line of its own and then returned gives that line a row of its own in
// the tables these tests check.
#![allow(clippy::let_and_return)]

mod common;

struct Shape {
    side: f64,
}

#[hiperf::profile]
impl Shape {
    fn new(side: f64) -> Self {
        Shape { side }
    }

    fn area(&self) -> f64 {
        let squared = self.side * self.side;
        squared
    }

    #[hiperf::skip]
    fn skipped(&self) -> f64 {
        self.side
    }

    const fn constant() -> u32 {
        3
    }
}

#[hiperf::profile]
mod geometry {
    pub fn perimeter(side: f64) -> f64 {
        side * 4.0
    }

    pub struct Square(pub f64);

    impl Square {
        pub fn diagonal(&self) -> f64 {
            self.0 * std::f64::consts::SQRT_2
        }
    }

    pub mod inner {
        pub fn double(x: f64) -> f64 {
            x * 2.0
        }
    }
}

#[test]
fn every_method_and_function_is_profiled_except_the_skipped_and_const_ones() {
    let shape = Shape::new(3.0);
    assert_eq!(shape.area(), 9.0);
    assert_eq!(shape.area(), 9.0);
    assert_eq!(shape.skipped(), 3.0);
    assert_eq!(Shape::constant(), 3);
    assert_eq!(geometry::perimeter(2.0), 8.0);
    assert!((geometry::Square(1.0).diagonal() - std::f64::consts::SQRT_2).abs() < 1e-12);
    assert_eq!(geometry::inner::double(2.0), 4.0);
    if !hiperf::ENABLED {
        return;
    }
    let names: Vec<String> = hiperf_runtime::snapshot::take(Default::default())
        .functions
        .into_iter()
        .map(|f| f.name)
        .collect();
    for expected in [
        "Shape::new",
        "Shape::area",
        "perimeter",
        "Square::diagonal",
        "double",
    ] {
        assert!(
            names.iter().any(|n| n == expected),
            "{expected} missing from {names:?}"
        );
    }
    assert!(
        !names
            .iter()
            .any(|n| n.contains("skipped") || n.contains("constant")),
        "{names:?}"
    );
    let area = common::function("Shape::area");
    assert_eq!(area.calls, 2);
    assert_eq!(
        common::hits(&area, "let squared = self.side * self.side;"),
        2
    );
}

//! Code that is warning-free under rustc and clippy's default, pedantic and nursery groups
//! stays warning-free with profiling on, and no clippy suggestion touches generated code.
//! `cargo clippy --workspace --all-targets -- -D warnings`, run off and on, checks it.

#![deny(warnings)]
#![warn(clippy::pedantic, clippy::nursery)]

struct Span {
    start: u32,
    end: u32,
}

impl IntoIterator for Span {
    type Item = u32;
    type IntoIter = std::ops::Range<u32>;

    fn into_iter(self) -> Self::IntoIter {
        self.start..self.end
    }
}

/// Parentheses that rustc requires around a struct literal in a `for` loop's iterable.
#[hiperf::profile]
fn struct_literal_iterable(end: u32) -> u32 {
    let mut total = 0;
    for v in (Span { start: 0, end }) {
        total += v;
    }
    total
}

enum Shape {
    Circle(u32),
    Square(u32),
    Triangle(u32),
}

/// A two-arm `match` whose fallback arm is an expression, not a block.
#[hiperf::profile]
fn two_arm_match(shapes: &[Shape]) -> u32 {
    let mut total: u32 = 10;
    for shape in shapes {
        match shape {
            Shape::Circle(radius) => {
                total += radius * 3;
            }
            _ => total -= 1,
        }
    }
    total
}

/// `else if let` in a chain: clippy leaves the inner `if let` of an `else if` alone.
#[hiperf::profile]
fn if_let_chain(values: &[Option<u32>], flag: bool) -> u32 {
    let mut total = 0;
    for value in values {
        total += if flag {
            1
        } else if let Some(inner) = value {
            *inner
        } else {
            0
        };
    }
    total
}

#[test]
fn the_shapes_compute_what_they_did() {
    assert_eq!(struct_literal_iterable(4), 6);
    assert_eq!(two_arm_match(&[Shape::Circle(2), Shape::Square(5)]), 15);
    assert!(matches!(Shape::Square(5), Shape::Square(side) if side == 5));
    assert!(matches!(Shape::Triangle(5), Shape::Triangle(side) if side == 5));
    assert_eq!(if_let_chain(&[None, Some(2)], false), 2);
    assert_eq!(if_let_chain(&[None, Some(2)], true), 2);
    if hiperf::ENABLED {
        let profile = hiperf::take(hiperf::snapshot::SnapshotOptions::default());
        let function = profile
            .functions
            .iter()
            .find(|function| function.name == "struct_literal_iterable")
            .expect("registered");
        let header = function
            .lines
            .iter()
            .find(|line| line.contents.trim() == "for v in (Span { start: 0, end }) {")
            .expect("the loop's line");
        assert_eq!(header.hits, 5);
    }
}

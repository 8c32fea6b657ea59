//! Hit counts equal the true execution counts, for every control-flow shape.

// A value bound on a line of its own and then returned gives that line a row of its own in
// the tables these tests check.
#![allow(clippy::let_and_return)]

mod common;

use common::{function, hits};

#[hiperf::profile]
fn loops(n: u64) -> u64 {
    let mut total = 0;
    for i in 0..n {
        total += i;
    }
    let mut countdown = n;
    while countdown > 0 {
        countdown -= 1;
    }
    let mut spins = 0;
    loop {
        spins += 1;
        if spins == 3 {
            break;
        }
    }
    total + spins
}

#[test]
fn loop_headers_are_hit_once_per_iteration_plus_the_exit() {
    assert_eq!(loops(10), 48);
    assert_eq!(loops(5), 13);
    if !hiperf::ENABLED {
        return;
    }
    let profile = function("loops");
    assert_eq!(profile.calls, 2);
    assert_eq!(hits(&profile, "let mut total = 0;"), 2);
    assert_eq!(hits(&profile, "for i in 0..n"), 11 + 6);
    assert_eq!(hits(&profile, "total += i;"), 15);
    assert_eq!(hits(&profile, "while countdown > 0"), 11 + 6);
    assert_eq!(hits(&profile, "countdown -= 1;"), 15);
    assert_eq!(hits(&profile, "loop {"), 2);
    assert_eq!(hits(&profile, "spins += 1;"), 6);
    assert_eq!(hits(&profile, "if spins == 3"), 6);
    assert_eq!(hits(&profile, "break;"), 2);
    assert_eq!(hits(&profile, "total + spins"), 2);
}

#[hiperf::profile]
fn branches(values: &[i64]) -> i64 {
    let mut score = 0;
    for &value in values {
        if value < 0 {
            score -= 1;
        } else if value == 0 {
            score += 10;
        } else {
            score += 100;
        }
        let bonus = match value {
            0 => 1,
            1..=9 => {
                let doubled = value * 2;
                doubled
            }
            _ => 0,
        };
        score += bonus;
    }
    score
}

#[test]
fn if_else_chains_and_match_arms_count_the_branch_taken() {
    assert_eq!(
        branches(&[-5, 0, 3, 42, 0]),
        -1 + 10 + 100 + 100 + 10 + 1 + 6 + 1
    );
    if !hiperf::ENABLED {
        return;
    }
    let profile = function("branches");
    assert_eq!(hits(&profile, "if value < 0"), 5);
    assert_eq!(hits(&profile, "score -= 1;"), 1);
    assert_eq!(hits(&profile, "} else if value == 0"), 4);
    assert_eq!(hits(&profile, "score += 10;"), 2);
    assert_eq!(hits(&profile, "score += 100;"), 2);
    assert_eq!(hits(&profile, "let bonus = match value"), 5);
    assert_eq!(hits(&profile, "0 => 1,"), 2);
    assert_eq!(hits(&profile, "let doubled = value * 2;"), 1);
    assert_eq!(hits(&profile, "_ => 0,"), 2);
    assert_eq!(hits(&profile, "score += bonus;"), 5);
}

#[hiperf::profile]
fn early_exits(input: &str) -> Result<u32, std::num::ParseIntError> {
    if input.is_empty() {
        return Ok(0);
    }
    let value: u32 = input.parse()?;
    let Some(halved) = value.checked_div(2) else {
        return Ok(u32::MAX);
    };
    let shadow = halved;
    let shadow = shadow + 1;
    let mut found = 0;
    'outer: for row in 0..4 {
        for column in 0..4 {
            if row * column == 4 {
                found = row * 10 + column;
                break 'outer;
            }
            if column > row {
                continue 'outer;
            }
        }
    }
    Ok(shadow + found)
}

#[test]
fn early_returns_question_mark_let_else_and_labeled_loops_count_exactly() {
    assert_eq!(early_exits(""), Ok(0));
    assert!(early_exits("x").is_err());
    assert_eq!(early_exits("8"), Ok(5 + 22));
    if !hiperf::ENABLED {
        return;
    }
    let profile = function("early_exits");
    assert_eq!(profile.calls, 3);
    assert_eq!(hits(&profile, "if input.is_empty()"), 3);
    assert_eq!(hits(&profile, "return Ok(0);"), 1);
    assert_eq!(hits(&profile, "input.parse()?"), 2);
    assert_eq!(hits(&profile, "let Some(halved)"), 1);
    assert_eq!(hits(&profile, "let shadow = shadow + 1;"), 1);
    // row 0: columns 0, 1 (continue at 1); row 1: 0, 1, 2 (continue at 2); row 2: 0, 1, 2 (break).
    assert_eq!(hits(&profile, "for column in 0..4"), 2 + 3 + 3);
    assert_eq!(hits(&profile, "'outer: for row in 0..4"), 3);
    assert_eq!(hits(&profile, "found = row * 10 + column;"), 1);
    assert_eq!(hits(&profile, "continue 'outer;"), 2);
    assert_eq!(hits(&profile, "Ok(shadow + found)"), 1);
}

#[hiperf::profile]
fn fibonacci(n: u64) -> u64 {
    if n < 2 {
        return n;
    }
    fibonacci(n - 1) + fibonacci(n - 2)
}

#[test]
fn recursion_counts_every_call_and_primitive_calls_once() {
    assert_eq!(fibonacci(10), 55);
    if !hiperf::ENABLED {
        return;
    }
    let profile = function("fibonacci");
    // fib(10) makes 177 calls, 89 of them with n < 2.
    assert_eq!(profile.calls, 177);
    assert_eq!(profile.primitive_calls, 1);
    assert_eq!(hits(&profile, "if n < 2"), 177);
    assert_eq!(hits(&profile, "return n;"), 89);
    assert_eq!(hits(&profile, "fibonacci(n - 1) + fibonacci(n - 2)"), 88);
}

#[hiperf::profile]
fn with_closures_and_macros(values: &[u32]) -> Vec<String> {
    let doubled: Vec<u32> = values
        .iter()
        .map(|v| {
            let twice = v * 2;
            twice
        })
        .collect();
    let text = format!("{doubled:?}");
    assert!(!text.is_empty(), "never empty");
    vec![text; 2]
}

#[test]
fn a_closure_body_counts_as_part_of_the_line_that_runs_it() {
    assert_eq!(
        with_closures_and_macros(&[1, 2]),
        vec!["[2, 4]".to_string(), "[2, 4]".to_string()]
    );
    if !hiperf::ENABLED {
        return;
    }
    let profile = function("with_closures_and_macros");
    assert_eq!(hits(&profile, "let doubled"), 1);
    assert_eq!(hits(&profile, "let twice = v * 2;"), 0);
    assert!(!common::line(&profile, "let twice = v * 2;").probed);
    assert_eq!(hits(&profile, "let text = format!"), 1);
    assert_eq!(hits(&profile, "assert!(!text.is_empty()"), 1);
    assert_eq!(hits(&profile, "vec![text; 2]"), 1);
}

#[hiperf::profile]
fn never_called(x: u32) -> u32 {
    x + 1
}

#[test]
fn functions_that_never_ran_are_listed_with_no_hits() {
    if !hiperf::ENABLED {
        assert_eq!(never_called(1), 2);
        return;
    }
    let profile = function("never_called");
    assert_eq!(profile.calls, 0);
    assert_eq!(hits(&profile, "x + 1"), 0);
    assert!(
        profile
            .lines
            .iter()
            .any(|l| l.contents.contains("fn never_called"))
    );
}

#[hiperf::profile(name = "renamed_for_reports")]
fn renamed() -> u8 {
    7
}

#[test]
fn the_name_option_replaces_the_name_in_reports() {
    assert_eq!(renamed(), 7);
    if hiperf::ENABLED {
        assert_eq!(function("renamed_for_reports").calls, 1);
    }
}

#[rustfmt::skip]
#[hiperf::profile]
fn loops_as_match_arms(values: &[Option<u32>]) -> u32 {
    let mut total = 0;
    for value in values {
        match value {
            Some(n) => for i in 0..*n {
                total += i;
            },
            None => while total < 100 {
                total += 50;
            },
        }
    }
    total
}

#[test]
fn a_loop_that_is_a_whole_match_arm_counts_its_header_like_a_statement() {
    assert_eq!(loops_as_match_arms(&[Some(3), None]), 103);
    if !hiperf::ENABLED {
        return;
    }
    let profile = function("loops_as_match_arms");
    assert_eq!(hits(&profile, "Some(n) => for i in 0..*n"), 4);
    assert_eq!(hits(&profile, "total += i;"), 3);
    assert_eq!(hits(&profile, "None => while total < 100"), 3);
    assert_eq!(hits(&profile, "total += 50;"), 2);
}

fn parse_list(text: &str) -> Result<Vec<u32>, std::num::ParseIntError> {
    text.split(',').map(str::parse).collect()
}

#[hiperf::profile]
fn sum_parsed(text: &str) -> Result<u32, std::num::ParseIntError> {
    let mut total = 0;
    for value in parse_list(text)? {
        total += value;
    }
    Ok(total)
}

#[test]
fn a_question_mark_in_a_loops_iterable_is_a_hit_of_the_header() {
    assert_eq!(sum_parsed("1,2"), Ok(3));
    assert!(sum_parsed("1,x").is_err());
    if !hiperf::ENABLED {
        return;
    }
    let profile = function("sum_parsed");
    // Three evaluations for "1,2" (two values and the exit), one for the failed parse.
    assert_eq!(hits(&profile, "for value in parse_list(text)?"), 4);
    assert_eq!(hits(&profile, "total += value;"), 2);
    assert_eq!(hits(&profile, "Ok(total)"), 1);
    for line in &profile.lines {
        assert!(
            line.hits > 0 || line.time_ns == 0.0,
            "line {} has time without hits: {:?}",
            line.line,
            line.contents
        );
    }
}

//! A panic inside a profiled function propagates unchanged, and the profile stays consistent.

mod common;

use std::panic::{AssertUnwindSafe, catch_unwind};

use common::{function, hits};

#[hiperf::profile]
fn may_panic(fail: bool) -> u32 {
    let before = 1;
    if fail {
        panic!("the user's own message {}", before + 41);
    }
    before + 1
}

#[hiperf::profile]
fn caller(fail: bool) -> u32 {
    let result = may_panic(fail);
    result * 10
}

#[test]
fn the_panic_payload_is_unchanged_and_counts_stay_consistent() {
    let payload = catch_unwind(AssertUnwindSafe(|| caller(true))).unwrap_err();
    assert_eq!(
        payload.downcast_ref::<String>().map(String::as_str),
        Some("the user's own message 42")
    );
    // After the unwind, calls work as before.
    assert_eq!(caller(false), 20);
    if !hiperf::ENABLED {
        return;
    }
    let inner = function("may_panic");
    assert_eq!(inner.calls, 2, "the unwound call is counted");
    assert_eq!(hits(&inner, "let before = 1;"), 2);
    assert_eq!(hits(&inner, "panic!("), 1);
    assert_eq!(hits(&inner, "before + 1"), 1);
    let outer = function("caller");
    assert_eq!(outer.calls, 2);
    assert_eq!(hits(&outer, "result * 10"), 1);
    // The call context was restored by the unwinding: self time never exceeds cumulative time.
    assert!(outer.self_ns <= outer.cumulative_ns);
    assert!(inner.cumulative_ns <= outer.cumulative_ns);
}

//! Every function shape behaves the same with profiling on and off.

#![deny(warnings)]

mod common;

use std::fmt::Display;

struct Counter {
    value: u32,
}

impl Counter {
    #[hiperf::profile]
    fn by_value(self) -> u32 {
        self.value
    }

    #[hiperf::profile]
    fn by_ref(&self) -> u32 {
        self.value * 2
    }

    #[hiperf::profile]
    fn by_mut(&mut self) {
        self.value += 1;
    }

    #[hiperf::profile]
    fn associated() -> Self {
        Counter { value: 0 }
    }
}

trait Describe {
    fn describe(&self) -> String;
}

impl Describe for Counter {
    #[hiperf::profile]
    fn describe(&self) -> String {
        format!("counter at {}", self.value)
    }
}

#[hiperf::profile]
fn generic<'a, T, const N: usize>(items: &'a [T; N], prefix: &'a str) -> Vec<String>
where
    T: Display + 'a,
{
    items.iter().map(|item| format!("{prefix}{item}")).collect()
}

#[hiperf::profile]
fn returns_impl_trait(n: u32) -> impl Iterator<Item = u32> {
    (0..n).map(|x| x * x)
}

/// # Safety
///
/// `pointer` must be valid for reads.
#[hiperf::profile]
unsafe fn unsafe_read(pointer: *const u32) -> u32 {
    // SAFETY: the caller's contract.
    unsafe { *pointer }
}

#[hiperf::profile]
async fn async_sum(values: Vec<u32>) -> u32 {
    let mut total = 0;
    for value in values {
        total += ready(value).await;
    }
    total
}

#[hiperf::profile]
fn diverges() -> ! {
    panic!("diverging")
}

#[hiperf::profile]
fn nested_items(x: u32) -> u32 {
    fn helper(y: u32) -> u32 {
        y + 1
    }
    const OFFSET: u32 = 3;
    let array = [0u8; { 2 + 2 }];
    helper(x) + OFFSET + array.len() as u32
}

#[hiperf::profile]
fn one_liner(x: u32) -> u32 {
    x + 1
}

async fn ready(value: u32) -> u32 {
    value
}

fn assert_send<T: Send>(_: &T) {}

#[test]
fn methods_receivers_and_trait_impls() {
    let mut counter = Counter::associated();
    counter.by_mut();
    counter.by_mut();
    assert_eq!(counter.by_ref(), 4);
    assert_eq!(counter.describe(), "counter at 2");
    assert_eq!(counter.by_value(), 2);
    if hiperf::ENABLED {
        assert_eq!(common::function("Counter::by_mut").calls, 2);
        assert_eq!(common::function("<Counter as Describe>::describe").calls, 1);
    }
}

#[test]
fn generics_lifetimes_const_generics_and_impl_trait() {
    assert_eq!(generic(&[1, 2], "#"), vec!["#1", "#2"]);
    assert_eq!(generic(&["a"], ""), vec!["a"]);
    assert_eq!(returns_impl_trait(4).collect::<Vec<_>>(), vec![0, 1, 4, 9]);
    if hiperf::ENABLED {
        // One site for every instantiation.
        assert_eq!(common::function("generic").calls, 2);
    }
}

#[test]
fn unsafe_fn_nested_items_and_one_liners() {
    let value = 41;
    // SAFETY: a reference is valid for reads.
    assert_eq!(unsafe { unsafe_read(&value) }, 41);
    assert_eq!(nested_items(1), 2 + 3 + 4);
    assert_eq!(one_liner(1), 2);
    if hiperf::ENABLED {
        assert_eq!(common::hits(&common::function("one_liner"), "x + 1"), 1);
    }
}

#[test]
fn async_fn_stays_send_and_counts_its_lines() {
    let future = async_sum(vec![1, 2, 3]);
    assert_send(&future);
    assert_eq!(common::block_on(future, std::time::Duration::ZERO), 6);
    if hiperf::ENABLED {
        let profile = common::function("async_sum");
        assert_eq!(profile.calls, 1);
        assert_eq!(common::hits(&profile, "for value in values"), 4);
        assert_eq!(common::hits(&profile, "total += ready(value).await;"), 3);
    }
}

#[test]
fn diverging_functions_unwind_as_before() {
    let result = std::panic::catch_unwind(|| diverges());
    assert!(result.is_err());
}

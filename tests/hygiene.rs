//! A user crate that forbids unsafe code, denies warnings and shadows `core` and `std`
//! still compiles with the attributes, on and off.

#![forbid(unsafe_code)]
#![deny(warnings)]

#[allow(dead_code)]
mod core {}
#[allow(dead_code)]
mod std {}

#[allow(dead_code)]
mod hiperf_private_names {
    // A user item named like a generated one does not clash.
    pub const __HIPERF_SITE: u32 = 0;
}

#[hiperf::profile]
fn shadowed(values: &[u32]) -> u32 {
    let mut total = 0;
    for value in values {
        total += value;
    }
    let __hiperf_frame = 5;
    total + __hiperf_frame
}

#[hiperf::memit]
fn also_memit(n: usize) -> usize {
    let values: Vec<u8> = ::std::vec![0; n];
    values.len()
}

#[test]
fn compiles_and_runs_with_shadowing_modules_and_strict_lints() {
    assert_eq!(shadowed(&[1, 2, 3]), 11);
    assert_eq!(also_memit(10), 10);
}

//! Per-line memory with `#[hiperf::memit]` and `%memit` with `memit!`:
//! `cargo run --example memory --features enable`.

use hiperf::magic::memit;

#[global_allocator]
static ALLOC: hiperf::Alloc = hiperf::Alloc::system();

#[hiperf::memit]
fn build(n: usize) -> Vec<u64> {
    let mut kept: Vec<u64> = Vec::with_capacity(n);
    let scratch = vec![0u8; 64 << 20];
    drop(scratch);
    for i in 0..n as u64 {
        kept.push(i);
    }
    kept.shrink_to_fit();
    kept
}

#[hiperf::main]
fn main() {
    let values = build(1 << 20);
    let squares: Vec<u64> = memit!(values.iter().map(|v| v * v).collect());
    println!("{}", squares.len());
}

//! Call statistics (cProfile's table, callers and callees) and line tables that separate the
//! time spent in annotated callees: `cargo run --example calls --features enable`.

#[hiperf::profile]
fn leaf(x: u64) -> u64 {
    std::hint::black_box(x * 3)
}

#[hiperf::profile]
fn middle(n: u64) -> u64 {
    let mut total = 0;
    for i in 0..n {
        total += leaf(i);
    }
    total
}

#[hiperf::profile]
fn fibonacci(n: u64) -> u64 {
    if n < 2 {
        return n;
    }
    fibonacci(n - 1) + fibonacci(n - 2)
}

#[hiperf::main]
fn main() {
    let mut total = 0;
    for _ in 0..100 {
        total += middle(1000);
    }
    total += fibonacci(15);
    let worker = std::thread::spawn(|| middle(10));
    total += worker.join().unwrap();
    println!("{total}");
}

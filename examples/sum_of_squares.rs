//! Annotate a function, run with `cargo run --example sum_of_squares --features enable`.

#[hiperf::profile]
fn sum_of_squares(n: u64) -> u64 {
    let mut total = 0;
    for i in 0..n {
        if i % 3 == 0 {
            total += i * i;
        } else if i % 3 == 1 {
            total += i;
        } else {
            total += 1;
        }
    }
    let mut countdown = 5;
    while countdown > 0 {
        countdown -= 1;
    }
    match total % 2 {
        0 => total,
        _ => total + 1,
    }
}

#[hiperf::profile]
fn never_called() -> u32 {
    // Listed in the report with no hits.
    42
}

#[hiperf::main]
fn main() {
    let mut result = 0;
    for round in 0..10 {
        result += sum_of_squares(1000 + round);
    }
    println!("{result}");
    if result == 0 {
        println!("{}", never_called());
    }
}

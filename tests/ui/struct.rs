#[hiperf::profile]
struct Point {
    x: f64,
}

fn main() {}

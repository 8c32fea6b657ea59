trait Shape {
    #[hiperf::profile]
    fn area(&self) -> f64;
}

fn main() {}

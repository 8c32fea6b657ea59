#[hiperf::memit(name = "a", name = "b")]
fn work() {}

fn main() {
    work();
}

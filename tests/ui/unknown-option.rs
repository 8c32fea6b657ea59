#[hiperf::profile(nmae = "typo")]
fn work() {}

fn main() {
    work();
}

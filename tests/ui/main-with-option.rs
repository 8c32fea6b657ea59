#[hiperf::main(verbose)]
fn main() {}

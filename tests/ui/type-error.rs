#[hiperf::profile]
fn parse(text: &str) -> u32 {
    let length: u32 = text.len();
    length
}

fn main() {
    let _ = parse("42");
}

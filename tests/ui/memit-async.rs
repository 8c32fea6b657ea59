#[hiperf::memit]
async fn load() -> Vec<u8> {
    Vec::new()
}

fn main() {
    let _ = load();
}

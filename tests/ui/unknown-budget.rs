fn main() {
    let _ = hiperf::assert_memory!(vec![0u8; 16], heap <= 1 KiB);
}

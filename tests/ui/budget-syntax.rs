fn main() {
    let _ = hiperf::assert_memory!(vec![0u8; 16], peak <= 1 KB, allocs <= 2 KiB);
    let _ = hiperf::assert_memory!(vec![0u8; 16], peak <= 1 kib);
    let _ = hiperf::assert_memory!(vec![0u8; 16], peak >= 1);
}

//! The book's hashes, as Python's `mmh3` returns them, and its `trailing_zeros`.
//!
//! `mmh3.hash` is MurmurHash3 x86_32 with seed 0 over the UTF-8 bytes, read as a **signed**
//! 32-bit integer; `mmh3.hash64` is MurmurHash3 x64_128 split into its two 64-bit halves, each
//! signed. The hashing itself is the `murmur3` crate's.

use std::io::Cursor;

/// `mmh3.hash(text)`: MurmurHash3 x86_32, seed 0, as a signed integer.
///
/// ```
/// use hiperf_workloads::ch11_less_ram::mmh3_hash;
///
/// assert_eq!(mmh3_hash("0"), -764297089);
/// ```
pub fn mmh3_hash(text: &str) -> i32 {
    let hash = murmur3::murmur3_32(&mut Cursor::new(text.as_bytes()), 0)
        .expect("reading from a byte slice cannot fail");
    hash as i32
}

/// `mmh3.hash64(text)`: the two halves of MurmurHash3 x64_128 (seed 0), low half first, each
/// as a signed integer.
///
/// ```
/// use hiperf_workloads::ch11_less_ram::mmh3_hash64;
///
/// assert_eq!(mmh3_hash64("0"), (3083240331115144064, 4219285596688309769));
/// ```
pub fn mmh3_hash64(text: &str) -> (i64, i64) {
    let hash = murmur3::murmur3_x64_128(&mut Cursor::new(text.as_bytes()), 0)
        .expect("reading from a byte slice cannot fail");
    (hash as u64 as i64, (hash >> 64) as u64 as i64)
}

/// `utils.trailing_zeros`: the 1-based index of the lowest set bit of `number` (two's
/// complement for negative numbers), and **32 for 0**, where `i64::trailing_zeros(0) + 1`
/// would give 65 and the 32-bit one 33.
///
/// ```
/// use hiperf_workloads::ch11_less_ram::trailing_zeros;
///
/// assert_eq!(trailing_zeros(0), 32);
/// assert_eq!(trailing_zeros(0b1000), 4);
/// assert_eq!(trailing_zeros(-1), 1);
/// ```
pub fn trailing_zeros(number: i64) -> u8 {
    if number == 0 {
        32
    } else {
        number.trailing_zeros() as u8 + 1
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mmh3_values_match_pythons() {
        assert_eq!(mmh3_hash("0"), -764_297_089);
        assert_eq!(
            mmh3_hash64("0"),
            (3_083_240_331_115_144_064, 4_219_285_596_688_309_769)
        );
    }

    #[test]
    fn trailing_zeros_matches_the_books_doctests_and_negative_numbers() {
        assert_eq!(trailing_zeros(0), 32);
        assert_eq!(trailing_zeros(0b1000), 4);
        assert_eq!(trailing_zeros(0b1000_0000), 8);
        assert_eq!(trailing_zeros(-8), 4);
        assert_eq!(trailing_zeros(i64::from(i32::MIN)), 32);
    }
}

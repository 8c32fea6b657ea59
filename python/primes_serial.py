"""Chapter 9, prime generation in pure Python: the serial program hiperf's
`ch09/primes/serial` ports, transcribed from the algorithm (not the book's file).

`check_prime(n)`: even numbers are not prime; then every odd i from 3 below
int(sqrt(n) + 1) is tried. The primes of [FROM, TO) are counted and checked against the
reference counts of the book's ranges (A = [1e8, 1e8 + 1e4): 551, B: 5411, C = [1e8, 1.01e8):
54208) and their first and last primes. Only the search is timed.

usage: primes_serial.py FROM TO [--repeat R]
"""

import math
import sys

from timing import fail, parse_repeat, report, timed, usage

REFERENCES = {
    (100_000_000, 100_010_000): (551, 100009979),
    (100_000_000, 100_100_000): (5411, 100099981),
    (100_000_000, 101_000_000): (54208, 100999993),
}


def check_prime(n):
    if n % 2 == 0:
        return False
    from_i = 3
    to_i = math.sqrt(n) + 1
    for i in range(from_i, int(to_i), 2):
        if n % i == 0:
            return False
    return True


def primes_in(number_range):
    return [n for n in number_range if check_prime(n)]


def main(argv):
    repeat = parse_repeat(argv)
    if len(argv) != 3:
        usage("primes_serial.py FROM TO [--repeat R]")
    low, high = int(float(argv[1])), int(float(argv[2]))
    primes, runs = timed(repeat, primes_in, lambda: (range(low, high),))
    reference = REFERENCES.get((low, high))
    if reference is not None:
        count, last = reference
        if len(primes) != count or primes[0] != 100000007 or primes[-1] != last:
            fail(f"{len(primes)} primes from {primes[:1]} to {primes[-1:]}, expected {count} to {last}")
    report(runs, f"{len(primes)} primes in [{low}, {high})")


if __name__ == "__main__":
    main(sys.argv)

"""Chapter 6, norm squared in pure Python: the naive program hiperf's
`ch06/norm-squared/naive` ports, transcribed from the algorithm (not the book's file).

`norm += v*v` over the list range(N), in Python integers; the exact result is
(N-1)N(2N-1)/6 (333332833333500000 at the book's N = 1,000,000). Only the loop is timed.

usage: norm_python.py N [--repeat R]
"""

import sys

from timing import fail, parse_repeat, report, timed, usage


def norm_square(vector):
    norm = 0
    for v in vector:
        norm += v * v
    return norm


def main(argv):
    repeat = parse_repeat(argv)
    if len(argv) != 2:
        usage("norm_python.py N [--repeat R]")
    n = int(argv[1])
    vector = list(range(n))
    norm, runs = timed(repeat, norm_square, lambda: (vector,))
    expected = (n - 1) * n * (2 * n - 1) // 6
    if norm != expected:
        fail(f"norm squared {norm}, expected {expected}")
    report(runs, f"norm squared {norm}")


if __name__ == "__main__":
    main(sys.argv)

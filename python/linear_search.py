"""Chapter 3, linear search: the naive program hiperf's `ch03/search/linear` ports,
transcribed from the algorithm (not the book's file).

The book's table: needles 1, 6000, 9000 and 1,000,000 in the sorted haystacks range(N) for N
in 10,000, 100,000 and 1,000,000 (as lists), each search repeated NUMBER times (the book's
timeit number is 1000). A search scans with enumerate and returns the index or -1. The timed
call runs the whole table, as the Rust workload does.

usage: linear_search.py NUMBER [--repeat R]
"""

import sys

from timing import fail, parse_repeat, report, timed, usage

HAYSTACK_SIZES = (10_000, 100_000, 1_000_000)
NEEDLES = (1, 6000, 9000, 1_000_000)
# The index of each needle in every haystack: 1,000,000 is one past the largest.
EXPECTED = (1, 6000, 9000, -1)


def linear_search(needle, haystack):
    for index, item in enumerate(haystack):
        if item == needle:
            return index
    return -1


def table(haystacks, number):
    found = []
    for haystack in haystacks:
        for needle in NEEDLES:
            result = -1
            for _ in range(number):
                result = linear_search(needle, haystack)
            found.append(result)
    return found


def main(argv):
    repeat = parse_repeat(argv)
    if len(argv) != 2:
        usage("linear_search.py NUMBER [--repeat R]")
    number = int(argv[1])
    haystacks = [list(range(size)) for size in HAYSTACK_SIZES]
    found, runs = timed(repeat, table, lambda: (haystacks, number))
    for row, size in enumerate(HAYSTACK_SIZES):
        for column, (needle, expected) in enumerate(zip(NEEDLES, EXPECTED)):
            got = found[row * len(NEEDLES) + column]
            if got != expected:
                fail(f"index of {needle} in a haystack of {size}: {got}, expected {expected}")
    pairs = ", ".join(f"{n}->{e}" for n, e in zip(NEEDLES, EXPECTED))
    report(runs, f"{pairs} in every haystack, each search {number}x")


if __name__ == "__main__":
    main(sys.argv)

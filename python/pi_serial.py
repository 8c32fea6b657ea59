"""Chapter 9, Monte Carlo pi in pure Python: the serial program hiperf's `ch09/pi/serial`
ports, transcribed from the algorithm (not the book's file).

`estimate_nbr_points_in_quarter_circle`: per dart, `random.uniform(0, 1)` twice, counted when
x*x + y*y <= 1. The darts are thrown in BLOCKS blocks, block b after `random.seed(b)` (the Rust
port seeds a ChaCha8 generator per block the same way), so the count is reproducible; it
differs from the Rust count (another generator), and both are checked to lie within 6 sigma
of pi. Only the throwing is timed.

usage: pi_serial.py DARTS [BLOCKS] [--repeat R]
"""

import math
import random
import sys

from timing import fail, parse_repeat, report, timed, usage


def estimate_nbr_points_in_quarter_circle(nbr_estimates):
    nbr_trials_in_quarter_unit_circle = 0
    for step in range(int(nbr_estimates)):
        x = random.uniform(0, 1)
        y = random.uniform(0, 1)
        is_in_unit_circle = x * x + y * y <= 1.0
        nbr_trials_in_quarter_unit_circle += is_in_unit_circle
    return nbr_trials_in_quarter_unit_circle


def throw(darts, blocks):
    inside = 0
    for block in range(blocks):
        random.seed(block)
        inside += estimate_nbr_points_in_quarter_circle(darts // blocks)
    return inside


def main(argv):
    repeat = parse_repeat(argv)
    if len(argv) not in (2, 3):
        usage("pi_serial.py DARTS [BLOCKS] [--repeat R]")
    darts = int(float(argv[1]))
    blocks = int(argv[2]) if len(argv) == 3 else 8
    if darts % blocks:
        fail(f"{darts} darts do not split into {blocks} equal blocks")
    inside, runs = timed(repeat, throw, lambda: (darts, blocks))
    estimate = 4 * inside / darts
    p = math.pi / 4
    sigma = 4 * math.sqrt(p * (1 - p) / darts)
    if abs(estimate - math.pi) >= 6 * sigma:
        fail(f"pi estimate {estimate} is more than 6 sigma ({sigma:.2e}) from pi")
    report(runs, f"{inside} of {darts} inside, pi ~ {estimate:.6f}")


if __name__ == "__main__":
    main(sys.argv)

"""Chapter 2, the Julia set in pure Python: the naive program hiperf's `ch02/julia/naive`
ports, transcribed from the algorithm (not the book's file).

The grid is built as the book builds it, by repeated float addition (x grows while below x2,
y shrinks while above y1), as lists of `complex`; the kernel iterates `z = z*z + c` while
`n < maxiter and abs(z) < 2` (the cheap test first). Only the kernel is timed.

usage: julia_pure.py WIDTH ITERATIONS [--repeat R]
"""

import sys

from timing import fail, parse_repeat, report, timed, usage

X1, X2, Y1, Y2 = -1.8, 1.8, -1.8, 1.8
C = complex(-0.62772, -0.42193)

# Sums of the output for (width, iterations): the book's assert at 1000/300, the others
# reference values of a faithful transcription (WORKLOADS.md).
EXPECTED_SUMS = {
    (1000, 300): 33219980,
    (100, 300): 334236,
    (500, 300): 8306884,
    (1000, 100): 13113340,
}


def build_grid(width):
    """The zs and cs lists, row-major (y outer, x inner)."""
    x_step = (X2 - X1) / width
    y_step = (Y1 - Y2) / width
    x = []
    y = []
    ycoord = Y2
    while ycoord > Y1:
        y.append(ycoord)
        ycoord += y_step
    xcoord = X1
    while xcoord < X2:
        x.append(xcoord)
        xcoord += x_step
    zs = []
    cs = []
    for ycoord in y:
        for xcoord in x:
            zs.append(complex(xcoord, ycoord))
            cs.append(C)
    return zs, cs


def calculate_z(maxiter, zs, cs):
    """Iterations each point survives, at most maxiter."""
    output = [0] * len(zs)
    for index in range(len(zs)):
        n = 0
        z = zs[index]
        c = cs[index]
        while n < maxiter and abs(z) < 2:
            z = z * z + c
            n += 1
        output[index] = n
    return output


def main(argv):
    repeat = parse_repeat(argv)
    if len(argv) != 3:
        usage("julia_pure.py WIDTH ITERATIONS [--repeat R]")
    width, iterations = int(argv[1]), int(argv[2])
    zs, cs = build_grid(width)
    if len(zs) != width * width:
        fail(f"the grid has {len(zs)} points, expected {width * width}")
    output, runs = timed(repeat, calculate_z, lambda: (iterations, zs, cs))
    total = sum(output)
    expected = EXPECTED_SUMS.get((width, iterations))
    if expected is not None and total != expected:
        fail(f"sum {total}, expected {expected}")
    checked = "" if expected is not None else " (no reference sum at this size)"
    report(runs, f"sum {total}, {len(output)} points{checked}")


if __name__ == "__main__":
    main(sys.argv)

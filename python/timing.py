"""Shared by the programs in this folder: time a kernel and print the one JSON line that
`cargo xtask report --vs-python` reads.

Each program prints exactly one line on standard output,
`{"seconds": <median>, "runs": [...], "result": "<checked value>"}`, and exits 1 with a message
on standard error when its check fails.
"""

import json
import statistics
import sys
import time


def parse_repeat(argv):
    """Removes `--repeat R` from argv and returns R (1 when absent)."""
    if "--repeat" in argv:
        index = argv.index("--repeat")
        repeat = int(argv[index + 1])
        del argv[index : index + 2]
        if repeat < 1:
            fail("--repeat must be at least 1")
        return repeat
    return 1


def timed(repeat, kernel, setup):
    """Calls kernel(*setup()) `repeat` times; returns (last result, seconds of every call).

    Only the call is timed, as the book's @timefn does: setup() builds fresh inputs for each
    call (a kernel may overwrite its inputs) outside the timer.
    """
    runs = []
    result = None
    for _ in range(repeat):
        args = setup()
        start = time.perf_counter()
        result = kernel(*args)
        runs.append(time.perf_counter() - start)
    return result, runs


def report(runs, result):
    """Prints the JSON line."""
    line = {"seconds": statistics.median(runs), "runs": runs, "result": result}
    sys.stdout.write(json.dumps(line) + "\n")


def fail(message):
    """Says what differed and exits 1."""
    sys.stderr.write(message + "\n")
    sys.exit(1)


def usage(text):
    """Prints the usage and exits 2, as a wrong argument should."""
    sys.stderr.write("usage: " + text + "\n")
    sys.exit(2)

"""``python -m benchmarks``: run every benchmark and write benchmarks/RESULTS.md.

.venv/bin/python -m benchmarks                     # everything, full sizes (~15 min)
.venv/bin/python -m benchmarks --quick             # smaller sizes (~3 min)
.venv/bin/python -m benchmarks --only replay,peers # a subset
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from benchmarks.suite import BENCHMARKS, RESULTS, Suite, run_suite


def main(argv: list[str] | None = None) -> None:
    """Parse options, run the suite, print the table."""
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--quick", action="store_true", help="smaller sizes for a fast look")
    parser.add_argument(
        "--only", default="", help=f"comma-separated subset of: {', '.join(BENCHMARKS)}"
    )
    parser.add_argument("--out", type=Path, default=RESULTS, help="where to write the table")
    args = parser.parse_args(argv)
    only = frozenset(x.strip() for x in args.only.split(",") if x.strip())
    unknown = only - set(BENCHMARKS)
    if unknown:
        parser.error(f"unknown benchmark(s): {', '.join(sorted(unknown))}")
    command = "python -m benchmarks " + " ".join(argv if argv is not None else sys.argv[1:])
    page = run_suite(Suite(quick=args.quick, only=only), args.out, command.strip())
    print(page.split("<details>")[0])
    print(f"written to {args.out}")


if __name__ == "__main__":
    main()

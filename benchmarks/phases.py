"""Where a ``harness run`` spends its time: the same steps as the command, timed one by one.

Runs in a fresh Python process (``python -m benchmarks.phases ROOT [options]``) so the
start-up phase is real: the interpreter, then importing what ``harness run`` imports,
then loading the specs, running the items, and writing the report files, each timed.
The sum is close to the command's own wall time; the command is timed separately.
"""

from __future__ import annotations

import time

_T0 = time.perf_counter()

import argparse  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import sys  # noqa: E402
from pathlib import Path  # noqa: E402

PHASES = ("start-up", "specs", "run", "report files")


def measure(root: Path, *, record_mode: str, concurrency: int) -> dict[str, float]:
    """Seconds per phase of ``harness run`` in ``root`` (a project folder)."""
    out: dict[str, float] = {}
    # what `harness run` imports before it reads anything
    import harness.cli.run  # noqa: F401
    from harness.cli import main  # noqa: F401

    out["interpreter"] = _T0
    now = time.perf_counter()
    out["start-up"] = now
    import asyncio
    import io

    from rich.console import Console

    from harness.cassettes.recorder import Recorder
    from harness.config import load_config
    from harness.report import write_reports
    from harness.runner.run import Runner, RunOptions
    from harness.spec.load import load_specs
    from harness.store.sqlite import Store

    start = time.perf_counter()
    config = load_config(root / "harness.yaml")
    specs, problems = load_specs([root / "specs"], config)
    assert not problems, problems
    out["specs"] = time.perf_counter() - start
    with Store.open(root / f"phases-{os.getpid()}.db") as store:
        start = time.perf_counter()
        runner = Runner(
            specs,
            config,
            store,
            RunOptions(progress=False, record_mode=record_mode, concurrency=concurrency),
            recorder=Recorder(config.cassettes_dir, record_mode),  # type: ignore[arg-type]
            console=Console(file=io.StringIO()),
        )
        result = asyncio.run(runner.run())
        out["run"] = time.perf_counter() - start
        start = time.perf_counter()
        write_reports(store, result.run_id, root / f"phases-out-{os.getpid()}")
        out["report files"] = time.perf_counter() - start
    return out


def breakdown(root: Path, *, record_mode: str, concurrency: int) -> dict[str, float]:
    """``measure`` in a fresh process; start-up is the time from the process's start until
    ``harness run``'s imports are done (interpreter start included)."""
    import subprocess

    repo = Path(__file__).resolve().parent.parent
    start = time.time()
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "benchmarks.phases",
            str(root),
            "--record-mode",
            record_mode,
            "--concurrency",
            str(concurrency),
            "--launched",
            repr(start),
        ],
        cwd=repo,
        capture_output=True,
        text=True,
        check=True,
    )
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def show(phases: dict[str, float], total: float | None = None) -> str:
    """One line per phase with its share."""
    whole = sum(phases[p] for p in PHASES)
    lines = [f"  {name:<13} {phases[name]:6.2f}s  {phases[name] / whole:5.0%}" for name in PHASES]
    tail = f"  {'sum':<13} {whole:6.2f}s"
    if total is not None:
        tail += f"  (the command itself: {total:.2f}s)"
    return "\n".join([*lines, tail])


def main() -> None:
    """Entry point of the measuring process."""
    parser = argparse.ArgumentParser()
    parser.add_argument("root", type=Path)
    parser.add_argument("--record-mode", default="off")
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--launched", type=float, required=True)
    args = parser.parse_args()
    launched_wall = args.launched
    # the interpreter's own start: from the parent's launch to this module's first line
    interpreter = time.time() - (time.perf_counter() - _T0) - launched_wall
    out = measure(args.root, record_mode=args.record_mode, concurrency=args.concurrency)
    out["start-up"] = interpreter + (out["start-up"] - out.pop("interpreter"))
    print(json.dumps(out))


if __name__ == "__main__":
    main()

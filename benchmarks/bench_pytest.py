"""The pytest plugin next to ``harness run`` on the same spec, recording and replaying.

One spec of N cases on two models (2N items) against the loopback OpenAI fake in a
subprocess. In one run this script times, each as a subprocess from start-up to report
files: ``harness run --record-mode all`` and ``pytest --record-mode all`` (recording),
then ``harness run --record-mode none`` and ``pytest --record-mode none`` replaying the
same cassettes. The target: pytest within 1.5x of the CLI in both modes::

    .venv/bin/python -m benchmarks.bench_pytest                 # 10,000 cases, 20,000 items
    .venv/bin/python -m benchmarks.bench_pytest --cases 1000
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.bench_run import fake_server, store_count

REPO = Path(__file__).resolve().parent.parent
TARGET = 1.5
IN_FLIGHT = 64


def write_project(root: Path, url: str, cases: int) -> None:
    """harness.yaml with the fake as provider ``bench``; one spec of ``cases`` cases, 2 models."""
    (root / "specs").mkdir(parents=True)
    (root / "pytest.ini").write_text("[pytest]\n")  # rootdir here, whatever is above it
    (root / "harness.yaml").write_text(
        f"providers:\n  bench: {{type: openai, base_url: '{url}/v1'}}\n"
    )
    with (root / "specs" / "cases.jsonl").open("w") as f:
        for i in range(cases):
            row = {
                "id": f"c{i}",
                "vars": {"n": i},
                "expect": [{"type": "contains", "value": "item"}],
            }
            f.write(json.dumps(row) + "\n")
    (root / "specs" / "bench.yaml").write_text(
        "name: bench\nmodels: [bench:fake-a, bench:fake-b]\nparams: {max_tokens: 16}\n"
        "prompt: 'Repeat: item {{ n }}'\ncases_file: cases.jsonl\n"
    )


def _timed(root: Path, args: list[str]) -> float:
    env = {**os.environ, "PYTHONPATH": str(REPO), "HARNESS_RECORD_MODE": ""}
    start = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, *args], cwd=root, env=env, capture_output=True, text=True
    )
    elapsed = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(args)} failed ({proc.returncode}):\n{proc.stdout[-3000:]}")
    return elapsed


def cli(root: Path, mode: str) -> float:
    """``harness run`` in ``mode``; seconds."""
    run = ["-c", "from harness.cli import main; main()", "run", "--record-mode", mode]
    return _timed(root, [*run, "--concurrency", str(IN_FLIGHT), "--out", str(root / "out")])


def plugin(root: Path, mode: str) -> float:
    """``pytest specs`` in ``mode``; seconds."""
    args = ["-m", "pytest", "specs", "-q", "-p", "no:cacheprovider", "-p", "no:randomly"]
    args += ["--record-mode", mode, "--harness-concurrency", str(IN_FLIGHT)]
    return _timed(root, [*args, "--harness-report", str(root / "out-pytest")])


def main(argv: list[str] | None = None) -> None:
    """Print seconds per tool and mode and pytest's ratio to the CLI."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=10_000)
    args = parser.parse_args(argv)
    n = args.cases
    with fake_server() as url, tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        write_project(root, url, n)
        print(f"{n} cases x 2 models = {2 * n} items, {IN_FLIGHT} in flight, OpenAI fake")
        cli_record = cli(root, "all")
        shutil.rmtree(root / "cassettes")
        pytest_record = plugin(root, "all")
        cli_replay = cli(root, "none")
        pytest_replay = plugin(root, "none")
        stored = store_count(root / "reports" / "harness.db")
        if stored != 4 * 2 * n:
            raise SystemExit(f"expected {8 * n} results in the store, found {stored}")
        for mode, ours, peer in (
            ("record", pytest_record, cli_record),
            ("replay", pytest_replay, cli_replay),
        ):
            print(
                f"{mode}: harness run {peer:7.2f} s  pytest {ours:7.2f} s  "
                f"ratio {ours / peer:5.2f}x (target <= {TARGET}x)",
                flush=True,
            )


if __name__ == "__main__":
    main()

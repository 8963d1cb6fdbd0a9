"""``harness run --batch`` next to a live run of the same items, on the OpenAI batch fake.

Both runs go through the CLI in this process against ``tests.fakes.openai_batch_fake`` (in a
thread), whose answers are instant: the figure is harness's own cost of sending a batch,
polling it, reading its answers and scoring each through the driver, the cassette layer and
the store, next to making the same calls live::

    .venv/bin/python -m benchmarks.bench_batch --items 2000

No target is set by an issue; it checks that the batch path is no slower than the live one.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

from click.testing import CliRunner

from harness.cli import cli
from tests.fakes.server import FakeServer


def _project(root: Path, url: str, items: int) -> None:
    (root / "specs").mkdir()
    (root / "harness.yaml").write_text(
        f"providers:\n  openai: {{type: openai, base_url: '{url}/v1', "
        "options: {batch_poll_interval: 0.05}}\n"
        "defaults: {record_mode: 'off', concurrency: 64}\n"
    )
    lines = ["name: say", "models: [openai:fake-model]", "prompt: 'say {{ word }}'", "cases:"]
    lines += [
        f"  - {{id: c{i}, vars: {{word: w{i}}}, expect: [{{type: contains, value: w{i}}}]}}"
        for i in range(items)
    ]
    (root / "specs" / "say.yaml").write_text("\n".join(lines) + "\n")


def main() -> None:
    """Print seconds for a live run and a batch run of ``--items`` items."""
    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("--items", type=int, default=2000)
    args = parser.parse_args()
    fake = FakeServer("openai_batch")
    here = Path.cwd()
    times: dict[str, float] = {}
    with fake.in_thread() as url:
        for mode in ("live", "batch"):
            root = Path(tempfile.mkdtemp(prefix=f"bench-batch-{mode}-"))
            _project(root, url, args.items)
            os.chdir(root)
            try:
                flags = ["run", "--json"] + (["--batch"] if mode == "batch" else [])
                start = time.perf_counter()
                result = CliRunner().invoke(cli, flags)
                times[mode] = time.perf_counter() - start
            finally:
                os.chdir(here)
            if result.exit_code != 0:
                raise SystemExit(f"{mode} run failed ({result.exit_code}): {result.output[-500:]}")
    for mode, seconds in times.items():
        print(f"{mode:>5}: {args.items} items in {seconds:.2f} s")
    print(f"batch / live: {times['batch'] / times['live']:.2f}")


if __name__ == "__main__":
    main()

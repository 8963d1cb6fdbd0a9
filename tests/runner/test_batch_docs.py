"""docs/batch.md stays true: its example project runs with --batch on the fake it names."""

from __future__ import annotations

import re
from pathlib import Path

from harness.store.sqlite import Store
from tests.fakes.server import FakeServer
from tests.runner.test_batch_api import calls, run_cli

DOC = Path(__file__).resolve().parents[2] / "docs" / "batch.md"
BLOCKS = re.findall(r"```yaml\n(# [^\n]+\n.*?)```", DOC.read_text(encoding="utf-8"), re.DOTALL)


def test_the_documented_example_runs_through_a_batch(tmp_path: Path) -> None:
    files = {block.split("\n", 1)[0][2:].split()[0]: block for block in BLOCKS}
    assert set(files) == {"harness.yaml", "specs/greet.yaml"}
    fake = FakeServer("openai_batch")
    with fake.in_thread() as url:
        for rel, text in files.items():
            target = tmp_path / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text.replace("http://127.0.0.1:8123", url))

        result = run_cli(tmp_path, "--batch")

    assert result.exit_code == 0, result.output
    assert "as batch batch_" in result.output and "(batch price)" in result.output
    assert calls(fake, "POST", "/v1/batches") == 1
    assert calls(fake, "POST", "/v1/chat/completions") == 0
    with Store.open(tmp_path / "reports" / "harness.db") as store:
        run_id = store.latest_run_id()
        assert run_id is not None
        assert {r.status for r in store.iter_results(run_id)} == {"passed"}

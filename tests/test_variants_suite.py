"""A suite of 50 cases x 3 prompt variants x 2 models replays offline from committed
cassettes (tests/suites/variants/), every item exactly once."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from harness.config import load_config
from harness.runner.expand import Selection, expand
from harness.spec.load import load_specs
from harness.store.sqlite import Store

SUITE = Path(__file__).resolve().parent / "suites" / "variants"


def test_fifty_cases_three_prompts_two_models_replay_offline(tmp_path: Path) -> None:
    out, store_path = tmp_path / "out", tmp_path / "harness.db"
    env_free = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "CI": "true"}
    command = ["run", "variants.yaml", "--record-mode", "none", "--out", str(out)]
    done = subprocess.run(
        [sys.executable, "-m", "harness", *command, "--store", str(store_path)],
        cwd=SUITE,
        env=env_free,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 1, done.stdout[-2000:] + done.stderr[-2000:]  # 2 of 3 prompts fail

    config = load_config(start=SUITE)
    specs, problems = load_specs([SUITE / "variants.yaml"], config)
    assert problems == []
    expected = {item.id for item in expand(specs, Selection(), config)}
    assert len(expected) == 300

    with Store.open(store_path) as store:
        run_id = store.latest_run_id()
        assert run_id is not None
        frame = store.results_frame(run_id)
    assert len(frame) == 300 and set(frame["item_id"]) == expected, "each item exactly once"
    assert (frame["status"] != "error").all(), frame[frame["status"] == "error"]["error"].head()
    assert frame["timings_recorded"].all()
    per_prompt = frame.groupby("prompt_name")["status"].apply(lambda s: (s == "passed").mean())
    assert per_prompt.to_dict() == {"bare": 0.0, "polite": 0.0, "question": 1.0}
    assert set(frame["model"]) == {"vllm:fake-a", "vllm:fake-b"}
    summary = (out / "summary.csv").read_text()
    assert all(
        f"{p}@vllm:fake-{m}" in summary for p in ("bare", "question", "polite") for m in "ab"
    )


def test_every_committed_cassette_is_used() -> None:
    files = {p.relative_to(SUITE / "cassettes") for p in (SUITE / "cassettes").rglob("*.yaml")}
    assert len(files) == 300
    assert all(
        p.name.split(".variant-")[1].removesuffix(".yaml") in ("bare", "question", "polite")
        for p in files
    )

"""The example suite in specs/ replays offline from the committed cassettes.

This is `make demo`: no key, no network, no model installed. A spec edit that is not
re-recorded fails here (stale or missing cassette), as it would in a user's CI.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from harness.config import load_config
from harness.runner.expand import Selection, expand
from harness.spec.load import load_specs
from harness.store.sqlite import Store

REPO = Path(__file__).resolve().parents[1]


def test_example_suite_replays_from_committed_cassettes(tmp_path: Path) -> None:
    out, store_path = tmp_path / "out", tmp_path / "harness.db"
    env_free = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "CI": "true"}
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "harness",
            "run",
            "specs/",
            "--record-mode",
            "none",
            "--out",
            str(out),
            "--store",
            str(store_path),
            "--fail-under",
            "0",
        ],
        cwd=REPO,
        env=env_free,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    for name in ("report.html", "results.csv", "results.json", "summary.csv"):
        assert (out / name).is_file(), name

    config = load_config(start=REPO)
    specs, problems = load_specs([REPO / "specs"], config)
    assert problems == []
    expected = {item.id for item in expand(specs, Selection(), config)}

    store = Store.open(store_path)
    try:
        run_id = store.latest_run_id()
        assert run_id is not None
        frame = store.results_frame(run_id)
    finally:
        store.close()
    assert set(frame["item_id"]) == expected
    assert len(frame) == len(expected), "each item exactly once"
    errors = frame[frame["status"] == "error"]
    assert errors.empty, errors[["item_id", "error"]].to_string()
    assert set(frame["status"]) <= {"passed", "failed", "skipped"}
    # real differences between the two local models, not a tie by construction
    local = frame[frame["model"].str.startswith("local:")]
    rates = (
        local[local["status"] != "skipped"]
        .groupby("model")["status"]
        .apply(lambda s: (s == "passed").mean())
    )
    assert set(rates.index) == {"local:smollm2-135m", "local:gemma3-270m"}
    # the image spec (specs/colours.yaml) replays from cassettes recorded on a fake vision server
    vision = frame[frame["spec"] == "colours"]
    assert set(vision["model"]) == {"vllm:fake-vision", "vllm:fake-vision-mini"}
    assert len(vision) == 12 and (vision["status"] != "error").all()
    # the prompt-variant spec: each case on each prompt x model, the prompts really differ
    variants = frame[frame["spec"] == "support-prompts"]
    assert len(variants) == 64 and set(variants["prompt_name"]) == {"plain", "few-shot"}
    assert set(variants["model"]) == {
        "vllm:fake-router",
        "vllm:fake-router-mini",
        "local:smollm2-135m",
        "local:gemma3-270m",
    }
    routers = variants[variants["model"].str.startswith("vllm:")]
    by_prompt = routers.groupby("prompt_name")["status"].apply(lambda s: (s == "passed").mean())
    assert by_prompt["few-shot"] > by_prompt["plain"]
    assert rates["local:smollm2-135m"] != rates["local:gemma3-270m"]
    assert frame["timings_recorded"].all(), "replayed timings are the recorded ones"
    # the tool-use spec: every step of each tool loop replays from the item's one cassette
    tools = frame[frame["spec"] == "tool-use"]
    assert len(tools) == 20 and (tools["status"] != "error").all()
    tool_rates = tools.groupby("model")["status"].apply(lambda s: (s == "passed").mean())
    assert tool_rates["vllm:fake-tools"] > tool_rates["vllm:fake-tools-mini"]

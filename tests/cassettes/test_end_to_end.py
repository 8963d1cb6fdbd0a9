"""`harness run` records against a fake, then replays with no server and no key."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from harness.cli import cli
from tests.fakes.server import FakeServer

KEY = "bench-key-SECRET-e2e-0123456789"

SPECS = {
    "qa.yaml": """
name: qa
prompt: "Say {{ word }}"
cases:
  - id: hello
    vars: {word: hello}
    expect: [{type: contains, value: hello}]
  - id: "bye: now?"
    vars: {word: bye}
    expect: [{type: contains, value: never-said}]
""",
    "streamed.yaml": """
name: streamed
prompt: "Stream {{ word }}"
params: {stream: true, temperature: 0}
cases:
  - id: one
    vars: {word: one}
    expect: [{type: contains, value: one}]
""",
}


def write_project(root: Path, base_url: str, specs: dict[str, str] = SPECS) -> None:
    """harness.yaml pointing the ``bench`` provider at ``base_url``, and the specs."""
    (root / "harness.yaml").write_text(
        "providers:\n"
        "  bench:\n"
        "    type: openai\n"
        f"    base_url: {base_url}/v1\n"
        "    api_key_env: BENCH_API_KEY\n"
        "defaults:\n"
        "  models: [bench:fake-model]\n"
    )
    folder = root / "specs"
    folder.mkdir(exist_ok=True)
    for name, text in specs.items():
        (folder / name).write_text(text)


def invoke(*args: str) -> Result:
    """Run the CLI in-process."""
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def results(root: Path) -> list[dict[str, Any]]:
    """Every results.json record of every run, oldest run first."""
    runs = [json.loads(p.read_text()) for p in (root / "reports").glob("*/results.json")]
    # run ids sort by the second they started: two runs in one second need the exact time
    return [r["results"] for r in sorted(runs, key=lambda r: r["run"]["started_at"])]


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty project folder as the working directory, with no CI or mode variables."""
    monkeypatch.chdir(tmp_path)
    for name in ("CI", "HARNESS_RECORD_MODE"):
        monkeypatch.delenv(name, raising=False)
    return tmp_path


def record(project: Path, monkeypatch: pytest.MonkeyPatch) -> FakeServer:
    """Record every spec with `--record-mode once` against a fake that is then stopped."""
    monkeypatch.setenv("BENCH_API_KEY", KEY)
    server = FakeServer("openai")
    with server.in_thread() as url:
        write_project(project, url)
        recorded = invoke("run", "--record-mode", "once")
    assert recorded.exit_code == 1, recorded.output  # one expectation fails on purpose
    monkeypatch.delenv("BENCH_API_KEY")  # CI replays without keys
    return server


def test_replay_gives_identical_verdicts_and_outputs(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    server = record(project, monkeypatch)
    replayed = invoke("run", "--record-mode", "none")
    assert replayed.exit_code == 1, replayed.output

    live, again = results(project)
    volatile = {"run_id", "started_at", "finished_at"}
    strip = [{k: v for k, v in r.items() if k not in volatile} for r in live]
    assert strip == [{k: v for k, v in r.items() if k not in volatile} for r in again]
    by_case = {r["case_id"]: r for r in again}
    assert by_case["hello"]["status"] == "passed"
    assert by_case["bye: now?"]["status"] == "failed"
    assert by_case["one"]["output"] == "echo: Stream one"
    assert all(r["timings_recorded"] for r in again)
    assert len(server.requests) == 3  # the replay never reached a server


def test_cassettes_hold_no_key(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    record(project, monkeypatch)
    files = sorted(p.relative_to(project).as_posix() for p in project.rglob("*.yaml"))
    assert "cassettes/qa/bye%3A now%3F/bench/fake-model.yaml" in files
    text = "".join(p.read_text() for p in (project / "cassettes").rglob("*") if p.is_file())
    assert KEY not in text
    assert "text/event-stream" in text


def test_a_changed_prompt_is_stale_in_replay(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    record(project, monkeypatch)
    spec = project / "specs" / "qa.yaml"
    spec.write_text(spec.read_text().replace("Say {{ word }}", "Please say {{ word }}"))
    invoke("run", "--record-mode", "none")
    errors = {r["case_id"]: r["error"] for r in results(project)[-1] if r["status"] == "error"}
    assert set(errors) == {"hello", "bye: now?"}
    assert errors["hello"].startswith(
        "cassette is stale for qa::hello::bench:fake-model::1: the request's body differ, first at "
        "messages[0].content: 'Say hello' -> 'Please say hello'; "
        "re-record with: harness run --record-mode all -k qa::hello::bench:fake-model ("
    )


def test_check_lists_stale_missing_and_unused_and_prune_removes_unused(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    record(project, monkeypatch)
    assert invoke("cassettes", "check").exit_code == 0

    qa = project / "specs" / "qa.yaml"
    text = qa.read_text().replace('id: "bye: now?"', "id: later")  # renamed: missing + unused
    qa.write_text(text.replace("Say {{ word }}", "Say {{ word }}!"))  # stale
    result = invoke("cassettes", "check")
    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert any(line.startswith("stale    cassettes/qa/hello/") for line in lines)
    assert "messages[0].content: 'Say hello' -> 'Say hello!'" in result.output
    assert "re-record with: harness run --record-mode all -k qa::hello::bench:fake-model" in (
        result.output
    )
    assert any(line.startswith("missing  cassettes/qa/later/") for line in lines)
    assert any(line.startswith("unused   cassettes/qa/bye%3A now%3F/") for line in lines)
    assert "3 items checked: 1 stale, 1 missing, 0 errors, 1 unused" in result.output

    unused = project / "cassettes" / "qa" / "bye: now?".replace(":", "%3A").replace("?", "%3F")
    dry = invoke("cassettes", "prune", "--dry-run")
    assert "would delete 1 unused cassettes" in dry.output
    assert unused.exists()
    invoke("cassettes", "prune")
    assert not unused.exists()  # the file and its emptied folders
    assert (project / "cassettes" / "qa" / "hello").is_dir()

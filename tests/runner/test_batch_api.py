"""``harness run --batch`` end to end against the batch fakes of OpenAI, Anthropic and Gemini."""

from __future__ import annotations

import os
import re
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import yaml
from click.testing import CliRunner, Result

from harness.cli import cli
from harness.store.records import ResultRecord
from harness.store.sqlite import Store
from tests.fakes.batch_fake import batches
from tests.fakes.server import FakeServer


@dataclass(frozen=True)
class Kind:
    """One provider's batch fake and how harness.yaml declares it (named as the provider,
    so OpenAI's batch API counts as there, as for the official endpoint)."""

    name: str
    fake: str
    provider: str
    live_path: str
    create_path: str


KINDS = {
    "openai": Kind(
        "openai",
        "openai_batch",
        "{type: openai, base_url: '{url}/v1', max_retries: 1, "
        "options: {batch_poll_interval: 0.01, retry_base_delay: 0.01}}",
        "/v1/chat/completions",
        "/v1/batches",
    ),
    "anthropic": Kind(
        "anthropic",
        "anthropic_batch",
        "{type: anthropic, base_url: '{url}', api_key_env: FAKE_BATCH_KEY, max_retries: 1, "
        "options: {batch_poll_interval: 0.01, retry_base_delay: 0.01}}",
        "/v1/messages",
        "/v1/messages/batches",
    ),
    "gemini": Kind(
        "gemini",
        "gemini_batch",
        "{type: gemini, base_url: '{url}', api_key_env: FAKE_BATCH_KEY, max_retries: 1, "
        "options: {batch_poll_interval: 0.01, retry_base_delay: 0.01}}",
        "/v1beta/models/fake-model:generateContent",
        "/v1beta/models/fake-model:batchGenerateContent",
    ),
}
PRICE = "{price: {input_per_mtok: 1000, output_per_mtok: 1000}}"


def project(
    root: Path, url: str, kind: Kind, words: list[str], *, extra: str = "", provider_extra: str = ""
) -> Path:
    """A project with one spec whose cases say ``words`` (each must come back)."""
    (root / "specs").mkdir(parents=True, exist_ok=True)
    provider = kind.provider.replace("{url}", url)
    if provider_extra:
        provider = provider[:-1] + ", " + provider_extra + "}"
    (root / "harness.yaml").write_text(
        f"providers:\n  {kind.name}: {provider}\n"
        f"models:\n  {kind.name}:fake-model: {PRICE}\n"
        "defaults: {record_mode: 'off', concurrency: 4}\n" + extra
    )
    lines = [
        "name: say",
        f"models: [{kind.name}:fake-model]",
        "params: {max_tokens: 20}",
        "prompt: 'say {{ word }}'",
        "cases:",
    ]
    for i, word in enumerate(words):
        lines.append(
            f"  - {{id: c{i}, vars: {{word: {word}}}, expect: [{{type: contains, value: '{word}'}}]}}"
        )
    (root / "specs" / "say.yaml").write_text("\n".join(lines) + "\n")
    return root


def run_cli(root: Path, *args: str) -> Result:
    old = Path.cwd()
    os.chdir(root)
    try:
        return CliRunner().invoke(cli, ["run", *args], catch_exceptions=False)
    finally:
        os.chdir(old)


def records(root: Path) -> list[ResultRecord]:
    with Store.open(root / "reports" / "harness.db") as store:
        run_id = store.latest_run_id()
        assert run_id is not None
        return list(store.iter_results(run_id))


def calls(fake: FakeServer, method: str, path: str) -> int:
    return sum(1 for r in fake.requests if r.method == method and r.path == path)


@pytest.fixture(autouse=True)
def _key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FAKE_BATCH_KEY", "sk-fake-batch-key-0000")


@pytest.fixture(params=sorted(KINDS))
def kind(request: pytest.FixtureRequest) -> Iterator[tuple[Kind, FakeServer, str]]:
    """Each provider's batch fake, running in a thread."""
    spec = KINDS[request.param]
    fake = FakeServer(spec.fake)
    with fake.in_thread() as url:
        yield spec, fake, url


def test_batch_run_sends_one_batch_and_scores_every_item(
    kind: tuple[Kind, FakeServer, str], tmp_path: Path
) -> None:
    spec, fake, url = kind
    words = ["alpha", "beta", "gamma", "delta", "epsilon"]
    root = project(tmp_path, url, spec, words)

    result = run_cli(root, "--batch")

    assert result.exit_code == 0, result.output
    assert calls(fake, "POST", spec.create_path) == 1
    assert calls(fake, "POST", spec.live_path) == 0  # nothing was asked live
    got = records(root)
    assert sorted(r.case_id for r in got) == [f"c{i}" for i in range(len(words))]
    assert {r.status for r in got} == {"passed"}
    for record in got:
        assert record.input_tokens and record.output_tokens
        live = (record.input_tokens + record.output_tokens) * 1000 / 1e6
        assert record.cost_usd == pytest.approx(live / 2)  # the batch rate: half
        assert record.latency_ms is None  # a batch has no per-call latency


def test_a_live_run_of_the_same_project_pays_the_live_price(
    kind: tuple[Kind, FakeServer, str], tmp_path: Path
) -> None:
    spec, fake, url = kind
    root = project(tmp_path, url, spec, ["alpha", "beta"])

    result = run_cli(root)

    assert result.exit_code == 0, result.output
    assert calls(fake, "POST", spec.create_path) == 0
    assert calls(fake, "POST", spec.live_path) == 2
    for record in records(root):
        assert record.input_tokens is not None and record.output_tokens is not None
        live = (record.input_tokens + record.output_tokens) * 1000 / 1e6
        assert record.cost_usd == pytest.approx(live)


def test_failed_expired_and_lost_lines_are_retried_live_once(
    kind: tuple[Kind, FakeServer, str], tmp_path: Path
) -> None:
    spec, fake, url = kind
    fake.options["batch_expire"] = True
    words = ["alpha", "FAIL-LINE", "SLOW", "LOST-LINE", "omega"]
    root = project(tmp_path, url, spec, words)

    result = run_cli(root, "--batch")

    assert result.exit_code == 0, result.output
    assert calls(fake, "POST", spec.create_path) == 1
    live = [r for r in fake.requests if r.path == spec.live_path]
    # the three lines without an answer, each asked live exactly once; the others never
    assert len(live) == 3
    asked = sorted(w for w in words if any(w in r.body.decode() for r in live))
    assert asked == ["FAIL-LINE", "LOST-LINE", "SLOW"]
    got = records(root)
    assert len(got) == len(words) == len({r.item_id for r in got})
    assert {r.status for r in got} == {"passed"}
    by_word = {r.case_vars["word"]: r for r in got}
    assert by_word["FAIL-LINE"].latency_ms is not None  # a live call has a latency
    assert by_word["alpha"].latency_ms is None


def test_a_line_refused_in_the_batch_and_live_ends_as_an_error_stored_once(
    kind: tuple[Kind, FakeServer, str], tmp_path: Path
) -> None:
    spec, fake, url = kind
    fake.options["refuse_live"] = ["BAD-LINE"]
    words = ["alpha", "BAD-LINE"]
    root = project(tmp_path, url, spec, words)

    result = run_cli(root, "--batch")

    assert result.exit_code == 1, result.output
    got = records(root)
    assert len(got) == 2
    by_word = {r.case_vars["word"]: r for r in got}
    assert by_word["alpha"].status == "passed"
    assert by_word["BAD-LINE"].status == "error"
    assert by_word["BAD-LINE"].error_type == "BadRequestError"
    # asked live once (a 400 is not retried), never twice
    assert sum(1 for r in fake.requests if r.path == spec.live_path) == 1


REPO = Path(__file__).resolve().parents[2]


def kill_while_polling(root: Path, fake: FakeServer) -> None:
    """Start ``harness run --batch`` in a subprocess and kill -9 it once it polled twice."""
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    proc = subprocess.Popen(
        [sys.executable, "-c", "from harness.cli import main; main()", "run", "--batch"],
        cwd=root,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            polls = [r for r in fake.requests if r.method == "GET" and "batches/" in r.path]
            if len(polls) >= 2:
                break
            time.sleep(0.02)
        else:
            pytest.fail("the run never polled its batch")
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)


def test_kill_9_while_polling_then_resume_sends_nothing_new(
    kind: tuple[Kind, FakeServer, str], tmp_path: Path
) -> None:
    spec, fake, url = kind
    fake.options["batch_hold"] = True  # the batch stays in progress until we say
    root = project(tmp_path, url, spec, ["alpha", "beta", "gamma"])
    kill_while_polling(root, fake)
    assert calls(fake, "POST", spec.create_path) == 1
    fake.options["batch_hold"] = False
    uploads = calls(fake, "POST", "/v1/files")

    result = run_cli(root, "--resume")

    assert result.exit_code == 0, result.output
    assert calls(fake, "POST", spec.create_path) == 1  # the same batch, polled again
    assert calls(fake, "POST", "/v1/files") == uploads
    assert calls(fake, "POST", spec.live_path) == 0
    got = records(root)
    assert sorted(r.case_id for r in got) == ["c0", "c1", "c2"]
    assert {r.status for r in got} == {"passed"}
    with Store.open(root / "reports" / "harness.db") as store:
        assert len(store.run_ids()) == 1
        assert store.run(store.run_ids()[0]).status == "finished"


def test_a_batch_gone_when_resuming_runs_its_calls_live(tmp_path: Path) -> None:
    spec = KINDS["openai"]
    fake = FakeServer(spec.fake, options={"batch_hold": True})
    with fake.in_thread() as url:
        root = project(tmp_path, url, spec, ["alpha", "beta"])
        kill_while_polling(root, fake)
        batches(fake).clear()  # deleted on the provider's side meanwhile

        result = run_cli(root, "--resume")

    assert result.exit_code == 0, result.output
    assert "is gone (404); its calls run live" in result.output
    assert calls(fake, "POST", spec.create_path) == 1
    assert calls(fake, "POST", spec.live_path) == 2
    assert {r.status for r in records(root)} == {"passed"}


def test_a_batch_that_cannot_be_read_stops_the_run_and_resume_finishes_it(
    tmp_path: Path,
) -> None:
    spec = KINDS["openai"]
    fake = FakeServer(spec.fake, options={"poll_status": 503})
    with fake.in_thread() as url:
        root = project(tmp_path, url, spec, ["alpha", "beta"])

        stopped = run_cli(root, "--batch")
        fake.options["poll_status"] = None
        resumed = run_cli(root, "--resume")

    assert stopped.exit_code == 2
    assert "could not read batch batch_" in stopped.output
    assert "harness run --resume" in stopped.output
    assert resumed.exit_code == 0, resumed.output
    assert calls(fake, "POST", spec.create_path) == 1
    assert calls(fake, "POST", spec.live_path) == 0
    assert {r.status for r in records(root)} == {"passed"}


def test_recorded_through_a_batch_replays_offline_with_no_server(
    kind: tuple[Kind, FakeServer, str], tmp_path: Path
) -> None:
    spec, fake, url = kind
    words = ["alpha", "beta"]
    root = project(tmp_path, url, spec, words)

    recorded = run_cli(root, "--batch", "--record-mode", "once")

    assert recorded.exit_code == 0, recorded.output
    assert calls(fake, "POST", spec.live_path) == 0
    cassettes = sorted((root / "cassettes").rglob("*.yaml"))
    assert len(cassettes) == 2
    first = {r.case_id: r.output for r in records(root)}
    for path in cassettes:
        text = path.read_text()
        assert "sk-fake-batch-key" not in text
        (interaction,) = yaml.safe_load(text)["interactions"]
        # the live call's request, as a live call sends it ...
        assert urlsplit(interaction["request"]["uri"]).path == spec.live_path
        # ... and the answer the batch gave for it
        answer = interaction["response"]["body"]["string"]
        case_id = path.parent.parent.name
        assert first[case_id] and first[case_id] in answer.replace("\n", "")
    before = len(fake.requests)

    # the server is gone: a replay (plain, or still with --batch) needs nothing from it
    fake.options["batch_hold"] = True
    replays = [
        run_cli(root, "--record-mode", "none"),
        run_cli(root, "--batch", "--record-mode", "none"),
    ]

    for replay in replays:
        assert replay.exit_code == 0, replay.output
    assert len(fake.requests) == before
    again = {r.case_id: r.output for r in records(root)}
    assert again == first
    # a second recording run replays the batch-recorded cassettes instead of batching again
    rerun = run_cli(root, "--batch", "--record-mode", "once")
    assert rerun.exit_code == 0, rerun.output
    assert calls(fake, "POST", spec.create_path) == 1


def lines_sent(fake: FakeServer) -> list[int]:
    """How many lines each batch the fake received held."""
    return [len(b.lines) for b in batches(fake).values()]


# a call's ceiling: "say wN" is 5 estimated prompt tokens, max_tokens 20, $1000/Mtok:
# $0.025 at the live price, $0.0125 at the batch price
def test_max_cost_reserves_each_batched_call_at_the_batch_price(
    kind: tuple[Kind, FakeServer, str], tmp_path: Path
) -> None:
    spec, fake, url = kind
    root = project(tmp_path, url, spec, [f"w{i}" for i in range(6)])

    result = run_cli(root, "--batch", "--max-cost", "0.055")

    assert result.exit_code == 0, result.output
    # four ceilings fit at the batch price (two would at the live price)
    assert lines_sent(fake) == [4]
    # the two that did not fit run live once the batch's actual cost left room
    assert calls(fake, "POST", spec.live_path) == 2
    got = records(root)
    assert len(got) == 6 and {r.status for r in got} == {"passed"}
    assert sum(r.cost_usd or 0 for r in got) <= 0.055


def test_calls_that_never_fit_the_budget_are_skipped_not_sent(
    kind: tuple[Kind, FakeServer, str], tmp_path: Path
) -> None:
    spec, fake, url = kind
    root = project(tmp_path, url, spec, [f"w{i}" for i in range(6)])

    result = run_cli(root, "--batch", "--max-cost", "0.02")

    assert result.exit_code == 0, result.output
    assert lines_sent(fake) == [1]
    assert calls(fake, "POST", spec.live_path) == 0  # a live ceiling never fits
    got = records(root)
    assert sorted(r.status for r in got) == ["passed"] + ["skipped"] * 5
    assert {r.error_type for r in got if r.status == "skipped"} == {"budget"}
    assert sum(r.cost_usd or 0 for r in got) <= 0.02


@pytest.fixture
def openai_fake() -> Iterator[tuple[FakeServer, str]]:
    """The OpenAI batch fake alone."""
    fake = FakeServer("openai_batch")
    with fake.in_thread() as url:
        yield fake, url


def compatible(root: Path, url: str, *, provider_keys: str = "", spec_keys: str = "") -> Path:
    """A project on an OpenAI-compatible provider named ``bench`` (not ``openai``)."""
    (root / "specs").mkdir(parents=True, exist_ok=True)
    (root / "harness.yaml").write_text(
        "providers:\n"
        f"  bench: {{type: openai, base_url: '{url}/v1', "
        f"options: {{batch_poll_interval: 0.01}}{provider_keys}}}\n"
        "defaults: {record_mode: 'off'}\n"
    )
    (root / "specs" / "say.yaml").write_text(
        "name: say\nmodels: [bench:fake-model]\nprompt: 'say {{ word }}'\n" + spec_keys + "cases:\n"
        "  - {id: a, vars: {word: alpha}, expect: [{type: contains, value: alpha}]}\n"
        "  - {id: b, vars: {word: beta}, expect: [{type: contains, value: beta}]}\n"
    )
    return root


def test_gemini_answers_from_a_responses_file(tmp_path: Path) -> None:
    spec = KINDS["gemini"]
    fake = FakeServer(spec.fake, options={"results_file": True})
    with fake.in_thread() as url:
        root = project(tmp_path, url, spec, ["alpha", "FAIL-LINE", "beta"])

        result = run_cli(root, "--batch")

    assert result.exit_code == 0, result.output
    assert any(r.path.startswith("/download/v1beta/files/") for r in fake.requests)
    assert calls(fake, "POST", spec.live_path) == 1  # the failed line, retried live
    assert {r.status for r in records(root)} == {"passed"}


def test_a_compatible_server_runs_live_with_a_one_line_note(
    openai_fake: tuple[FakeServer, str], tmp_path: Path
) -> None:
    fake, url = openai_fake
    root = compatible(tmp_path, url)

    result = run_cli(root, "--batch")

    assert result.exit_code == 0, result.output
    notes = [line for line in result.output.splitlines() if "batch API" in line]
    assert len(notes) == 1 and "bench" in notes[0] and "batch: true" in notes[0]
    assert calls(fake, "POST", "/v1/batches") == 0
    assert calls(fake, "POST", "/v1/chat/completions") == 2


def test_batch_true_on_a_provider_batches_it_without_the_flag(
    openai_fake: tuple[FakeServer, str], tmp_path: Path
) -> None:
    fake, url = openai_fake
    root = compatible(tmp_path, url, provider_keys=", batch: true")

    result = run_cli(root)

    assert result.exit_code == 0, result.output
    assert calls(fake, "POST", "/v1/batches") == 1
    assert calls(fake, "POST", "/v1/chat/completions") == 0


@pytest.mark.parametrize(
    ("spec_keys", "flag", "batched"),
    [
        pytest.param("batch: true\n", (), True, id="spec-true"),
        pytest.param("batch: false\n", ("--batch",), False, id="spec-false-beats-flag"),
    ],
)
def test_a_spec_chooses_for_its_own_calls(
    openai_fake: tuple[FakeServer, str],
    tmp_path: Path,
    spec_keys: str,
    flag: tuple[str, ...],
    batched: bool,
) -> None:
    fake, url = openai_fake
    root = compatible(tmp_path, url, provider_keys=", batch: true", spec_keys=spec_keys)
    if not batched:
        root = compatible(tmp_path, url, spec_keys=spec_keys)

    result = run_cli(root, *flag)

    assert result.exit_code == 0, result.output
    assert calls(fake, "POST", "/v1/batches") == (1 if batched else 0)
    assert calls(fake, "POST", "/v1/chat/completions") == (0 if batched else 2)


def test_echo_has_no_batch_api_and_runs_live(tmp_path: Path) -> None:
    (tmp_path / "specs").mkdir()
    (tmp_path / "harness.yaml").write_text("defaults: {record_mode: 'off'}\n")
    (tmp_path / "specs" / "e.yaml").write_text(
        "name: e\nmodels: [echo]\nprompt: hi\ncases:\n  - {id: a, expect: [{type: contains, value: hi}]}\n"
    )

    result = run_cli(tmp_path, "--batch")

    assert result.exit_code == 0, result.output
    assert "note: echo has no batch API; its calls run live" in result.output
    assert [r.status for r in records(tmp_path)] == ["passed"]


def _range(output: str, model: str) -> tuple[float, float]:
    row = next(line for line in output.splitlines() if model in line)
    low, high = re.findall(r"\$([0-9.]+)", row)[-2:]
    return float(low), float(high)


def test_dry_run_with_batch_prices_the_batched_calls_at_the_batch_price(
    kind: tuple[Kind, FakeServer, str], tmp_path: Path
) -> None:
    spec, fake, url = kind
    root = project(tmp_path, url, spec, [f"w{i}" for i in range(4)])
    model = f"{spec.name}:fake-model"

    live = run_cli(root, "--dry-run")
    batched = run_cli(root, "--dry-run", "--batch")

    assert live.exit_code == batched.exit_code == 0, live.output + batched.output
    live_low, live_high = _range(live.output, model)
    batch_low, batch_high = _range(batched.output, model)
    assert batch_high == pytest.approx(live_high / 2, rel=0.02)
    assert batch_low == pytest.approx(live_low / 2, rel=0.05)
    assert not fake.requests


def test_calls_offering_tools_run_live_with_a_note(
    openai_fake: tuple[FakeServer, str], tmp_path: Path
) -> None:
    fake, url = openai_fake
    root = compatible(
        tmp_path,
        url,
        provider_keys=", batch: true",
        spec_keys="tools: [{name: lookup, description: look a word up}]\n",
    )

    result = run_cli(root)

    assert "2 streamed, tool-using or multi-turn call(s) run live" in result.output
    assert calls(fake, "POST", "/v1/batches") == 0
    assert calls(fake, "POST", "/v1/chat/completions") == 2


# where the API lets a batch carry the run's name for it, a resume finds it
FINDS_ITS_BATCH = {"openai": True, "gemini": True, "anthropic": False}


def test_killed_before_the_batch_id_was_stored_the_resume_finds_it_where_it_can(
    kind: tuple[Kind, FakeServer, str], tmp_path: Path
) -> None:
    spec, fake, url = kind
    fake.options["batch_hold"] = True
    root = project(tmp_path, url, spec, ["alpha", "beta"])
    kill_while_polling(root, fake)
    db = root / "reports" / "harness.db"
    with sqlite3.connect(db) as con:  # as if killed between the provider's answer and the store
        con.execute("UPDATE batch_jobs SET batch_id = NULL, status = 'preparing'")
    fake.options["batch_hold"] = False

    result = run_cli(root, "--resume")

    assert result.exit_code == 0, result.output
    finds = FINDS_ITS_BATCH[spec.name]
    # Anthropic's batches carry nothing to find them by: the batch is sent again
    assert calls(fake, "POST", spec.create_path) == (1 if finds else 2)
    assert calls(fake, "POST", spec.live_path) == 0
    got = records(root)
    assert len(got) == 2 and {r.status for r in got} == {"passed"}

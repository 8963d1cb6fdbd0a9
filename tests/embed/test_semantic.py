"""semantic-similar: verdicts with a fake embed call, the embedder's precedence, and a
`harness run` that records the embeddings call in a cassette and replays it offline."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pytest

from harness.expect.registry import check_assertion
from harness.spec.types import Assertion, PromptTemplate, Spec
from tests.cassettes.test_end_to_end import invoke, results
from tests.embed.fakes import letters, with_embeddings
from tests.expect.helpers import make_spec, run
from tests.fakes.server import FakeServer

A = Assertion


class FakeEmbed:
    """An EmbedCall with letter-count vectors that records which embedder was asked."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, list[str]]] = []

    async def __call__(self, embedder: str, texts: Sequence[str]) -> list[list[float]]:
        self.calls.append((embedder, list(texts)))
        return [letters(t) for t in texts]


async def test_similar_meaning_passes_and_the_reason_names_the_embedder() -> None:
    embed = FakeEmbed()
    case = await run(A("semantic-similar", "stop"), text="pots")
    # no embed given: the local embedder ran (the `embed` extra is a test dependency)
    assert case.verdicts[0].reason.endswith("got 'pots'")
    from harness.expect.evaluate import evaluate_case, parse_output
    from tests.expect.helpers import make_case

    a = A("semantic-similar", ["zzz", "tops"], options={"embedder": "fake:emb"})
    verdict = await evaluate_case(
        make_spec(), make_case(a), parse_output("stop", None), embed=embed
    )
    (v,) = verdict.verdicts
    assert v.passed and v.score == pytest.approx(1.0)
    assert v.reason == "cosine 1.00 >= 0.75 to 'tops' (best of 2) (fake:emb); got 'stop'"
    assert embed.calls == [("fake:emb", ["stop", "zzz", "tops"])]


async def test_the_embedder_comes_from_the_assertion_then_the_spec_then_the_project() -> None:
    from harness.expect.evaluate import evaluate_case, parse_output
    from tests.expect.helpers import make_case

    spec = Spec("s", "s.yaml", PromptTemplate((("user", "x"),)), (), embedder="spec:emb")
    embed = FakeEmbed()
    plain, own = (
        A("semantic-similar", "a"),
        A("semantic-similar", "a", options={"embedder": "own:emb"}),
    )
    await evaluate_case(
        spec, make_case(plain, own), parse_output("a", None), embed=embed, embedder="project:emb"
    )
    assert sorted(e for e, _ in embed.calls) == ["own:emb", "spec:emb"]
    embed.calls.clear()
    await evaluate_case(
        make_spec(), make_case(plain), parse_output("a", None), embed=embed, embedder="project:emb"
    )
    assert [e for e, _ in embed.calls] == ["project:emb"]


async def test_an_embedder_that_cannot_run_is_an_error_not_a_pass() -> None:
    case = await run(
        A("semantic-similar", "a", negate=True, options={"embedder": "openai:x"}), text="b"
    )
    (v,) = case.verdicts
    assert not v.passed and v.error is not None and "calls a provider" in v.error


def test_validation() -> None:
    assert check_assertion({"type": "semantic-similar", "value": "x", "embedder": "local"}) == [
        (
            "embedder",
            "embedder 'local' must be 'provider:model', e.g. 'openai:text-embedding-3-small' or 'local:paraphrase-minilm-l3'",
        )
    ]
    assert (
        check_assertion({"type": "semantic-similar", "value": ["a", "b"], "threshold": 0.9}) == []
    )


SPEC = """
name: meaning
prompt: "Say {{ word }}"
embedder: bench:emb-1
cases:
  - id: hello
    vars: {word: hello}
    expect:
      - type: semantic-similar
        value: "hello there"
        threshold: 0.5
"""


def test_embeddings_are_recorded_in_the_cassette_and_replayed_offline(
    project: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("BENCH_API_KEY", "k-123")
    server = FakeServer(with_embeddings)
    with server.in_thread() as url:
        (project / "harness.yaml").write_text(
            "providers:\n  bench:\n    type: openai\n"
            f"    base_url: {url}/v1\n    api_key_env: BENCH_API_KEY\n"
            "defaults:\n  models: [bench:fake-model]\n"
        )
        (project / "specs").mkdir()
        (project / "specs" / "meaning.yaml").write_text(SPEC)
        recorded = invoke("run", "--record-mode", "once")
    assert recorded.exit_code == 0, recorded.output
    assert [r.path for r in server.requests] == ["/v1/chat/completions", "/v1/embeddings"]
    monkeypatch.delenv("BENCH_API_KEY")
    replayed = invoke("run", "--record-mode", "none")
    assert replayed.exit_code == 0, replayed.output
    live, again = results(project)
    assert [r["verdicts"] for r in live] == [r["verdicts"] for r in again]
    assert "(bench:emb-1)" in again[0]["verdicts"][0]["reason"]
    assert len(server.requests) == 2  # the replay reached no server
    cassette = "".join(p.read_text() for p in (project / "cassettes").rglob("*.yaml"))
    assert "/v1/embeddings" in cassette


def test_cassettes_check_finds_a_stale_embeddings_call(
    project: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("BENCH_API_KEY", "k-123")
    server = FakeServer(with_embeddings)
    with server.in_thread() as url:
        (project / "harness.yaml").write_text(
            "providers:\n  bench:\n    type: openai\n"
            f"    base_url: {url}/v1\n    api_key_env: BENCH_API_KEY\n"
            "defaults:\n  models: [bench:fake-model]\n"
        )
        (project / "specs").mkdir()
        (project / "specs" / "meaning.yaml").write_text(SPEC)
        assert invoke("run", "--record-mode", "once").exit_code == 0
    monkeypatch.delenv("BENCH_API_KEY")
    assert invoke("cassettes", "check").exit_code == 0
    spec = project / "specs" / "meaning.yaml"
    spec.write_text(SPEC.replace('value: "hello there"', 'value: "goodbye"'))
    checked = invoke("cassettes", "check")
    assert checked.exit_code != 0
    assert "embeddings call:" in checked.output, checked.output

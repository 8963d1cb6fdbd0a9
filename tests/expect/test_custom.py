"""The python assertion: what it is called with and what it may return."""

from __future__ import annotations

import pytest

from harness.spec.types import Assertion
from tests.expect.helpers import make_spec, run

MOD = "tests.expect.checks.custom_checks"


def py(fn: str, **kw: object) -> Assertion:
    return Assertion("python", f"{MOD}:{fn}", **kw)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("assertion", "text", "passed", "score", "reason"),
    [
        pytest.param(py("is_short"), "tiny", True, 1.0, "returned True", id="bool-true"),
        pytest.param(py("is_short"), "far too long", False, 0.0, "returned False", id="bool-false"),
        pytest.param(
            py("half"), "x", True, 0.5, "scored 0.50 >= 0.50", id="float-default-threshold"
        ),
        pytest.param(
            py("half", threshold=0.8), "x", False, 0.5, "0.50 < 0.80", id="float-threshold"
        ),
        pytest.param(py("verdict_dict"), "ok", True, 0.9, "saw ok", id="dict"),
        pytest.param(py("verdict_dict"), "no", False, 0.1, "saw no", id="dict-fail"),
        pytest.param(py("slow_yes"), "x", True, 1.0, "returned True", id="async"),
        pytest.param(
            py("is_short", negate=True), "far too long", True, 1.0, "not-python", id="negated"
        ),
    ],
)
async def test_returns(
    assertion: Assertion, text: str, passed: bool, score: float, reason: str
) -> None:
    v = (await run(assertion, text=text)).verdicts[0]
    assert (v.passed, v.score) == (passed, score), v.reason
    assert reason in v.reason and v.error is None


async def test_object_verdicts_and_context() -> None:
    verdicts = (
        await run(py("verdict_object"), py("sees_context", field="n"), parsed={"n": 5})
    ).verdicts
    assert [v.passed for v in verdicts] == [True, True], [v.reason for v in verdicts]
    assert "object verdict" in verdicts[0].reason


@pytest.mark.parametrize(
    ("assertion", "error"),
    [
        pytest.param(py("boom"), "raised ValueError: the check blew up", id="raises"),
        pytest.param(py("out_of_range"), "a score must be in [0, 1]", id="out-of-range"),
        pytest.param(py("wrong_type"), "return a bool", id="wrong-type"),
        pytest.param(py("NOT_CALLABLE"), "is not callable", id="not-callable"),
        pytest.param(py("missing_fn"), "has no attribute 'missing_fn'", id="missing"),
        pytest.param(Assertion("python", "no_such_mod_xyz:f"), "cannot import", id="no-module"),
        pytest.param(py("boom", negate=True), "blew up", id="negation-does-not-hide-errors"),
    ],
)
async def test_errors_never_pass(assertion: Assertion, error: str) -> None:
    case = await run(assertion, text="x")
    v = case.verdicts[0]
    assert not v.passed and v.score == 0.0 and not case.passed
    assert v.error is not None and error in v.error


async def test_a_file_next_to_the_spec(tmp_path: object) -> None:
    from pathlib import Path

    folder = Path(str(tmp_path))
    (folder / "my_checks.py").write_text(
        "def shouty(output, context):\n    return output.isupper()\n", encoding="utf-8"
    )
    spec = make_spec(path=str(folder / "spec.yaml"))
    a = Assertion("python", "my_checks.py:shouty")
    assert (await run(a, text="HI", spec=spec)).passed
    assert not (await run(a, text="hi", spec=spec)).passed

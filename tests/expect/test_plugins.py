"""A third-party assertion type, installed through the ``harness.assertions`` entry points.

The plugin is a real distribution: a module and a ``.dist-info`` folder with its
``entry_points.txt`` in a folder put on ``sys.path``, which is all ``pip install`` leaves
behind. Nothing in harness knows its name.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from harness.errors import SpecError
from harness.expect.evaluate import evaluate_case, parse_output
from harness.expect.registry import TYPES, check_assertion
from harness.spec.load import load_spec

PLUGIN = """
from harness.expect.declare import AssertionType, Options, Outcome
from pydantic import field_validator


class WordyOptions(Options):
    value: int
    unit: str = "words"

    @field_validator("value")
    @classmethod
    def _positive(cls, v):
        if v < 1:
            raise ValueError("wordy needs at least 1 word")
        return v


def wordy(a, subject, ctx):
    n = len(str(subject).split())
    return Outcome.check(n >= a.value, f"{n} words, wanted at least {a.value} (vars {dict(ctx.case.vars)})")


WORDY = AssertionType("wordy", "at least value words", wordy, options=WordyOptions)
NOT_A_TYPE = object()
"""


def _install(root: Path, name: str, module: str, source: str, entry_points: str) -> None:
    (root / f"{module}.py").write_text(source, encoding="utf-8")
    info = root / f"{name.replace('-', '_')}-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(
        f"Metadata-Version: 2.1\nName: {name}\nVersion: 0.1\n", encoding="utf-8"
    )
    (info / "entry_points.txt").write_text(
        f"[harness.assertions]\n{entry_points}\n", encoding="utf-8"
    )


@pytest.fixture
def plugins(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A site folder on sys.path holding a good plugin and two broken ones."""
    site = tmp_path / "site"
    site.mkdir()
    _install(site, "harness-wordy", "harness_wordy", PLUGIN, "wordy = harness_wordy:WORDY")
    _install(
        site,
        "harness-broken",
        "harness_broken",
        "raise RuntimeError('boom at import')\n",
        "broken = harness_broken:X",
    )
    _install(site, "harness-odd", "harness_odd", "", "odd = harness_wordy:NOT_A_TYPE")
    monkeypatch.syspath_prepend(str(site))
    TYPES.reload()
    yield tmp_path
    monkeypatch.undo()
    TYPES.reload()


SPEC = """\
name: plugged
prompt: "Say something about {{ topic }}"
cases:
  - vars: {topic: cats}
    expect:
      - type: wordy
        value: 3
      - type: not-wordy
        value: 10
"""


async def test_a_plugin_type_validates_and_evaluates_in_a_spec(plugins: Path) -> None:
    path = plugins / "plugged.yaml"
    path.write_text(SPEC, encoding="utf-8")
    spec = load_spec(path)
    case = spec.cases[0]
    verdict = await evaluate_case(spec, case, parse_output("cats purr and sleep a lot", None))
    assert verdict.passed, verdict.reason
    assert [v.assertion for v in verdict.verdicts] == ["wordy", "not-wordy"]
    assert verdict.verdicts[0].reason == "6 words, wanted at least 3 (vars {'topic': 'cats'})"
    short = await evaluate_case(spec, case, parse_output("cats", None))
    assert not short.passed and "1 words, wanted at least 3" in short.reason


def test_a_plugin_types_options_are_checked_by_its_model(plugins: Path) -> None:
    assert check_assertion({"type": "wordy", "value": "x"}) == [
        ("value", "wordy needs 'value' to be int, got str")
    ]
    assert check_assertion({"type": "wordy", "value": 0}) == [
        ("value", "wordy needs at least 1 word")
    ]
    assert check_assertion({"type": "wordy", "value": 2, "unti": "x"}) == [
        ("unti", "unknown option 'unti' for wordy (did you mean 'unit'?)")
    ]


def test_a_plugin_error_points_at_the_spec_line(plugins: Path) -> None:
    path = plugins / "bad.yaml"
    path.write_text(SPEC.replace("value: 3", "value: three"), encoding="utf-8")
    with pytest.raises(SpecError) as info:
        load_spec(path)
    assert [str(p) for p in info.value.problems] == [
        f"{path}:7:16: cases.0.expect.0.value: wordy needs 'value' to be int, got str"
    ]


def test_a_broken_plugin_is_named_and_breaks_nothing_else(plugins: Path) -> None:
    (problem,) = check_assertion({"type": "broken"})
    assert problem[0] == "type"
    assert "'harness-broken' failed to load: RuntimeError: boom at import" in problem[1]
    (odd,) = check_assertion({"type": "odd"})
    assert "is object, not a harness.expect.declare.AssertionType" in odd[1]
    assert check_assertion({"type": "wordy", "value": 1}) == []
    assert check_assertion({"type": "contains", "value": "x"}) == []


def test_builtin_types_come_through_the_same_entry_points() -> None:
    from importlib.metadata import entry_points

    names = {ep.name for ep in entry_points(group="harness.assertions")}
    assert names == set(TYPES)
    assert {"contains", "judge", "schema-valid"} <= names


def test_without_the_plugin_its_type_is_unknown() -> None:
    (problem,) = check_assertion({"type": "wordy", "value": 3})
    assert problem[0] == "type" and "unknown assertion type 'wordy'" in problem[1]


def test_a_stale_install_without_the_builtin_entry_points_says_how_to_fix_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from harness.errors import PluginError
    from harness.expect import registry

    monkeypatch.setattr(registry, "entry_points", lambda group: [])
    TYPES.reload()
    try:
        with pytest.raises(PluginError, match=r"reinstall it \(pip install -e \."):
            check_assertion({"type": "contains", "value": "x"})
    finally:
        monkeypatch.undo()
        TYPES.reload()
    assert check_assertion({"type": "contains", "value": "x"}) == []

"""Fuzz the spec loader: random spec-shaped YAML, random text and random bytes.

``load_spec`` must return a ``Spec`` or raise ``SpecError`` that points at the file,
never any other exception; and every problem must be of a known kind (``KINDS``), of
a kind that fits the input: valid YAML is never reported as a syntax error, text is
never "not UTF-8".
"""

from __future__ import annotations

import re
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from harness.errors import SpecError
from harness.spec.load import load_spec
from harness.spec.types import Spec

FUZZ = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# python assertions import user code: never let the fuzzer name modules to import
ASSERTION_TYPES = [
    "contains", "equals", "regex", "not-contains", "schema-valid", "close-to", "json-path",
    "starts-with", "length", "judge", "one-of", "refusal", "containz", "",
]  # fmt: skip
SPEC_KEYS = [
    "name", "description", "models", "params", "prompt", "schema", "tools", "vars",
    "expect", "cases", "tags", "threshold", "repeat", "max_cost", "normalize", "judge",
    "unknown_key",
]  # fmt: skip
GOOD = """\
name: fuzz
models: [openai:gpt-4o-mini]
params: {temperature: 0, max_tokens: 24}
prompt:
  system: Reply with JSON only.
  user: "What is {{ a }} + {{ b }}?"
schema: {type: object, properties: {answer: {type: number}}, required: [answer]}
expect:
  - type: schema-valid
cases:
  - {id: one, vars: {a: 2, b: 3}, expect: [{type: close-to, field: answer, value: 5}]}
  - {id: two, vars: {a: 4, b: 3}, tags: [x], expect: [{type: contains, value: "7"}]}
"""

# every problem the loader reports is one of these kinds (matched on its message)
KINDS: dict[str, re.Pattern[str]] = {
    name: re.compile(pattern)
    for name, pattern in {
        "encoding": r"^file is not UTF-8 text",
        "binary": r"^file is binary",
        "empty": r"^file is empty",
        "yaml": (
            r"^(YAML (syntax )?error|cannot read (value|key)|unsupported (YAML tag|key)"
            r"|mapping keys must be plain scalars|duplicate key|expected a mapping .*merging)"
        ),
        "shape": r"^a spec must be a mapping of keys",
        "key": r"^(unknown key|missing required key) |^keys should be strings",
        "value": r"^(input should be|unable to parse input string)",
        "assertion": r"^(unknown assertion type|unknown option .* for |[\w-]+ needs )",
        # an assertion option's own check: "'value' must be ...", "tolerance must be zero ..."
        "option": r"^('[\w-]+'|[a-z_]+) must (be|name) ",
        "cases": r"^(spec has no cases|duplicate case id|case '.*' does not define template)",
        "template": r"template|rendering",
        "model": r"^(model id|unknown provider|judge model)",
        "name": r"^spec name ",
        "prompt": (
            r"^(needs 'user' |use either 'prompt' or 'prompts'|'prompts' must hold"
            r"|prompt variant name|a part is exactly one of|prompt file |'.*' is outside the project)"
        ),
        "transform": r"^(unknown transform|transform '|a transform is|invalid regular expression)",
        "parts": r"^(image|file|audio) parts cannot go to",
        "ref": r"^\$ref ",
        "schema": r"^invalid JSON Schema",
        "field": r"^field ('.*'|\".*\"): the schema has ",
        "tools": (
            r"^(duplicate tool name|tool_choice |a `when:` match|each match needs|unknown key .* "
            r"in a match|python (tool|result)|'(template|python|regex)' needs|invalid regex"
            r"|a result template|tools file|'when' maps)"
        ),
        "turns": r"^(turn \d+ does not exist|'turn' is a turn's number|variable '.*' is not defined)",
    }.items()
}


def kinds(problems: list[str]) -> set[str]:
    """The kind of each problem; a message of no known kind fails the test."""
    found = set()
    for message in problems:
        kind = next((k for k, pattern in KINDS.items() if pattern.search(message)), None)
        assert kind is not None, f"a problem of no known kind: {message!r}"
        found.add(kind)
    return found


scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=True)
    | st.text(max_size=16)
    | st.sampled_from(["{{ a }}", "{{", "{% for %}", "openai:m", "x:y:z", "-1", "1e9"])
)
values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3)
    ),
    max_leaves=10,
)
assertions = st.fixed_dictionaries(
    {"type": st.sampled_from(ASSERTION_TYPES)},
    optional={"value": values, "field": values, "weight": values, "tolerance": values},
)
cases = st.fixed_dictionaries(
    {"id": scalars},
    optional={
        "vars": values,
        "expect": st.lists(assertions, max_size=3) | values,
        "tags": values,
        "skip": values,
        "repeat": values,
    },
)
specs = st.dictionaries(
    st.sampled_from(SPEC_KEYS),
    values,
    max_size=8,
).flatmap(
    lambda base: st.fixed_dictionaries(
        {
            "name": st.just(base.get("name", "fuzz")) | values,
            "prompt": st.just("Say {{ a }}") | values,
            "cases": st.lists(cases, max_size=4) | values,
        },
        optional={"expect": st.lists(assertions, max_size=2), "models": values},
    ).map(lambda extra: {**base, **extra})
)


@pytest.fixture(scope="module")
def folder() -> Iterator[Path]:
    """One folder for every example (hypothesis reruns the test body many times)."""
    with tempfile.TemporaryDirectory() as tmp:
        yield Path(tmp)


def _problem_kinds(folder: Path, content: bytes) -> set[str]:
    """The kinds of problem loading ``content`` gives (empty when it loads)."""
    path = folder / "fuzz.yaml"
    path.write_bytes(content)
    lines = content.count(b"\n") + 1
    try:
        load_spec(path)
    except SpecError as exc:
        assert exc.problems and all(p.path.endswith("fuzz.yaml") for p in exc.problems)
        assert all(1 <= p.line <= lines + 1 and p.col >= 1 for p in exc.problems), exc.problems
        return kinds([p.message for p in exc.problems])
    return set()


def _load(folder: Path, content: bytes) -> Spec | None:
    path = folder / "fuzz.yaml"
    path.write_bytes(content)
    try:
        return load_spec(path)
    except SpecError:
        return None


@FUZZ
@given(data=specs)
def test_spec_shaped_yaml_loads_or_says_where(folder: Path, data: dict[str, Any]) -> None:
    text = yaml.safe_dump(data, allow_unicode=True, sort_keys=False)
    found = _problem_kinds(folder, text.encode())
    # safe_dump wrote valid UTF-8 YAML holding a mapping: only its content can be wrong
    assert not found & {"encoding", "binary", "empty", "yaml", "shape"}, found


@FUZZ
@given(text=st.text(max_size=400))
def test_random_text_loads_or_says_where(folder: Path, text: str) -> None:
    found = _problem_kinds(folder, text.encode())
    assert "encoding" not in found
    # a NUL byte makes it binary, and nothing else is said; without one it never is
    assert (found == {"binary"}) if "\x00" in text else ("binary" not in found), found


@FUZZ
@given(raw=st.binary(max_size=400))
def test_random_bytes_load_or_say_where(folder: Path, raw: bytes) -> None:
    found = _problem_kinds(folder, raw)
    try:
        raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        # undecodable bytes are reported as such (or as binary when they hold NUL)
        assert found & {"encoding", "binary"}, found


@FUZZ
@given(
    at=st.integers(min_value=0, max_value=len(GOOD)),
    cut=st.integers(min_value=0, max_value=40),
    insert=st.text(alphabet=":{}[]-'\"#&*!|>%@`\n\t ,?", max_size=6),
)
def test_a_damaged_good_spec_loads_or_says_where(
    folder: Path, at: int, cut: int, insert: str
) -> None:
    found = _problem_kinds(folder, (GOOD[:at] + insert + GOOD[at + cut :]).encode())
    assert not found & {"encoding", "binary"}, found


def test_the_good_spec_loads(folder: Path) -> None:
    spec = _load(folder, GOOD.encode())
    assert spec is not None and [c.id for c in spec.cases] == ["one", "two"]


@pytest.mark.parametrize(
    "content",
    [
        pytest.param(b"\x1f", id="control-character"),
        pytest.param(b"name: x\n!temperature: 0\n", id="tagged-key"),
        pytest.param(b"name: x\n!!python/name:os.system : 1\n", id="python-tagged-key"),
        pytest.param(b"cases: [{id: a, vars: !!binary aGk=}]\n", id="binary-value"),
    ],
)
def test_inputs_the_fuzzer_found_are_spec_problems(folder: Path, content: bytes) -> None:
    path = folder / "fuzz.yaml"
    path.write_bytes(content)
    with pytest.raises(SpecError) as raised:
        load_spec(path)
    assert raised.value.problems[0].line >= 1

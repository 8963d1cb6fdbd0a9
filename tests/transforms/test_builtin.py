"""Built-in transforms, each on the answers it exists for."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.transforms import TransformError, apply_transforms, build_transforms, transform_types


def run(sources: tuple[str, ...], text: str, base_dir: Path = Path(".")) -> str:
    return apply_transforms(build_transforms(sources, base_dir), text)


@pytest.mark.parametrize(
    ("source", "text", "expected"),
    [
        pytest.param("strip-think", "<think>2+2...\n=4</think>\n4", "4", id="strip-think"),
        pytest.param("strip-think", "A <think>never closed", "A", id="strip-think-unclosed"),
        pytest.param(
            "last-line", "Let me see.\nThe answer:\n  Paris  \n\n", "Paris", id="last-line"
        ),
        pytest.param("extract-json", 'Sure! ```json\n{"a": 1}\n```', '{"a": 1}', id="extract-json"),
        pytest.param(
            "extract-code:python",
            "```sh\nls\n```\ntext\n```python\nprint(1)\n```",
            "print(1)",
            id="extract-code-lang",
        ),
        pytest.param("extract-code", "x\n```\nA\nB\n```", "A\nB", id="extract-code-any"),
        pytest.param(r"regex:Answer:\s*(\w+)", "So... Answer: Paris.", "Paris", id="regex-group"),
        pytest.param(r"regex:\d+", "about 42 km", "42", id="regex-whole"),
        pytest.param(
            "{{ output | regex_search('Answer: (\\w+)') }}",
            "Answer: Lyon",
            "Lyon",
            id="jinja",
        ),
        pytest.param("{{ output | upper }}", "abc", "ABC", id="jinja-builtin-filter"),
    ],
)
def test_builtin_transforms(source: str, text: str, expected: str) -> None:
    assert run((source,), text) == expected


def test_transforms_chain_in_order() -> None:
    assert run(("strip-think", "last-line"), "<think>x\ny</think>\nreasoning\nB") == "B"


def test_python_transform_from_a_file_next_to_the_spec(tmp_path: Path) -> None:
    (tmp_path / "mine.py").write_text("def final(text):\n    return text.split('=>')[-1].strip()\n")
    assert run(("python:mine.py:final",), "a => b => c", tmp_path) == "c"


@pytest.mark.parametrize(
    ("source", "message"),
    [
        pytest.param(
            "strip-thinks",
            "unknown transform 'strip-thinks' (did you mean 'strip-think'?)",
            id="typo",
        ),
        pytest.param("regex", "transform 'regex' needs an argument", id="missing-arg"),
        pytest.param("last-line:3", "transform 'last-line' takes no argument", id="unexpected-arg"),
        pytest.param("regex:(unclosed", "invalid regular expression '(unclosed'", id="bad-regex"),
        pytest.param(
            "python:nope_module_xyz:f", "cannot import module 'nope_module_xyz'", id="bad-import"
        ),
        pytest.param("{{ output | }}", "template syntax error", id="bad-jinja"),
    ],
)
def test_bad_transforms_fail_when_built(source: str, message: str) -> None:
    with pytest.raises(TransformError, match=None) as info:
        build_transforms((source,), Path("."))
    assert message in str(info.value)


@pytest.mark.parametrize(
    ("source", "text", "message"),
    [
        pytest.param("extract-json", "no json here", "transform 'extract-json':", id="no-json"),
        pytest.param("regex:Answer: (\\w+)", "I don't know", "no match for", id="no-match"),
        pytest.param(
            "extract-code:rust",
            "```py\nx\n```",
            "no fenced code block of language 'rust'",
            id="no-code",
        ),
    ],
)
def test_an_answer_a_transform_cannot_turn_is_an_error_naming_it(
    source: str, text: str, message: str
) -> None:
    with pytest.raises(TransformError) as info:
        run((source,), text)
    assert message in str(info.value)


def test_every_type_is_documented_in_spec_format() -> None:
    doc = (Path(__file__).resolve().parents[2] / "docs" / "spec-format.md").read_text()
    for name in transform_types():
        if name != "jinja":
            assert f"`{name}" in doc, f"transform {name!r} missing from docs/spec-format.md"


def test_the_docs_table_is_generated_from_the_declarations() -> None:
    from harness.transforms.registry import docs_table

    doc = (Path(__file__).resolve().parents[2] / "docs" / "spec-format.md").read_text()
    assert docs_table() in doc, "regenerate the table with harness.transforms.registry.docs_table()"

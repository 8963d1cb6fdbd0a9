"""Item -> Request."""

from __future__ import annotations

import jinja2
import pytest

from harness.drivers.base import Tool
from harness.runner.items import Item
from harness.runner.requests import build_request, fast_render, prompt_text
from harness.spec.templating import render
from harness.spec.types import Case, PromptTemplate, Spec, ToolDef


def _spec(**kw: object) -> Spec:
    return Spec(
        name="qa",
        path="specs/qa.yaml",
        prompt=PromptTemplate((("system", "You are {{ persona }}."), ("user", "Q: {{ q }}"))),
        cases=(),
        **kw,  # type: ignore[arg-type]
    )


def test_renders_spec_and_case_vars_and_merges_params() -> None:
    spec = _spec(
        vars={"persona": "terse", "q": "default"},
        params={"temperature": 0, "stream": True},
        schema={"type": "object"},
        tools=(ToolDef("lookup", "find", {"type": "object"}),),
    )
    case = Case(id="c", vars={"q": "2+2?"}, expect=())
    request = build_request(
        Item(spec, case, "openai:gpt-4o-mini"),
        {"openai:gpt-4o-mini": {"temperature": 1, "max_tokens": 9}},
    )
    assert request.model == "gpt-4o-mini"
    assert [m.text for m in request.messages] == ["You are terse.", "Q: 2+2?"]
    assert request.params == {"temperature": 0, "max_tokens": 9}
    assert request.stream is True
    assert request.schema == {"type": "object"}
    assert request.tools == (Tool("lookup", "find", {"type": "object"}),)
    assert prompt_text(request) == "system: You are terse.\n\nuser: Q: 2+2?"


@pytest.mark.parametrize(
    ("source", "variables"),
    [
        pytest.param("Q: {{ q }}!", {"q": "2+2"}, id="plain"),
        pytest.param("{{q}}{{ n }}\n", {"q": None, "n": 3}, id="none-int-newline"),
        pytest.param("{{ flag }} {{ items }}", {"flag": True, "items": [1, "a"]}, id="bool-list"),
        pytest.param("{{ q | upper }}", {"q": "x"}, id="filter-falls-back"),
        pytest.param("{% if q %}yes{% endif %}", {"q": 1}, id="block-falls-back"),
        pytest.param("{{ d.k }}", {"d": {"k": "v"}}, id="attribute-falls-back"),
    ],
)
def test_fast_render_matches_jinja(source: str, variables: dict[str, object]) -> None:
    assert fast_render(source, variables) == render(source, variables)


def test_fast_render_missing_variable() -> None:
    with pytest.raises(jinja2.UndefinedError):
        fast_render("{{ missing }}", {})

"""A spec's tools as loaded: tools_file, python-defined tools, tool_choice, turns and turn."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from harness.errors import SpecError
from harness.spec.load import load_spec
from harness.spec.python_refs import no_code_execution
from harness.tools.results import Matches, PythonResult, TemplateResult

HEAD = """\
name: shop
prompt: "{{ q }}"
cases:
  - id: a
    vars: {q: hi}
"""

TOOLS_PY = '''
from pydantic import BaseModel
from pathlib import Path

Path(__file__).with_name("imported.marker").write_text("imported")


class Order(BaseModel):
    """Order an item."""

    item: str
    quantity: int = 1


def price(item: str, currency: str = "USD", vars=None) -> str:
    """The price of an item.

    Longer notes that are not part of the description.
    """
    return f"{item}: 1 {currency}"
'''


def _write(folder: Path, text: str, name: str = "shop.yaml") -> Path:
    (folder / "harness.yaml").write_text("{}\n")
    path = folder / name
    path.write_text(textwrap.dedent(text))
    return path


def _problems(path: Path) -> list[str]:
    with pytest.raises(SpecError) as caught:
        load_spec(path)
    return [str(p) for p in caught.value.problems]


def test_a_tools_file_gives_the_spec_its_tools(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "shared").mkdir()
    _write(
        tmp_path / "shared",
        """\
        tools:
          - name: lookup
            description: Find a price.
            parameters: {type: object, properties: {item: {type: string}}}
            result: [{when: {item: kettle}, then: 3}, {then: none}]
        """,
        "tools.yaml",
    )
    path = _write(
        tmp_path,
        HEAD
        + """\
tools_file: shared/tools.yaml
tools:
  - name: add
    result: {template: "{{ args.a + args.b }}"}
""",
    )
    spec = load_spec(path)
    assert [t.name for t in spec.tools] == ["lookup", "add"]
    assert spec.tools[0].description == "Find a price."
    assert isinstance(spec.tools[0].result, Matches)
    assert isinstance(spec.tools[1].result, TemplateResult)
    assert spec.tools[1].parameters == {"type": "object", "properties": {}}


def test_problems_in_a_tools_file_point_into_that_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    _write(
        tmp_path,
        """\
        tools:
          - name: lookup
            reslt: 3
          - name: find
            result: [{when: {item: {regex: "("}}, then: 1}]
        """,
        "tools.yaml",
    )
    path = _write(tmp_path, HEAD + "tools_file: tools.yaml\n")
    assert _problems(path) == [
        "tools.yaml:3:5: tools.0.reslt: unknown key 'reslt' (did you mean 'result'?)",
        "tools.yaml:5:36: tools.1.result.0.when.item.regex: invalid regex '(': missing ), "
        "unterminated subpattern at position 0",
    ]
    missing = _write(tmp_path, HEAD + "tools_file: nowhere.yaml\n")
    assert _problems(missing) == [
        "shop.yaml:6:13: tools_file: tools file 'nowhere.yaml' not found (paths are relative to the spec)"
    ]


def test_a_bad_regex_in_a_tools_file_is_located(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    _write(
        tmp_path,
        """\
        tools:
          - name: find
            result:
              - when: {item: {regex: "("}}
                then: 1
        """,
        "tools.yaml",
    )
    path = _write(tmp_path, HEAD + "tools_file: tools.yaml\n")
    [problem] = _problems(path)
    assert problem.startswith(
        "tools.yaml:4:30: tools.0.result.0.when.item.regex: invalid regex '('"
    )


@pytest.mark.parametrize(
    ("tools", "expected"),
    [
        pytest.param(
            "tools:\n  - name: a\n    result: {when: {x: 1}, then: 2}\n",
            "shop.yaml:8:13: tools.0.result: a `when:` match goes in a list",
            id="when-outside-a-list",
        ),
        pytest.param(
            "tools:\n  - name: a\n    result: {template: '{{ city }}'}\n",
            "shop.yaml:8:24: tools.0.result.template: a result template reads 'args'",
            id="template-bare-name",
        ),
        pytest.param(
            "tools:\n  - name: a\n  - name: a\n",
            "shop.yaml:8:5: tools.1: duplicate tool name 'a' (first at shop.yaml:7)",
            id="duplicate",
        ),
        pytest.param(
            "tools:\n  - description: nameless\n",
            "shop.yaml:7:5: tools.0: missing required key 'name'",
            id="nameless",
        ),
        pytest.param(
            "tools:\n  - name: a\n    on_error: ignore\n",
            "shop.yaml:8:15: tools.0.on_error: input should be 'send' or 'fail'",
            id="on-error",
        ),
        pytest.param(
            "tools:\n  - name: lookup\nparams: {tool_choice: lokup}\n",
            "shop.yaml:8:23: params.tool_choice: tool_choice 'lokup' is not auto, required, "
            "none or one of the tools (lookup) (did you mean 'lookup'?)",
            id="tool-choice-typo",
        ),
        pytest.param(
            "tools:\n  - name: lookup\nparams: {tool_choice: requird}\n",
            "(did you mean 'required'?)",
            id="tool-choice-required-typo",
        ),
        pytest.param(
            "max_steps: 0\n",
            "shop.yaml:6:12: max_steps: input should be greater than or equal to 1",
            id="max-steps",
        ),
    ],
)
def test_a_wrong_tool_is_named_with_its_place(
    tools: str, expected: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    path = _write(tmp_path, HEAD + tools)
    problems = _problems(path)
    assert any(expected in p for p in problems), problems


def test_a_python_function_or_pydantic_model_defines_a_tool(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "shop_tools.py").write_text(TOOLS_PY)
    path = _write(
        tmp_path,
        HEAD
        + """\
tools:
  - python: shop_tools.py:price
  - python: shop_tools.py:Order
    name: order
    result: {template: "ordered {{ args.quantity }} {{ args.item }}"}
""",
    )
    spec = load_spec(path)
    price, order = spec.tools
    assert price.name == "price" and price.description == "The price of an item."
    assert price.parameters == {
        "type": "object",
        "properties": {
            "item": {"type": "string"},
            "currency": {"default": "USD", "type": "string"},
        },
        "required": ["item"],
    }
    assert isinstance(price.result, PythonResult)
    assert order.name == "order" and order.description == "Order an item."
    assert order.parameters["required"] == ["item"]
    assert set(order.parameters["properties"]) == {"item", "quantity"}
    bare = _write(tmp_path, HEAD + "tools:\n  - python: shop_tools.py:Order\n")
    assert any("is a pydantic model" in p and "needs 'result:'" in p for p in _problems(bare))


def test_validate_checks_python_tools_without_importing_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "shop_tools.py").write_text(TOOLS_PY)
    path = _write(
        tmp_path,
        HEAD
        + "params: {tool_choice: price}\n"
        + "tools:\n  - python: shop_tools.py:price\n"
        + "  - {name: other, result: {python: shop_tools.py:price}}\n",
    )
    with no_code_execution():
        spec = load_spec(path)
        assert [t.name for t in spec.tools] == ["price", "other"]
        typo = _write(tmp_path, HEAD + "tools:\n  - python: shop_tools.py:prise\n", "typo.yaml")
        assert any(
            "tools.0.python: python tool: shop_tools.py has no top-level 'prise'" in p
            for p in _problems(typo)
        )
    assert not (tmp_path / "imported.marker").exists()


@pytest.mark.parametrize(
    ("case", "expected"),
    [
        pytest.param(
            "  - id: b\n    vars: {q: hi, name: Ann}\n    turns: ['I am {{ nme }}']\n",
            "shop.yaml:8:13: cases.1.turns.0: variable 'nme' is not defined by the case "
            "(did you mean 'name'?)",
            id="turn-template-variable",
        ),
        pytest.param(
            "  - id: b\n    vars: {q: hi}\n    expect: [{type: contains, value: x, turn: 2}]\n",
            "cases.1.expect.0.turn: turn 2 does not exist: the case has 1 turn",
            id="turn-past-the-end",
        ),
        pytest.param(
            "  - id: b\n    vars: {q: hi}\n    turns: [again]\n"
            "    expect: [{type: contains, value: x, turn: last}]\n",
            "'turn' is a turn's number (1 is the prompt's answer), got 'last'",
            id="turn-not-a-number",
        ),
    ],
)
def test_turns_and_turn_are_checked_per_case(
    case: str, expected: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    path = _write(tmp_path, HEAD + case)
    problems = _problems(path)
    assert any(expected in p for p in problems), problems


def test_a_case_with_turns_loads_them_in_order(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    path = _write(
        tmp_path,
        HEAD
        + "  - id: b\n    vars: {q: hi}\n    max_steps: 3\n    turns: ['{{ q }} again', bye]\n"
        + "    expect: [{type: contains, value: x, turn: 3}]\n",
    )
    case = load_spec(path).cases[1]
    assert case.turns == ("{{ q }} again", "bye")
    assert case.max_steps == 3
    assert case.expect[0].options["turn"] == 3


def test_a_changed_tools_file_changes_the_spec_hash(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    tools = tmp_path / "tools.yaml"
    tools.write_text("tools:\n  - {name: lookup, result: 1}\n")
    path = _write(tmp_path, HEAD + "tools_file: tools.yaml\n")
    before = load_spec(path).content_hash
    tools.write_text("tools:\n  - {name: lookup, result: 2}\n")
    assert load_spec(path).content_hash != before

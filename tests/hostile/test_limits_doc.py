"""docs/limits-and-safety.md lists every limit with its default, and harness.yaml sets them."""

from __future__ import annotations

import re
from dataclasses import fields
from pathlib import Path

import pytest

from harness import limits
from harness.config import load_config
from harness.errors import SpecError

DOC = Path(__file__).resolve().parents[2] / "docs" / "limits-and-safety.md"


def test_every_limit_is_in_the_doc_with_its_default() -> None:
    text = DOC.read_text()
    rows = dict(re.findall(r"^\| `(\w+)` \| `([^`]*)` \|", text, re.MULTILINE))
    defaults = limits.Limits()
    for f in fields(limits.Limits):
        assert f.name in rows, f"{f.name} is not in {DOC.name}"
        value = getattr(defaults, f.name)
        shown = "[]" if value == () else str(value)
        assert rows[f.name] == shown, f.name
    assert "limits-and-safety.md" in (DOC.parents[1] / "README.md").read_text()


def test_harness_yaml_sets_the_limits(tmp_path: Path) -> None:
    (tmp_path / "harness.yaml").write_text("limits: {regex_timeout_s: 2.5, yaml_max_depth: 50}\n")
    try:
        config = load_config(tmp_path / "harness.yaml")
        assert config.limits.regex_timeout_s == 2.5
        assert limits.current().yaml_max_depth == 50
        assert limits.current().template_timeout_s == limits.Limits().template_timeout_s
    finally:
        limits.configure(limits.Limits())
    (tmp_path / "harness.yaml").write_text("limits: {regex_timeout: 2}\n")
    with pytest.raises(SpecError, match=r"harness.yaml:1:\d+: .*regex_timeout"):
        load_config(tmp_path / "harness.yaml")

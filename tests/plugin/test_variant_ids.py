"""Prompt variants in the pytest plugin: one item per case x prompt x model."""

from __future__ import annotations

import pytest

from tests.runner.test_variants import SPEC

pytest_plugins = ["pytester"]


def test_pytest_ids_name_prompt_and_model(project: pytest.Pytester) -> None:
    (project.path / "specs" / "variants.yaml").write_text(SPEC, encoding="utf-8")
    result = project.runpytest("--collect-only", "-q", "specs/variants.yaml")
    ids = [line for line in result.outlines if "::" in line]
    assert "specs/variants.yaml::ann[short@echo]" in ids
    assert "specs/variants.yaml::bob[long@echo:twin]" in ids
    assert len(ids) == 8

"""Spec files as pytest collectors and each case x model (x attempt) as a pytest item."""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

import pytest

from harness.errors import ConfigError, HarnessError, SpecError
from harness.runner.expand import Selection, spec_models, spec_prompts
from harness.runner.items import Item
from harness.spec.load import SPEC_SUFFIXES, load_spec, looks_like_spec
from harness.spec.yaml_loader import load_yaml
from harness.store.records import PASSED, SKIPPED
from harness.testing.failure import SpecFailure, format_failure
from harness.testing.naming import item_name, marker_name
from harness.testing.project import matches_any_root, spec_roots
from harness.testing.session import HarnessSession, session_of

HARNESS_MARKER = "harness"


def is_spec_file(path: Path, config: pytest.Config, patterns: tuple[str, ...]) -> bool:
    """Whether pytest should collect ``path`` as a spec.

    It must match a spec pattern and look like a spec (or fail to parse as YAML at
    all, which then shows as a collection error); other YAML is left alone.
    """
    if path.suffix not in SPEC_SUFFIXES or path.name == "harness.yaml":
        return False
    roots = spec_roots(config, session_of(config).project)
    if not matches_any_root(path, roots, patterns):
        return False
    try:
        head = path.read_bytes()[:65536]
    except OSError:
        return False
    loaded = load_yaml(head.decode("utf-8", "replace"))
    return bool(loaded.problems) or looks_like_spec(loaded.data)


class SpecFile(pytest.File):
    """A spec file: loads and validates it, then yields one item per case x model x attempt."""

    def collect(self) -> list[SpecItem]:
        """The spec's items; a broken spec raises a collection error with every problem."""
        state = session_of(self.config)
        try:
            spec = load_spec(self.path, state.project)
            models = spec_models(spec, Selection(models=state.options.models), state.project)
        except SpecError as exc:
            raise self.CollectError("\n".join(str(p) for p in exc.problems)) from None
        except HarnessError as exc:
            raise self.CollectError(f"{self.nodeid}: {exc}") from None
        clash = state.claim_spec_name(spec)
        if clash:
            raise self.CollectError(clash)
        items: list[SpecItem] = []
        prompts = spec_prompts(spec, Selection())
        for case in spec.cases:
            markers = [state.register_marker(marker_name(tag)) for tag in case.tags]
            repeat = state.options.repeat or case.repeat
            for prompt, model in itertools.product(prompts, models):
                for attempt in range(1, repeat + 1):
                    name = item_name(case.id, model, attempt, prompt)
                    item = SpecItem.from_parent(
                        self,
                        name=name,
                        # a string id is parsed like a parametrized test's (name + [params]),
                        # so --lf matches it against the ids pytest cached
                        nodeid=f"{self.nodeid}::{name}",
                        harness_item=Item(spec, case, model, attempt, prompt),
                    )
                    item.add_marker(HARNESS_MARKER)
                    for name in markers:
                        item.add_marker(name)
                    if case.skip:
                        item.add_marker(pytest.mark.skip(reason=case.skip))
                    items.append(item)
        return items


class SpecItem(pytest.Item):
    """One case of a spec on one model (one attempt). Its result is computed in a batch."""

    def __init__(self, *, harness_item: Item, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.harness_item = harness_item

    def runtest(self) -> None:
        """Wait for this item's result from the session's batch and report it."""
        state: HarnessSession = session_of(self.config)
        record = state.result(self)
        if record.status == PASSED:
            return
        if record.status == SKIPPED:
            pytest.skip(record.error or "skipped")
        raise SpecFailure(self.harness_item, record)

    def repr_failure(
        self,
        excinfo: pytest.ExceptionInfo[BaseException],
        style: Any = None,
    ) -> str | Any:
        """The model, prompt, output and failing expectations; never harness frames."""
        if isinstance(excinfo.value, SpecFailure):
            return format_failure(excinfo.value.item, excinfo.value.record)
        if isinstance(excinfo.value, ConfigError | HarnessError):
            return f"{self.harness_item.id}: {excinfo.value}"
        return super().repr_failure(excinfo, style=style)

    def reportinfo(self) -> tuple[Path, int | None, str]:
        """Where the case is written, for pytest's headers."""
        item = self.harness_item
        from_spec_file = item.case.source in ("", item.spec.path)  # not a cases file's row
        line = item.case.line - 1 if item.case.line and from_spec_file else None
        on = item.model if item.prompt is None else f"{item.prompt}@{item.model}"
        return self.path, line, f"{item.spec.name}::{item.case.id} on {on}"

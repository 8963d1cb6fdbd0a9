"""Specs x cases x models x attempts -> Items, lazily, with ``-k``, ``--shard`` and ``--repeat``."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from harness.config import ProjectConfig
from harness.errors import ConfigError
from harness.runner.items import Item
from harness.runner.select import Matcher, compile_filter
from harness.spec.types import Spec


@dataclass(frozen=True, slots=True)
class Selection:
    """Which items of the specs to run.

    ``models`` overrides every spec's models; ``repeat`` overrides every case's repeat;
    ``shard`` is ``(k, n)`` with 1 <= k <= n; ``prompts`` keeps only these prompt
    variants of specs that have ``prompts:`` (specs with one prompt are unaffected).
    """

    models: tuple[str, ...] = ()
    repeat: int | None = None
    filter: str | None = None
    shard: tuple[int, int] | None = None
    prompts: tuple[str, ...] = ()


def parse_shard(text: str) -> tuple[int, int]:
    """``"2/4"`` -> ``(2, 4)``.

    Raises:
        ConfigError: not ``K/N`` with 1 <= K <= N.
    """
    k, sep, n = text.partition("/")
    try:
        shard = (int(k), int(n))
    except ValueError:
        shard = (0, 0)
    if not sep or not 1 <= shard[0] <= shard[1]:
        raise ConfigError(f"--shard {text!r} must be K/N with 1 <= K <= N, e.g. --shard 1/4")
    return shard


def in_shard(item_id: str, shard: tuple[int, int] | None) -> bool:
    """Whether an item belongs to shard K of N: a stable hash of its id, same on every machine."""
    if shard is None or shard[1] == 1:
        return True
    digest = hashlib.blake2b(item_id.encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") % shard[1] == shard[0] - 1


def spec_models(spec: Spec, selection: Selection, config: ProjectConfig) -> tuple[str, ...]:
    """The models a spec runs on: ``--models``, else the spec's, else harness.yaml defaults.

    Raises:
        ConfigError: none of the three names a model.
    """
    models = selection.models or spec.models or tuple(config.defaults.models)
    if not models:
        raise ConfigError(
            f"spec {spec.name!r} ({spec.path}) has no models: add 'models:' to the spec, "
            "'defaults: {models: [...]}' to harness.yaml, or pass --models provider:model"
        )
    return models


def spec_prompts(spec: Spec, selection: Selection) -> tuple[str | None, ...]:
    """The prompt variants a spec runs: its ``prompts:`` names (those in ``--prompts`` when
    given), or ``(None,)`` for a spec with one prompt."""
    names = tuple(v.name for v in spec.prompts)
    if not names:
        return (None,)
    return tuple(n for n in names if n in selection.prompts) if selection.prompts else names


def check_prompts(specs: Sequence[Spec], selection: Selection) -> None:
    """Every ``--prompts`` name is a variant of some spec.

    Raises:
        ConfigError: a name matches no spec's ``prompts:``.
    """
    known = {v.name for spec in specs for v in spec.prompts}
    unknown = [p for p in selection.prompts if p not in known]
    if unknown:
        have = ", ".join(sorted(known)) or "none: no spec has 'prompts:'"
        raise ConfigError(f"--prompts {', '.join(unknown)}: no such prompt variant (known: {have})")


def run_models(specs: Sequence[Spec], selection: Selection, config: ProjectConfig) -> list[str]:
    """Every model of the run, in first-seen order."""
    seen: dict[str, None] = {}
    for spec in specs:
        for model in spec_models(spec, selection, config):
            seen[model] = None
    return list(seen)


def expand(
    specs: Sequence[Spec],
    selection: Selection,
    config: ProjectConfig,
    *,
    only_model: str | None = None,
) -> Iterator[Item]:
    """Yield the selected items in a stable order (spec, case, prompt variant, model, attempt).

    Skipped cases are yielded too: the runner records them as skipped.

    Raises:
        ConfigError: a spec has no models, or the filter is malformed.
    """
    match: Matcher | None = compile_filter(selection.filter) if selection.filter else None
    for spec in specs:
        models = spec_models(spec, selection, config)
        if only_model is not None:
            if only_model not in models:
                continue
            models = (only_model,)
        prompts = spec_prompts(spec, selection)
        for case in spec.cases:
            tags = tuple(t.lower() for t in case.tags)
            repeat = selection.repeat or case.repeat
            for prompt in prompts:
                for model in models:
                    name = f"{spec.name}::{case.id}::{model}"
                    if prompt is not None:
                        name = f"{name}::{prompt}"
                    if match is not None and not match(name.lower(), tags):
                        continue
                    for attempt in range(1, repeat + 1):
                        item = Item(spec, case, model, attempt, prompt)
                        if in_shard(item.id, selection.shard):
                            yield item


def nothing_selected(
    specs: Sequence[Spec], selection: Selection, config: ProjectConfig
) -> ConfigError:
    """The error for a selection that holds no item: what selected nothing, out of what.

    A run that selects nothing is a mistake (a typo in ``-k``, a shard past the items);
    it must fail rather than record an empty run that ``latest`` would then point at.
    """
    everything = sum(1 for _ in expand(specs, Selection(models=selection.models), config))
    by = [f"-k {selection.filter!r}" if selection.filter else ""]
    by.append(f"--shard {selection.shard[0]}/{selection.shard[1]}" if selection.shard else "")
    chosen = " and ".join(b for b in by if b) or "the selection"
    names = ", ".join(s.name for s in specs[:5]) + (", ..." if len(specs) > 5 else "")
    return ConfigError(
        f"nothing selected: {chosen} matches none of the {everything} item(s) of "
        f"{len(specs)} spec(s) ({names}); no run was recorded. -k matches spec names, "
        "case ids, models and tags, e.g. -k 'smoke and not gemini'"
    )

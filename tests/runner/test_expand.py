"""Expansion of specs into items: models, repeats, filters and shards."""

from __future__ import annotations

import pytest

from harness.config import DefaultsFile, ProjectConfig
from harness.errors import ConfigError
from harness.runner.expand import Selection, expand, in_shard, parse_shard, run_models
from tests.runner.fakes import make_spec


def _ids(config: ProjectConfig, selection: Selection, **kw: object) -> list[str]:
    specs = [
        make_spec("qa", 3, models=("alpha:x", "beta:y"), tags=lambda i: ("smoke",) if i else ())
    ]
    return [i.id for i in expand(specs, selection, config, **kw)]  # type: ignore[arg-type]


def test_order_is_spec_case_model_attempt(config: ProjectConfig) -> None:
    assert _ids(config, Selection())[:3] == [
        "qa::c0::alpha:x::1",
        "qa::c0::beta:y::1",
        "qa::c1::alpha:x::1",
    ]
    assert len(_ids(config, Selection())) == 6


@pytest.mark.parametrize(
    ("selection", "expected"),
    [
        pytest.param(Selection(models=("c:z",)), ["qa::c0::c:z::1"], id="models-override"),
        pytest.param(Selection(filter="c1 and beta:"), ["qa::c1::beta:y::1"], id="filter"),
        pytest.param(
            Selection(filter="not smoke and alpha:"), ["qa::c0::alpha:x::1"], id="tag-filter"
        ),
        pytest.param(
            Selection(filter="c0 and alpha:", repeat=2),
            ["qa::c0::alpha:x::1", "qa::c0::alpha:x::2"],
            id="repeat",
        ),
    ],
)
def test_selection(config: ProjectConfig, selection: Selection, expected: list[str]) -> None:
    assert _ids(config, selection)[: len(expected)] == expected
    if selection.filter:
        assert _ids(config, selection) == expected


def test_only_model(config: ProjectConfig) -> None:
    assert all(i.endswith("::beta:y::1") for i in _ids(config, Selection(), only_model="beta:y"))


def test_shards_partition_the_items(config: ProjectConfig) -> None:
    specs = [make_spec("qa", 50)]
    everything = [i.id for i in expand(specs, Selection(), config)]
    parts = [[i.id for i in expand(specs, Selection(shard=(k, 4)), config)] for k in range(1, 5)]
    assert sorted(i for part in parts for i in part) == sorted(everything)
    assert all(parts)  # 50 items over 4 shards: none empty
    assert in_shard("anything", None) and in_shard("anything", (1, 1))


@pytest.mark.parametrize("text", ["0/3", "4/3", "x", "1-3", "1/"])
def test_bad_shard(text: str) -> None:
    with pytest.raises(ConfigError, match="--shard"):
        parse_shard(text)


def test_models_fall_back_to_defaults_then_error(config: ProjectConfig) -> None:
    spec = make_spec(models=())
    with_defaults = ProjectConfig(
        root=config.root, path=None, defaults=DefaultsFile(models=["d:m"])
    )
    assert run_models([spec], Selection(), with_defaults) == ["d:m"]
    with pytest.raises(ConfigError, match=r"has no models.*--models"):
        run_models([spec], Selection(), config)

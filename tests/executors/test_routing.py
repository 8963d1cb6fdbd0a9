"""Which worker runs an item: groups by ``resources:``, shards by stable id."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.config import load_config
from harness.errors import ConfigError, SpecError
from harness.executors.ray.routing import DEFAULT_GROUP, Group, group_of, plan_groups, shard_of


def test_a_shard_is_a_stable_hash_of_the_id_and_spreads_items() -> None:
    ids = [f"qa::c{i}::openai:m::1" for i in range(2000)]
    first = [shard_of(i, 4) for i in ids]
    assert first == [shard_of(i, 4) for i in ids]  # same every time (not Python's hash)
    assert shard_of("qa::c1::openai:m::1", 4) == 2  # and the same on every machine
    counts = [first.count(k) for k in range(4)]
    assert min(counts) > 400


@pytest.mark.parametrize(
    ("resources", "options"),
    [
        pytest.param({}, {"num_cpus": 0, "scheduling_strategy": "SPREAD"}, id="none"),
        pytest.param({"GPU": 1}, {"num_cpus": 0, "num_gpus": 1}, id="gpu"),
        pytest.param(
            {"cpu": 4, "llama_host": 1},
            {"num_cpus": 4, "resources": {"llama_host": 1}},
            id="cpus-and-custom",
        ),
    ],
)
def test_a_groups_workers_ask_ray_for_its_resources(
    resources: dict[str, float], options: dict[str, object]
) -> None:
    assert Group("g", resources, 1).actor_options() == options


def test_models_with_resources_get_their_own_workers_within_the_cluster() -> None:
    cluster = {"CPU": 8.0, "GPU": 2.0, "memory": 1e9}
    groups = plan_groups(
        ["openai:gpt", "local:qwen", "local:llama"],
        {"local:qwen": {"GPU": 1}, "local:llama": {"CPU": 4}},
        cluster,
        workers=3,
    )
    assert groups[DEFAULT_GROUP].workers == 3
    assert groups["local:qwen"] == Group("local:qwen", {"GPU": 1}, 2)
    assert groups["local:llama"].workers == 2
    assert group_of("openai:gpt", groups) == DEFAULT_GROUP
    assert group_of("local:qwen", groups) == "local:qwen"


def test_models_that_cannot_all_be_placed_fail_before_the_run() -> None:
    with pytest.raises(ConfigError) as raised:
        plan_groups(
            ["local:a", "local:b"],
            {"local:a": {"GPU": 1}, "local:b": {"GPU": 1}},
            {"CPU": 2.0, "GPU": 1.0},
            workers=2,
        )
    message = str(raised.value)
    assert "model 'local:b' needs Ray resources {GPU: 1}" in message
    assert "beside the workers of local:a" in message
    assert "models.local:b.resources in harness.yaml" in message


def test_resources_in_harness_yaml_are_read_and_checked(tmp_path: Path) -> None:
    config_file = tmp_path / "harness.yaml"
    config_file.write_text("models:\n  local:qwen: {resources: {GPU: 1, llama_host: 0.5}}\n")
    assert load_config(config_file).model_resources == {"local:qwen": {"GPU": 1, "llama_host": 0.5}}
    config_file.write_text("models:\n  local:qwen: {resources: {GPU: 0}}\n")
    with pytest.raises(SpecError) as raised:
        load_config(config_file)
    assert "harness.yaml:2:" in str(raised.value)
    assert "models.local:qwen.resources.GPU" in str(raised.value)
    assert "greater than 0" in str(raised.value)

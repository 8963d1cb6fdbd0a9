"""Which worker runs an item: its model's group (by Ray resources), then a shard by id.

Items of models with ``resources:`` in harness.yaml (``local:`` models needing a GPU or
many CPUs, say) form one group per model and run on workers created with exactly those
resources, so Ray places them on the nodes that have them, and each worker starts that
model's server once and reuses it. Every other item is in the default group, whose
workers need no resources and are spread over the nodes. Within a group an item's shard
is a stable hash of its id, the same on every machine and every run (``--resume``
sends an item to the same shard).
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from harness.errors import ConfigError

DEFAULT_GROUP = ""
"""The group of models that need no particular resources."""


@dataclass(frozen=True, slots=True)
class Group:
    """Workers of one kind: the resources each needs and how many there are."""

    name: str
    resources: Mapping[str, float]
    workers: int

    def actor_options(self) -> dict[str, Any]:
        """``ray.remote(...).options`` placing one worker of this group."""
        if not self.resources:  # API calls: no CPU held, spread over the nodes
            return {"num_cpus": 0, "scheduling_strategy": "SPREAD"}
        options: dict[str, Any] = {"num_cpus": 0}
        custom: dict[str, float] = {}
        for name, amount in self.resources.items():
            if name.upper() == "CPU":
                options["num_cpus"] = amount
            elif name.upper() == "GPU":
                options["num_gpus"] = amount
            else:
                custom[name] = amount
        if custom:
            options["resources"] = custom
        return options


def shard_of(item_id: str, shards: int) -> int:
    """The shard (0..shards-1) of an item: a stable hash of its id."""
    digest = hashlib.blake2b(item_id.encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") % shards


def _ray_name(name: str) -> str:
    return name.upper() if name.upper() in ("CPU", "GPU") else name


def plan_groups(
    models: list[str],
    model_resources: Mapping[str, Mapping[str, float]],
    cluster: Mapping[str, float],
    *,
    workers: int,
) -> dict[str, Group]:
    """The groups a run's models need on a cluster with ``cluster`` resources in total.

    ``workers`` is the default group's size. Model groups share the cluster: each gets as
    many workers as what the groups before it left can place (at most ``workers``), since
    a worker holds its resources for the whole run. Placement is checked against the
    cluster's totals, not per node.

    Raises:
        ConfigError: the cluster cannot place one worker of every model that needs
            resources (instead of waiting forever).
    """
    groups = {DEFAULT_GROUP: Group(DEFAULT_GROUP, {}, workers)}
    left = {k: v for k, v in cluster.items()}
    for model in dict.fromkeys(models):
        needs = model_resources.get(model)
        if not needs:
            continue
        fits = min(math.floor(left.get(_ray_name(k), 0.0) / v + 1e-9) for k, v in needs.items())
        if fits < 1:
            have = ", ".join(f"{k}: {v:g}" for k, v in sorted(cluster.items()) if ":" not in k)
            want = ", ".join(f"{k}: {v:g}" for k, v in needs.items())
            placed = [g for g in groups if g != DEFAULT_GROUP]
            beside = f" beside the workers of {', '.join(placed)}" if placed else ""
            raise ConfigError(
                f"model {model!r} needs Ray resources {{{want}}} (models.{model}.resources in "
                f"harness.yaml) but the cluster has {{{have}}}{beside}: add a node with them "
                "(ray start --address HEAD:PORT --resources '{\"NAME\": 1}'), lower the "
                "model's resources, or run fewer such models at once (--models)"
            )
        count = min(fits, workers)
        for k, v in needs.items():
            left[_ray_name(k)] = left.get(_ray_name(k), 0.0) - v * count
        groups[model] = Group(model, dict(needs), count)
    return groups


def group_of(model: str, groups: Mapping[str, Group]) -> str:
    """The group an item of ``model`` runs in."""
    return model if model in groups else DEFAULT_GROUP

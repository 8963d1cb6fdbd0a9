"""Bounds on a YAML document: nesting depth, alias uses, what aliases expand to, cycles.

YAML aliases let a tiny file stand for a huge value ("billion laughs": nine levels of
ten aliases are 10^9 strings) or for one that contains itself (``x: &a [*a]``), and deep
nesting exhausts Python's stack. :class:`DepthLimitedLoader` stops the composer past
``limits.yaml_max_depth`` levels; :func:`graph_problem` walks a composed document once,
without recursion, before anything is built from it. Both give a position and a message,
so specs, cases, ``harness.yaml`` and cassettes report ``path:line:col`` problems.
"""

from __future__ import annotations

from typing import Any

import yaml

from harness import limits as limits_mod
from harness.limits import Limits


class DepthLimitedLoader(yaml.SafeLoader):
    """PyYAML's safe loader whose composer refuses nesting deeper than ``max_depth``."""

    max_depth = Limits().yaml_max_depth

    def __init__(self, stream: Any) -> None:
        super().__init__(stream)
        self._depth = 0

    def compose_node(self, parent: Any, index: Any) -> Any:
        """Compose one node, counting how deep the composer is."""
        self._depth += 1
        try:
            if self._depth > self.max_depth:
                mark = self.peek_event().start_mark  # type: ignore[no-untyped-call]
                raise yaml.composer.ComposerError(None, None, depth_message(self.max_depth), mark)
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


def depth_message(max_depth: int) -> str:
    """The problem for nesting past the limit."""
    return (
        f"nesting deeper than {max_depth} levels: flatten the data "
        "(limits.yaml_max_depth in harness.yaml)"
    )


def graph_problem(root: yaml.Node, limits: Limits | None = None) -> tuple[Any, str] | None:
    """The first (mark, message) that breaks a limit in a composed document, or None.

    A node reached a second time is an alias use; every node visited under it counts
    toward what aliases expand to. A node reached again inside itself is a cycle.
    """
    lim = limits or limits_mod.current()
    seen: set[int] = set()
    on_path: set[int] = set()
    aliases = expanded = 0
    # (node, depth, inside an alias, leaving): leaving entries pop the node off the path
    stack: list[tuple[yaml.Node, int, bool, bool]] = [(root, 1, False, False)]
    while stack:
        node, depth, inside, leaving = stack.pop()
        key = id(node)
        if leaving:
            on_path.discard(key)
            continue
        if key in on_path:
            return node.start_mark, (
                "recursive alias: this value contains itself; YAML aliases must not refer "
                "to an enclosing anchor"
            )
        if depth > lim.yaml_max_depth:
            return node.start_mark, depth_message(lim.yaml_max_depth)
        if key in seen and not inside:
            inside = True
            aliases += 1
            if aliases > lim.yaml_max_aliases:
                return node.start_mark, (
                    f"more than {lim.yaml_max_aliases:,} alias uses "
                    "(limits.yaml_max_aliases in harness.yaml)"
                )
        if inside:
            expanded += 1
            if expanded > lim.yaml_max_alias_nodes:
                return node.start_mark, (
                    f"aliases expand to more than {lim.yaml_max_alias_nodes:,} values "
                    "(a 'billion laughs' alias tree?): write the values out, or raise "
                    "limits.yaml_max_alias_nodes in harness.yaml"
                )
        seen.add(key)
        if isinstance(node, yaml.ScalarNode):
            continue
        on_path.add(key)
        stack.append((node, depth, inside, True))
        if isinstance(node, yaml.SequenceNode):
            children = node.value
        else:
            children = [n for pair in node.value for n in pair]
        stack.extend((child, depth + 1, inside, False) for child in reversed(children))
    return None


def spec_size_problem(size: int, limits: Limits | None = None) -> str | None:
    """Why a spec of ``size`` bytes is refused (None: it is within the limit).

    A single YAML document is parsed whole, at about 70 times its size in memory; cases
    files are read as they go.
    """
    cap = (limits or limits_mod.current()).spec_max_bytes
    if size <= cap:
        return None
    return (
        f"spec is {size / 1e6:.1f} MB, over the {cap / 1e6:g} MB limit for one YAML file: "
        "move the cases into a cases file ('cases_file: cases.jsonl', JSONL or CSV, read as "
        "a stream), or raise limits.spec_max_bytes in harness.yaml"
    )

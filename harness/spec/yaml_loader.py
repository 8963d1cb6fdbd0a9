"""A safe YAML loader that remembers where every key and value came from.

``load_yaml`` returns plain Python data plus two maps from a data path
(``("cases", 1, "vars")``) to a 1-based (line, col): one for values, one for keys.
Duplicate keys, Python object tags, binary and empty files are reported as
problems with their position instead of exceptions.

Booleans follow YAML 1.2: only ``true``/``false`` are booleans; ``yes``, ``no``, ``on``,
``off`` (which PyYAML reads as YAML 1.1 booleans) stay the strings the user wrote, and each
is listed in ``warnings`` because an older reading of the file would have differed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import yaml

from harness import limits as limits_mod
from harness.limits import Limits
from harness.yaml_guard import DepthLimitedLoader, graph_problem

PathKey = tuple[str | int, ...]


@dataclass(frozen=True, slots=True)
class Pos:
    """A 1-based line and column in a source file."""

    line: int
    col: int


@dataclass(slots=True)
class LoadedYAML:
    """YAML data with the source position of every value and every mapping key."""

    data: Any
    values: dict[PathKey, Pos] = field(default_factory=dict)
    keys: dict[PathKey, Pos] = field(default_factory=dict)
    problems: list[tuple[Pos, str]] = field(default_factory=list)
    warnings: list[tuple[Pos, str]] = field(default_factory=list)

    def pos(self, path: PathKey, *, key: bool = False) -> Pos:
        """The position of ``path``, or of its nearest known ancestor."""
        table = self.keys if key else self.values
        p = tuple(path)
        while p:
            if p in table:
                return table[p]
            if p in self.values:
                return self.values[p]
            p = p[:-1]
        return self.values.get((), Pos(1, 1))


_YAML11_BOOLS = {"yes": "true", "no": "false", "on": "true", "off": "false"}


def _is_yaml11_bool(node: yaml.Node) -> bool:
    """A plain scalar PyYAML resolved to bool that YAML 1.2 reads as a string."""
    return (
        isinstance(node, yaml.ScalarNode)
        and node.tag == "tag:yaml.org,2002:bool"
        and node.style is None
        and node.value.lower() in _YAML11_BOOLS
    )


def _mark(node: yaml.Node) -> Pos:
    return Pos(node.start_mark.line + 1, node.start_mark.column + 1)


class _Builder:
    def __init__(self, loader: yaml.SafeLoader, out: LoadedYAML) -> None:
        self.loader = loader
        self.out = out

    def build(self, node: yaml.Node, path: PathKey) -> Any:
        self.out.values[path] = _mark(node)
        if not node.tag.startswith("tag:yaml.org,2002:") or node.tag.startswith(
            "tag:yaml.org,2002:python/"
        ):
            self.out.problems.append(
                (_mark(node), f"unsupported YAML tag {node.tag!r}: specs allow plain data only")
            )
            return None
        if isinstance(node, yaml.MappingNode):
            return self._mapping(node, path)
        if isinstance(node, yaml.SequenceNode):
            return [self.build(child, (*path, i)) for i, child in enumerate(node.value)]
        if _is_yaml11_bool(node):
            self.out.warnings.append(
                (
                    _mark(node),
                    f"{node.value!r} is read as the string {node.value!r} (YAML 1.2); earlier "
                    f"versions of harness read it as {_YAML11_BOOLS[node.value.lower()]}: write "
                    "true/false for a boolean, or quote the string to silence this warning",
                )
            )
            return node.value
        try:
            return self.loader.construct_object(node, deep=True)
        except yaml.constructor.ConstructorError as exc:
            self.out.problems.append((_mark(node), f"cannot read value: {exc.problem}"))
            return None

    def _mapping(self, node: yaml.MappingNode, path: PathKey) -> dict[Any, Any]:
        try:
            self.loader.flatten_mapping(node)  # resolves '<<' merge keys
        except yaml.constructor.ConstructorError as exc:
            mark = exc.problem_mark or node.start_mark
            self.out.problems.append((Pos(mark.line + 1, mark.column + 1), str(exc.problem)))
        result: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                self.out.problems.append((_mark(key_node), "mapping keys must be plain scalars"))
                continue
            try:
                key = self.loader.construct_object(key_node)
            except yaml.constructor.ConstructorError as exc:  # a key with an unknown tag
                self.out.problems.append((_mark(key_node), f"cannot read key: {exc.problem}"))
                continue
            if not isinstance(key, str | int | float | bool) and key is not None:
                self.out.problems.append((_mark(key_node), f"unsupported key {key!r}"))
                continue
            if isinstance(key, bool | float) or key is None:
                key = key_node.value  # 'on:'/'yes:' keys stay the text the user wrote
            if key in result:
                first = self.out.keys.get((*path, key))
                where = f" (first defined at line {first.line})" if first else ""
                self.out.problems.append(
                    (_mark(key_node), f"duplicate key {key!r}{where}: keep only one")
                )
                continue
            self.out.keys[(*path, key)] = _mark(key_node)
            result[key] = self.build(value_node, (*path, key))
        return result


def load_yaml(text: str, *, limits: Limits | None = None) -> LoadedYAML:
    """Parse one YAML document safely, keeping positions. Never raises on bad input.

    Syntax errors become a single problem at the position the parser reports, and so do
    nesting, alias and recursion past ``limits`` (default: those in force).
    """
    lim = limits or limits_mod.current()
    out = LoadedYAML(data=None)
    if "\x00" in text:
        out.problems.append((Pos(1, 1), "file is binary, not YAML text"))
        return out
    try:
        loader = DepthLimitedLoader(text)
        loader.max_depth = lim.yaml_max_depth
    except yaml.reader.ReaderError as exc:  # the reader refuses control characters up front
        line = text.count("\n", 0, exc.position) + 1
        col = exc.position - (text.rfind("\n", 0, exc.position) + 1) + 1
        out.problems.append(
            (Pos(line, col), f"YAML error: character #x{exc.character:04x} is not allowed")
        )
        return out
    try:
        node = loader.get_single_node()
    except yaml.MarkedYAMLError as exc:
        problem = exc.problem or "invalid YAML"
        context, cmark, pmark = exc.context, exc.context_mark, exc.problem_mark
        if (
            cmark is not None
            and pmark is not None
            and context
            and (pmark.line > cmark.line + 1 or pmark.index >= len(text))
        ):
            # the parser noticed at the end (e.g. an unclosed quote): point at where it began
            pos = Pos(cmark.line + 1, cmark.column + 1)
            message = (
                f"YAML syntax error {context} starting here: {problem} at line {pmark.line + 1}"
            )
        else:
            mark = pmark or cmark
            pos = Pos(mark.line + 1, mark.column + 1) if mark else Pos(1, 1)
            message = f"YAML syntax error: {problem}" + (f" ({context})" if context else "")
        out.problems.append((pos, message))
        return out
    except yaml.YAMLError as exc:
        out.problems.append((Pos(1, 1), f"YAML error: {exc}"))
        return out
    finally:
        loader.dispose()
    if node is None:
        out.problems.append(
            (Pos(1, 1), "file is empty: a spec needs at least 'prompt' and 'cases'")
        )
        return out
    if "&" in text:  # without an anchor there is no alias to expand
        found = graph_problem(node, lim)
        if found is not None:
            mark, message = found
            out.problems.append((Pos(mark.line + 1, mark.column + 1), message))
            return out
    out.data = _Builder(loader, out).build(node, ())
    return out

"""How cassettes are matched and written: vcrpy matchers, a stable YAML serializer, atomic files.

These plug into vcrpy's own ``Cassette`` (``match_on``, ``serializer``, ``persister``).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml
from vcr import matchers
from vcr.persisters.filesystem import CassetteDecodeError, CassetteNotFoundError
from vcr.request import Request
from vcr.serialize import deserialize, serialize

from harness.cassettes.atomic import write_atomic
from harness.cassettes.blobs import blob_dir, collapse
from harness.cassettes.scrub import parse_json, pretty_body
from harness.cassettes.vcr_adapter import CassetteLoader
from harness.yaml_guard import graph_problem

if TYPE_CHECKING:
    _BaseDumper = yaml.SafeDumper
else:  # libyaml's dumper when PyYAML has it: much faster on big cassettes
    _BaseDumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


def json_body(r1: Any, r2: Any) -> None:
    """vcrpy matcher: equal bodies, compared as JSON values when both are JSON.

    Raises:
        AssertionError: the bodies differ (vcrpy's matcher protocol).
    """
    b1, b2 = r1.body or b"", r2.body or b""
    if b1 == b2:
        return
    j1, j2 = parse_json(b1), parse_json(b2)
    if j1 is None or (j1 != j2 and collapse(j1) != collapse(j2)):  # images match by hash
        raise AssertionError("the body differs")


def query(r1: Any, r2: Any) -> None:
    """vcrpy matcher: the same query parameters (credentials were replaced on both sides).

    Raises:
        AssertionError: the query differs.
    """
    if r1.query != r2.query:
        raise AssertionError(f"the query differs: {r1.query} != {r2.query}")


# not host or port: a managed local server listens on a new port every run
MATCH_ON: tuple[Callable[[Any, Any], None], ...] = (
    matchers.method,
    matchers.path,
    query,
    json_body,
)


class _Dumper(_BaseDumper):
    """Block style for multi-line strings so bodies and SSE streams read as text."""


def _represent_str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    # the emitter falls back to quoting when a literal block cannot hold the text
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _represent_str)


_STR = "tag:yaml.org,2002:str"
_MAP = "tag:yaml.org,2002:map"
_SEQ = "tag:yaml.org,2002:seq"
_NULL = "tag:yaml.org,2002:null"
_INT = "tag:yaml.org,2002:int"
_BOOL = "tag:yaml.org,2002:bool"
_FLOAT = "tag:yaml.org,2002:float"
_FLATTENED = ("tag:yaml.org,2002:merge", "tag:yaml.org,2002:value")


_RESOLVED: dict[str, str] = {}


class _Slow(Exception):
    """Something the fast constructor leaves to PyYAML's own (merge keys, odd tags)."""


def _build(loader: Any, node: yaml.Node, seen: dict[int, Any]) -> Any:
    """Python value of a composed node, for the tags cassettes hold, without PyYAML's
    generic per-node dispatch (which was most of replay's cassette time)."""
    tag = node.tag
    if tag == _STR:
        return node.value
    if tag == _MAP and isinstance(node, yaml.MappingNode):
        if id(node) in seen:  # an alias of a node already built
            return seen[id(node)]
        out: dict[Any, Any] = {}
        seen[id(node)] = out
        for key_node, value_node in node.value:
            if key_node.tag in _FLATTENED:
                raise _Slow
            key = _build(loader, key_node, seen)
            try:
                out[key] = _build(loader, value_node, seen)
            except TypeError:  # an unhashable key: let PyYAML raise its own error
                raise _Slow from None
        return out
    if tag == _SEQ and isinstance(node, yaml.SequenceNode):
        if id(node) in seen:
            return seen[id(node)]
        items: list[Any] = []
        seen[id(node)] = items
        items.extend(_build(loader, child, seen) for child in node.value)
        return items
    if tag == _NULL:
        return None
    value = node.value
    if tag == _INT and value.isascii() and value.isdigit() and (value[0] != "0" or value == "0"):
        return int(value)  # leading zeros are octal in YAML 1.1: PyYAML decides those
    if tag in (_INT, _BOOL, _FLOAT):
        return loader.construct_object(node, deep=True)
    raise _Slow


class _FastLoader(CassetteLoader):  # type: ignore[misc]
    """vcrpy's safe cassette loader with a direct constructor for plain YAML values.

    Same results as the base loader (a test compares them); anything unusual, such as
    merge keys or Python tags, goes through the base constructor, which still refuses
    dangerous tags.
    """

    def resolve(self, kind: Any, value: Any, implicit: Any) -> Any:
        # a plain scalar's tag depends on its text alone (no path resolvers here), and
        # cassettes repeat the same short keys: remember them, in a bounded table
        if kind is yaml.ScalarNode and implicit[0] and len(value) <= 64:
            tag = _RESOLVED.get(value)
            if tag is None:
                if len(_RESOLVED) >= 4096:
                    _RESOLVED.clear()
                tag = _RESOLVED[value] = super().resolve(kind, value, implicit)
            return tag
        return super().resolve(kind, value, implicit)

    def construct_document(self, node: yaml.Node) -> Any:
        try:
            return _build(self, node, {})
        except _Slow:
            pass
        finally:
            self.constructed_objects: dict[Any, Any] = {}
            self.recursive_objects: dict[Any, Any] = {}
        return super().construct_document(node)


class _GuardedLoader(_FastLoader):
    """The fast loader for cassettes with anchors: aliases, cycles and depth bounded first."""

    def construct_document(self, node: yaml.Node) -> Any:
        found = graph_problem(node)
        if found is not None:
            raise yaml.constructor.ConstructorError(None, None, found[1], found[0])
        return super().construct_document(node)


class YAMLSerializer:
    """vcrpy serializer: sorted keys, no line folding, unicode kept; loads safely."""

    @staticmethod
    def serialize(cassette_dict: dict[str, Any]) -> str:
        """The YAML text of a cassette; identical input gives identical text."""
        return yaml.dump(
            cassette_dict,
            Dumper=_Dumper,
            sort_keys=True,
            allow_unicode=True,
            default_flow_style=False,
            width=2**31 - 1,
        )

    @staticmethod
    def deserialize(cassette_string: str) -> Any:
        """Load with vcrpy's safe loader (no Python object tags), libyaml-backed when present."""
        loader = _GuardedLoader if "&" in cassette_string else _FastLoader  # aliases need anchors
        return yaml.load(cassette_string, Loader=loader)


class AtomicPersister:
    """vcrpy persister: UTF-8 on every OS, written to a temporary file then renamed.

    A reader never sees half a cassette, and concurrent items never share a file.
    """

    @staticmethod
    def load_cassette(cassette_path: str | Path, serializer: Any) -> Any:
        """(requests, responses[, metadata]) of a cassette file.

        Raises:
            CassetteNotFoundError: no file, or an empty one.
            CassetteDecodeError: the file is not UTF-8.
        """
        path = Path(cassette_path)
        try:
            data = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise CassetteNotFoundError() from None
        except UnicodeDecodeError as exc:
            raise CassetteDecodeError(f"{path} is not UTF-8") from exc
        if not data.strip():
            raise CassetteNotFoundError()
        return deserialize(data, serializer)

    @staticmethod
    def save_cassette(
        cassette_path: str | Path, cassette_dict: dict[str, Any], serializer: Any
    ) -> None:
        """Serialize and write atomically (temporary file in the same folder + rename).

        JSON request bodies are written indented, so cassettes diff line by line; large
        base64 values in them go to blob files (see :mod:`harness.cassettes.blobs`).
        """
        blobs = blob_dir(Path(cassette_path))
        requests = [
            Request(r.method, r.uri, pretty_body(r.body, blobs), r.headers)
            for r in cassette_dict["requests"]
        ]
        text = serialize({**cassette_dict, "requests": requests}, serializer)
        write_atomic(Path(cassette_path), text)

"""How cassettes are matched and written: vcrpy matchers, a stable YAML serializer, atomic files.

These plug into vcrpy's own ``Cassette`` (``match_on``, ``serializer``, ``persister``).
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml
from vcr import matchers
from vcr.persisters.filesystem import CassetteDecodeError, CassetteNotFoundError
from vcr.request import Request
from vcr.serialize import deserialize, serialize
from vcr.serializers.yamlserializer import _CassetteLoader

from harness.cassettes.scrub import parse_json, pretty_body

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
    if j1 is None or j1 != j2:
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
        """Load with vcrpy's safe loader (no Python object tags)."""
        return yaml.load(cassette_string, Loader=_CassetteLoader)


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

        JSON request bodies are written indented, so cassettes diff line by line.
        """
        requests = [
            Request(r.method, r.uri, pretty_body(r.body), r.headers)
            for r in cassette_dict["requests"]
        ]
        text = serialize({**cassette_dict, "requests": requests}, serializer)
        path = Path(cassette_path)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as f:
                f.write(text)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

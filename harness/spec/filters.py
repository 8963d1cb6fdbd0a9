"""Jinja filters for rendering data into prompts and for transforms.

``tojson`` (plain JSON, no HTML escaping: prompts are not HTML), ``toyaml``, ``toon``
(TOON, the token-efficient notation for tabular JSON, via the official ``toon-format``
library), and ``regex_search`` / ``regex_replace`` / ``regex_findall`` for pulling answers
out of text.

Example:
    >>> from harness.spec.templating import render
    >>> render("{{ rows | toon }}", {"rows": [{"id": 1, "name": "a"}, {"id": 2, "name": "b"}]})
    '[2]{id,name}:\\n  1,a\\n  2,b'
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

import yaml


def tojson(value: Any, indent: int | None = None) -> str:
    """``value`` as JSON text, non-ASCII kept as is."""
    return json.dumps(value, ensure_ascii=False, indent=indent, default=str)


def toyaml(value: Any) -> str:
    """``value`` as block-style YAML, keys in their given order."""
    text: str = yaml.safe_dump(value, allow_unicode=True, sort_keys=False, default_flow_style=False)
    return text.removesuffix("\n...\n").rstrip("\n")


def toon(value: Any, indent: int = 2) -> str:
    """``value`` in TOON: arrays of uniform objects become one header line and CSV-like rows."""
    import toon_format  # imported on first use: most prompts never need it

    text: str = toon_format.encode(value, indent_size=indent, default=str)
    return text


def regex_search(value: Any, pattern: str, group: int | str | None = None) -> str:
    """The first match of ``pattern`` in ``value``: its ``group``, else its first group when
    it has any, else the whole match; ``""`` when nothing matches."""
    m = re.search(pattern, str(value))
    if m is None:
        return ""
    if group is not None:
        return m.group(group) or ""
    return (m.group(1) if m.re.groups else m.group(0)) or ""


def regex_replace(value: Any, pattern: str, replacement: str = "") -> str:
    """``value`` with every match of ``pattern`` replaced."""
    return re.sub(pattern, replacement, str(value))


def regex_findall(value: Any, pattern: str) -> list[Any]:
    """Every match of ``pattern`` in ``value`` (groups as ``re.findall`` gives them)."""
    return re.findall(pattern, str(value))


FILTERS: dict[str, Callable[..., Any]] = {
    "tojson": tojson,
    "toyaml": toyaml,
    "toon": toon,
    "regex_search": regex_search,
    "regex_replace": regex_replace,
    "regex_findall": regex_findall,
}

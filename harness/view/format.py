"""Display helpers for the view's templates: numbers, times and inline SVG sparklines."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Sequence
from typing import Any

from markupsafe import Markup, escape


def pct(value: float | None) -> str:
    """``0.8125`` as ``81.2%``; unknown as an em dash."""
    return "—" if value is None else f"{value:.1%}"


def usd(value: float | None) -> str:
    """Dollars, more digits for small amounts; unknown as an em dash."""
    if value is None:
        return "—"
    return f"${value:.4f}" if value < 10 else f"${value:,.2f}"


def ms(value: float | None) -> str:
    """Milliseconds without decimals."""
    return "—" if value is None else f"{value:,.0f} ms"


def when(ts: float | None) -> str:
    """A Unix time as ``YYYY-MM-DD HH:MM UTC``."""
    if ts is None:
        return ""
    return dt.datetime.fromtimestamp(ts, dt.UTC).strftime("%Y-%m-%d %H:%M UTC")


def pretty(value: Any) -> str:
    """A JSON value as indented text (strings as they are)."""
    if isinstance(value, str):
        return value
    return json.dumps(value, indent=2, ensure_ascii=False, default=str)


def sparkline(
    values: Sequence[float | None],
    *,
    fmt: Callable[[float | None], str] = pct,
    scale: tuple[float, float] | None = (0.0, 1.0),
    width: int = 140,
    height: int = 28,
) -> Markup:
    """Values as a small inline SVG line, gaps where one is missing.

    Pass rates use the fixed 0..1 scale; ``scale=None`` fits the line to the values
    (costs, latencies). The title lists every value, formatted with ``fmt``.
    """
    known = [(i, v) for i, v in enumerate(values) if v is not None]
    if not known:
        return Markup('<svg class="spark" width="0" height="0" aria-hidden="true"></svg>')
    lo, hi = scale if scale is not None else (min(v for _, v in known), max(v for _, v in known))
    span = (hi - lo) or 1.0
    step = width / max(len(values) - 1, 1)

    def y(v: float) -> float:
        return (1 - (v - lo) / span) * (height - 4) + 2

    points = " ".join(f"{i * step:.1f},{y(v):.1f}" for i, v in known)
    last_x, last_v = known[-1]
    title = escape(", ".join(fmt(v) for v in values))
    return Markup(
        f'<svg class="spark" width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
        f'role="img"><title>{title}</title>'
        f'<polyline fill="none" stroke="#3763c9" stroke-width="1.5" points="{points}"/>'
        f'<circle cx="{last_x * step:.1f}" cy="{y(last_v):.1f}" r="2.5" fill="#3763c9"/></svg>'
    )


def bar(value: float | None, *, width: int = 80) -> Markup:
    """A pass rate as a small horizontal bar (SVG attributes, no inline style)."""
    if value is None:
        return Markup("")
    filled = round(value * width)
    return Markup(
        f'<svg class="bar" width="{width}" height="8" aria-hidden="true">'
        f'<rect width="{width}" height="8" fill="#e4e7ee"/>'
        f'<rect width="{filled}" height="8" fill="#2f9e55"/></svg>'
    )


FILTERS: dict[str, Callable[..., Any]] = {
    "pct": pct,
    "usd": usd,
    "ms": ms,
    "when": when,
    "pretty": pretty,
    "bar": bar,
}
"""Jinja filters the view's templates use."""

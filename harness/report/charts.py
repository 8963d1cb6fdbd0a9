"""Inline SVG charts, built as escaped markup: no JavaScript, no network, no colour-only cues.

Every text node and attribute goes through ``markupsafe.escape`` (model names come
from user config and are treated as untrusted like everything else).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from markupsafe import Markup, escape

from harness.report.stats import pareto_frontier, percentile_sorted

if TYPE_CHECKING:
    import pandas as pd

MAX_STRIP_POINTS = 200
LATENCY_QUANTILES = (5, 25, 50, 75, 95)
CHAR_W = 6.6
"""A generous width per character of 11px chart text: labels are laid out to fit whole."""


def _text_w(text: str) -> float:
    return CHAR_W * len(text)


def _el(tag: str, children: Sequence[str] = (), **attrs: object) -> Markup:
    parts = [f'{k.rstrip("_").replace("_", "-")}="{escape(str(v))}"' for k, v in attrs.items()]
    head = " ".join([tag, *parts])
    inner = "".join(str(c) if isinstance(c, Markup) else str(escape(c)) for c in children)
    return Markup(f"<{head}>{inner}</{tag}>")


def _fmt(value: float) -> str:
    return f"{value:.3g}" if value < 1000 else f"{value:,.0f}"


def _ticks(high: float, count: int = 5) -> list[float]:
    if high <= 0:
        return [0.0]
    raw = high / count
    step = 10 ** math.floor(math.log10(raw))
    for mult in (1, 2, 2.5, 5, 10):
        if raw <= mult * step:
            step *= mult
            break
    return [i * step for i in range(int(high / step) + 2) if i * step <= high * 1.0001 + step]


@dataclass(frozen=True, slots=True)
class _Point:
    model: str
    cost: float | None
    rate: float
    low: float
    high: float
    partial: bool


def accuracy_vs_cost(board: pd.DataFrame | Sequence[dict[str, Any]]) -> Markup:
    """Pass rate (with its 95% interval) against mean cost per attempt, per model.

    Pareto-optimal models are filled diamonds joined by a dashed line; other models
    are circles; models whose cost is unknown sit in a separate "cost unknown" band
    as hollow triangles, never at $0.
    """
    points = []
    if isinstance(board, Sequence):
        rows = board
    else:
        from harness.report.frame import records

        rows = records(board)
    for row in rows:
        if row["pass_rate"] is None or math.isnan(row["pass_rate"]):
            continue
        cost = row["cost_usd"] / row["cost_known"] if row["cost_known"] else None
        points.append(
            _Point(
                str(row["model"]),
                cost,
                float(row["pass_rate"]),
                float(row["pass_rate_ci_low"]),
                float(row["pass_rate_ci_high"]),
                0 < row["cost_known"] < row["attempts"],
            )
        )
    known = [p for p in points if p.cost is not None]
    unknown = [p for p in points if p.cost is None]
    frontier = {known[i].model for i in pareto_frontier([(p.cost or 0.0, p.rate) for p in known])}
    # the "cost unknown" band is as wide as its longest label: no name is cut at the edge
    band_w = max((_text_w(p.model) for p in unknown), default=0.0)
    right = max(170.0, band_w + 40) if unknown else 30.0
    plot_w, height, left, top, bottom = 630.0, 380, 60, 40, 50
    width = left + plot_w + right
    plot_h = height - top - bottom
    max_cost = max((p.cost or 0.0 for p in known), default=0.0)
    # every known cost $0 (local models): one $0 tick, not a made-up micro-dollar scale
    xticks = _ticks(max_cost * 1.1) if max_cost > 0 else [0.0]
    x_max = xticks[-1] or 1.0

    def x(cost: float) -> float:
        return left + plot_w * cost / x_max

    def y(rate: float) -> float:
        return top + plot_h * (1 - rate)

    body: list[str] = [
        _el("title", ["Pass rate against mean cost per attempt, per model"]),
        _el(
            "text",
            ["Accuracy vs cost (Pareto frontier: filled diamonds, dashed line)"],
            x=left,
            y=20,
            class_="title",
        ),
        _el("line", x1=left, y1=top + plot_h, x2=left + plot_w, y2=top + plot_h, class_="axis"),
        _el("line", x1=left, y1=top, x2=left, y2=top + plot_h, class_="axis"),
        _el(
            "text",
            ["mean cost per attempt (USD)"],
            x=left + plot_w / 2,
            y=height - 10,
            class_="label",
            text_anchor="middle",
        ),
        _el(
            "text",
            ["pass rate"],
            x=14,
            y=top + plot_h / 2,
            class_="label",
            transform=f"rotate(-90 14 {top + plot_h / 2})",
            text_anchor="middle",
        ),
    ]
    for t in (0.0, 0.25, 0.5, 0.75, 1.0):
        body.append(_el("line", x1=left - 4, y1=y(t), x2=left + plot_w, y2=y(t), class_="grid"))
        body.append(_el("text", [f"{t:.0%}"], x=left - 6, y=y(t) + 4, text_anchor="end"))
    for t in xticks:
        body.append(
            _el(
                "text",
                [f"${_fmt(t)}" if t else "$0"],
                x=x(t),
                y=top + plot_h + 16,
                text_anchor="middle",
            )
        )
    line = sorted((p for p in known if p.model in frontier), key=lambda p: p.cost or 0.0)
    if len(line) > 1:
        path = " ".join(f"{x(p.cost or 0.0):.1f},{y(p.rate):.1f}" for p in line)
        body.append(_el("polyline", points=path, class_="frontier"))
    # labels must clear other models' marks and labels already placed: (x0, x1, y)
    placed = [(x(p.cost or 0.0) - 8, x(p.cost or 0.0) + 8, y(p.rate) + 4) for p in known]
    for p in sorted(known, key=lambda p: p.cost or 0.0):
        cx, cy = x(p.cost or 0.0), y(p.rate)
        label = p.model + (" (Pareto)" if p.model in frontier else "")
        label += " (cost partly unknown)" if p.partial else ""
        # a label that would run past the plot's right edge goes left of its mark
        flip = cx + 9 + _text_w(label) > (left + plot_w + 6 if unknown else width - 4)
        lx0, lx1 = (cx - 9 - _text_w(label), cx - 9) if flip else (cx + 9, cx + 9 + _text_w(label))
        ly = cy - 6
        while any(a < lx1 and lx0 < b and abs(ly - py) < 13 for a, b, py in placed):
            ly += 13
        body.append(_el("line", x1=cx, y1=y(p.low), x2=cx, y2=y(p.high), class_="ci"))
        if p.model in frontier:
            shape = _el(
                "path", d=f"M{cx:.1f},{cy - 7:.1f} l7,7 l-7,7 l-7,-7 z", class_="mark pareto"
            )
        else:
            shape = _el("circle", cx=f"{cx:.1f}", cy=f"{cy:.1f}", r=5, class_="mark")
        body.append(shape)
        placed.append((lx0, lx1, ly))
        anchor = "end" if flip else "start"
        body.append(
            _el(
                "text",
                [label],
                x=f"{lx1 if flip else lx0:.1f}",
                y=f"{ly:.1f}",
                class_="point-label",
                text_anchor=anchor,
            )
        )
    if unknown:
        band = left + plot_w + 20
        body.append(_el("line", x1=band - 10, y1=top, x2=band - 10, y2=top + plot_h, class_="sep"))
        body.append(_el("text", ["cost unknown:"], x=band - 4, y=top - 6, class_="label"))
        for p in unknown:
            cy = y(p.rate)
            body.append(_el("line", x1=band, y1=y(p.low), x2=band, y2=y(p.high), class_="ci"))
            body.append(
                _el("path", d=f"M{band:.1f},{cy - 6:.1f} l6,10 l-12,0 z", class_="mark unknown")
            )
            body.append(_el("text", [p.model], x=band + 10, y=cy + 4, class_="point-label"))
    return _el(
        "svg",
        body,
        viewBox=f"0 0 {width} {height}",
        role="img",
        class_="chart",
        aria_label="Accuracy against cost per model",
        id="chart-cost",
    )


@dataclass(frozen=True, slots=True)
class LatencyRow:
    """One model's row of the latency chart: its percentiles, the strip of points drawn,
    and its slowest call."""

    model: str
    q: dict[int, float]
    strip: list[float]
    top: float

    @classmethod
    def of(cls, model: str, ordered: Sequence[float]) -> LatencyRow:
        """The row for one model's latencies, sorted ascending (at least one)."""
        step = max(1, len(ordered) // MAX_STRIP_POINTS)
        return cls(
            model,
            {k: percentile_sorted(ordered, k) or 0.0 for k in LATENCY_QUANTILES},
            [ordered[i] for i in range(0, len(ordered), step)],
            ordered[-1],
        )


def latency_distribution(frame: pd.DataFrame, *, recorded: bool) -> Markup:
    """One row per model: box (p25-p75), median bar, whiskers (p5-p95) and a strip of points."""
    data = {
        str(m): sorted(g["latency_ms"].dropna().tolist())
        for m, g in frame[frame["status"] != "skipped"].groupby("model", sort=True)
    }
    rows = [LatencyRow.of(m, v) for m, v in data.items() if v]
    replayed = set(frame.loc[frame["timings_recorded"], "model"].astype(str))
    return latency_chart(rows, replayed=replayed, recorded=recorded)


def latency_chart(rows: Sequence[LatencyRow], *, replayed: set[str], recorded: bool) -> Markup:
    """The latency chart from one ``LatencyRow`` per model (in the order drawn).

    Args:
        rows: The models' rows.
        replayed: Models with timings replayed from cassettes (labelled so).
        recorded: Whether the run's timings were replayed (said in the title).
    """
    data = {row.model: row for row in rows}
    # the left margin fits the longest model id whole
    row_h, right, top, plot_w = 44, 30, 40, 500.0
    left = max(190.0, max((_text_w(m) for m in data), default=0.0) + 16)
    width, height = left + plot_w + right, top + row_h * max(len(data), 1) + 50
    x_max = (_ticks(max((v.top for v in data.values()), default=1.0) * 1.05) or [1.0])[-1] or 1.0

    def x(ms: float) -> float:
        return left + plot_w * ms / x_max

    title = "Latency per model (ms)" + (
        " — recorded timings, replayed from cassettes" if recorded else ""
    )
    body: list[str] = [
        _el("title", [title]),
        _el("text", [title], x=10, y=20, class_="title"),
        _el(
            "text",
            ["latency (ms); box p25-p75, bar median, whiskers p5-p95, dots attempts"],
            x=left + plot_w / 2,
            y=height - 8,
            class_="label",
            text_anchor="middle",
        ),
    ]
    axis_y = top + row_h * max(len(data), 1)
    body.append(_el("line", x1=left, y1=axis_y, x2=left + plot_w, y2=axis_y, class_="axis"))
    for t in (t for t in _ticks(x_max) if t <= x_max * 1.0001):
        body.append(_el("line", x1=x(t), y1=top, x2=x(t), y2=axis_y, class_="grid"))
        body.append(_el("text", [_fmt(t)], x=x(t), y=axis_y + 16, text_anchor="middle"))
    if not data:
        body.append(_el("text", ["no latencies recorded"], x=left, y=top + 20))
    for i, (model, row) in enumerate(data.items()):
        mid = top + row_h * i + row_h / 2
        q = row.q
        body.append(
            _el(
                "text",
                [model],
                x=left - 8,
                y=mid + (0 if model in replayed else 4),
                text_anchor="end",
            )
        )
        if model in replayed:
            body.append(
                _el(
                    "text",
                    ["(recorded timings)"],
                    x=left - 8,
                    y=mid + 13,
                    text_anchor="end",
                    class_="label",
                )
            )
        body.append(_el("line", x1=x(q[5]), y1=mid, x2=x(q[95]), y2=mid, class_="whisker"))
        for end in (q[5], q[95]):
            body.append(_el("line", x1=x(end), y1=mid - 6, x2=x(end), y2=mid + 6, class_="whisker"))
        body.append(
            _el(
                "rect",
                x=f"{x(q[25]):.1f}",
                y=mid - 10,
                width=f"{max(x(q[75]) - x(q[25]), 1):.1f}",
                height=20,
                class_="box",
            )
        )
        body.append(
            _el("line", x1=x(q[50]), y1=mid - 12, x2=x(q[50]), y2=mid + 12, class_="median")
        )
        for j, v in enumerate(row.strip):
            jitter = ((j * 7919) % 13 - 6) * 1.2
            body.append(
                _el(
                    "circle",
                    cx=f"{x(v):.1f}",
                    cy=f"{mid + 16 + jitter / 4:.1f}",
                    r=1.6,
                    class_="dot",
                )
            )
        median = f"p50 {_fmt(q[50])}"
        flip = x(q[50]) + 4 + _text_w(median) > width - 2
        body.append(
            _el(
                "text",
                [median],
                x=f"{x(q[50]) + (-4 if flip else 4):.1f}",
                y=mid - 13,
                class_="point-label",
                text_anchor="end" if flip else "start",
            )
        )
    return _el(
        "svg",
        body,
        viewBox=f"0 0 {width} {height}",
        role="img",
        class_="chart",
        aria_label="Latency distribution per model",
        id="chart-latency",
    )

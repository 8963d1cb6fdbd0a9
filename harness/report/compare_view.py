"""Show a ``Comparison``: a plain-text table for the terminal and CI logs, and HTML."""

from __future__ import annotations

from harness.report.compare import Comparison
from harness.report.html import render_template

MAX_FLIPS_TEXT = 50


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value:.1%}"


def _delta(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:+.1f} pts"


def _usd(value: float | None) -> str:
    return "unknown" if value is None else f"${value:.4f}"


def _ms(value: float | None) -> str:
    return "—" if value is None else f"{value:,.0f} ms"


def _change(a: float | None, b: float | None) -> str:
    if a is None or b is None or a == 0:
        return ""
    return f"({(b - a) / a:+.0%})"


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(header, widths, strict=True)).rstrip()]
    lines.append("  ".join("-" * w for w in widths))
    lines += ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in rows]
    return lines


def group_rows(comparison: Comparison) -> list[list[str]]:
    """The pass-rate table's rows as display strings (shared by text and HTML)."""
    rows = []
    for g in comparison.groups:
        if not g.significant:
            verdict = "not significant"
        else:
            verdict = "REGRESSION" if g.regression else "improvement"
        rows.append(
            [
                g.model,
                g.spec,
                f"{_pct(g.rate_a)} (n={g.n_a})",
                f"{_pct(g.rate_b)} (n={g.n_b})",
                _delta(g.delta),
                f"{g.test}, {g.paired} paired" if g.test == "McNemar" else g.test,
                "—" if g.test == "none" else f"{g.p_value:.4f}",
                verdict,
            ]
        )
    return rows


GROUP_HEADER = ["model", "spec", "A pass", "B pass", "change", "test", "p", "verdict"]
MODEL_HEADER = ["model", "A cost", "B cost", "A cost/attempt", "B cost/attempt", "A p50", "B p50"]
MODEL_HEADER += ["A p95", "B p95"]
FLIP_HEADER = ["model", "spec", "case", "attempt", "A", "B"]


def model_rows(comparison: Comparison) -> list[list[str]]:
    """Cost and latency rows as display strings."""
    return [
        [
            m.model,
            _usd(m.cost_a),
            f"{_usd(m.cost_b)} {_change(m.cost_a, m.cost_b)}".strip(),
            _usd(m.cost_per_attempt_a),
            f"{_usd(m.cost_per_attempt_b)} "
            f"{_change(m.cost_per_attempt_a, m.cost_per_attempt_b)}".strip(),
            _ms(m.p50_a),
            f"{_ms(m.p50_b)} {_change(m.p50_a, m.p50_b)}".strip(),
            _ms(m.p95_a),
            f"{_ms(m.p95_b)} {_change(m.p95_a, m.p95_b)}".strip(),
        ]
        for m in comparison.models
    ]


def flip_rows(comparison: Comparison) -> list[list[str]]:
    """Flipped case attempts, pass -> fail first."""
    ordered = sorted(comparison.flips, key=lambda f: (not f.to_fail, f.model, f.spec, f.case_id))
    return [[f.model, f.spec, f.case_id, str(f.attempt), f.before, f.after] for f in ordered]


def format_comparison(comparison: Comparison) -> str:
    """The comparison as plain text (what ``harness compare`` prints)."""
    c = comparison
    out = [f"A (baseline): {c.name_a}", f"B (candidate): {c.name_b}", ""]
    out += ["Pass rate by model and spec", *_table(GROUP_HEADER, group_rows(c)), ""]
    to_fail = sum(f.to_fail for f in c.flips)
    out.append(f"Flipped cases: {to_fail} pass -> fail, {len(c.flips) - to_fail} fail -> pass")
    flips = flip_rows(c)
    if flips:
        out += _table(FLIP_HEADER, flips[:MAX_FLIPS_TEXT])
        if len(flips) > MAX_FLIPS_TEXT:
            out.append(f"... and {len(flips) - MAX_FLIPS_TEXT} more (see --html)")
    out.append("")
    timings = " (recorded timings: replayed from cassettes)" if c.recorded_timings else ""
    out += [f"Cost and latency{timings}", *_table(MODEL_HEADER, model_rows(c))]
    if c.only_a:
        out.append(f"\nOnly in A: {', '.join(c.only_a)}")
    if c.only_b:
        out.append(f"Only in B: {', '.join(c.only_b)}")
    return "\n".join(out) + "\n"


def render_comparison_html(comparison: Comparison) -> str:
    """The same comparison as one self-contained HTML page."""
    c = comparison
    return render_template(
        "compare.html.j2",
        c=c,
        group_header=GROUP_HEADER,
        groups=group_rows(c),
        model_header=MODEL_HEADER,
        models=model_rows(c),
        flip_header=FLIP_HEADER,
        flips=flip_rows(c),
        to_fail=sum(f.to_fail for f in c.flips),
        regressions=c.regressions,
    )

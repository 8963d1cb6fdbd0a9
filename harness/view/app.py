"""The `harness view` web app: Starlette routes over the results store, HTML from Jinja2.

Pages are rendered on the server with autoescaping; no page runs a script (the
Content-Security-Policy forbids them), except a run's full report, which is the
self-contained report.html with its own escaped data and inline script. Only requests
addressed to the loopback host are answered (no DNS rebinding).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from importlib.resources import files
from pathlib import Path
from typing import Any

import jinja2
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Route

from harness.view import queries
from harness.view.format import FILTERS, ms, sparkline, usd

LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "[::1]", "::1")
PAGE_CSP = (
    "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; "
    "base-uri 'none'; frame-ancestors 'none'"
)
REPORT_CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; "
    "img-src data:; base-uri 'none'; frame-ancestors 'none'"
)
MAX_CASSETTE_BYTES = 256 * 1024
MAX_REPORT_RESULTS = 200_000
"""Above this, comparing two runs (built in memory with pandas) is left to `harness compare`."""

_ENV = jinja2.Environment(
    loader=jinja2.PackageLoader("harness.view", "templates"),
    autoescape=True,
    undefined=jinja2.StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)
_ENV.filters.update(FILTERS)
_ENV.globals.update(sparkline=sparkline, usd=usd, ms=ms)


def _headers(csp: str) -> dict[str, str]:
    return {
        "Content-Security-Policy": csp,
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "no-referrer",
        "Cache-Control": "no-store",
    }


def _page(name: str, status: int = 200, **context: Any) -> HTMLResponse:
    html = _ENV.get_template(name).render(**context)
    return HTMLResponse(html, status_code=status, headers=_headers(PAGE_CSP))


def _not_found(what: str) -> HTMLResponse:
    return _page("missing.html.j2", status=404, what=what)


def _filter(request: Request) -> queries.Filter:
    params = request.query_params
    try:
        page = max(1, int(params.get("page", "1")))
    except ValueError:
        page = 1
    return queries.Filter(
        status=params.get("status", ""),
        spec=params.get("spec", ""),
        model=params.get("model", ""),
        q=params.get("q", "").strip(),
        page=page,
        prompt=params.get("prompt", ""),
    )


class ViewApp:
    """The routes, bound to one store file (each request opens a read-only connection)."""

    def __init__(self, store_path: Path) -> None:
        self.store_path = store_path

    @contextmanager
    def db(self) -> Iterator[sqlite3.Connection]:
        """A read-only connection for one request."""
        db = queries.connect(self.store_path)
        try:
            yield db
        finally:
            db.close()

    def runs(self, request: Request) -> Response:
        with self.db() as db:
            rows = queries.runs(db)
            ids = queries.run_ids(db)
        return _page(
            "runs.html.j2",
            runs=rows,
            run_ids=ids,
            store=str(self.store_path),
            store_name=self.store_path.name,
        )

    def run(self, request: Request) -> Response:
        run_id = request.path_params["run_id"]
        filt = _filter(request)
        with self.db() as db:
            run = queries.run(db, run_id)
            if run is None:
                return _not_found(f"run {run_id}")
            models = queries.by_model(db, run_id)
            facets = queries.facets(db, run_id)
            results, more = queries.results(db, run_id, filt)
        return _page(
            "run.html.j2",
            run=run,
            models=models,
            facets=facets,
            filt=filt,
            results=results,
            more=more,
            statuses=("passed", "failed", "error", "skipped"),
        )

    def search(self, request: Request) -> Response:
        filt = _filter(request)
        results: list[queries.ResultRow] = []
        more = False
        if filt.q:
            with self.db() as db:
                results, more = queries.results(db, None, filt)
        return _page("search.html.j2", filt=filt, results=results, more=more)

    def report(self, request: Request) -> Response:
        from harness.report.write import render_store_report
        from harness.store.sqlite import Store

        run_id = request.path_params["run_id"]
        with self.db() as ro:
            run = queries.run(ro, run_id)
        if run is None:
            return _not_found(f"run {run_id}")
        # the same page as report.html, drawn from SQL aggregates with its matrix capped:
        # flat in memory at any size of run
        db = sqlite3.connect(
            f"{self.store_path.resolve().as_uri()}?mode=ro", uri=True, check_same_thread=False
        )
        try:
            html = render_store_report(Store(db, self.store_path), run_id)
        finally:
            db.close()
        return HTMLResponse(html, headers=_headers(REPORT_CSP))

    def compare(self, request: Request) -> Response:
        from harness.report.compare import compare_runs
        from harness.report.compare_view import (
            FLIP_HEADER,
            GROUP_HEADER,
            MODEL_HEADER,
            group_rows,
            model_rows,
        )
        from harness.report.frame import normalize
        from harness.store.sqlite import Store

        a, b = request.query_params.get("a", ""), request.query_params.get("b", "")
        with self.db() as ro:
            sizes = {ref: queries.run(ro, ref) for ref in (a, b)}
        for ref, found in sizes.items():
            if found is None:
                return _not_found(f"run {ref or '(none chosen)'}")
            if found.counts.n > MAX_REPORT_RESULTS:
                return _page(
                    "too_big.html.j2",
                    title="Compare",
                    what=f"Run {ref}",
                    n=found.counts.n,
                    limit=MAX_REPORT_RESULTS,
                    command=f"harness compare {a} {b} --html compare.html",
                    run_id="",
                )
        db = sqlite3.connect(
            f"{self.store_path.resolve().as_uri()}?mode=ro", uri=True, check_same_thread=False
        )
        try:
            store = Store(db, self.store_path)
            frame_a = normalize(store.results_frame(a))
            frame_b = normalize(store.results_frame(b))
        finally:
            db.close()
        comparison = compare_runs(frame_a, frame_b, name_a=a, name_b=b)
        flips = sorted(comparison.flips, key=lambda f: (not f.to_fail, f.model, f.spec, f.case_id))
        return _page(
            "compare.html.j2",
            c=comparison,
            a=a,
            b=b,
            group_header=GROUP_HEADER,
            groups=list(zip(comparison.groups, group_rows(comparison), strict=True)),
            model_header=MODEL_HEADER,
            models=model_rows(comparison),
            flip_header=FLIP_HEADER,
            flips=flips,
            to_fail=sum(f.to_fail for f in comparison.flips),
        )

    def trends(self, request: Request) -> Response:
        spec = request.query_params.get("spec", "")
        model = request.query_params.get("model", "")
        prompt = request.query_params.get("prompt", "")
        with self.db() as db:
            rows = queries.trends(db, spec=spec, model=model, prompt=prompt)
        return _page("trends.html.j2", trends=rows, spec=spec, model=model, prompt=prompt)

    def item(self, request: Request) -> Response:
        params = request.query_params
        run_id = params.get("run", "")
        item_id = params.get("id", "")
        with self.db() as db:
            if not item_id and params.get("case"):
                try:
                    attempt = int(params.get("attempt", "1"))
                except ValueError:
                    attempt = 1
                found = queries.find_item(
                    db, run_id, params.get("spec", ""), params["case"], params.get("model", ""),
                    attempt,
                )  # fmt: skip
                if found is None:
                    return _not_found(f"case {params['case']} in run {run_id}")
                return RedirectResponse(
                    request.url_for("item").include_query_params(run=run_id, id=found),
                    status_code=303,
                )
            data = queries.item(db, run_id, item_id)
        if data is None:
            return _not_found(f"item {item_id} in run {run_id}")
        return _page("item.html.j2", r=data, cassette=self._cassette(data.get("cassette")))

    def _cassette(self, stored: str | None) -> str | None:
        """The item's cassette text when the file is at hand (YAML/JSON, size-capped)."""
        if not stored:
            return None
        path = Path(stored)
        candidates = [path] if path.is_absolute() else [
            Path.cwd() / path, self.store_path.parent / path, self.store_path.parent.parent / path
        ]  # fmt: skip
        for candidate in candidates:
            if candidate.suffix.lower() not in (".yaml", ".yml", ".json"):
                return None
            if candidate.is_file():
                with candidate.open("rb") as fh:
                    data = fh.read(MAX_CASSETTE_BYTES + 1)
                text = data[:MAX_CASSETTE_BYTES].decode("utf-8", errors="replace")
                if len(data) > MAX_CASSETTE_BYTES:
                    text += f"\n... (cut at {MAX_CASSETTE_BYTES // 1024} KiB)"
                return text
        return None

    def static(self, request: Request) -> Response:
        name = request.path_params["name"]
        if name not in ("view.css",):
            return Response("not found", status_code=404)
        body = (files("harness.view") / "static" / name).read_text(encoding="utf-8")
        return Response(body, media_type="text/css", headers={"Cache-Control": "max-age=3600"})


def create_app(store_path: Path, *, allowed_hosts: tuple[str, ...] = LOOPBACK_HOSTS) -> Starlette:
    """The ASGI app for the store at ``store_path`` (which must exist and be migrated).

    Example:
        >>> app = create_app(Path("reports/harness.db"))  # doctest: +SKIP
        >>> import uvicorn; uvicorn.run(app, host="127.0.0.1", port=8765)  # doctest: +SKIP
    """
    view = ViewApp(store_path)
    routes = [
        Route("/", view.runs, name="runs"),
        Route("/runs/{run_id}", view.run, name="run"),
        Route("/runs/{run_id}/report", view.report, name="report"),
        Route("/compare", view.compare, name="compare"),
        Route("/trends", view.trends, name="trends"),
        Route("/search", view.search, name="search"),
        Route("/item", view.item, name="item"),
        Route("/static/{name}", view.static, name="static"),
    ]
    middleware = [Middleware(TrustedHostMiddleware, allowed_hosts=list(allowed_hosts))]
    return Starlette(routes=routes, middleware=middleware)

"""The results files written in a thread beside the page, on a connection of their own.

``results.csv``, ``results.json`` and ``results.parquet`` are mostly SQLite formatting
cells and pyarrow converting text, and both release the GIL while they work, so
written from a second connection in a thread they overlap the page's aggregates
instead of following them (at a million results about a third of the report files'
time). A store without a file (in memory) has no second connection: its files are
written in the caller's thread, as before.
"""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

from harness.report.results_files import write_parquet, write_results_files
from harness.store.sqlite import Store


def _write(store: Store, run_id: str, out_dir: Path) -> dict[str, Path]:
    csv_path, json_path = write_results_files(store, run_id, out_dir)
    paths = {"results_csv": csv_path, "results_json": json_path}
    parquet = write_parquet(csv_path, out_dir / "results.parquet")
    if parquet is not None:
        paths["results_parquet"] = parquet
    return paths


class ResultsFiles:
    """The results files of a run, being written; ``wait()`` returns their paths by kind
    (``results_csv``, ``results_json`` and, with pyarrow, ``results_parquet``).

    Example:
        >>> files = ResultsFiles.start(store, run_id, out_dir)  # doctest: +SKIP
        >>> ...  # the page and summary.csv, meanwhile
        >>> paths = files.wait()  # doctest: +SKIP
    """

    def __init__(self) -> None:
        self._paths: dict[str, Path] = {}
        self._error: BaseException | None = None
        self._thread: threading.Thread | None = None

    @classmethod
    def start(cls, store: Store, run_id: str, out_dir: Path) -> ResultsFiles:
        """Start writing; in this thread when ``store`` has no file."""
        files = cls()
        if store.path is None or not store.path.exists():
            files._paths = _write(store, run_id, out_dir)
            return files
        path = store.path
        # opened here, not in the thread: a store that cannot be read fails the caller
        db = sqlite3.connect(
            f"{path.resolve().as_uri()}?mode=ro", uri=True, check_same_thread=False
        )
        db.execute("PRAGMA busy_timeout=10000")

        def work() -> None:
            try:
                files._paths = _write(Store(db, path), run_id, out_dir)
            except BaseException as exc:  # handed to the caller by wait()
                files._error = exc
            finally:
                db.close()

        files._thread = threading.Thread(target=work, name="harness-results-files", daemon=True)
        files._thread.start()
        return files

    def wait(self) -> dict[str, Path]:
        """The paths, once written; raises what writing them raised."""
        if self._thread is not None:
            self._thread.join()
            self._thread = None
        if self._error is not None:
            raise self._error
        return self._paths

"""The results files of a large run, written by a second process beside the page.

``results.csv``, ``results.json`` and ``results.parquet`` take about as long as the page
and summary.csv together (SQLite formatting every cell, pyarrow converting text). For a
run of ``BESIDE_FROM`` results or more they are written by a child process reading the
store on its own connection, so on a machine with a free core the two halves overlap
(at a million results, the report files take about half as long), and pyarrow is
never imported by the run's own process. A thread would not do: the page's Python work
holds the GIL, and a thread stepping a SQLite cursor row by row waits for it on every
row. Smaller runs, and stores without a file, write the files in the caller's process,
as does any run whose child fails: the caller then raises the error itself.

    python -m harness.report.beside STORE RUN_ID OUT_DIR   # what the child runs
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from harness.report.results_files import write_parquet, write_results_files
from harness.store.sqlite import Store

BESIDE_FROM = 20_000
"""Runs with at least this many results get their results files from a second process
(under it, a process's start-up would cost more than the overlap saves)."""


def write(store: Store, run_id: str, out_dir: Path) -> dict[str, Path]:
    """Write the results files here; returns their paths by kind."""
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

    def __init__(self, store: Store, run_id: str, out_dir: Path) -> None:
        self.store, self.run_id, self.out_dir = store, run_id, out_dir
        self.child: subprocess.Popen[str] | None = None
        self._paths: dict[str, Path] | None = None

    @classmethod
    def start(
        cls, store: Store, run_id: str, out_dir: Path, *, beside_from: int = BESIDE_FROM
    ) -> ResultsFiles:
        """Start writing: in a child process for a run of ``beside_from`` results or more
        in a store with a file, else here and now."""
        files = cls(store, run_id, out_dir)
        path = store.path
        if path is None or not path.is_file() or store.count(run_id) < beside_from:
            files._paths = write(store, run_id, out_dir)
            return files
        # the child imports harness from wherever this process did
        root = str(Path(__file__).resolve().parents[2])
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(
            p for p in (root, os.environ.get("PYTHONPATH")) if p
        )}  # fmt: skip
        try:
            files.child = subprocess.Popen(
                [sys.executable, "-m", "harness.report.beside", str(path), run_id, str(out_dir)],
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
                env=env,
            )
        except OSError:  # no second process here: write them in this one
            files._paths = write(store, run_id, out_dir)
        return files

    def wait(self) -> dict[str, Path]:
        """The paths, once written. A child that failed is not trusted: the files are
        written again here, so its error (if it is not the child's alone) is raised here."""
        if self._paths is None and self.child is not None:
            out, _ = self.child.communicate()
            if self.child.returncode == 0:
                self._paths = {kind: Path(p) for kind, p in json.loads(out).items()}
            self.child = None
        if self._paths is None:
            self._paths = write(self.store, self.run_id, self.out_dir)
        return self._paths

    def stop(self) -> None:
        """Stop the child, if there is one (the caller failed and will not wait)."""
        if self.child is not None:
            self.child.kill()
            self.child.communicate()
            self.child = None


def main(argv: list[str]) -> None:
    """The child: write the results files of a run and print their paths as JSON."""
    path, run_id, out_dir = Path(argv[0]), argv[1], Path(argv[2])
    with Store.open(path) as store:
        paths = write(store, run_id, out_dir)
    print(json.dumps({kind: str(p) for kind, p in paths.items()}))


if __name__ == "__main__":
    main(sys.argv[1:])

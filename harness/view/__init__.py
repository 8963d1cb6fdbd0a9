"""`harness view`: a local web app over the results store (the ``view`` extra).

Runs list, one run's results with filters and search, the full report, any two runs
compared, trends per spec x model, and one item's drill-down::

    harness view                      # reports/harness.db, opens the browser
    harness view --store other.db --port 9000 --no-open
"""

from __future__ import annotations

from harness.view.serve import INSTALL, serve

__all__ = ["INSTALL", "serve"]

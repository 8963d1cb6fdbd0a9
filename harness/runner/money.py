"""Dollar amounts as printed: enough digits that a cost under a cent is not shown as 0."""

from __future__ import annotations

import math


def format_usd(value: float, *, sign: bool = False) -> str:
    """At least four decimals, and two significant digits below a cent.

    Example:
        >>> format_usd(0.000054), format_usd(1.5), format_usd(0.0)
        ('0.000054', '1.5000', '0.0000')
    """
    digits = 4
    if 0 < abs(value) < 0.01:
        digits = max(digits, 1 - math.floor(math.log10(abs(value))))
    text = f"{value:.{digits}f}"
    return f"${text}" if sign else text

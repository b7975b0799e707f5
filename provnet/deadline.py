"""Deadlines as ``time.monotonic()`` values: what probes (the exporter's, the readiness
check's) count down to."""

from __future__ import annotations

import time

# A probe stops this long before its deadline, so the caller still has time to render.
DEADLINE_MARGIN_S = 0.02


def remaining(deadline: float, now: float | None = None) -> float:
    """Seconds left before ``deadline`` (a ``time.monotonic()`` value), less the margin."""
    current = time.monotonic() if now is None else now
    return max(0.0, deadline - current - DEADLINE_MARGIN_S)

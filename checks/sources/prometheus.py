"""Coverage and monitoring retention from Prometheus's HTTP API (``--prometheus URL``).

Only two endpoints: ``/api/v1/query`` (an instant query) and ``/api/v1/status/runtimeinfo``
(``storageRetention``, e.g. ``"30d"`` or ``"30d or 10GiB"``). A Prometheus that does not
answer, or answers an error, raises :class:`~checks.errors.SourceError`: the engine makes
that an ``error`` result, never a pass. The standard library's urllib is enough for two
GETs; no client library is pulled in for them.
"""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.parse
import urllib.request
from typing import Any

from checks.errors import SourceError

TIMEOUT = 10.0
_UNITS = {
    "ms": 1 / 86_400_000,
    "s": 1 / 86_400,
    "m": 1 / 1440,
    "h": 1 / 24,
    "d": 1,
    "w": 7,
    "y": 365,
}
_DURATION = re.compile(r"(\d+)(ms|s|m|h|d|w|y)")


def duration_days(text: str) -> float | None:
    """A Prometheus duration in days (``"15d"`` -> 15, ``"1y2w"`` -> 379); None when
    ``text`` is not one. ``"30d or 10GiB"`` (time and size retention) -> 30."""
    head = text.split(" or ")[0].strip()
    if not head or _DURATION.sub("", head):
        return None
    return sum(int(n) * _UNITS[unit] for n, unit in _DURATION.findall(head))


class PrometheusApi:
    def __init__(self, url: str, timeout: float = TIMEOUT) -> None:
        self.url = url.rstrip("/")
        self.timeout = timeout

    def _get(self, path: str, params: dict[str, str] | None = None) -> Any:
        url = f"{self.url}{path}" + (f"?{urllib.parse.urlencode(params)}" if params else "")
        try:
            with urllib.request.urlopen(url, timeout=self.timeout) as response:
                answer = json.loads(response.read())
        except urllib.error.HTTPError as exc:  # Prometheus answers a bad query with 400 + JSON
            try:
                answer = json.loads(exc.read())
            except ValueError:
                raise SourceError(f"{self.url}: HTTP {exc.code} for {path}") from None
        except (OSError, ValueError) as exc:
            raise SourceError(f"{self.url}: Prometheus không trả lời (no answer): {exc}") from None
        if not isinstance(answer, dict) or answer.get("status") != "success":
            error = answer.get("error", answer) if isinstance(answer, dict) else answer
            raise SourceError(f"{self.url}{path}: {error}")
        return answer.get("data")

    def query(self, expr: str) -> list[tuple[dict[str, str], float]]:
        data = self._get("/api/v1/query", {"query": expr})
        kind = data.get("resultType") if isinstance(data, dict) else None
        if kind == "scalar":
            return [({}, float(data["result"][1]))]
        if kind != "vector":
            raise SourceError(f"{self.url}: {expr}: a {kind} answer, not an instant vector")
        return [(dict(item["metric"]), float(item["value"][1])) for item in data["result"]]

    def retention_days(self) -> float:
        data = self._get("/api/v1/status/runtimeinfo")
        text = str(data.get("storageRetention", "")) if isinstance(data, dict) else ""
        days = duration_days(text)
        if days is None:
            raise SourceError(f"{self.url}: no time retention in runtimeinfo ('{text}')")
        return days

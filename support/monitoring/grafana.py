"""Grafana's HTTP API: health, a provisioned dashboard, and a panel query through its data-source proxy."""

from __future__ import annotations

import time
from typing import Any

import httpx


class GrafanaClient:
    """A Grafana server; a token (service account) or none for anonymous access."""

    def __init__(self, url: str, token: str = "", timeout_s: float = 10.0) -> None:
        self.url = url.rstrip("/")
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        self._http = httpx.Client(timeout=timeout_s, headers=headers)

    def close(self) -> None:
        """Release the connection pool."""
        self._http.close()

    def health(self) -> dict[str, Any]:
        """GET /api/health."""
        response = self._http.get(f"{self.url}/api/health")
        response.raise_for_status()
        body: dict[str, Any] = response.json()
        return body

    def dashboard(self, uid: str) -> httpx.Response:
        """GET /api/dashboards/uid/<uid>, as it answered."""
        return self._http.get(f"{self.url}/api/dashboards/uid/{uid}")

    def query(self, datasource_uid: str, expr: str, window_s: float = 300.0) -> httpx.Response:
        """POST /api/ds/query with one Prometheus range query over the last window_s seconds."""
        now_ms = int(time.time() * 1000)
        body = {
            "from": str(now_ms - int(window_s * 1000)),
            "to": str(now_ms),
            "queries": [{"refId": "A", "datasource": {"uid": datasource_uid}, "expr": expr, "intervalMs": 15000, "maxDataPoints": 100, "format": "time_series"}],
        }
        return self._http.post(f"{self.url}/api/ds/query", json=body)


def frames_with_values(response_body: dict[str, Any], ref_id: str = "A") -> int:
    """How many data frames of a /api/ds/query answer hold at least one value."""
    frames = response_body.get("results", {}).get(ref_id, {}).get("frames", [])
    return sum(1 for frame in frames if any(column for column in frame.get("data", {}).get("values", [])[1:]))

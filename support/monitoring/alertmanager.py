"""Alertmanager's API v2: the alerts it holds."""

from __future__ import annotations

from typing import Any

import httpx


class AlertmanagerClient:
    """An Alertmanager server, read through its HTTP API v2."""

    def __init__(self, url: str, timeout_s: float = 10.0) -> None:
        self.url = url.rstrip("/")
        self._http = httpx.Client(timeout=timeout_s)

    def close(self) -> None:
        """Release the connection pool."""
        self._http.close()

    def ready(self) -> bool:
        """Whether /-/ready answers 200."""
        try:
            return self._http.get(f"{self.url}/-/ready").status_code == 200
        except httpx.HTTPError:
            return False

    def alerts(self, alertname: str) -> list[dict[str, Any]]:
        """The alerts of that name Alertmanager holds, active or silenced or inhibited."""
        response = self._http.get(f"{self.url}/api/v2/alerts", params={"filter": f'alertname="{alertname}"'})
        response.raise_for_status()
        alerts: list[dict[str, Any]] = response.json()
        return alerts

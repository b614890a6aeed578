"""Alerts as Prometheus' rule manager holds them now, not as its stored ALERTS series last recorded them.

After a restart, the ALERTS series from before it still answers a query for minutes; only /api/v1/alerts shows
whether the restarted Prometheus itself holds the alert, and since when.
"""

from __future__ import annotations

import datetime as dt

import httpx


def held_alert(prometheus_url: str, alertname: str) -> tuple[str, float] | None:
    """The alert's state and when it became active (Unix seconds), or None when Prometheus holds no such alert."""
    alerts = httpx.get(f"{prometheus_url}/api/v1/alerts", timeout=10).json()["data"]["alerts"]
    found = [alert for alert in alerts if alert.get("labels", {}).get("alertname") == alertname]
    if not found:
        return None
    active_at = dt.datetime.fromisoformat(str(found[0]["activeAt"]).replace("Z", "+00:00")).timestamp()
    return str(found[0]["state"]), active_at

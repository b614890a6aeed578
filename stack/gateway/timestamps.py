"""Times as Ollama writes them: RFC 3339 timestamps with the local offset, durations in whole nanoseconds."""

from __future__ import annotations

import datetime as dt


def timestamp(moment: dt.datetime | None = None) -> str:
    """RFC 3339 with the fraction's trailing zeros trimmed, as Go marshals time.Time."""
    moment = moment or dt.datetime.now(dt.UTC)
    text = moment.isoformat()
    if "." in text:
        head, rest = text.split(".", 1)
        digits = rest[:6].rstrip("0")
        zone = rest[6:]
        text = f"{head}.{digits}{zone}" if digits else f"{head}{zone}"
    return text.replace("+00:00", "Z")


def ns(seconds: float) -> int:
    return max(0, int(seconds * 1e9))

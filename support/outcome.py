"""A client call's outcome, whatever it was: what it returned, or what it raised."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


def outcome(action: Callable[[], Any]) -> tuple[Any, Exception | None]:
    """Run the call; a client's exception is an outcome for a Then step to judge, not a suite error."""
    try:
        return action(), None
    except Exception as error:  # noqa: BLE001 - every client failure is reported by a Then step
        return None, error

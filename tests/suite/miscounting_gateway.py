"""The real gateway, with its request counter off by one when asked: a negative control for the accuracy checks.

``python -m tests.suite.miscounting_gateway EXTRA [gateway flags]`` counts the first answered
/api/chat request EXTRA more times. With 0 it is the gateway unchanged, the control's control.
"""

from __future__ import annotations

import sys
from typing import Any

from stack.gateway import __main__ as gateway
from stack.gateway.middleware import Observe


def miscount(extra: int) -> None:
    """Patch the request counter to add ``extra`` to the first successful chat request it records."""
    record = Observe._record
    pending = [extra]

    def recorded(self: Observe, scope: Any, status: int, seconds: float) -> None:
        record(self, scope, status, seconds)
        if pending[0] and scope["path"] == "/api/chat" and status == 200:
            model = str(scope.get("state", {}).get("model", "none"))
            self.metrics.requests.labels("/api/chat", scope["method"], model, "200").inc(pending[0])
            pending[0] = 0

    Observe._record = recorded  # type: ignore[method-assign]


if __name__ == "__main__":
    miscount(int(sys.argv.pop(1)))
    gateway.main()

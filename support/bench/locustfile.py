"""A Locust user that measures each request as the asyncio generator does and sends its records to the master.

Run it through support.bench.distributed (one master and workers, each a process of its own: Locust's gevent patches
the process). Workers hand their records to the master with each stats report; the master appends them to
`--bench-records`, and the metrics are computed from those merged records, not from Locust's rounded percentiles.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import time
from pathlib import Path
from typing import Any

import httpx
from locust import User, constant, events, task
from locust.env import Environment

from support.bench.measure import Batch, RequestSpec, measure_http_sync, shift
from support.bench.plan import SHORT_PROMPT

# httpx logs every request at INFO, which would bury Locust's own lines.
logging.getLogger("httpx").setLevel(logging.WARNING)

PENDING: list[dict[str, Any]] = []
"""This worker's records not yet sent to the master."""
WALL_MINUS_PERF = time.time() - time.perf_counter()
"""Records carry wall-clock times, so records from several machines share one (NTP-synchronised) clock."""


@events.init_command_line_parser.add_listener
def _arguments(parser: Any) -> None:
    parser.add_argument("--bench-records", default="", help="where the master appends the merged per-request records (JSON lines)")
    parser.add_argument("--bench-model", default="smollm2:135m", help="the model to ask")
    parser.add_argument("--bench-max-tokens", type=int, default=32, help="tokens per answer")
    parser.add_argument("--bench-label", default="", help="the target's name in the records")


@events.report_to_master.add_listener
def _hand_over(client_id: str, data: dict[str, Any]) -> None:
    data["bench_records"] = PENDING[:]
    PENDING.clear()


@events.worker_report.add_listener
def _merge(client_id: str, data: dict[str, Any]) -> None:
    records = data.get("bench_records") or []
    path = _options_path()
    if records and path:
        with Path(path).open("a") as handle:
            for record in records:
                handle.write(json.dumps({**record, "worker": client_id}) + "\n")


ENVIRONMENT: list[Environment] = []


@events.init.add_listener
def _keep(environment: Environment, **_: Any) -> None:
    ENVIRONMENT.append(environment)


def _options_path() -> str:
    options = ENVIRONMENT[0].parsed_options if ENVIRONMENT else None
    return str(getattr(options, "bench_records", "") or "")


class StreamingChatUser(User):
    """One closed-loop user: a streamed /api/chat request after another, each measured and recorded."""

    wait_time = constant(0)

    def on_start(self) -> None:
        """A connection of its own, as each asyncio user has."""
        self.http = httpx.Client(base_url=str(self.host), timeout=httpx.Timeout(600.0, connect=10.0))

    def on_stop(self) -> None:
        """Close the connection."""
        self.http.close()

    @task
    def chat(self) -> None:
        """One measured request; Locust's own statistics get its end-to-end time, the records get everything."""
        options = self.environment.parsed_options
        runner = self.environment.runner
        users = runner.user_count if runner is not None else 1
        spec = RequestSpec("ollama-chat", options.bench_model, SHORT_PROMPT, "short", options.bench_max_tokens)
        label = options.bench_label or str(self.host)
        batch = Batch(f"{label} (Locust worker {socket.gethostname()})", "locust", f"{users} users per worker", users)
        record = shift(measure_http_sync(self.http, spec, batch, time.perf_counter()), -WALL_MINUS_PERF)
        self.environment.events.request.fire(
            request_type="E2E", name="/api/chat", response_time=(record.e2e_s or 0.0) * 1000, response_length=record.output_tokens,
            exception=None if record.ok else RuntimeError(record.error), context={},
        )
        PENDING.append({**record.row(), "pid": os.getpid()})

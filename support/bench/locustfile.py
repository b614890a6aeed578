"""A Locust user that measures each request as the asyncio generator does and sends its records to the master.

Run it through support.bench.distributed (one master and workers, each a process of its own: Locust's gevent patches
the process). Workers hand their records to the master with each stats report; the master appends them to
`--bench-records`, and the metrics are computed from those merged records, not from Locust's rounded percentiles.

When the run time is up, Locust's master would quit at once and lose the requests still in flight (a long answer
outlasts the run). So before it quits, the master asks every worker to finish: a worker stops starting requests,
waits for those in flight, sends its last records and says it is done; the master waits for all of them.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import time
from pathlib import Path
from typing import Any

import gevent
import httpx
from locust import User, constant, events, task
from locust.env import Environment
from locust.rpc.protocol import Message
from locust.runners import MasterRunner, WorkerRunner

from support.bench.measure import Batch, RequestSpec, measure_http_sync, shift
from support.bench.plan import SHORT_PROMPT

# httpx logs every request at INFO, which would bury Locust's own lines.
logging.getLogger("httpx").setLevel(logging.WARNING)

PENDING: list[dict[str, Any]] = []
"""This worker's records not yet sent to the master."""
FINISH, RECORDS, FINISHED = "bench_finish", "bench_records", "bench_finished"
"""Messages: master to workers "finish now"; workers to master their last records, then "finished"."""


class _State:
    """A worker's requests in flight and whether it was asked to finish; the master's workers that finished."""

    in_flight = 0
    measured = 0
    finishing = False
    finished: dict[str, int] = {}
    """Per worker, how many requests it says it measured: the merged records must hold as many."""

WALL_MINUS_PERF = time.time() - time.perf_counter()
"""Records carry wall-clock times, so records from several machines share one (NTP-synchronised) clock."""


@events.init_command_line_parser.add_listener
def _arguments(parser: Any) -> None:
    parser.add_argument("--bench-records", default="", help="where the master appends the merged per-request records (JSON lines)")
    parser.add_argument("--bench-model", default="smollm2:135m", help="the model to ask")
    parser.add_argument("--bench-max-tokens", type=int, default=32, help="tokens per answer")
    parser.add_argument("--bench-label", default="", help="the target's name in the records")


def _take() -> list[dict[str, Any]]:
    records = PENDING[:]
    PENDING.clear()
    return records


@events.report_to_master.add_listener
def _hand_over(client_id: str, data: dict[str, Any]) -> None:
    data[RECORDS] = _take()


def _append(records: list[dict[str, Any]], worker: str) -> None:
    path = _options_path()
    if records and path:
        with Path(path).open("a") as handle:
            for record in records:
                handle.write(json.dumps({**record, "worker": worker}) + "\n")


@events.worker_report.add_listener
def _merge(client_id: str, data: dict[str, Any]) -> None:
    _append(data.get(RECORDS) or [], client_id)


ENVIRONMENT: list[Environment] = []


def _finish_on_worker(environment: Environment, msg: Message, **_: Any) -> None:
    """Stop starting requests, let those in flight end, then send the last records and say so."""
    _State.finishing = True
    deadline = time.monotonic() + float(msg.data["grace_s"])
    while _State.in_flight and time.monotonic() < deadline:
        gevent.sleep(0.2)
    runner = environment.runner
    assert runner is not None
    runner.send_message(RECORDS, {"records": _take(), "worker": getattr(runner, "client_id", "")})
    runner.send_message(FINISHED, {"worker": getattr(runner, "client_id", ""), "measured": _State.measured})


def _records_on_master(environment: Environment, msg: Message, **_: Any) -> None:
    _append(msg.data["records"], msg.data["worker"])


def _finished_on_master(environment: Environment, msg: Message, **_: Any) -> None:
    _State.finished[msg.data["worker"]] = int(msg.data["measured"])
    path = _options_path()
    if path:
        Path(f"{path}.counts.json").write_text(json.dumps(_State.finished))


@events.init.add_listener
def _keep(environment: Environment, **_: Any) -> None:
    ENVIRONMENT.append(environment)
    if isinstance(environment.runner, WorkerRunner):
        environment.runner.register_message(FINISH, _finish_on_worker, concurrent=True)
    elif isinstance(environment.runner, MasterRunner):
        environment.runner.register_message(RECORDS, _records_on_master)
        environment.runner.register_message(FINISHED, _finished_on_master)


@events.test_stopping.add_listener
def _finish_workers(environment: Environment, **_: Any) -> None:
    """On the master, before it quits: ask every worker to finish and wait until all have, within the stop timeout."""
    runner = environment.runner
    if not isinstance(runner, MasterRunner):
        return
    workers = {client.id for client in runner.clients.all}
    grace = float(environment.stop_timeout or 60)
    runner.send_message(FINISH, {"grace_s": grace})
    deadline = time.monotonic() + grace + 10
    while not workers <= set(_State.finished) and time.monotonic() < deadline:
        gevent.sleep(0.2)


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
        if _State.finishing:
            gevent.sleep(1)
            return
        options = self.environment.parsed_options
        runner = self.environment.runner
        users = runner.user_count if runner is not None else 1
        spec = RequestSpec("ollama-chat", options.bench_model, SHORT_PROMPT, "short", options.bench_max_tokens)
        label = options.bench_label or str(self.host)
        batch = Batch(f"{label} (Locust worker {socket.gethostname()})", "locust", f"{users} users per worker", users)
        _State.in_flight += 1
        try:
            record = shift(measure_http_sync(self.http, spec, batch, time.perf_counter()), -WALL_MINUS_PERF)
        finally:
            _State.in_flight -= 1
            _State.measured += 1
        self.environment.events.request.fire(
            request_type="E2E", name="/api/chat", response_time=(record.e2e_s or 0.0) * 1000, response_length=record.output_tokens,
            exception=None if record.ok else RuntimeError(record.error), context={},
        )
        PENDING.append({**record.row(), "pid": os.getpid()})

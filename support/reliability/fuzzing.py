"""Send generated requests to every operation of the API description and judge each answer."""

from __future__ import annotations

import time
import urllib.parse
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from support.reliability.description import Operation
from support.reliability.generated import bent, encoded, from_schema, nearly_plain, path_values, tamed, with_model
from support.reliability.verdicts import Answer, violation

METHODS = ("GET", "HEAD", "POST", "PUT", "DELETE", "PATCH")
KEPT_VIOLATIONS = 20
"""Enough examples of what went wrong to act on; the counts carry the rest."""


@dataclass
class Tally:
    """What one operation was sent and how it answered."""

    sent: int = 0
    statuses: Counter[int] = field(default_factory=Counter)
    violations: list[str] = field(default_factory=list)
    hangs: int = 0
    violation_count: int = 0


@dataclass
class FuzzRun:
    """Per operation tallies, and how long the run took."""

    tallies: dict[str, Tally] = field(default_factory=dict)
    seconds: float = 0.0

    @property
    def sent(self) -> int:
        return sum(tally.sent for tally in self.tallies.values())

    @property
    def violations(self) -> list[str]:
        return [line for tally in self.tallies.values() for line in tally.violations]

    @property
    def violation_count(self) -> int:
        return sum(tally.violation_count for tally in self.tallies.values())

    @property
    def hangs(self) -> int:
        return sum(tally.hangs for tally in self.tallies.values())


@dataclass(frozen=True)
class Budget:
    """Bounds on a run: examples per operation, the whole run's seconds, and one request's seconds."""

    examples: int
    seconds: float
    request_timeout_s: float


Sender = Callable[[str, str, bytes | None], Answer]


def http_sender(base_url: str, timeout_s: float, headers: dict[str, str] | None = None) -> Sender:
    """Send with httpx; a request that outlives its timeout raises httpx.TimeoutException."""
    client = httpx.Client(base_url=base_url, timeout=timeout_s, headers=headers)

    def send(method: str, path: str, body: bytes | None) -> Answer:
        response = client.request(method, path, content=body, headers={"Content-Type": "application/json"} if body else None)
        return Answer(method, path, response.status_code, response.headers.get("content-type", ""), response.content)

    return send


def _concrete(path: str, value: str) -> str:
    return path.replace("{digest}", urllib.parse.quote(value, safe=":")).replace("{model}", urllib.parse.quote(value, safe=":"))


def _send(sender: Sender, tally: Tally, method: str, path: str, body: bytes | None) -> None:
    tally.sent += 1
    try:
        answer = sender(method, path, body)
    except httpx.TimeoutException:
        tally.hangs += 1
        _record(tally, f"{method} {path}: no answer within the bound; body {body[:200] if body else b''!r}")
        return
    except httpx.HTTPError as error:
        _record(tally, f"{method} {path}: the connection failed ({type(error).__name__}: {error}); body {body[:200] if body else b''!r}")
        return
    tally.statuses[answer.status] += 1
    problem = violation(answer)
    if problem is not None:
        _record(tally, f"{method} {path}: {problem}; body {body[:300] if body else b''!r}")


def _record(tally: Tally, line: str) -> None:
    tally.violation_count += 1
    if len(tally.violations) < KEPT_VIOLATIONS:
        tally.violations.append(line)


def fuzz_operation(sender: Sender, operation: Operation, model: str, budget: Budget, deadline: float, tally: Tally) -> None:
    """Generated requests to one operation until its examples or the run's time are spent."""
    bodies: st.SearchStrategy[Any] = st.none()
    if operation.body is not None:
        bodies = with_model(operation, model, nearly_plain(operation.body) | from_schema(operation.body) | bent(operation.body))

    @settings(max_examples=budget.examples, deadline=None, database=None, phases=(Phase.generate,),
              suppress_health_check=list(HealthCheck), derandomize=False)
    @given(body=bodies, path_value=path_values)
    def probe(body: Any, path_value: str) -> None:
        if time.monotonic() >= deadline:
            return
        payload = encoded(tamed(operation, body, model)) if operation.body is not None else None
        _send(sender, tally, operation.method, _concrete(operation.path, path_value), payload)

    probe()


def wrong_methods(sender: Sender, operations: list[Operation], tallies: dict[str, Tally]) -> None:
    """Each path with every method it does not take: gin's plain 405 (or 404), never a 5xx."""
    taken: dict[str, set[str]] = {}
    for operation in operations:
        taken.setdefault(operation.path, set()).add(operation.method)
    for path, methods in taken.items():
        concrete = _concrete(path, "sha256:" + "0" * 64)
        for method in METHODS:
            if method not in methods and not (method == "HEAD" and "GET" in methods):
                _send(sender, tallies.setdefault(f"{method} {path}", Tally()), method, concrete, None)


def fuzz(sender: Sender, operations: list[Operation], model: str, budget: Budget) -> FuzzRun:
    """Every operation in turn, sharing the run's time, then every wrong method."""
    started = time.monotonic()
    run = FuzzRun()
    for index, operation in enumerate(operations):
        # Each operation gets its share of what time is left, so a slow one cannot starve those after it.
        share = (budget.seconds - (time.monotonic() - started)) / (len(operations) - index)
        tally = run.tallies.setdefault(operation.name, Tally())
        fuzz_operation(sender, operation, model, budget, time.monotonic() + max(share, 0.0), tally)
    wrong_methods(sender, operations, run.tallies)
    run.seconds = time.monotonic() - started
    return run

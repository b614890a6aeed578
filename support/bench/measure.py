"""One request, measured: a record per request with its scheduled start, dispatch delay, content times and counts."""

from __future__ import annotations

import time
from dataclasses import dataclass, field, fields
from typing import Any

import httpx

from support.bench.streams import PATHS, Answer, read_line, read_message, request_body


@dataclass(frozen=True)
class RequestSpec:
    """What to send: the API, the model, the prompt with its size class, how many tokens, streamed or not."""

    api: str
    model: str
    prompt: str
    prompt_size: str
    max_tokens: int
    stream: bool = True


@dataclass(frozen=True)
class Batch:
    """Where a request belongs: the target, the load shape and its level, the iteration; warm-ups are kept apart."""

    target: str
    phase: str
    load: str
    concurrency: int = 1
    iteration: int = 0
    warmup: bool = False


@dataclass
class RequestRecord:
    """A row of requests.csv. Times are seconds on one clock whose zero is the start of the run."""

    target: str
    model: str
    api: str
    phase: str
    load: str
    concurrency: int
    iteration: int
    warmup: bool
    prompt_size: str
    stream: bool
    scheduled_s: float
    started_s: float
    dispatch_delay_s: float
    ok: bool
    status: int = 0
    error: str = ""
    ttft_s: float | None = None
    e2e_s: float | None = None
    output_tokens: int = 0
    prompt_tokens: int = 0
    token_source: str = ""
    chunk_offsets_s: list[float] = field(default_factory=list)
    """Arrival of each non-empty content chunk after the request's start: the ITL samples are their gaps."""

    @property
    def end_s(self) -> float:
        """When the request ended on the run's clock (its start if it never got an answer)."""
        return self.started_s + (self.e2e_s or 0.0)

    def row(self) -> dict[str, Any]:
        """The record as flat CSV cells; the chunk offsets become one space-separated cell in milliseconds."""
        cells = {f.name: getattr(self, f.name) for f in fields(self)}
        cells["chunk_offsets_s"] = " ".join(f"{offset * 1000:.3f}" for offset in self.chunk_offsets_s)
        return cells

    @classmethod
    def from_row(cls, cells: dict[str, Any]) -> RequestRecord:
        """A record read back from a CSV row or a JSON object, as the Locust master writes them."""
        values: dict[str, Any] = {}
        for f in fields(cls):
            raw = cells.get(f.name)
            if f.name == "chunk_offsets_s":
                values[f.name] = [float(x) / 1000 for x in str(raw or "").split()] if not isinstance(raw, list) else [float(x) for x in raw]
            elif raw is None or raw == "":
                values[f.name] = None if f.name in ("ttft_s", "e2e_s") else f.default
            elif f.type in ("bool",):
                values[f.name] = raw if isinstance(raw, bool) else str(raw) == "True"
            elif f.type in ("int",):
                values[f.name] = int(raw)
            elif f.type in ("float", "float | None"):
                values[f.name] = float(raw)
            else:
                values[f.name] = raw
        return cls(**values)


def record_of(spec: RequestSpec, batch: Batch, scheduled: float, started: float, answer: Answer, status: int, ended: float) -> RequestRecord:
    """Turn an answer's raw times (perf_counter seconds) into a record on the run's clock (zero = `scheduled`'s origin)."""
    tokens, source = answer.tokens()
    ok = status == 200 and not answer.error and bool(answer.content_times)
    error = answer.error or ("" if status == 200 else f"HTTP {status}") or ("" if answer.content_times else "no content")
    offsets = [at - started for at in answer.content_times]
    return RequestRecord(
        target=batch.target, model=spec.model, api=spec.api, phase=batch.phase, load=batch.load, concurrency=batch.concurrency,
        iteration=batch.iteration, warmup=batch.warmup, prompt_size=spec.prompt_size, stream=spec.stream,
        scheduled_s=scheduled, started_s=started, dispatch_delay_s=max(0.0, started - scheduled), ok=ok, status=status,
        error=error if not ok else "", ttft_s=offsets[0] if offsets else None,
        e2e_s=(offsets[-1] if offsets and spec.stream else ended - started), output_tokens=tokens,
        prompt_tokens=answer.prompt_tokens or 0, token_source=source, chunk_offsets_s=offsets if spec.stream else [],
    )


def shift(record: RequestRecord, origin: float) -> RequestRecord:
    """The record with its scheduled and start times made relative to the run's origin."""
    record.scheduled_s -= origin
    record.started_s -= origin
    return record


async def measure_http(client: httpx.AsyncClient, spec: RequestSpec, batch: Batch, scheduled: float) -> RequestRecord:
    """Send one request and time it; a refused, failed or broken request is a failed record, never dropped."""
    answer = Answer()
    status = 0
    body = request_body(spec.api, spec.model, spec.prompt, spec.max_tokens, spec.stream)
    started = time.perf_counter()
    try:
        if spec.stream:
            async with client.stream("POST", PATHS[spec.api], json=body) as response:
                status = response.status_code
                if status != 200:
                    await response.aread()
                    answer.error = f"HTTP {status}: {response.text[:200]}"
                else:
                    async for line in response.aiter_lines():
                        read_line(spec.api, line, time.perf_counter(), answer)
        else:
            response = await client.post(PATHS[spec.api], json=body)
            status = response.status_code
            if status == 200:
                read_message(spec.api, response.json(), time.perf_counter(), answer)
            else:
                answer.error = f"HTTP {status}: {response.text[:200]}"
    except (httpx.HTTPError, ValueError) as error:
        answer.error = f"{type(error).__name__}: {error}"
    return record_of(spec, batch, scheduled, started, answer, status, time.perf_counter())


def measure_http_sync(client: httpx.Client, spec: RequestSpec, batch: Batch, scheduled: float) -> RequestRecord:
    """The same measurement with a blocking client, for the gevent-patched Locust user (streamed requests)."""
    answer = Answer()
    status = 0
    body = request_body(spec.api, spec.model, spec.prompt, spec.max_tokens, True)
    started = time.perf_counter()
    try:
        with client.stream("POST", PATHS[spec.api], json=body) as response:
            status = response.status_code
            if status != 200:
                response.read()
                answer.error = f"HTTP {status}: {response.text[:200]}"
            else:
                for line in response.iter_lines():
                    read_line(spec.api, line, time.perf_counter(), answer)
    except (httpx.HTTPError, ValueError) as error:
        answer.error = f"{type(error).__name__}: {error}"
    return record_of(spec, batch, scheduled, started, answer, status, time.perf_counter())

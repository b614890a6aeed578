"""Two models on one gateway: one runner that stops answering while the other model is asked, and two first loads at once.

The second model is a twin of the first: the same weights in another file (only its display name differs), created
through the API as a user creates a model from a GGUF. The gateway keys runners by model file, as Ollama keys them by
blob, so the twin gets a runner of its own, and the machine loads nothing bigger than the model under test.

The runner that stops answering is a real runner told by the test knob `hang_on_signal` (stack/gateway/engines/runner.py)
to answer nothing once it gets SIGUSR1: its process and socket live on, as with an engine deadlocked under its lock.
"""

from __future__ import annotations

import json
import os
import signal
import statistics
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from support import ollama
from support.http import Exchange, ExchangeObserver, HttpClient
from support.models import transfer
from support.reliability.prompts import REFERENCE_PROMPT
from support.runners import RunnerProcess, is_running, runner_processes, twin_copy

HANG_SIGNAL = "SIGUSR1"
TWIN_SUFFIX = "-twin"
ANSWER_TOKENS = 4
SAMPLE_EVERY_S = 0.01


def gateway_env(ping_timeout_s: float, max_loaded: int) -> dict[str, str]:
    """A gateway's settings: how many models it keeps loaded, how long it waits for a health check, runners that
    stop answering when told, and, as an operator sets it for several models on few cores, each mistral.rs runner on
    half the cores (its threads wait for each other at every step, so two runners each on every core stall each other
    4 to 7 times over; llama.cpp's decode already takes half)."""
    return {
        "RAYON_NUM_THREADS": str(max(1, (os.cpu_count() or 2) // 2)),
        "OLLAMA_MAX_LOADED_MODELS": str(max_loaded),
        "GATEWAY_RUNNER_PING_TIMEOUT": str(ping_timeout_s),
        "GATEWAY_RUNNER_TEST_KNOBS": json.dumps({"hang_on_signal": HANG_SIGNAL}),
    }


def twin_name(model: str) -> str:
    """The twin's name: the model's own with a suffix, under the same tag."""
    base, _, tag = model.partition(":")
    return f"{base}{TWIN_SUFFIX}:{tag or 'latest'}"


def add_twin(base_url: str, model: str, gguf: Path, scratch: Path, observer: ExchangeObserver | None = None) -> tuple[str, list[Exchange]]:
    """Upload a twin of the model's GGUF and create a model from it; its name and the upload and create exchanges."""
    copy = twin_copy(gguf, scratch / "twin.gguf")
    digest = transfer.file_digest(copy)
    name = twin_name(model)
    uploaded = transfer.upload(base_url, digest, copy, observer)
    client = HttpClient(base_url, timeout_s=300.0, observer=observer)
    try:
        created = client.post("/api/create", {"model": name, "files": {copy.name: digest}, "stream": False})
    finally:
        client.close()
    return name, [uploaded, created]


def ask(base_url: str, model: str, timeout_s: float) -> Exchange:
    """A short completion at temperature 0, not streamed."""
    client = HttpClient(base_url, timeout_s=timeout_s)
    try:
        return client.post("/api/generate", ollama.generate_body(model, REFERENCE_PROMPT, stream=False, num_predict=ANSWER_TOKENS))
    finally:
        client.close()


def quiet_seconds(base_url: str, model: str, timeout_s: float, count: int = 3) -> float:
    """The median time of `count` answers of a loaded model, one after another: the yardstick for the same answers later."""
    times = []
    for _ in range(count):
        exchange = ask(base_url, model, timeout_s)
        if exchange.status != 200:
            raise AssertionError(f"{model} did not answer before the fault:\n{exchange.describe()}")
        times.append(exchange.elapsed_s)
    return statistics.median(times)


def runners_of(gateway_pid: int) -> list[RunnerProcess]:
    """The gateway's runners that are alive (an exited one waiting to be reaped is not)."""
    return [runner for runner in runner_processes(gateway_pid) if is_running(runner.pid)]


def runner_of(gateway_pid: int, model: str) -> RunnerProcess | None:
    """The runner serving a model, by the name on its command line."""
    wanted = ollama.listed_name(model)
    return next((runner for runner in runners_of(gateway_pid) if ollama.listed_name(runner.model) == wanted), None)


def stop_answering(runner: RunnerProcess) -> None:
    """Tell a runner started with the hang knob to answer nothing from now on."""
    os.kill(runner.pid, signal.Signals[HANG_SIGNAL])


@dataclass(frozen=True)
class Answer:
    """One request and when it was sent, in seconds from the start of the run."""

    sent_at_s: float
    exchange: Exchange

    @property
    def seconds(self) -> float:
        return self.exchange.elapsed_s

    def describe(self) -> str:
        return f"sent at {self.sent_at_s:.2f} s, {self.exchange.status} after {self.seconds:.2f} s"


@dataclass
class Outage:
    """A client asking the hung model once while another client asks the other model again and again."""

    hung: Answer | None = None
    others: list[Answer] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    """Requests that got no HTTP answer at all (a refused connection, a time out), as text."""

    def others_meanwhile(self) -> list[Answer]:
        """The other model's answers asked and given while the hung model's request waited."""
        end = self.hung.sent_at_s + self.hung.seconds if self.hung is not None else float("inf")
        return [answer for answer in self.others if answer.sent_at_s + answer.seconds <= end]

    def others_that_fit(self, each_s: float, most: int) -> int:
        """How many of the other model's answers, each as long as `each_s`, fit in the hung model's wait; at most `most`."""
        waited = self.hung.seconds if self.hung is not None else 0.0
        return min(most, int(waited / each_s)) if each_s > 0 else most

    def slow_or_failed_others(self, within_s: float) -> list[str]:
        """The other model's requests that failed or took longer than `within_s`."""
        return [f"request {index}: {answer.describe()}: {answer.exchange.text[:200]}" for index, answer in enumerate(self.others)
                if answer.exchange.status != 200 or answer.seconds > within_s]

    def summary(self) -> str:
        lines = [f"hung model: {self.hung.describe() if self.hung else 'no answer'}"]
        lines += [f"other model {index}: {answer.describe()}" for index, answer in enumerate(self.others)]
        return "\n".join(lines + self.problems)


def ask_through_outage(base_url: str, hung_model: str, other_model: str, timeout_s: float, pause_s: float = 0.1) -> Outage:
    """Ask the hung model once; meanwhile ask the other model back to back, and once more after the hung one answered."""
    outage = Outage()
    started = time.monotonic()
    answered = threading.Event()

    def timed(model: str) -> Answer | None:
        sent = time.monotonic() - started
        try:
            return Answer(sent, ask(base_url, model, timeout_s))
        except Exception as error:  # noqa: BLE001 - every failure is reported with the outcome
            outage.problems.append(f"{model} sent at {sent:.2f} s: {type(error).__name__}: {error}")
            return None

    def keep_asking() -> None:
        while True:
            last = answered.is_set()
            answer = timed(other_model)
            if answer is not None:
                outage.others.append(answer)
            if last or time.monotonic() - started > timeout_s:
                return
            time.sleep(pause_s)

    with ThreadPoolExecutor(max_workers=1) as pool:
        other = pool.submit(keep_asking)
        try:
            outage.hung = timed(hung_model)
        finally:
            answered.set()
        other.result()
    return outage


@dataclass(frozen=True)
class FirstLoads:
    """Two first requests for two models at once: their answers and the most runners alive at one moment."""

    answers: list[Exchange]
    peak_runners: int
    samples: int


def first_requests_at_once(base_url: str, gateway_pid: int, models: list[str], timeout_s: float) -> FirstLoads:
    """Ask each model once, all at the same moment, counting the gateway's live runners every 10 ms meanwhile."""
    done = threading.Event()
    counts: list[int] = []

    def sample() -> None:
        while not done.is_set():
            counts.append(len(runners_of(gateway_pid)))
            time.sleep(SAMPLE_EVERY_S)

    sampler = threading.Thread(target=sample, name="runner-count", daemon=True)
    sampler.start()
    try:
        with ThreadPoolExecutor(max_workers=len(models)) as pool:
            answers = list(pool.map(_asker(base_url, timeout_s), models))
    finally:
        done.set()
        sampler.join()
    return FirstLoads(answers, max(counts, default=0), len(counts))


def _asker(base_url: str, timeout_s: float) -> Callable[[str], Exchange]:
    return lambda model: ask(base_url, model, timeout_s)

"""Where the gateway's CPU goes while it streams: py-spy samples the gateway's process through long streamed answers.

    python -m stack.bench.stream_profile [--engine llamacpp] [--tokens 1000] [--streams 3] [--top 15] [--json out.json]

py-spy starts the gateway itself: attaching to a running process needs ptrace rights that a container often lacks,
while a process it launched it can always read. Only samples of a thread on the CPU count, so the shares are of the
gateway's CPU time; samples taken while the gateway imports its modules at start are left out, and the rest belong
to the streams (one short warm-up request aside). The engine runs in a runner process of its own, which is not
sampled: what is reported is the gateway's own cost. It prints the gateway's CPU time per streamed chunk, and the
functions with the largest shares, by their own time and including what they call.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import asdict, dataclass
from pathlib import Path

import httpx
import psutil

from stack.gateway.store import ModelStore

MODEL = "smollm2:135m"
PROMPT = "1, 2, 3, 4, 5, 6, 7, 8, 9, 10,"
"""Counting from a raw prompt at temperature 0 goes on to the token budget: the stream is as long as asked."""
START_UP_FRAMES = ("_find_and_load", "_call_with_frames_removed (<frozen importlib._bootstrap>")
"""Frames of module imports, which only the gateway's start does."""


@dataclass(frozen=True)
class Share:
    function: str
    own: float
    total: float


@dataclass(frozen=True)
class Profile:
    engine: str
    chunks: int
    stream_seconds: float
    gateway_cpu_seconds: float
    samples: int
    top_own: list[Share]
    top_total: list[Share]

    @property
    def cpu_ms_per_chunk(self) -> float:
        return self.gateway_cpu_seconds / self.chunks * 1000 if self.chunks else 0.0


def _frame_name(frame: str) -> str:
    """`name (path/file.py:line)` without the line, so one function's lines add up."""
    name, _, where = frame.partition(" (")
    path = where.rsplit(":", 1)[0].rstrip(")")
    for marker in ("site-packages/", "python3.11/"):
        if marker in path:
            path = path.split(marker, 1)[1]
    return f"{name} ({path})"


def shares(raw: str, top: int) -> tuple[int, list[Share], list[Share]]:
    """From py-spy's raw output (`frame;frame;... count` per line): the sample count and the top functions by share."""
    own: Counter[str] = Counter()
    total: Counter[str] = Counter()
    samples = 0
    for line in raw.splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit() or any(marker in stack for marker in START_UP_FRAMES):
            continue
        count = int(count_text)
        frames = [_frame_name(frame) for frame in stack.split(";")]
        samples += count
        own[frames[-1]] += count
        for function in dict.fromkeys(frames):  # each function once per stack, in a fixed order (a set's varies by run)
            total[function] += count

    def ranked(counter: Counter[str]) -> list[Share]:
        return [Share(function, own[function] / samples, total[function] / samples) for function, _ in counter.most_common(top)]

    return (samples, ranked(own), ranked(total)) if samples else (0, [], [])


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _stream(client: httpx.Client, tokens: int) -> int:
    body = {"model": MODEL, "prompt": PROMPT, "raw": True, "options": {"temperature": 0, "num_predict": tokens}}
    with client.stream("POST", "/api/generate", json=body) as response:
        return sum(1 for line in response.iter_lines() if line and json.loads(line).get("response"))


def profile(engine: str, tokens: int, streams: int, rate: int, top: int, scratch: Path) -> Profile:
    py_spy = shutil.which("py-spy", path=str(Path(sys.executable).parent)) or shutil.which("py-spy")
    if py_spy is None:
        raise SystemExit("py-spy is not installed: pip install py-spy")
    ModelStore(scratch / "models").ensure_bundled(frozenset({MODEL}))
    port = _free_port()
    raw_path = scratch / "gateway.raw"
    command = [py_spy, "record", "--format", "raw", "--output", str(raw_path), "--rate", str(rate), "--nonblocking", "--",
               sys.executable, "-m", "stack.gateway", "--port", str(port), "--engine", engine, "--models-dir", str(scratch / "models")]
    # Only SmolLM2: a fresh store would otherwise assemble every installed bundled model in the background meanwhile.
    spy = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env={**os.environ, "GATEWAY_BUNDLED": MODEL})
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=600) as client:
            _wait_ready(client, spy)
            gateway = next(child for child in psutil.Process(spy.pid).children() if "stack.gateway" in " ".join(child.cmdline()))
            _stream(client, 4)
            cpu_before, started = sum(gateway.cpu_times()[:2]), time.perf_counter()
            chunks = sum(_stream(client, tokens) for _ in range(streams))
            stream_seconds = time.perf_counter() - started
            cpu = sum(gateway.cpu_times()[:2]) - cpu_before
        gateway.send_signal(signal.SIGTERM)
        spy.wait(timeout=60)
    finally:
        if spy.poll() is None:
            spy.kill()
            spy.wait()
    samples, top_own, top_total = shares(raw_path.read_text(), top)
    return Profile(engine, chunks, stream_seconds, cpu, samples, top_own, top_total)


def _wait_ready(client: httpx.Client, spy: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 120
    while True:
        try:
            client.get("/")
            return
        except httpx.HTTPError:
            if time.monotonic() > deadline or spy.poll() is not None:
                raise SystemExit("the gateway did not start under py-spy") from None
            time.sleep(0.2)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--engine", default="llamacpp", choices=["mistralrs", "llamacpp"])
    parser.add_argument("--tokens", type=int, default=1000, help="tokens per streamed answer")
    parser.add_argument("--streams", type=int, default=3)
    parser.add_argument("--rate", type=int, default=250, help="py-spy samples per second")
    parser.add_argument("--top", type=int, default=15)
    parser.add_argument("--json", type=Path, help="write the figures here as JSON")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        result = profile(args.engine, args.tokens, args.streams, args.rate, args.top, Path(scratch))
    print(f"engine {result.engine}: {result.chunks} chunks in {result.stream_seconds:.1f} s; gateway CPU {result.gateway_cpu_seconds:.2f} s, "
          f"{result.cpu_ms_per_chunk:.3f} ms a chunk; {result.samples} samples on the CPU")
    for title, ranked in (("own time", result.top_own), ("including callees", result.top_total)):
        print(f"\nby {title}:")
        for share in ranked:
            print(f"  {share.own * 100:5.1f}% own {share.total * 100:5.1f}% total  {share.function}")
    if args.json:
        args.json.write_text(json.dumps({**asdict(result), "cpu_ms_per_chunk": result.cpu_ms_per_chunk}, indent=2))


if __name__ == "__main__":
    main()

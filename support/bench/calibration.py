"""The load generator's own ceiling, measured against a trivial local streaming server.

This is a calibration of the measuring instrument, not a stand-in for the stack: the server answers every
`POST /api/chat` with a fixed number of NDJSON chunks (optionally spaced, delayed, buffered or failed), so whatever
time and CPU the generator spends is its own. Run the server alone with `python -m support.bench.calibration --port P`.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

from support.bench import load
from support.bench.measure import Batch, RequestRecord, RequestSpec, measure_http
from support.polling import wait_until

REPO_ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class Behaviour:
    """How the trivial server answers."""

    chunks: int = 50
    interval_s: float = 0.0
    first_delay_s: float = 0.0
    buffered: bool = False
    """Send every chunk at once at the end, as a server that does not really stream would."""
    fail_every: int = 0
    """Answer every n-th request with a 500."""


def _chunk(data: bytes) -> bytes:
    return f"{len(data):x}\r\n".encode() + data + b"\r\n"


async def _answer(behaviour: Behaviour, writer: asyncio.StreamWriter, number: int) -> None:
    if behaviour.fail_every and number % behaviour.fail_every == 0:
        body = b'{"error":"calibration failure"}'
        writer.write(b"HTTP/1.1 500 Internal Server Error\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body))
        return
    writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/x-ndjson\r\nTransfer-Encoding: chunked\r\n\r\n")
    await asyncio.sleep(behaviour.first_delay_s)
    lines = [json.dumps({"model": "calibration", "message": {"role": "assistant", "content": f"w{i} "}, "done": False}).encode() + b"\n"
             for i in range(behaviour.chunks)]
    lines.append(json.dumps({"model": "calibration", "message": {"role": "assistant", "content": ""}, "done": True,
                             "eval_count": behaviour.chunks, "prompt_eval_count": 5}).encode() + b"\n")
    if behaviour.buffered:
        await asyncio.sleep(behaviour.interval_s * behaviour.chunks)
        writer.write(_chunk(b"".join(lines)))
    else:
        for line in lines:
            writer.write(_chunk(line))
            await writer.drain()
            if behaviour.interval_s:
                await asyncio.sleep(behaviour.interval_s)
    writer.write(b"0\r\n\r\n")


async def serve(port: int, behaviour: Behaviour) -> None:
    """Serve until killed: HTTP/1.1 with keep-alive, reading each request's body and streaming the answer."""
    served = 0

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal served
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = next((int(line.split(b":", 1)[1]) for line in head.split(b"\r\n") if line.lower().startswith(b"content-length:")), 0)
                await reader.readexactly(length)
                served += 1
                if head.startswith(b"GET"):
                    writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
                else:
                    await _answer(behaviour, writer, served)
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", port)
    async with server:
        await server.serve_forever()


class CalibrationServer:
    """The trivial server in a process of its own, so its CPU is never counted as the generator's."""

    def __init__(self, port: int, behaviour: Behaviour) -> None:
        self.url = f"http://127.0.0.1:{port}"
        command = [sys.executable, "-m", "support.bench.calibration", "--port", str(port), "--chunks", str(behaviour.chunks),
                   "--interval", str(behaviour.interval_s), "--first-delay", str(behaviour.first_delay_s), "--fail-every", str(behaviour.fail_every)]
        if behaviour.buffered:
            command.append("--buffered")
        self.process = subprocess.Popen(command, cwd=REPO_ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        if not wait_until(self._ready, 15.0, 0.05):
            self.stop()
            raise RuntimeError(f"the calibration server on {self.url} did not start")

    def _ready(self) -> bool:
        try:
            return httpx.get(self.url, timeout=1.0).status_code == 200
        except httpx.HTTPError:
            return False

    def stop(self) -> None:
        """Kill the server."""
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)


async def drive(url: str, concurrency: int, requests: int) -> tuple[list[RequestRecord], float, float]:
    """Run a closed loop against `url`; the records, and the generator's CPU and wall seconds."""
    spec = RequestSpec("ollama-chat", "calibration", "calibrate", "short", 0)
    batch = Batch("calibration", "calibration", f"c={concurrency}", concurrency)
    async with httpx.AsyncClient(base_url=url, timeout=60.0, limits=httpx.Limits(max_connections=None)) as client:
        cpu, wall = time.process_time(), time.perf_counter()
        records = await load.closed_loop(lambda due: measure_http(client, spec, batch, due), concurrency, count=requests)
        return records, time.process_time() - cpu, time.perf_counter() - wall


def ceiling(port: int, concurrency: int = 8, requests: int = 64, chunks: int = 100) -> dict[str, float]:
    """The generator's CPU per chunk and the chunk rate it reached against a server that answers as fast as it can."""
    server = CalibrationServer(port, Behaviour(chunks=chunks))
    try:
        records, cpu, wall = asyncio.run(drive(server.url, concurrency, requests))
    finally:
        server.stop()
    received = sum(len(r.chunk_offsets_s) for r in records)
    return {
        "requests": len(records), "failed": sum(1 for r in records if not r.ok), "chunks": received,
        "cpu_seconds": cpu, "wall_seconds": wall, "cpu_per_chunk_us": cpu / max(received, 1) * 1e6,
        "chunks_per_second": received / wall if wall else 0.0,
        "cpu_bound_chunks_per_second": received / cpu if cpu else float("inf"),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--chunks", type=int, default=50)
    parser.add_argument("--interval", type=float, default=0.0)
    parser.add_argument("--first-delay", type=float, default=0.0)
    parser.add_argument("--fail-every", type=int, default=0)
    parser.add_argument("--buffered", action="store_true")
    args = parser.parse_args()
    asyncio.run(serve(args.port, Behaviour(args.chunks, args.interval, args.first_delay, args.buffered, args.fail_every)))


if __name__ == "__main__":
    main()

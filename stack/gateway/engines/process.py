"""Runner processes as the gateway sees them: one started per loaded model, spoken to over its socket, watched.

The gateway never runs engine code itself. A runner that crashes, is killed or cannot load costs only the requests
it was serving; they end with Ollama's status and text (Ollama names its runner `llama-server` in them, and clients
match on those words), and the next request starts the model again.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import shutil
import signal
import socket
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

from ..errors import GatewayError
from . import wire
from .base import EngineUnavailable, Finish, ModelFile, Piece, Sampling

log = logging.getLogger("stack.gateway.runner")
SOURCE_ROOT = Path(__file__).resolve().parents[3]
"""The directory holding the `stack` package, so a runner imports the same code as its gateway."""

RUNNER_STOPPED = (
    "model runner has unexpectedly stopped, this may be due to resource limitations or an internal error, "
    "check ollama server logs for details"
)
RUNNER_BROKE = "an error was encountered while running the model: unexpected EOF"
RUNNER_NOT_RESPONDING = "llama-server not responding"
TOKENIZE_TIMEOUT_S = 30.0
"""Tokenizing a whole context window takes milliseconds; a runner silent for this long is hung."""
EMBED_TIMEOUT_S = 300.0
"""As long as Ollama waits for a runner to load (OLLAMA_LOAD_TIMEOUT): a batch of long texts on two cores is slow."""
ERROR_MARKERS = ("error:", "Error:", "panic:", "fatal error:", "GGML_ASSERT", "error loading model", "malloc(", "free(",
                 "double free", "Fatal Python error", "Segmentation fault")
"""Ollama's prefixes of a runner's error lines, and glibc's and CPython's words for a dying process."""
LAST_ERROR_BYTES = 8192
READ_BYTES = 65536
LINE_BYTES = 8192
"""A runner's stderr line is logged up to this length: one longer line once stopped the reader and, with it, crash handling."""
STREAM_LINE_BYTES = 1 << 24
"""The longest event line read from a runner's stream: one token's text, with its log probabilities when asked."""


class RunnerFailure(GatewayError):
    """A runner that died or could not start: a 500 from the scheduler, which /api/embed reports as its 400."""

    def __init__(self, message: str) -> None:
        super().__init__(500, message)


@dataclass(frozen=True)
class EngineKind:
    name: str
    distribution: str | None
    max_parallel: int


KINDS = {
    # mistral.rs 0.9.5 crashes on CPU GGUF with two or more concurrent sequences; one at a time is stable.
    "mistralrs": EngineKind("mistralrs", "mistralrs", 1),
    # One llama.cpp context decodes one sequence at a time in llama-cpp-python.
    "llamacpp": EngineKind("llamacpp", "llama_cpp_python", 1),
    # An upstream schedules its own batch; the gateway still bounds what it sends at once.
    "openai": EngineKind("openai", None, 4),
}
EMBEDDING_ENGINE = "llamacpp"
"""The engine every embedding model runs in."""


def terminated(returncode: int, last_error: str) -> str:
    """The exit in Go's words: `exit status 1`, `signal: killed`; with the runner's last error line after it."""
    if returncode < 0:
        name = signal.strsignal(-returncode) or f"signal {-returncode}"
        how = f"signal: {name[:1].lower()}{name[1:]}"
    else:
        how = f"exit status {returncode}"
    return f"{how}: {last_error}" if last_error else how


class ErrorTail:
    """A runner's stderr, passed on to the gateway's log, keeping its error lines as Ollama's StatusWriter does."""

    def __init__(self, label: str) -> None:
        self.label = label
        self.last_error = ""
        self.last_activity = time.monotonic()

    async def follow(self, stream: asyncio.StreamReader) -> None:
        """Read to the end of the stream, whatever its lines' lengths: a line longer than the reader's buffer is
        taken in pieces, and only its first LINE_BYTES are kept, so the pipe is always drained."""
        pending = b""
        skipping = False
        while chunk := await stream.read(READ_BYTES):
            self.last_activity = time.monotonic()
            *lines, pending = (pending + chunk).split(b"\n")
            for line in lines:
                if not skipping:
                    self._line(line)
                skipping = False
            if len(pending) > LINE_BYTES:
                if not skipping:
                    self._line(pending)
                pending, skipping = b"", True
        if pending and not skipping:
            self._line(pending)

    def _line(self, raw: bytes) -> None:
        text = raw[:LINE_BYTES].decode(errors="replace").rstrip()
        if not text:
            return
        log.info("%s: %s", self.label, text)
        starts = [text.find(marker) for marker in ERROR_MARKERS if marker in text]
        if starts:
            kept = f"{self.last_error}\n{text[min(starts):]}" if self.last_error else text[min(starts):]
            self.last_error = kept[-LAST_ERROR_BYTES:].split("\n", 1)[-1] if len(kept) > LAST_ERROR_BYTES else kept


class RunnerEngine:
    """Starts each model in a runner process of the given engine kind."""

    def __init__(self, kind: str, upstream_url: str | None = None, load_timeout: float = 300.0) -> None:
        if kind not in KINDS:
            raise EngineUnavailable(f"unknown engine {kind!r}")
        if kind == "openai" and not upstream_url:
            raise EngineUnavailable("--engine openai needs --upstream-url")
        self.kind = KINDS[kind]
        self.name = kind
        self.max_parallel = self.kind.max_parallel
        self.upstream_url = upstream_url
        self.load_timeout = load_timeout

    def version(self) -> str:
        if self.kind.distribution is None:
            return f"upstream {self.upstream_url}"
        try:
            return metadata.version(self.kind.distribution)
        except metadata.PackageNotFoundError:
            return "not installed"

    async def load(self, model: ModelFile) -> RunnerModel:
        directory = Path(tempfile.mkdtemp(prefix="gateway-runner-"))
        socket_path = directory / "socket"
        # An embedding model runs in llama.cpp whatever the engine, as Ollama runs every embedding model in llama-server:
        # mistral.rs loads no BERT GGUF, and an upstream serves only what it generates.
        engine = EMBEDDING_ENGINE if model.embedding else self.name
        command = [
            sys.executable, "-m", "stack.gateway.engines.runner",
            "--engine", engine, "--model", str(model.path), "--name", model.upstream_name,
            "--context-length", str(model.context_length), "--socket", str(socket_path),
            "--max-parallel", str(self.max_parallel),
        ]
        if model.embedding:
            command.append("--embedding")
        elif self.upstream_url:
            command += ["--upstream-url", self.upstream_url]
        path = os.pathsep.join(filter(None, [str(SOURCE_ROOT), os.environ.get("PYTHONPATH")]))
        process = await asyncio.create_subprocess_exec(
            *command, stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
            env={**os.environ, "PYTHONPATH": path},
            # Not in the gateway's process group: a Ctrl-C reaches the gateway alone, which lets in-flight requests
            # end before it stops its runners; a gateway that dies still takes them along (see runner.py).
            start_new_session=True,
        )
        tail = ErrorTail(f"{model.upstream_name}[{process.pid}]")
        reader = asyncio.create_task(tail.follow(_stream(process.stderr)))
        try:
            facts = await self._wait_ready(process, tail, reader)
            return RunnerModel(process, socket_path, tail, reader, facts)
        except BaseException as error:
            with contextlib.suppress(ProcessLookupError):
                process.kill()
            await process.wait()
            shutil.rmtree(directory, ignore_errors=True)
            if isinstance(error, (ValueError, KeyError, TypeError)):
                raise RunnerFailure(f"llama-server sent an unreadable ready line: {error}") from None
            raise

    async def _wait_ready(self, process: asyncio.subprocess.Process, tail: ErrorTail, reader: asyncio.Task[None]) -> dict[str, Any]:
        """The runner's facts line; Ollama's texts for a runner that exits or stalls while loading."""
        stdout = _stream(process.stdout)
        while True:
            idle = time.monotonic() - tail.last_activity
            if self.load_timeout > 0 and idle > self.load_timeout:
                raise RunnerFailure(f"timed out waiting for llama-server to start - {tail.last_error}")
            try:
                line = await asyncio.wait_for(stdout.readline(), timeout=1.0)
            except TimeoutError:
                continue
            if line:
                facts: dict[str, Any] = json.loads(line)
                return facts
            returncode = await process.wait()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(asyncio.shield(reader), timeout=2.0)
            raise RunnerFailure(f"llama-server process has terminated: {terminated(returncode, tail.last_error)}")


def _stream(stream: asyncio.StreamReader | None) -> asyncio.StreamReader:
    assert stream is not None, "the runner's pipes are opened by load()"
    return stream


class RunnerModel:
    """A model loaded in a runner process; its blocking calls run on the gateway's worker threads."""

    def __init__(self, process: asyncio.subprocess.Process, socket_path: Path, tail: ErrorTail, reader: asyncio.Task[None],
                 facts: dict[str, Any]) -> None:
        self._process = process
        self._socket_path = socket_path
        self._tail = tail
        self._reader = reader
        self.pid = process.pid
        self.context_length = int(facts["context_length"])
        self.size_bytes = int(facts["size_bytes"])
        self.vram_bytes = int(facts.get("vram_bytes", 0))

    def _connect(self, request: dict[str, Any]) -> socket.socket:
        connection = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            connection.connect(str(self._socket_path))
            connection.sendall(wire.encode(request))
        except OSError:
            connection.close()
            raise RunnerFailure(RUNNER_STOPPED) from None
        return connection

    def _call(self, request: dict[str, Any], timeout: float) -> dict[str, Any]:
        """One call and its answer; a runner that does not answer in time costs a worker thread no longer than that."""
        with self._connect(request) as connection, connection.makefile("rb") as lines:
            connection.settimeout(timeout)
            try:
                line = lines.readline()
            except TimeoutError:
                raise RunnerFailure(f"{RUNNER_NOT_RESPONDING}: no answer to {request['op']} in {timeout:.0f} s") from None
            except OSError:
                line = b""
        if not line:
            raise RunnerFailure(RUNNER_BROKE)
        return _checked(wire.decode(line))

    def tokenize(self, text: str) -> list[int]:
        return [int(token) for token in self._call({"op": "tokenize", "text": text}, TOKENIZE_TIMEOUT_S)["tokens"]]

    def detokenize(self, tokens: list[int]) -> str:
        return str(self._call({"op": "detokenize", "tokens": tokens}, TOKENIZE_TIMEOUT_S)["text"])

    def embed(self, texts: list[str]) -> tuple[list[list[float]], int]:
        answer = self._call({"op": "embed", "texts": texts}, EMBED_TIMEOUT_S)
        return answer["vectors"], int(answer["count"])

    async def ping(self, timeout: float) -> bool:
        """Ollama's health check before a runner is reused: a runner that stopped answering is replaced, not waited on."""
        try:
            reader, writer = await asyncio.wait_for(asyncio.open_unix_connection(str(self._socket_path)), timeout)
        except (OSError, TimeoutError):
            return False
        try:
            writer.write(wire.encode({"op": "health"}))
            line = await asyncio.wait_for(reader.readline(), timeout)
            return bool(line) and wire.decode(line).get("status") == "ok"
        except (OSError, TimeoutError, ValueError):
            return False
        finally:
            writer.close()

    def generate(self, prompt: str, sampling: Sampling) -> RunnerStream:
        return RunnerStream(self._connect({"op": "generate", "prompt": prompt, "sampling": wire.sampling_to_wire(sampling)}))

    async def stream(self, prompt: str, sampling: Sampling) -> AsyncIterator[Piece | Finish]:
        """The events of one generation read on the event loop, with no worker thread woken per token: closing it
        (a client that left, an answer that ended) closes the connection, which cancels the generation."""
        request = wire.encode({"op": "generate", "prompt": prompt, "sampling": wire.sampling_to_wire(sampling)})
        try:
            reader, writer = await asyncio.open_unix_connection(str(self._socket_path), limit=STREAM_LINE_BYTES)
        except OSError:
            raise RunnerFailure(RUNNER_STOPPED) from None
        try:
            try:
                writer.write(request)
                await writer.drain()
            except OSError:
                raise RunnerFailure(RUNNER_STOPPED) from None
            while True:
                try:
                    line = await reader.readline()
                except (OSError, ValueError):
                    line = b""
                if not line:
                    raise RunnerFailure(RUNNER_BROKE)
                message = wire.decode(line)
                event = wire.event_from_wire(message)
                if event is None:
                    _checked(message)
                    continue
                yield event
                if isinstance(event, Finish):
                    return
        finally:
            writer.close()

    async def wait_exit(self) -> str:
        returncode = await self._process.wait()
        # The exit is reported whatever became of the stderr reader; a reader that failed must not hide a crash.
        with contextlib.suppress(Exception):
            await asyncio.wait_for(asyncio.shield(self._reader), timeout=2.0)
        shutil.rmtree(self._socket_path.parent, ignore_errors=True)
        return terminated(returncode, self._tail.last_error)

    def close(self) -> None:
        """Stop the runner at once, as Ollama stops llama-server: a model has nothing to save."""
        with contextlib.suppress(ProcessLookupError):
            self._process.kill()
        shutil.rmtree(self._socket_path.parent, ignore_errors=True)


class RunnerStream:
    """The events of one generation as the runner sends them; closing the connection cancels the generation.

    `interrupt` may be called from any thread: it ends a read that waits for the next token at once, so a client
    that goes away frees its slot without waiting for the engine. The runner drops the generation at its next
    token and only then starts another, so the engine never runs more than it can.
    """

    def __init__(self, connection: socket.socket) -> None:
        self._connection = connection
        self._lines = connection.makefile("rb")
        self._done = False

    def __iter__(self) -> RunnerStream:
        return self

    def __next__(self) -> Piece | Finish:
        while not self._done:
            try:
                line = self._lines.readline()
            except OSError:
                line = b""
            if not line:
                self.close()
                raise RunnerFailure(RUNNER_BROKE)
            message = wire.decode(line)
            event = wire.event_from_wire(message)
            if event is None:
                if "error" in message:
                    self.close()
                    _checked(message)
                continue
            if isinstance(event, Finish):
                self.close()
            return event
        raise StopIteration

    def interrupt(self) -> None:
        with contextlib.suppress(OSError):
            self._connection.shutdown(socket.SHUT_RDWR)

    def close(self) -> None:
        self._done = True
        self._lines.close()
        self._connection.close()


def _checked(message: dict[str, Any]) -> dict[str, Any]:
    if "error" in message:
        raise GatewayError(int(message.get("status", 500)), str(message["error"]))
    return message

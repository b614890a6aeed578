"""A runner: one loaded model in a process of its own, as Ollama runs llama-server, so an engine crash is not the gateway's.

`python -m stack.gateway.engines.runner --engine mistralrs --model FILE --socket PATH` loads the model, prints one
JSON line with its facts on stdout once it can serve, and answers the calls of `wire` on the Unix socket. It exits
when its standard input closes: the gateway holds the other end, so a gateway that dies, even by SIGKILL, takes its
runners with it.
"""

from __future__ import annotations

import argparse
import contextlib
import ctypes
import json
import logging
import os
import signal
import socketserver
import sys
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from . import wire
from .base import EngineUnavailable, InProcessEngine, InvalidInput, LoadedModel, ModelFile

log = logging.getLogger("runner")
GENERIC_FAILURE = "an error was encountered while running the model"
INVALID_FORMAT = 'invalid format: {}; expected "json" or a valid JSON Schema object'
PR_SET_PDEATHSIG = 1
TEST_KNOBS = "GATEWAY_RUNNER_TEST_KNOBS"


def test_knobs() -> dict[str, Any]:
    """Faults the gateway's own tests ask of a runner whose engine is otherwise real (GATEWAY_RUNNER_TEST_KNOBS, JSON):
    `load_delay_s` slows the load, `stderr_line_bytes` writes one line that long on stderr once the model serves,
    `ready_line` replaces the facts line the gateway waits for, and `hang_on_signal` (a name such as "SIGUSR1") makes
    that signal the moment the runner stops answering: the process lives on, its socket still accepts, and no call,
    the health check included, gets another byte, as with an engine deadlocked under its own lock."""
    return dict(json.loads(os.environ.get(TEST_KNOBS) or "{}"))


def in_process_engine(kind: str, upstream_url: str | None) -> InProcessEngine:
    """The engine that runs inside this process; its heavy imports happen only here."""
    if kind == "mistralrs":
        from .mistralrs import MistralRsEngine

        return MistralRsEngine()
    if kind == "llamacpp":
        from .llamacpp import LlamaCppEngine

        return LlamaCppEngine()
    if kind == "openai" and upstream_url:
        from .upstream import UpstreamEngine

        return UpstreamEngine(upstream_url)
    raise EngineUnavailable(f"no engine {kind!r} (the openai engine needs an upstream URL)")


class Calls:
    """The runner's side of each call; the engine's own errors are logged here and never sent to a client."""

    def __init__(self, model: LoadedModel, max_parallel: int) -> None:
        self.model = model
        self._generations = threading.BoundedSemaphore(max_parallel)
        """Held from a generation's start until its stream is dropped, so the engine never sees more at once."""

    def answer(self, request: dict[str, Any], send: Callable[[dict[str, Any]], None]) -> None:
        op = request.get("op")
        try:
            if op == "generate":
                self._generate(request, send)
            elif op == "tokenize":
                send({"tokens": self.model.tokenize(str(request["text"]))})
            elif op == "detokenize":
                send({"text": self.model.detokenize([int(token) for token in request["tokens"]])})
            elif op == "embed":
                vectors, count = self.model.embed([str(text) for text in request["texts"]])
                send({"vectors": vectors, "count": count})
            elif op == "health":
                send({"status": "ok"})
            else:
                send({"status": 400, "error": f"unknown call {op!r}"})
        except (BrokenPipeError, ConnectionResetError):
            raise
        except InvalidInput as error:
            send({"status": 400, "error": str(error)})
        except EngineUnavailable as error:
            send({"status": 501, "error": str(error)})
        except Exception:
            log.exception("%s failed", op)
            send({"status": 500, "error": GENERIC_FAILURE})

    def _generate(self, request: dict[str, Any], send: Callable[[dict[str, Any]], None]) -> None:
        sampling = wire.sampling_from_wire(request["sampling"])
        with self._generations:
            try:
                events = self.model.generate(str(request["prompt"]), sampling)
            except Exception:
                if sampling.json_schema is None:
                    raise
                # The grammar is compiled before the first token: a schema the compiler refuses is the client's error.
                log.exception("the engine refused the format")
                send({"status": 500, "error": INVALID_FORMAT.format(_go_quoted(sampling.json_schema))})
                return
            try:
                for event in events:
                    send(wire.event_to_wire(event))
            finally:
                # A client that went away makes send() fail; closing the stream is what cancels the engine's work.
                close = getattr(events, "close", None)
                if close is not None:
                    close()


def _go_quoted(schema: object) -> str:
    return json.dumps(json.dumps(schema, separators=(",", ":")))


class _Handler(socketserver.StreamRequestHandler):
    server: _Server

    def handle(self) -> None:
        line = self.rfile.readline()
        if not line:
            return

        def send(message: dict[str, Any]) -> None:
            self.server.hang_if_told()
            self.wfile.write(wire.encode(message))
            self.wfile.flush()

        try:
            self.server.hang_if_told()
            self.server.calls.answer(wire.decode(line), send)
        except (BrokenPipeError, ConnectionResetError):
            log.info("the gateway closed the call early")


class _Server(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    daemon_threads = True
    request_queue_size = 128
    """The listen backlog: socketserver's default of 5 refuses a sixth connection that arrives before the first is
    accepted, which a burst of requests (health checks, tokenize calls) reaches on a busy machine."""

    def __init__(self, path: str, calls: Calls) -> None:
        self.calls = calls
        self.hung = threading.Event()
        super().__init__(path, _Handler)

    def hang_if_told(self) -> None:
        """Never return once the `hang_on_signal` knob's signal came: the call's thread waits for good."""
        if self.hung.is_set():
            threading.Event().wait()


def _exit_with_parent() -> None:
    """End this process when the gateway ends, however it ended, even by SIGKILL.

    The kernel's parent-death signal covers a gateway that dies; the end of standard input, whose other end only
    the gateway holds, covers a gateway gone before the signal was set, and platforms without prctl.
    """
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)

    def watch() -> None:
        while os.read(0, 4096):
            pass
        os._exit(0)

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m stack.gateway.engines.runner")
    parser.add_argument("--engine", required=True)
    parser.add_argument("--model", type=Path, required=True)
    parser.add_argument("--name", required=True, help="the name an upstream knows the model by")
    parser.add_argument("--context-length", type=int, required=True)
    parser.add_argument("--socket", required=True)
    parser.add_argument("--upstream-url")
    parser.add_argument("--max-parallel", type=int, default=1)
    parser.add_argument("--embedding", action="store_true", help="load an embedding model to pool vectors, as llama-server's flag")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, stream=sys.stderr, format="%(levelname)s runner[%(process)d] %(message)s")
    _exit_with_parent()
    # Engines print progress to stdout; the gateway's pipe gets only the facts line, the rest joins stderr.
    facts = os.fdopen(os.dup(1), "w")
    os.dup2(2, 1)
    knobs = test_knobs()
    try:
        engine = in_process_engine(args.engine, args.upstream_url)
        time.sleep(float(knobs.get("load_delay_s", 0)))
        model = engine.load(ModelFile(args.model, args.name, args.context_length, embedding=args.embedding))
    except Exception as error:  # noqa: BLE001 - whatever the engine raised, the gateway reports it as a load failure
        first_line = (str(error) or type(error).__name__).splitlines()[0]
        print(f"error loading model: {first_line}", file=sys.stderr, flush=True)
        return 1
    server = _Server(args.socket, Calls(model, args.max_parallel))
    vram_bytes = int(getattr(model, "vram_bytes", 0))
    ready = wire.encode({"context_length": model.context_length, "size_bytes": model.size_bytes, "vram_bytes": vram_bytes}).decode()
    if knobs.get("hang_on_signal"):
        signal.signal(signal.Signals[str(knobs["hang_on_signal"])], lambda *_: server.hung.set())
    facts.write(str(knobs.get("ready_line", ready)))
    facts.close()
    log.info("serving %s with %s on %s", args.model.name, args.engine, args.socket)
    if knobs.get("stderr_line_bytes"):
        print("x" * int(knobs["stderr_line_bytes"]), file=sys.stderr, flush=True)
    server.serve_forever()
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Killing a gateway in the middle of a store operation, once the store on disk shows the operation under way.

A SIGKILL sent straight after a request mostly lands before the gateway has read it, and then proves nothing.
Here the request goes out on a thread of its own while the store is watched; at the first file that appears, grows
or goes, the gateway is frozen (SIGSTOP), the store is read as the kill will find it, and then SIGKILL. A new
directory alone is no sign: the gateway makes it before the file it writes there.

A write lasts a few milliseconds (an fsync), so on a busy machine a look can come too late and the kill fall after
the operation's last write. Such a kill is taken back and tried again, up to TRIES times; the report says which.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from support.http import Exchange
from support.models import transfer
from support.models.client import ModelsClient
from support.models.gateway import BUNDLED, StoreGateway
from support.models.store import Snapshot, changes, snapshot

POLL_S = 0.0
"""No pause between looks, bar yielding the interpreter: the freeze must land inside a write of a few milliseconds."""
TRIES = 3
LIBRARY = "manifests/registry.ollama.ai/library"
CUT_BLOB = "sha256:" + "ef" * 32
"""The digest a cut upload announces: half a file can never match it, so the upload can never complete."""


@dataclass(frozen=True)
class StoreOperation:
    """A store operation to cut: its request, the model (or blob) it makes or removes, the start of the `changes`
    line that shows its last write done, and how to take back a completed one before another try."""

    request: Callable[[], bytes]
    name: str
    last_write: str
    undo: Callable[[], None]
    removes: bool = False


@dataclass(frozen=True)
class Interruption:
    """A store operation cut by SIGKILL: what showed it under way, how the store stood, what had been answered."""

    evidence: list[str]
    at_kill: list[str]
    answered: str
    waited_s: float

    def after(self, last_write: str) -> bool:
        """Whether the operation's last write was done when the kill fell."""
        return any(line.startswith(last_write) for line in self.at_kill)

    def figures(self) -> dict[str, Any]:
        """The interruption for the reliability page."""
        return {"under way": "; ".join(self.evidence), "store at the kill": "; ".join(self.at_kill),
                "answered before the kill": self.answered or "nothing", "seen after s": round(self.waited_s, 3)}

    def describe(self) -> str:
        """The interruption for a report attachment or a failure message."""
        return "\n".join([f"under way after {self.waited_s:.3f} s:", *(f"  {line}" for line in self.evidence),
                          "the store as the kill found it:", *(f"  {line}" for line in self.at_kill),
                          f"answered before the kill: {self.answered or 'nothing'}"])


@dataclass(frozen=True)
class Crash:
    """An operation cut by SIGKILL, the kill that counted, and how many kills it took."""

    operation: StoreOperation
    interruption: Interruption
    kills: int

    @property
    def inside(self) -> bool:
        """Whether the kill fell before the operation's last write was done."""
        return not self.interruption.after(self.operation.last_write)


def store_operation(models: ModelsClient, operation: str, gguf: Path) -> StoreOperation:
    """One of the operations crash_safety.feature names, with whatever it needs made first (the GGUF blob a create
    reads, the model a delete removes; `gguf` is a file of one's own)."""

    def sent(method: str, path: str, body: dict[str, Any]) -> Callable[[], bytes]:
        return lambda: transfer.send_held(models.url, method, path, json.dumps(body).encode())

    def made(name: str) -> str:
        return f"new {LIBRARY}/{name}/latest ("

    def deleted(name: str) -> Callable[[], None]:
        return lambda: _expect_200(models.delete({"model": name}))

    if operation == "receives a blob":
        size = gguf.stat().st_size
        return StoreOperation(lambda: transfer.cut_upload(models.url, CUT_BLOB, gguf, size // 2, hold_s=60.0), CUT_BLOB,
                              f"new blobs/{CUT_BLOB.replace(':', '-')} (", lambda: None)
    if operation == "creates a model from a GGUF":
        digest = transfer.file_digest(gguf)
        _expect_200(transfer.upload(models.url, digest, gguf, None), (200, 201))
        body = {"model": "crash-gguf", "files": {gguf.name: digest}, "system": "crash"}
        return StoreOperation(sent("POST", "/api/create", body), "crash-gguf", made("crash-gguf"), deleted("crash-gguf"))
    if operation == "creates a model from another":
        body = {"model": "crash-from", "from": BUNDLED, "system": "crash"}
        return StoreOperation(sent("POST", "/api/create", body), "crash-from", made("crash-from"), deleted("crash-from"))
    if operation == "copies a model":
        body = {"source": BUNDLED, "destination": "crash-copy"}
        return StoreOperation(sent("POST", "/api/copy", body), "crash-copy", made("crash-copy"), deleted("crash-copy"))
    if operation == "deletes a model":
        # A model with a blob of its own, so the delete has a file to remove after the manifest: its last write.
        _expect_200(models.create({"model": "crash-delete", "from": BUNDLED, "system": "crash-delete alone", "stream": False}))
        return StoreOperation(sent("DELETE", "/api/delete", {"model": "crash-delete"}), "crash-delete", "gone blobs/",
                              lambda: None, removes=True)
    raise ValueError(f"no store operation named {operation!r}")


def _expect_200(exchange: Exchange, statuses: tuple[int, ...] = (200,)) -> None:
    if exchange.status not in statuses:
        raise AssertionError(f"preparing the operation failed: {exchange.describe()}")


def kill_inside(gateway: StoreGateway, prepare: Callable[[], StoreOperation]) -> Crash:
    """Kill the gateway inside an operation and start it again; a kill that fell after the last write is taken back
    and tried again, and after TRIES such kills the last one counts."""
    for kills in range(1, TRIES + 1):
        operation = prepare()
        crash = Crash(operation, kill_once_under_way(gateway.models_dir, operation.request, gateway.freeze, gateway.kill), kills)
        gateway.start()
        if crash.inside or kills == TRIES:
            return crash
        operation.undo()
    raise AssertionError("unreachable: the last kill returns")


def kill_once_under_way(root: Path, request: Callable[[], bytes], freeze: Callable[[], None], kill: Callable[[], None],
                        timeout_s: float = 120.0) -> Interruption:
    """Run `request` on a thread, and freeze and kill the gateway at the first change to a file under `root`.

    `request` returns what the gateway answered before its connection ended. A store that shows no change within
    the timeout fails without a kill: the operation never started, and the gateway keeps serving.
    """
    before = snapshot(root)
    answered: list[bytes] = []
    sender = threading.Thread(target=lambda: answered.append(request()), name="store-operation", daemon=True)
    started = time.monotonic()
    sender.start()
    evidence: list[str] = []
    while not evidence:
        if time.monotonic() - started > timeout_s:
            sender.join(timeout=5.0)
            raise AssertionError(f"the store showed no sign of the operation within {timeout_s:.0f} s; "
                                 f"the gateway answered: {_status_line(answered)}")
        time.sleep(POLL_S)
        evidence = changes(_files(before), _files(snapshot(root)))
    waited = time.monotonic() - started
    freeze()
    at_kill = changes(before, snapshot(root))
    kill()
    sender.join(timeout=30.0)
    return Interruption(evidence, at_kill, _status_line(answered), waited)


def _files(found: Snapshot) -> Snapshot:
    return {path: size for path, size in found.items() if size >= 0}


def _status_line(answered: list[bytes]) -> str:
    """The status line of what came back, if anything did."""
    text = answered[0].decode("latin-1") if answered else ""
    return text.split("\r\n", 1)[0]

"""A model store on disk, read the way Ollama lays it out, and every way it could be inconsistent."""

from __future__ import annotations

import hashlib
import json
import os
import re
from pathlib import Path

BLOB_NAME = re.compile(r"^sha256-[0-9a-f]{64}$")
PARTIAL_SUFFIX = "-partial"
TEMPORARY_MARK = ".tmp-"
"""What the gateway puts in the name of a file it is writing (stack/gateway/blobs.py); none may outlive a restart."""
STORE_ENTRIES = {"blobs", "manifests"}


def manifest_names(root: Path) -> set[str]:
    """`host/namespace/model:tag` for every manifest file in the store."""
    manifests = root / "manifests"
    if not manifests.exists():
        return set()
    return {f"{p.parts[-4]}/{p.parts[-3]}/{p.parts[-2]}:{p.name}" for p in manifests.glob("*/*/*/*") if p.is_file()}


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def partial_downloads(root: Path) -> list[Path]:
    """Downloads a pull left to resume; never under a blob's final name."""
    blobs = root / "blobs"
    return sorted(blobs.glob(f"*{PARTIAL_SUFFIX}")) if blobs.exists() else []


def store_problems(root: Path) -> list[str]:
    """Everything wrong with a store: an unreadable or dangling manifest, a half blob, a stray or temporary file.

    A pull's partial download is allowed: it has its own name and is what a resumed pull continues.
    """
    problems = [f"stray entry beside blobs and manifests: {path.name}" for path in sorted(root.iterdir())
                if path.name not in STORE_ENTRIES] if root.exists() else []
    blobs = root / "blobs"
    for path in sorted((root / "manifests").rglob("*")) if (root / "manifests").exists() else []:
        if not path.is_file():
            continue
        if TEMPORARY_MARK in path.name:
            problems.append(f"temporary file left among the manifests: {path}")
            continue
        if len(path.relative_to(root / "manifests").parts) != 4:
            problems.append(f"stray file among the manifests: {path}")
            continue
        try:
            manifest = json.loads(path.read_bytes())
            layers = [manifest["config"], *manifest["layers"]]
        except (ValueError, KeyError, TypeError) as error:
            problems.append(f"unreadable manifest {path}: {error}")
            continue
        for layer in layers:
            blob = blobs / str(layer["digest"]).replace(":", "-")
            if not blob.exists():
                problems.append(f"{path} names {layer['digest']}, which is not in the store")
            elif blob.stat().st_size != layer["size"]:
                problems.append(f"{blob.name} has {blob.stat().st_size} bytes, its manifest says {layer['size']}")
    for blob in sorted(blobs.iterdir()) if blobs.exists() else []:
        if blob.name.endswith(PARTIAL_SUFFIX):
            continue
        if not BLOB_NAME.match(blob.name):
            problems.append(f"stray file among the blobs: {blob.name}")
        elif _sha256(blob) != blob.name.removeprefix("sha256-"):
            problems.append(f"half or damaged blob under its final name: {blob.name}")
    return problems


def unused_blobs(root: Path) -> list[str]:
    """Complete blobs no manifest names: what a restart prunes, as Ollama does, so none outlives one."""
    blobs = root / "blobs"
    if not blobs.exists():
        return []
    named = {str(layer["digest"]).replace(":", "-") for path in (root / "manifests").glob("*/*/*/*") if path.is_file()
             for layer in _layers(path)}
    return sorted(blob.name for blob in blobs.iterdir() if BLOB_NAME.match(blob.name) and blob.name not in named)


def _layers(manifest_path: Path) -> list[dict[str, object]]:
    """The config and layers of a manifest; none for one that cannot be read (store_problems names it)."""
    try:
        manifest = json.loads(manifest_path.read_bytes())
        return [manifest["config"], *manifest["layers"]]
    except (ValueError, KeyError, TypeError):
        return []


Snapshot = dict[str, int]
"""Every path under a directory, relative to it, with its size in bytes (-1 for a directory)."""


def snapshot(root: Path, leave_out: Path | None = None) -> Snapshot:
    """The paths and sizes under a directory now, but for those under `leave_out`; a file that goes while it is read
    is left out too. Read with os.scandir, quick enough to poll while a gateway writes."""
    found: Snapshot = {}
    pending = [root]
    while pending:
        directory = pending.pop()
        if leave_out is not None and directory == leave_out:
            continue
        try:
            entries = list(os.scandir(directory))
        except FileNotFoundError:
            continue
        for entry in entries:
            path = Path(entry.path)
            try:
                if entry.is_dir(follow_symlinks=False):
                    found[str(path.relative_to(root))] = -1
                    pending.append(path)
                else:
                    found[str(path.relative_to(root))] = entry.stat().st_size
            except FileNotFoundError:
                continue
    return found


def changes(before: Snapshot, after: Snapshot) -> list[str]:
    """How a directory moved from one snapshot to the other, a line per path."""
    lines = []
    for path in sorted(before.keys() | after.keys()):
        old, new = before.get(path), after.get(path)
        if old == new:
            continue
        if old is None:
            lines.append(f"new {path}" + ("/" if new == -1 else f" ({new} bytes)"))
        elif new is None:
            lines.append(f"gone {path}")
        else:
            lines.append(f"{path} went from {old} to {new} bytes")
    return lines


def qualified(name: str) -> tuple[str, str, str, str]:
    """host, namespace, model and tag of a name, with Ollama's defaults filled in."""
    tag = "latest"
    last = name.rsplit("/", 1)[-1]
    if ":" in last:
        name, tag = name.rsplit(":", 1)
    parts = name.split("/")
    host = parts[-3] if len(parts) == 3 else "registry.ollama.ai"
    namespace = parts[-2] if len(parts) >= 2 else "library"
    return host, namespace, parts[-1], tag


def blob_digests(root: Path, name: str) -> set[str]:
    """The digests a model's manifest names, its config included; matched case-insensitively as Ollama does."""
    wanted = "/".join(qualified(name)).lower()
    for path in (root / "manifests").glob("*/*/*/*"):
        if "/".join(path.parts[-4:]).lower() == wanted:
            manifest = json.loads(path.read_bytes())
            return {str(layer["digest"]) for layer in [manifest["config"], *manifest["layers"]]}
    raise AssertionError(f"no manifest for {name} in {root}")


def has_blob_file(root: Path, digest: str) -> bool:
    """Whether the blob is in the store under its final name."""
    return (root / "blobs" / digest.replace(":", "-")).exists()

"""Content-addressed blobs written so that a crash never leaves a half-written file under a final name.

Every write goes to a temporary file in the same directory, is fsynced, then renamed into place; a blob is kept only
when its bytes hash to the digest it was announced under.
"""

from __future__ import annotations

import hashlib
import os
import re
import uuid
from pathlib import Path
from typing import IO

DIGEST = re.compile(r"^sha256[:-]([0-9a-fA-F]{64})$")
PARTIAL_SUFFIX = "-partial"
"""A pull's download in progress, kept between attempts so the next pull resumes it."""
TEMPORARY_MARK = ".tmp-"
"""Any other file being written: dropped at start-up, as nothing can resume it."""
BLOCK = 1 << 20


class DigestMismatch(ValueError):
    """The bytes written do not hash to the digest they were announced under."""

    def __init__(self, expected: str, actual: str) -> None:
        super().__init__(f'digest mismatch, expected "{expected}", got "{actual}"')
        self.expected = expected
        self.actual = actual


def normal_digest(raw: str) -> str | None:
    """`sha256:<hex>` for either spelling Ollama accepts, or None when it is not a digest."""
    match = DIGEST.match(raw)
    return f"sha256:{match.group(1).lower()}" if match else None


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(BLOCK), b""):
            digest.update(block)
    return digest.hexdigest()


def fsync_directory(directory: Path) -> None:
    descriptor = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def write_atomic(path: Path, body: bytes) -> None:
    """Replace `path` with `body` so that a reader, or a restart after a crash, sees the old file or the new one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f"{path.name}{TEMPORARY_MARK}{uuid.uuid4().hex}")
    try:
        with temporary.open("wb") as handle:
            handle.write(body)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)
    fsync_directory(path.parent)


class BlobWriter:
    """Streams bytes into a temporary file while hashing them; commit() checks the digest and renames into place."""

    def __init__(self, final: Path, expected: str, temporary: Path, resume: bool = False) -> None:
        self.final = final
        self.expected = expected
        self.temporary = temporary
        self._hash = hashlib.sha256()
        self.size = 0
        if resume and temporary.exists():
            with temporary.open("rb") as existing:
                for block in iter(lambda: existing.read(BLOCK), b""):
                    self._hash.update(block)
                    self.size += len(block)
        self._handle: IO[bytes] | None = temporary.open("ab" if resume else "wb")

    def rehash(self, written: IO[bytes]) -> None:
        """Count bytes that another writer put in the temporary file, for commit() to check."""
        for block in iter(lambda: written.read(BLOCK), b""):
            self._hash.update(block)
            self.size += len(block)

    def write(self, data: bytes) -> None:
        assert self._handle is not None
        self._hash.update(data)
        self._handle.write(data)
        self.size += len(data)

    def commit(self) -> None:
        """Verify, fsync and rename; on a mismatch the temporary file is removed and DigestMismatch raised."""
        handle, self._handle = self._handle, None
        assert handle is not None
        handle.flush()
        os.fsync(handle.fileno())
        handle.close()
        actual = "sha256:" + self._hash.hexdigest()
        if actual != self.expected:
            self.temporary.unlink(missing_ok=True)
            raise DigestMismatch(self.expected, actual)
        os.replace(self.temporary, self.final)
        fsync_directory(self.final.parent)

    def abort(self, keep: bool = False) -> None:
        """Close without committing; `keep` leaves a pull's partial download for the next attempt."""
        if self._handle is not None:
            self._handle.close()
            self._handle = None
        if not keep:
            self.temporary.unlink(missing_ok=True)

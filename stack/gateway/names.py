"""Ollama model names: `[host/][namespace/]model[:tag]`, matched case-insensitively."""

from __future__ import annotations

import re
from dataclasses import dataclass

DEFAULT_HOST = "registry.ollama.ai"
DEFAULT_NAMESPACE = "library"
DEFAULT_TAG = "latest"

_PART = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,79}")
_NAMESPACE = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_-]{0,79}")
_HOST = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.:-]{0,349}")


@dataclass(frozen=True)
class ModelName:
    host: str
    namespace: str
    model: str
    tag: str

    @property
    def short(self) -> str:
        """Ollama's DisplayShortest: default host and namespace dropped, the tag always kept."""
        prefix = ""
        if self.host != DEFAULT_HOST:
            prefix = f"{self.host}/{self.namespace}/"
        elif self.namespace != DEFAULT_NAMESPACE:
            prefix = f"{self.namespace}/"
        return f"{prefix}{self.model}:{self.tag}"

    @property
    def qualified(self) -> str:
        return f"{self.host}/{self.namespace}/{self.model}:{self.tag}"

    @property
    def key(self) -> str:
        """The case-insensitive identity used to find a model."""
        return self.qualified.lower()


def parse_name(raw: str) -> ModelName | None:
    """Parse a model name, filling Ollama's defaults; None when the name is invalid."""
    name, tag = raw, DEFAULT_TAG
    slash = name.rfind("/")
    colon = name.rfind(":")
    if colon > slash:
        name, tag = name[:colon], name[colon + 1 :]
    parts = name.split("/")
    if len(parts) > 3 or not parts[-1]:
        return None
    host = parts[-3] if len(parts) == 3 else DEFAULT_HOST
    namespace = parts[-2] if len(parts) >= 2 else DEFAULT_NAMESPACE
    model = parts[-1]
    if any(".." in part for part in (host, namespace, model, tag)):
        # Each part becomes a directory of the store; a `..` must never name a path outside it.
        return None
    if not (_PART.fullmatch(model) and _PART.fullmatch(tag) and _NAMESPACE.fullmatch(namespace) and _HOST.fullmatch(host)):
        return None
    return ModelName(host, namespace, model, tag)

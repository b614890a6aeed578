"""The machine-readable description of the routes this gateway implements, served as JSON beside /metrics."""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

import yaml

SOURCE = Path(__file__).with_name("openapi.yaml")


@functools.cache
def description() -> dict[str, Any]:
    """stack/gateway/openapi.yaml, parsed once."""
    loaded: dict[str, Any] = yaml.safe_load(SOURCE.read_text(encoding="utf-8"))
    return loaded

"""Stack drivers behind one interface: local processes, containers, and stacks reached by URL."""

from __future__ import annotations

from pathlib import Path

from support.settings import Settings
from support.stacks.base import Stack
from support.stacks.compose import ComposeStack
from support.stacks.docker import DockerStack
from support.stacks.external import ExternalStack
from support.stacks.local import LocalProcessStack


def stack_for(settings: Settings, repo_root: Path) -> Stack:
    """The driver the settings ask for."""
    if settings.target == "external":
        return ExternalStack(settings)
    if settings.target == "docker":
        return DockerStack(settings)
    if settings.target == "compose":
        return ComposeStack(settings)
    return LocalProcessStack(settings, repo_root)

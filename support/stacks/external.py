"""A stack someone else runs, reached by URL only."""

from __future__ import annotations

from support.stacks.base import Stack, StackError, is_ready


class ExternalStack(Stack):
    """A stack someone else runs: a compose stack, or a real Ollama as the parity reference."""

    def start(self) -> None:
        """Check the stack answers; never starts anything."""
        if not is_ready(self.ollama_url):
            raise StackError(f"no stack answers GET {self.ollama_url}/ with 200")

    def stop(self) -> None:
        """Leave the external stack running."""

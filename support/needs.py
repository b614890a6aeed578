"""``@needs.<name>`` tags: what a scenario requires of the target, and why a target lacks it.

Each requirement is probed once, lazily, the first time a scenario asks for it, so a run that
selects no embedding scenario never loads the model for an embedding probe.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from support.monitoring import needs as monitoring_needs
from support.ollama import OllamaClient
from support.settings import Settings

TAG_PREFIX = "needs."


class UnknownNeed(ValueError):
    """A scenario names a requirement nobody knows how to check; it must not be skipped silently."""


def needs_of(tags: Iterable[str]) -> list[str]:
    """The requirement names in a scenario's tags, in tag order."""
    return [tag.removeprefix(TAG_PREFIX) for tag in tags if tag.startswith(TAG_PREFIX)]


class TargetNeeds:
    """Answers "can this target run a scenario that needs X?" with None or the reason it cannot."""

    def __init__(self, settings: Settings, ollama: OllamaClient) -> None:
        self._settings = settings
        self._ollama = ollama
        self._probes: dict[str, Callable[[], str | None]] = {
            "capable_model": self._capable_model,
            "embeddings": self._embeddings,
            "tools": self._tools,
            "prometheus": lambda: monitoring_needs.prometheus(settings),
            "alertmanager": lambda: monitoring_needs.alertmanager(settings),
            "grafana": lambda: monitoring_needs.grafana(settings),
            "local_stack": lambda: monitoring_needs.local_stack(settings),
        }
        self._answers: dict[str, str | None] = {}

    def missing(self, need: str) -> str | None:
        """None when the target meets the requirement, otherwise the reason it does not."""
        if need not in self._probes:
            known = ", ".join(sorted(self._probes))
            raise UnknownNeed(f"@needs.{need} is not a known requirement (known: {known})")
        if need not in self._answers:
            self._answers[need] = self._probes[need]()
        return self._answers[need]

    def skip_reason(self, tags: Iterable[str]) -> str | None:
        """The reasons, joined, for every requirement in the tags the target lacks."""
        reasons = [r for r in (self.missing(n) for n in needs_of(tags)) if r is not None]
        return "; ".join(reasons) if reasons else None

    def _capable_model(self) -> str | None:
        if self._settings.capable_model:
            return None
        return (
            f"needs a model that follows instructions; {self._settings.model} is not assumed to "
            "(run with -D capable_model=true and a larger model)"
        )

    def _embeddings(self) -> str | None:
        exchange = self._ollama.embed({"model": self._settings.model, "input": "probe"})
        if exchange.status == 200:
            vectors = exchange.json().get("embeddings") or []
            if vectors and vectors[0]:
                return None
        return (
            f"the target reports no embedding support for {self._settings.model}: "
            f"/api/embed answered {exchange.status} {exchange.text[:200]}"
        )

    def _tools(self) -> str | None:
        exchange = self._ollama.show(self._settings.model)
        capabilities = exchange.json().get("capabilities") if exchange.status == 200 else None
        if isinstance(capabilities, list) and "tools" in capabilities:
            return None
        return f"{self._settings.model} does not list the tools capability in /api/show (capabilities: {capabilities!r})"

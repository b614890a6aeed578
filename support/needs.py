"""``@needs.<name>`` tags: what a scenario requires of the target, and why a target lacks it.

Each requirement is probed once per model, lazily, the first time a scenario asks for it, so a run
that selects no embedding scenario never loads the model for an embedding probe.

A gate must not hide a regression. On a stack the suite started itself from this repository, the
bundled models' capabilities are known: embeddings from the embedding model, tools on every bundled chat model, and the
capable model once its packages are installed. There a failing probe is a broken promise, and the
scenario fails with the probe's answer instead of being skipped. Only an external target (someone
else's stack, or a model the stack does not bundle) may lack a capability.
"""

from __future__ import annotations

import socket
from collections.abc import Callable, Iterable
from pathlib import Path

from stack.gateway.bundled import bundled, bundled_parts
from stack.gateway.metrics import ENGINES_THAT_REPORT
from support.agents.figures import codex_model_missing
from support.agents.runner import agents_missing
from support.aider.humaneval import humaneval_missing
from support.aider.runner import aider_missing
from support.models.registry import registry_missing
from support.monitoring import needs as monitoring_needs
from support.ollama import OllamaClient, listed_name
from support.settings import AUTO, Settings
from support.stacks.base import Stack
from support.stacks.engine import engine_missing

TAG_PREFIX = "needs."
REPO_ROOT = Path(__file__).resolve().parent.parent
CAPABLE_MODELS = ("qwen2.5-coder:1.5b",)
"""Models known to follow instructions and call tools, in order of preference, for capable_model=auto."""


PROMISED: dict[str, tuple[str, ...]] = {
    "embeddings": ("all-minilm:latest",),
    "tools": ("smollm2:135m", "qwen2.5-coder:1.5b"),
}
"""The bundled models that the stack this repository starts always serves with each capability."""
MODEL_NEEDS = frozenset(PROMISED)
"""Needs that depend on the model: probed on the model a scenario uses, not once for the run."""


class UnknownNeed(ValueError):
    """A scenario names a requirement nobody knows how to check; it must not be skipped silently."""


PROMISE_STEP = "the stack under test serves what its bundled models promise"
"""The step a scenario gets in place of a skip when the embedded stack fails a probe it must pass."""


class BrokenPromise(AssertionError):
    """The embedded stack lacks a capability it bundles: a regression, never a reason to skip."""


def needs_of(tags: Iterable[str]) -> list[str]:
    """The requirement names in a scenario's tags, in tag order."""
    return [tag.removeprefix(TAG_PREFIX) for tag in tags if tag.startswith(TAG_PREFIX)]


class TargetNeeds:
    """Answers "can this target run a scenario that needs X?" with None or the reason it cannot."""

    def __init__(self, settings: Settings, ollama: OllamaClient, stack: Stack | None = None) -> None:
        self._settings = settings
        self._ollama = ollama
        self._stack = stack
        self._probes: dict[str, Callable[[], str | None]] = {
            "aider": lambda: aider_missing(REPO_ROOT),
            "gateway_log": self._gateway_log,
            "capable_model": self._capable_model,
            "embeddings": lambda: self._embeddings(settings.embedding_model),
            "registry": registry_missing,
            "tools": lambda: self._tools(settings.model),
            "prometheus": lambda: monitoring_needs.prometheus(settings),
            "alertmanager": lambda: monitoring_needs.alertmanager(settings),
            "grafana": lambda: monitoring_needs.grafana(settings),
            "local_stack": self._local_stack,
            "own_gateway": self._own_gateway,
            "local_engines": self._local_engines,
            "full_benchmark": self._full_benchmark,
            "stack_control": self._stack_control,
            "docker": self._docker,
            "humaneval": humaneval_missing,
            "seeded_sampling": self._seeded_sampling,
            "engine_timings": self._engine_timings,
            "no_internet": internet_reached,
            "coding_agents": lambda: agents_missing(REPO_ROOT),
            "codex_model": lambda: codex_model_missing(self._capable if self.missing("capable_model") is None else None),
        }
        self._answers: dict[str, str | None] = {}
        self._capable: str | None = None
        self._model_probes: dict[str, Callable[[str], str | None]] = {
            "embeddings": self._embeddings,
            "tools": self._tools,
        }

    @property
    def capable_model(self) -> str:
        """The model @needs.capable_model scenarios use; only valid once that need was met."""
        if self.missing("capable_model") is not None or self._capable is None:
            raise RuntimeError("no capable model: the scenario should have been skipped")
        return self._capable

    def known(self) -> frozenset[str]:
        """The requirement names this suite knows how to check."""
        return frozenset(self._probes)

    def missing(self, need: str) -> str | None:
        """None when the target meets the requirement, otherwise the reason it does not."""
        if need not in self._probes:
            known = ", ".join(sorted(self._probes))
            raise UnknownNeed(f"@needs.{need} is not a known requirement (known: {known})")
        if need not in self._answers:
            self._answers[need] = self._probes[need]()
        return self._answers[need]

    def missing_for(self, need: str, model: str) -> str | None:
        """Like ``missing``, for a need that depends on the model, probed on that model."""
        if need not in self._model_probes:
            return self.missing(need)
        key = f"{need}:{model}"
        if key not in self._answers:
            self._answers[key] = self._model_probes[need](model)
        return self._answers[key]

    def skip_reason(self, tags: Iterable[str]) -> str | None:
        """The reasons, joined, for every requirement in the tags the target lacks.

        Raises BrokenPromise when the embedded stack lacks what it bundles, so the scenario fails.
        """
        names = needs_of(tags)
        reasons: list[str] = []
        for need in names:
            model = self._model_for(need, names)
            if model is None:
                continue
            reason = self.missing_for(need, model)
            if reason is None:
                continue
            if self.promised(need, model):
                raise BrokenPromise(f"@needs.{need}: the embedded stack bundles {model} with this capability, "
                                    f"so a failing probe is a regression, not a reason to skip: {reason}")
            reasons.append(reason)
        return "; ".join(reasons) if reasons else None

    def _model_for(self, need: str, names: list[str]) -> str | None:
        """The model a need is probed on: the capable model when the scenario uses it, else the model under test.

        None when the scenario needs a capable model the target lacks: that need's own reason covers it.
        """
        if need == "embeddings":
            return self._settings.embedding_model
        if need not in MODEL_NEEDS or "capable_model" not in names:
            return self._settings.model
        return self._capable if self.missing("capable_model") is None else None

    def promised(self, need: str, model: str) -> bool:
        """Whether the stack under test is this repository's own, with the model bundled, so it must meet the need."""
        if self._settings.target not in ("local", "docker") or self._settings.models_dir:
            return False
        if need == "capable_model":
            return self._settings.capable_model == AUTO and any(
                (found := bundled(name)) is not None and bundled_parts(found) is not None for name in CAPABLE_MODELS)
        return listed_name(model.lower()) in PROMISED.get(need, ())


    def _capable_model(self) -> str | None:
        wanted = self._settings.capable_model
        if not wanted:
            return "needs a model that follows instructions; none was named (-D capable_model=NAME, or auto)"
        exchange = self._ollama.tags()
        listed = [str(m.get("name")) for m in exchange.json().get("models", [])] if exchange.status == 200 else []
        candidates = CAPABLE_MODELS if wanted == AUTO else (wanted,)
        found = next((name for name in candidates if listed_name(name) in listed), None)
        if found is None:
            return (
                f"needs a model that follows instructions; the target lists none of {', '.join(candidates)} "
                f"(/api/tags answered {exchange.status}; `make models` installs qwen2.5-coder:1.5b, "
                "or name one with -D capable_model=NAME)"
            )
        self._capable = found
        return None

    def _local_stack(self) -> str | None:
        target = self._settings.target
        if target == "local":
            return None
        where = ("runs the stack in containers" if target in ("docker", "compose") else "is only reached by URL")
        return (
            f"needs the stack as local processes the suite started itself: the scenario stops, kills or inspects its processes, starts "
            f"gateways on stores of its own, or follows alerts through its own receiver; target={target} {where}"
        )

    def _own_gateway(self) -> str | None:
        target = self._settings.target
        if target in ("local", "docker"):
            return None
        return (f"needs a gateway the suite started itself, whose process this machine sees and no other client uses; "
                f"target={target} is someone else's stack")

    def _local_engines(self) -> str | None:
        target = self._settings.target
        if target in ("local", "docker", "compose"):
            return None
        return (f"starts gateways and raw engines of its own on this machine and measures them beside the stack under test, "
                f"so the stack must run here too (target=local, docker or compose); target={target} is elsewhere")

    def _full_benchmark(self) -> str | None:
        if self._settings.benchmark == "full":
            return None
        return ("the full performance comparison takes long; it runs with ./run-all-tests.sh benchmark (or -D benchmark=full), "
                "and every suite run includes the quick one")
    def _stack_control(self) -> str | None:
        if self._stack is not None:
            return self._stack.control_missing()
        return None if self._settings.target in ("local", "docker") else f"needs a stack the suite started itself; target={self._settings.target}"

    def _docker(self) -> str | None:
        if self._settings.target not in ("docker", "compose"):
            return f"needs the stack in containers (--target docker or --target compose); target={self._settings.target}"
        return engine_missing()

    def _seeded_sampling(self) -> str | None:
        if self._settings.target in ("local", "docker") and self._settings.engine == "mistralrs":
            return ("the mistralrs engine takes no per-request seed (mistral.rs 0.9.5 has none), so a seed cannot choose "
                    "or repeat an answer; docs/known-differences.md. The llamacpp engine and Ollama honour it")
        return None

    def _engine_timings(self) -> str | None:
        if self._settings.target in ("local", "docker") and self._settings.engine in ENGINES_THAT_REPORT:
            return None
        return (f"only an engine that reports its own counts and times publishes engine_* metrics ({', '.join(sorted(ENGINES_THAT_REPORT))}); "
                f"engine={self._settings.engine}, target={self._settings.target}; docs/monitoring.md")

    def _gateway_log(self) -> str | None:
        if self._settings.target == "local":
            return None
        return "checks the gateway's access log, which only the embedded stack's log file gives the suite; the target is external"

    def _embeddings(self, model: str) -> str | None:
        exchange = self._ollama.embed({"model": model, "input": "probe"})
        if exchange.status == 200:
            vectors = exchange.json().get("embeddings") or []
            if vectors and vectors[0]:
                return None
        return f"the target reports no embedding support for {model}: /api/embed answered {exchange.status} {exchange.text[:200]}"

    def _tools(self, model: str) -> str | None:
        exchange = self._ollama.show(model)
        capabilities = exchange.json().get("capabilities") if exchange.status == 200 else None
        if isinstance(capabilities, list) and "tools" in capabilities:
            return None
        return f"{model} does not list the tools capability in /api/show (capabilities: {capabilities!r})"


PUBLIC_LIBRARY = ("registry.ollama.ai", 443)


def internet_reached() -> str | None:
    """Why a scenario about having no way to ollama.com cannot run here: this machine reaches it."""
    try:
        with socket.create_connection(PUBLIC_LIBRARY, timeout=3):
            return (f"this machine reaches {PUBLIC_LIBRARY[0]}, so a pull from the public library would download the "
                    "model instead of showing what happens without a network")
    except OSError:
        return None

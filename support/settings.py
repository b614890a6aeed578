"""The suite's settings, read from behave userdata (``-D name=value``)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

TRUE_WORDS = {"1", "true", "yes", "on"}
FALSE_WORDS = {"0", "false", "no", "off", "none"}
AUTO = "auto"
"""capable_model=auto: the first model of support.needs.CAPABLE_MODELS that the target lists."""
TARGETS = ("local", "external", "docker", "compose")
ENGINES = ("mistralrs", "llamacpp", "openai")
DEFAULT_BASE_IMAGE = "mistralrs-suite/bookworm-python:3.11"
"""Made with debootstrap by stack/docker/base-image.sh where no image registry is reachable."""


class SettingsError(ValueError):
    """The userdata names an unknown target or engine, or lacks a URL it needs."""


@dataclass(frozen=True)
class Settings:
    """Everything a run needs to know about its target."""

    target: str
    model: str
    engine: str
    results_dir: Path
    ollama_url: str
    openai_url: str
    capable_model: str
    """The model @needs.capable_model scenarios run against: a name, `auto`, or empty for none."""
    embedding_model: str
    """The model the embedding scenarios run against: one with Ollama's `embedding` capability."""
    models_dir: str
    default_model: str
    startup_timeout_s: float
    prometheus_url: str = ""
    alertmanager_url: str = ""
    grafana_url: str = ""
    monitoring_config: str = ""
    benchmark: str = "quick"
    """`quick` (the comparison every suite run includes) or `full` (run-all-tests.sh benchmark)."""
    bench_profile: str = "cpu-2core"
    """The hardware profile whose thresholds the performance features apply (profiles/<name>.yaml)."""
    bench_iterations: int = 0
    """Iterations of the benchmark plan; 0 keeps the plan's own."""
    ollama_compare_url: str = ""
    """A real Ollama to measure beside the stack."""
    compose_project: str = ""
    """target=compose: the compose project whose services the suite attaches to."""
    base_image: str = DEFAULT_BASE_IMAGE
    """target=docker: the base of the stack's images (python:3.11-slim where a registry is reachable)."""


def _flag(value: str) -> bool:
    return value.strip().lower() in TRUE_WORDS


def _capable_model(value: str, model: str) -> str:
    """`true` means the run's own model is capable, `false` that none is; anything else is a model name or `auto`."""
    word = value.strip().lower()
    if word in TRUE_WORDS:
        return model
    if word in FALSE_WORDS or not word:
        return ""
    return value.strip()


def settings_from_userdata(userdata: Mapping[str, str], repo_root: Path) -> Settings:
    """Parse and validate userdata; relative results directories are under the repo root."""
    target = userdata.get("target", "local")
    if target not in TARGETS:
        raise SettingsError(f"target={target!r}: expected one of {', '.join(TARGETS)}")
    engine = userdata.get("engine", "mistralrs")
    if engine not in ENGINES:
        raise SettingsError(f"engine={engine!r}: expected one of {', '.join(ENGINES)}")
    ollama_url = userdata.get("ollama_url", "").rstrip("/")
    openai_url = userdata.get("openai_url", "").rstrip("/")
    if target == "external":
        if not ollama_url:
            raise SettingsError("target=external needs -D ollama_url=http://host:port")
        # Ollama serves its OpenAI layer on the same port, so that is the natural default.
        openai_url = openai_url or f"{ollama_url}/v1"
    if target == "compose" and not userdata.get("compose_project"):
        raise SettingsError("target=compose needs -D compose_project=NAME (the project of docker-compose -p NAME up)")
    results_dir = Path(userdata.get("results_dir", "results/last-run"))
    if not results_dir.is_absolute():
        results_dir = repo_root / results_dir
    return Settings(
        target=target,
        model=userdata.get("model", "smollm2:135m"),
        engine=engine,
        results_dir=results_dir,
        ollama_url=ollama_url,
        openai_url=openai_url,
        capable_model=_capable_model(userdata.get("capable_model", AUTO), userdata.get("model", "smollm2:135m")),
        embedding_model=userdata.get("embedding_model", "all-minilm"),
        models_dir=userdata.get("models_dir", ""),
        default_model=userdata.get("default_model", ""),
        startup_timeout_s=float(userdata.get("startup_timeout", "180")),
        prometheus_url=userdata.get("prometheus_url", "").rstrip("/"),
        alertmanager_url=userdata.get("alertmanager_url", "").rstrip("/"),
        grafana_url=userdata.get("grafana_url", "").rstrip("/"),
        monitoring_config=userdata.get("monitoring_config", ""),
        benchmark=userdata.get("benchmark", "quick"),
        bench_profile=userdata.get("bench_profile", "cpu-2core"),
        bench_iterations=int(userdata.get("bench_iterations", "0")),
        ollama_compare_url=userdata.get("ollama_compare_url", "").rstrip("/"),
        compose_project=userdata.get("compose_project", ""),
        base_image=userdata.get("base_image", DEFAULT_BASE_IMAGE),
    )

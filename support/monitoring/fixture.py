"""The behave fixture behind ``@fixture.monitoring``: monitoring for one feature, stopped after it.

Each feature gets a fresh Prometheus, so no series or alert of one feature leaks into the next.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import partial
from pathlib import Path
from urllib.parse import urlsplit

from behave import fixture
from behave.runner import Context

from support.monitoring.config import STACK_MONITORING
from support.monitoring.monitor import EmbeddedMonitoring, Monitoring, external_monitoring, grafana_for
from support.monitoring.processes import Runtime
from support.stacks.docker import DockerStack, ServiceContainer

TAG = "fixture.monitoring"


def current(context: Context) -> Monitoring:
    """The feature's monitoring, for steps; an error if the feature lacks the fixture tag."""
    monitoring: Monitoring | None = context.monitoring
    assert monitoring is not None, f"the feature has no monitoring (is it tagged @{TAG}?)"
    return monitoring


@fixture(name=TAG)
def monitoring_fixture(context: Context) -> Iterator[Monitoring | None]:
    """Set ``context.monitoring``; None when the target has no Prometheus (its scenarios skip on @needs.prometheus)."""
    context.monitoring = None
    context.embedded_monitoring = None
    if context.needs.missing("prometheus") is not None:
        yield None
        return
    if context.settings.target in ("external", "compose"):
        monitoring = external_monitoring(context.settings)
        context.monitoring = monitoring
        try:
            yield monitoring
        finally:
            monitoring.close()
        return
    # -D monitoring_config=DIR runs another copy of stack/monitoring: the user's own rules, or a negative control's.
    source = Path(context.settings.monitoring_config) if context.settings.monitoring_config else STACK_MONITORING
    embedded = EmbeddedMonitoring(urlsplit(context.stack.ollama_url).netloc, context.settings.results_dir, source=source,
                                  runtime=_container_runtime(context.stack))
    try:
        monitoring = embedded.start()
        monitoring.grafana = grafana_for(context.settings)
        context.monitoring = monitoring
        # Reliability scenarios restart its servers mid-run.
        context.embedded_monitoring = embedded
        yield monitoring
    finally:
        embedded.stop()


def _container_runtime(stack: object) -> Runtime | None:
    """On the docker target Prometheus and Alertmanager run from the stack's images, as services the stack manages."""
    if not isinstance(stack, DockerStack):
        return None
    return Runtime("/usr/bin/prometheus", "/usr/bin/prometheus-alertmanager", partial(ServiceContainer, stack))

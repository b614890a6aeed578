"""The monitoring side of a run: Prometheus, Alertmanager, the webhook receiver and Grafana, started or reached by URL."""

from __future__ import annotations

import os
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from support.monitoring.alertmanager import AlertmanagerClient
from support.monitoring.config import (
    STACK_MONITORING,
    Ports,
    TestConfig,
    find_rule,
    longest_window_s,
    promised_for_seconds,
    write_test_config,
)
from support.monitoring.grafana import GrafanaClient
from support.monitoring.processes import (
    MonitoringProcessError,
    Runtime,
    Service,
    alertmanager_process,
    host_runtime,
    prometheus_process,
)
from support.monitoring.prometheus import PrometheusQueries
from support.monitoring.timing import AlertTiming
from support.monitoring.webhook import WebhookReceiver
from support.settings import Settings
from support.stacks.base import free_port

TIME_FACTOR = 15
"""The test stack runs the production configuration this many times faster: 15 s intervals become 1 s."""
FIRST_SCRAPES_WITHIN_S = 30.0
SETTLE_ROUNDS = 5
"""Prometheus hands static targets to its scrapers after its discovery manager's 5 s update delay, then scrapes."""


@dataclass
class Monitoring:
    """What the monitoring scenarios talk to. The webhook and the timing exist only when the suite runs the stack."""

    prometheus: PrometheusQueries
    scrape_interval_s: float
    alertmanager: AlertmanagerClient | None = None
    webhook: WebhookReceiver | None = None
    grafana: GrafanaClient | None = None
    config: TestConfig | None = None
    gateway_job: str = "gateway"
    facts: dict[str, str] = field(default_factory=dict)

    def timing(self, alertname: str) -> AlertTiming:
        """The bounds for one alert of the test stack's time-compressed rules."""
        if self.config is None:
            raise RuntimeError("alert timing is known only for the monitoring the suite started")
        return AlertTiming(
            scrape_interval_s=self.config.scrape_interval_s,
            scrape_timeout_s=self.config.scrape_timeout_s,
            evaluation_interval_s=self.config.evaluation_interval_s,
            for_s=promised_for_seconds(alertname, self.config.factor),
            window_s=longest_window_s(str(find_rule(self.config.prometheus_yml.parent, alertname)["expr"])),
            group_wait_s=self.config.group_wait_s,
            group_interval_s=self.config.group_interval_s,
        )

    def close(self) -> None:
        """Release the clients."""
        self.prometheus.close()
        for client in (self.alertmanager, self.grafana):
            if client is not None:
                client.close()


class EmbeddedMonitoring:
    """Real Prometheus and Alertmanager with the stack's configuration, on free ports, plus a webhook receiver."""

    def __init__(self, gateway_address: str, results_dir: Path, factor: float = TIME_FACTOR, source: Path = STACK_MONITORING,
                 runtime: Runtime | None = None) -> None:
        self.gateway_address = gateway_address
        self.runtime = runtime
        """None runs Debian's binaries from PATH; the docker target passes its containers."""
        self.factor = factor
        self.source = source
        self.logs_dir = results_dir / "monitoring"
        self._processes: list[Service] = []
        self._webhook: WebhookReceiver | None = None
        self._workdir: Path | None = None
        self._monitoring: Monitoring | None = None

    def start(self) -> Monitoring:
        """Start the receiver, Alertmanager and Prometheus; on any failure stop what started and raise."""
        runtime = self.runtime or host_runtime()
        if runtime is None:
            raise MonitoringProcessError("prometheus or prometheus-alertmanager is not on PATH (make monitoring-tools)")
        self.logs_dir.mkdir(parents=True, exist_ok=True)
        self._workdir = Path(tempfile.mkdtemp(prefix="run-", dir=self.logs_dir))
        try:
            self._webhook = WebhookReceiver()
            self._webhook.start()
            ports = Ports(self.gateway_address, free_port(), free_port(), self._webhook.url)
            config = write_test_config(self._workdir, self.factor, ports, self.source)
            for process in (
                alertmanager_process(runtime.alertmanager, config.alertmanager_yml, ports.alertmanager, self._workdir, runtime.launch),
                prometheus_process(runtime.prometheus, config.prometheus_yml, ports.prometheus, self._workdir, runtime.launch),
            ):
                self._processes.append(process)
                process.start()
        except BaseException:
            self.stop()
            raise
        prometheus_url, alertmanager_url = f"http://127.0.0.1:{ports.prometheus}", f"http://127.0.0.1:{ports.alertmanager}"
        prometheus = PrometheusQueries(prometheus_url)
        try:
            prometheus.wait_for_every_job(FIRST_SCRAPES_WITHIN_S)
            # Before the first scrape `absent(up{job="gateway"})` holds, so GatewayDown may be active at
            # start; scenarios must begin after it resolved. One that stays active is left to them to report.
            prometheus.wait_for_no_alerts(SETTLE_ROUNDS * (config.scrape_interval_s + config.evaluation_interval_s))
        except BaseException:
            prometheus.close()
            self.stop()
            raise
        self._monitoring = Monitoring(
            prometheus=prometheus,
            scrape_interval_s=config.scrape_interval_s,
            alertmanager=AlertmanagerClient(alertmanager_url),
            webhook=self._webhook,
            config=config,
            facts={"prometheus_url": prometheus_url, "alertmanager_url": alertmanager_url, "webhook_url": self._webhook.url,
                   "config_dir": str(self._workdir), "source": str(self.source), "time_factor": f"{self.factor:g}"},
        )
        return self._monitoring

    def restart(self, name: str) -> None:
        """Stop one server ("Prometheus" or "Alertmanager") and start it again on the same port, config and data."""
        process = next((process for process in self._processes if process.name == name), None)
        if process is None:
            raise MonitoringProcessError(f"no {name} was started; started: {[process.name for process in self._processes]}")
        process.stop()
        process.start()

    def stop(self) -> None:
        """Stop Prometheus, Alertmanager and the receiver; keep the logs and configuration, drop the data."""
        if self._monitoring is not None:
            self._monitoring.close()
            self._monitoring = None
        for process in reversed(self._processes):
            process.stop()
        self._processes.clear()
        if self._webhook is not None:
            self._webhook.stop()
            self._webhook = None
        if self._workdir is not None:
            for data in ("prometheus-data", "alertmanager-data"):
                shutil.rmtree(self._workdir / data, ignore_errors=True)


def external_monitoring(settings: Settings) -> Monitoring:
    """The user's own Prometheus, and Alertmanager and Grafana when their URLs are given."""
    prometheus = PrometheusQueries(settings.prometheus_url)
    return Monitoring(
        prometheus=prometheus,
        scrape_interval_s=prometheus.scrape_interval_s(),
        alertmanager=AlertmanagerClient(settings.alertmanager_url) if settings.alertmanager_url else None,
        grafana=grafana_for(settings),
        facts={"prometheus_url": settings.prometheus_url, "alertmanager_url": settings.alertmanager_url or "<none>"},
    )


def grafana_for(settings: Settings) -> GrafanaClient | None:
    """A Grafana client when -D grafana_url is given; its token comes from GRAFANA_TOKEN, never from userdata."""
    return GrafanaClient(settings.grafana_url, os.environ.get("GRAFANA_TOKEN", "")) if settings.grafana_url else None

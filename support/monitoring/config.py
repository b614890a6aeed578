"""The stack's monitoring configuration, time-compressed and pointed at local ports for a test run.

A test cannot wait minutes for an alert, so every interval in the configuration (scrape and
evaluation intervals, rule ``for:`` durations, range windows, Alertmanager's group timers) is
divided by one factor. Ratios between them are what give the rules their meaning, and those stay.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml

STACK_MONITORING = Path(__file__).resolve().parents[2] / "stack" / "monitoring"
RULES_GLOB = "*.rules.yml"

_UNITS_MS = {"ms": 1, "s": 1000, "m": 60_000, "h": 3_600_000, "d": 86_400_000, "w": 604_800_000, "y": 31_536_000_000}
_DURATION = re.compile(r"(\d+)(ms|[smhdwy])")
_RANGE = re.compile(r"\[((?:\d+(?:ms|[smhdwy]))+)(:(?:\d+(?:ms|[smhdwy]))+)?\]")
_LAST_COMPARISON = re.compile(r"(>=?|<=?)\s*([^<>=]+?)\s*$")
WEBHOOK_JOB = "webhook"
"""The suite's webhook receiver, scraped too: a target the ScrapeFailing scenario can break while Prometheus and
Alertmanager, which the alert travels through, stay healthy."""


def parse_duration(text: str) -> float:
    """Seconds in a Prometheus duration such as ``1m30s`` or ``666ms``."""
    parts = _DURATION.findall(text)
    if not parts or "".join(n + u for n, u in parts) != text:
        raise ValueError(f"not a Prometheus duration: {text!r}")
    return sum(int(number) * _UNITS_MS[unit] for number, unit in parts) / 1000


def format_duration(seconds: float) -> str:
    """A Prometheus duration in whole seconds when exact, otherwise in milliseconds."""
    milliseconds = max(1, round(seconds * 1000))
    return f"{milliseconds // 1000}s" if milliseconds % 1000 == 0 else f"{milliseconds}ms"


def compress(text: str, factor: float) -> str:
    """A duration divided by the factor."""
    return format_duration(parse_duration(text) / factor)


def compress_ranges(expr: str, factor: float) -> str:
    """Every range window (and subquery step) in a PromQL expression divided by the factor."""

    def scaled(match: re.Match[str]) -> str:
        step = match.group(2)
        return f"[{compress(match.group(1), factor)}" + (f":{compress(step[1:], factor)}" if step else "") + "]"

    return _RANGE.sub(scaled, expr)


def compress_rules(rules: dict[str, Any], factor: float) -> dict[str, Any]:
    """A rule file with every ``for:``, range window and group interval divided by the factor."""
    groups = []
    for group in rules.get("groups", []):
        group = dict(group)
        if "interval" in group:
            group["interval"] = compress(group["interval"], factor)
        rules_out = []
        for rule in group.get("rules", []):
            rule = dict(rule)
            rule["expr"] = compress_ranges(str(rule["expr"]), factor)
            if "for" in rule:
                rule["for"] = compress(rule["for"], factor)
            rules_out.append(rule)
        group["rules"] = rules_out
        groups.append(group)
    return {**rules, "groups": groups}


def with_threshold(expr: str, threshold: float) -> str:
    """The expression with the right-hand side of its last comparison (`... > 5`) replaced by the threshold."""
    match = _LAST_COMPARISON.search(expr.strip())
    if match is None:
        raise ValueError(f"no trailing comparison to set a threshold in: {expr!r}")
    return f"{expr.strip()[:match.start(2)]}{threshold!r}"


def longest_window_s(expr: str) -> float:
    """The longest range window in an expression, in seconds (0 without one): how long a condition outlives its cause."""
    return max((parse_duration(match.group(1)) for match in _RANGE.finditer(expr)), default=0.0)


@dataclass(frozen=True)
class Ports:
    """Where each part of the test stack listens, on 127.0.0.1."""

    gateway: str
    prometheus: int
    alertmanager: int
    webhook_url: str


def prometheus_config(config: dict[str, Any], factor: float, ports: Ports, rule_files: list[str]) -> dict[str, Any]:
    """prometheus.yml with compressed intervals, the given rule files, and each job at its test address."""
    addresses = {"gateway": ports.gateway, "prometheus": f"127.0.0.1:{ports.prometheus}", "alertmanager": f"127.0.0.1:{ports.alertmanager}"}
    webhook = urlsplit(ports.webhook_url).netloc
    global_section = {key: compress(value, factor) for key, value in config["global"].items() if key.endswith(("_interval", "_timeout"))}
    jobs = []
    for job in config["scrape_configs"]:
        name = job["job_name"]
        if name not in addresses:
            raise ValueError(f"prometheus.yml scrapes job {name!r}, which the test stack does not run")
        job = dict(job)
        job["static_configs"] = [{**group, "targets": [addresses[name]]} for group in job["static_configs"]]
        jobs.append(job)
    jobs.append({"job_name": WEBHOOK_JOB, "static_configs": [{"targets": [webhook], "labels": {"service": "suite"}}]})
    return {
        **config,
        "global": {**config["global"], **global_section},
        "rule_files": rule_files,
        "alerting": {"alertmanagers": [{"static_configs": [{"targets": [addresses["alertmanager"]]}]}]},
        "scrape_configs": jobs,
    }


def alertmanager_config(config: dict[str, Any], factor: float, webhook_url: str) -> dict[str, Any]:
    """alertmanager.yml with compressed group timers and every webhook pointed at the test receiver."""
    route = dict(config["route"])
    for key in ("group_wait", "group_interval", "repeat_interval"):
        if key in route:
            route[key] = compress(route[key], factor)
    receivers = []
    for receiver in config["receivers"]:
        receiver = dict(receiver)
        if "webhook_configs" in receiver:
            receiver["webhook_configs"] = [{**hook, "url": webhook_url} for hook in receiver["webhook_configs"]]
        receivers.append(receiver)
    return {**config, "route": route, "receivers": receivers}


@dataclass(frozen=True)
class TestConfig:
    """The files a test Prometheus and Alertmanager run from, and the timing they imply."""

    prometheus_yml: Path
    alertmanager_yml: Path
    scrape_interval_s: float
    scrape_timeout_s: float
    evaluation_interval_s: float
    group_wait_s: float
    group_interval_s: float
    factor: float = 1.0
    """How many times faster than production these files run."""

    @property
    def rule_files(self) -> list[Path]:
        """The compressed rule files Prometheus reads."""
        return sorted(self.prometheus_yml.parent.glob(RULES_GLOB))


def write_test_config(directory: Path, factor: float, ports: Ports, source: Path = STACK_MONITORING) -> TestConfig:
    """Write the compressed configuration into a directory and describe it."""
    directory.mkdir(parents=True, exist_ok=True)
    rule_files = []
    for rules_path in sorted((source / "rules").glob(RULES_GLOB)):
        target = directory / rules_path.name
        target.write_text(yaml.safe_dump(compress_rules(yaml.safe_load(rules_path.read_text()), factor), sort_keys=False))
        rule_files.append(str(target))
    prometheus = prometheus_config(yaml.safe_load((source / "prometheus.yml").read_text()), factor, ports, rule_files)
    alertmanager = alertmanager_config(yaml.safe_load((source / "alertmanager.yml").read_text()), factor, ports.webhook_url)
    prometheus_yml = directory / "prometheus.yml"
    alertmanager_yml = directory / "alertmanager.yml"
    prometheus_yml.write_text(yaml.safe_dump(prometheus, sort_keys=False))
    alertmanager_yml.write_text(yaml.safe_dump(alertmanager, sort_keys=False))
    route = alertmanager["route"]
    return TestConfig(
        prometheus_yml=prometheus_yml,
        alertmanager_yml=alertmanager_yml,
        scrape_interval_s=parse_duration(prometheus["global"]["scrape_interval"]),
        scrape_timeout_s=parse_duration(prometheus["global"].get("scrape_timeout", "10s")),
        evaluation_interval_s=parse_duration(prometheus["global"]["evaluation_interval"]),
        group_wait_s=parse_duration(route.get("group_wait", "30s")),
        group_interval_s=parse_duration(route.get("group_interval", "5m")),
        factor=factor,
    )


def find_rule(rules_dir: Path, alertname: str) -> dict[str, Any]:
    """The alerting rule of that name in the rule files of a directory."""
    for path in sorted(rules_dir.glob(RULES_GLOB)):
        for group in yaml.safe_load(path.read_text()).get("groups", []):
            for rule in group.get("rules", []):
                if rule.get("alert") == alertname:
                    return dict(rule)
    raise KeyError(f"no alert named {alertname} in {rules_dir}")


def alert_names(rules_dir: Path) -> list[str]:
    """Every alerting rule's name in the rule files of a directory."""
    return [str(rule["alert"]) for path in sorted(rules_dir.glob(RULES_GLOB))
            for group in yaml.safe_load(path.read_text()).get("groups", []) for rule in group.get("rules", []) if "alert" in rule]


PROMISED_FOR = {
    "GatewayDown": "1m", "EngineDown": "1m", "ModelLoadFailing": "0s", "HighErrorRatio": "2m", "SlowTimeToFirstToken": "5m",
    "QueueSaturated": "5m", "QueueFull": "0s", "HighMemory": "5m", "ScrapeFailing": "2m",
}
"""How long each alert's condition must hold before it fires, as docs/monitoring.md promises operators. The alert
checks take their bounds from here, not from the rule they check: a rule whose `for:` grew would otherwise widen its
own bounds and still pass."""


def promised_for_seconds(alertname: str, factor: float) -> float:
    """The promised ``for:`` of an alert, divided by the test stack's factor; an alert with no promise is an error."""
    if alertname not in PROMISED_FOR:
        raise KeyError(f"{alertname} has no promised for: in support/monitoring/config.py PROMISED_FOR")
    return parse_duration(PROMISED_FOR[alertname]) / factor


def rule_for_seconds(rules_dir: Path, alertname: str) -> float:
    """The ``for:`` of an alert in the rule files of a directory (0 when it has none)."""
    rule = find_rule(rules_dir, alertname)
    return parse_duration(rule["for"]) if "for" in rule else 0.0


def set_rule_threshold(rules_dir: Path, alertname: str, threshold: float) -> str:
    """Rewrite the alert's threshold in the rule file that holds it; its new expression."""
    for path in sorted(rules_dir.glob(RULES_GLOB)):
        rules = yaml.safe_load(path.read_text())
        for group in rules.get("groups", []):
            for rule in group.get("rules", []):
                if rule.get("alert") == alertname:
                    rule["expr"] = with_threshold(str(rule["expr"]), threshold)
                    path.write_text(yaml.safe_dump(rules, sort_keys=False))
                    return str(rule["expr"])
    raise KeyError(f"no alert named {alertname} in {rules_dir}")

"""support/monitoring without a stack: time compression, the test configuration, the dashboard, the bounds, the receiver."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import httpx
import pytest
import yaml

from support.monitoring import config, dashboard
from support.monitoring.crossing import first_token_threshold
from support.monitoring.timing import AlertTiming
from support.monitoring.webhook import WebhookReceiver

needs_promtool = pytest.mark.skipif(shutil.which("promtool") is None, reason="promtool is not installed (make monitoring-tools)")


@pytest.mark.parametrize(("text", "seconds"), [("15s", 15), ("1m30s", 90), ("666ms", 0.666), ("4h", 14400)])
def test_durations_parse(text: str, seconds: float) -> None:
    assert config.parse_duration(text) == pytest.approx(seconds)


def test_a_bad_duration_is_refused() -> None:
    with pytest.raises(ValueError, match="not a Prometheus duration"):
        config.parse_duration("5 minutes")


def test_compression_divides_for_and_every_range_window() -> None:
    rules = {"groups": [{"name": "g", "rules": [{"alert": "A", "expr": "rate(x[5m]) > 0 and max_over_time(y[10m:1m]) > 1", "for": "2m"}]}]}
    rule = config.compress_rules(rules, 15)["groups"][0]["rules"][0]
    assert rule["for"] == "8s"
    assert rule["expr"] == "rate(x[20s]) > 0 and max_over_time(y[40s:4s]) > 1"


def _ports(webhook: str = "http://127.0.0.1:1/alerts") -> config.Ports:
    return config.Ports("127.0.0.1:11111", 22222, 33333, webhook)


def test_the_test_configuration_points_every_job_at_its_port(tmp_path: Path) -> None:
    written = config.write_test_config(tmp_path, 15, _ports("http://127.0.0.1:4/alerts"))
    prometheus = yaml.safe_load(written.prometheus_yml.read_text())
    targets = {job["job_name"]: job["static_configs"][0]["targets"] for job in prometheus["scrape_configs"]}
    assert targets == {"gateway": ["127.0.0.1:11111"], "prometheus": ["127.0.0.1:22222"], "alertmanager": ["127.0.0.1:33333"],
                       "webhook": ["127.0.0.1:4"]}
    assert (written.scrape_interval_s, written.evaluation_interval_s, written.group_wait_s, written.group_interval_s) == (1, 1, 2, 4)
    alertmanager = yaml.safe_load(written.alertmanager_yml.read_text())
    assert alertmanager["receivers"][0]["webhook_configs"][0]["url"] == "http://127.0.0.1:4/alerts"
    assert config.rule_for_seconds(tmp_path, "GatewayDown") == 4
    assert config.rule_for_seconds(tmp_path, "QueueFull") == 0


@needs_promtool
def test_the_test_configuration_is_valid_for_promtool_and_amtool(tmp_path: Path) -> None:
    written = config.write_test_config(tmp_path, 15, _ports())
    for command in (["promtool", "check", "config", str(written.prometheus_yml)], ["amtool", "check-config", str(written.alertmanager_yml)]):
        result = subprocess.run(command, capture_output=True, text=True, check=False)
        assert result.returncode == 0, result.stdout + result.stderr


@needs_promtool
def test_a_rule_with_a_wrong_threshold_fails_its_unit_tests(tmp_path: Path) -> None:
    """Negative control for the rule tests: HighErrorRatio at 50% instead of 5% must not pass them."""
    copy = tmp_path / "monitoring"
    shutil.copytree(config.STACK_MONITORING, copy)
    rules = copy / "rules" / "stack.rules.yml"
    rules.write_text(rules.read_text().replace("> 0.05", "> 0.5"))
    result = subprocess.run(["promtool", "test", "rules", "stack.rules.test.yml"], cwd=copy / "rules", capture_output=True, text=True, check=False)
    assert result.returncode != 0
    assert "HighErrorRatio" in result.stdout + result.stderr


def test_every_panel_query_names_the_data_source_and_rates_over_the_rate_interval() -> None:
    board = dashboard.load_dashboard()
    provisioned = yaml.safe_load((config.STACK_MONITORING / "grafana/provisioning/datasources/prometheus.yml").read_text())
    uid = provisioned["datasources"][0]["uid"]
    queries = dashboard.panel_queries(board)
    assert len(queries) >= len(dashboard.panel_titles(board))
    for panel in board["panels"]:
        assert panel["datasource"]["uid"] == uid, panel["title"]
    for query in queries:
        if "rate(" in query.expr:
            assert "[$__rate_interval]" in query.expr, query.name


@needs_promtool
def test_every_panel_query_is_valid_promql_once_its_variables_are_filled_in(tmp_path: Path) -> None:
    """promtool parses each query as a recording rule; Grafana's variables become values, as Grafana would send."""
    variables = {"model": "smollm2:135m", "__rate_interval": dashboard.rate_interval(15, 15)}
    queries = dashboard.panel_queries(dashboard.load_dashboard())
    rules = {"groups": [{"name": "dashboard", "rules": [{"record": f"panel:query_{i}", "expr": dashboard.substitute(q.expr, variables)} for i, q in enumerate(queries)]}]}
    path = tmp_path / "dashboard.rules.yml"
    path.write_text(yaml.safe_dump(rules))
    result = subprocess.run(["promtool", "check", "rules", str(path)], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr


def test_variables_are_substituted_and_an_unknown_one_is_an_error() -> None:
    assert dashboard.substitute('x{model=~"$model"}[$__rate_interval]', {"model": "m", "__rate_interval": "1m"}) == 'x{model=~"m"}[1m]'
    assert dashboard.substitute("${model} [[model]]", {"model": "m"}) == "m m"
    with pytest.raises(KeyError, match="job"):
        dashboard.substitute("up{job=~'$job'}", {})


def test_the_rate_interval_follows_grafana() -> None:
    assert dashboard.rate_interval(1, 1) == "4s"
    assert dashboard.rate_interval(15, 60) == "75s"


def test_alert_bounds_add_up_from_the_intervals() -> None:
    timing = AlertTiming(scrape_interval_s=1, scrape_timeout_s=0.5, evaluation_interval_s=1, for_s=4, group_wait_s=2, group_interval_s=4, rounds=3)
    assert timing.slack_s == 6
    assert timing.pending_within_s == pytest.approx(2.5 + 6)
    assert timing.firing_within_s == pytest.approx(5 + 6)
    assert timing.notified_within_s == pytest.approx(1 + 4 + 6)
    assert timing.resolved_within_s == pytest.approx(6.5 + 6)
    windowed = AlertTiming(scrape_interval_s=1, scrape_timeout_s=0.5, evaluation_interval_s=1, for_s=0, group_wait_s=2, group_interval_s=4,
                           window_s=20, rounds=3)
    assert windowed.resolved_within_s == pytest.approx(6.5 + 20 + 6)


def test_a_threshold_is_rendered_into_the_rule_and_only_there(tmp_path: Path) -> None:
    config.write_test_config(tmp_path, 15, _ports())
    before = config.find_rule(tmp_path, "HighErrorRatio")
    expr = config.set_rule_threshold(tmp_path, "SlowTimeToFirstToken", 0.25)
    assert expr.rstrip().endswith("> 0.25"), expr
    assert config.find_rule(tmp_path, "SlowTimeToFirstToken")["expr"] == expr
    assert config.find_rule(tmp_path, "HighErrorRatio") == before
    memory = config.set_rule_threshold(tmp_path, "HighMemory", 123456789.0)
    assert memory.endswith("> 123456789.0") and "gateway_runner_resident_memory_bytes" in memory
    assert config.longest_window_s(str(config.find_rule(tmp_path, "ModelLoadFailing")["expr"])) == 20
    assert config.longest_window_s(str(config.find_rule(tmp_path, "EngineDown")["expr"])) == 0
    assert set(config.alert_names(tmp_path)) >= {"GatewayDown", "EngineDown", "HighMemory", "ScrapeFailing"}
    assert len(config.alert_names(tmp_path)) == 9


def test_the_first_token_threshold_is_a_bucket_bound_under_the_long_prompts() -> None:
    assert first_token_threshold([0.05, 0.07], [1.6, 1.9]).threshold_s == 1.0
    assert first_token_threshold([0.05], [0.3]).threshold_s == 0.1
    assert first_token_threshold([6.5], [12.9, 14.3]).threshold_s == 7.5
    assert first_token_threshold([0.0001], [0.0012]).threshold_s is None


def test_the_webhook_receiver_keeps_what_it_is_sent() -> None:
    receiver = WebhookReceiver()
    receiver.start()
    try:
        body = {"status": "firing", "alerts": [{"labels": {"alertname": "GatewayDown"}}]}
        assert httpx.post(receiver.url, json=body, timeout=5).status_code == 200
        found = receiver.wait_for(lambda n: "GatewayDown" in n.alertnames(), timeout_s=2)
        assert found is not None and found.status == "firing"
        assert receiver.wait_for(lambda n: n.status == "resolved", timeout_s=0.1) is None
        metrics_url = receiver.url.replace("/alerts", "/metrics")
        assert "suite_webhook_notifications_total 1" in httpx.get(metrics_url, timeout=5).text
        receiver.scrape_answers_garbage = True
        assert "suite_webhook" not in httpx.get(metrics_url, timeout=5).text
    finally:
        receiver.stop()


def test_every_shipped_alert_waits_as_long_as_operators_were_promised() -> None:
    """The alert scenarios bound each alert by its promised for:, so the rules and the promise must agree."""
    rules_dir = config.STACK_MONITORING / "rules"
    assert sorted(config.alert_names(rules_dir)) == sorted(config.PROMISED_FOR)
    for alertname in config.PROMISED_FOR:
        assert config.rule_for_seconds(rules_dir, alertname) == config.promised_for_seconds(alertname, 1.0), alertname

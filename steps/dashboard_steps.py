"""Steps for the stack's Grafana dashboard: its variables, every panel's data in Prometheus, Grafana itself.

Example:
    Given the stack has streamed chat answers and refused a bad request since monitoring started
    When the queries of the "Request rate" panel run against Prometheus
    Then every query of the panel returns a series with data
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import allure
from behave import given, then, when
from behave.runner import Context
from hamcrest import assert_that, empty, equal_to, greater_than, has_item

from support.monitoring import dashboard, traffic
from support.monitoring.accuracy import settle
from support.monitoring.config import format_duration
from support.monitoring.fixture import current
from support.monitoring.grafana import frames_with_values
from support.report.allure import attach_json

# -- dashboard -----------------------------------------------------------------------------------------


@when("the stack's dashboard is read")
def step_read_dashboard(context: Context) -> None:
    """Load the dashboard JSON shipped in stack/monitoring/grafana."""
    context.dashboard = dashboard.load_dashboard()


@then('it has a "{name}" template variable')
def step_has_variable(context: Context, name: str) -> None:
    """The dashboard defines the variable."""
    assert_that(dashboard.template_variables(context.dashboard), has_item(name))


@given("the stack has streamed chat answers and refused a bad request since monitoring started")
def step_dashboard_traffic(context: Context) -> None:
    """Once per feature: two rounds of a streamed chat answer and a bad request, a scrape after each, and a step more."""
    monitoring = current(context)
    if "traffic_at" in monitoring.facts:
        return
    started = time.time()
    # The first round may create the gateway's series for the model, and a series that Prometheus first sees at 1 shows
    # no rate: once a scrape has seen them, the second round is the increase the panels' rate() shows.
    scraped = 0.0
    for _ in range(2):
        for kind, stream in (("chat", True), ("bad chat", False)):
            traffic.send(kind, context.settings.model, context.ollama, context.openai, stream=stream)
        scraped = settle(monitoring)
    # A range query evaluates at start + k * step: queried at once, its last point may fall just before the scrape that
    # saw the traffic, and every rate in it would be zero. One step later, a point lies at or after that scrape.
    # (Capped at one interval, so a remote Prometheus whose clock runs ahead cannot make the wait long.)
    time.sleep(min(monitoring.scrape_interval_s, max(0.0, scraped + monitoring.scrape_interval_s - time.time())))
    monitoring.facts["traffic_at"] = str(started)


@when('the queries of the "{panel}" panel run against Prometheus')
def step_run_panel(context: Context, panel: str) -> None:
    """Fill in the variables and run each query over the time since the traffic began."""
    monitoring = current(context)
    queries = [q for q in dashboard.panel_queries(dashboard.load_dashboard()) if q.panel == panel]
    assert_that(len(queries), greater_than(0), f"the dashboard has no panel titled {panel!r}")
    rate_interval = dashboard.rate_interval(monitoring.scrape_interval_s, monitoring.scrape_interval_s)
    variables = {"model": context.settings.model, "__rate_interval": rate_interval, "__interval": format_duration(monitoring.scrape_interval_s)}
    start = datetime.fromtimestamp(float(monitoring.facts["traffic_at"]), UTC) - timedelta(seconds=4 * monitoring.scrape_interval_s)
    end = datetime.now(UTC)
    step = format_duration(monitoring.scrape_interval_s)
    context.panel_results = {}
    for query in queries:
        expr = dashboard.substitute(query.expr, variables)
        with allure.step(f"{query.name}: {expr}"):
            context.panel_results[query.name] = monitoring.prometheus.series_with_data(expr, start, end, step)
    attach_json(f"{panel} results", context.panel_results)


@then("every query of the panel returns a series with data")
def step_panel_has_data(context: Context) -> None:
    """No query of the panel came back empty."""
    empty_queries = [name for name, series in context.panel_results.items() if not series]
    assert_that(empty_queries, empty(), "panel queries that returned no series with data")


# -- Grafana -------------------------------------------------------------------------------------------


@when("Grafana is asked for its health and for the stack's dashboard")
def step_grafana(context: Context) -> None:
    """GET /api/health and the dashboard by uid."""
    grafana = current(context).grafana
    assert grafana is not None, "no Grafana client (-D grafana_url)"
    context.grafana_health = grafana.health()
    context.grafana_dashboard = grafana.dashboard(dashboard.load_dashboard()["uid"])
    attach_json("Grafana health", context.grafana_health)


@then("Grafana reports its database ok")
def step_grafana_ok(context: Context) -> None:
    """The health answer says the database is ok."""
    assert_that(context.grafana_health.get("database"), equal_to("ok"), str(context.grafana_health))


@then('the dashboard "{uid}" is provisioned')
def step_dashboard_provisioned(context: Context, uid: str) -> None:
    """Grafana has the dashboard and marks it provisioned."""
    response = context.grafana_dashboard
    assert_that(response.status_code, equal_to(200), response.text[:400])
    body = response.json()
    assert_that(body["dashboard"]["uid"], equal_to(uid))
    assert_that(body["meta"].get("provisioned"), equal_to(True), f"meta: {body['meta']}")


@when('the "{panel}" panel\'s query runs through Grafana\'s data source')
def step_grafana_query(context: Context, panel: str) -> None:
    """POST /api/ds/query with the panel's first query, variables filled in."""
    monitoring = current(context)
    grafana = monitoring.grafana
    assert grafana is not None, "no Grafana client (-D grafana_url)"
    board = dashboard.load_dashboard()
    query = next(q for q in dashboard.panel_queries(board) if q.panel == panel)
    uid = str(board["panels"][0]["datasource"]["uid"])
    variables = {"model": context.settings.model, "__rate_interval": dashboard.rate_interval(monitoring.scrape_interval_s, 15.0)}
    context.grafana_answer = grafana.query(uid, dashboard.substitute(query.expr, variables))
    attach_json("Grafana answer", context.grafana_answer.text[:4000])


@then("Grafana returns at least one series with data")
def step_grafana_data(context: Context) -> None:
    """The answer is 200 with a frame that holds values."""
    answer = context.grafana_answer
    assert_that(answer.status_code, equal_to(200), answer.text[:400])
    assert_that(frames_with_values(answer.json()), greater_than(0), answer.text[:400])


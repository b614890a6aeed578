"""Steps for the stack's Grafana dashboard: its variables, every panel's data in Prometheus, Grafana itself.

Example:
    Given the stack has streamed chat answers and refused a bad request since monitoring started
    When the queries of the "Request rate" panel run against Prometheus
    Then every query of the panel shows a value above zero
"""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta

import allure
from behave import given, then, when
from behave.runner import Context
from hamcrest import assert_that, empty, equal_to, greater_than, has_item, has_length

from support.monitoring import dashboard, traffic
from support.monitoring.accuracy import read, selector, settle
from support.monitoring.config import format_duration
from support.monitoring.fixture import current
from support.monitoring.grafana import frames_with_values
from support.report.allure import attach_json

TRAFFIC_ROUNDS = 3
BAD_SHARE = 0.5
"""Each round sends one chat and one bad request for the model."""
RATIO_TOLERANCE = 0.1

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
    """Once per feature: three rounds of a streamed chat answer and a bad request, a scrape after each, and a step more;
    the dashboard's histograms are counted before and after."""
    monitoring = current(context)
    if "traffic_at" in monitoring.facts:
        return
    histograms = dashboard.histograms(dashboard.panel_queries(dashboard.load_dashboard()))
    settle(monitoring)
    before = _histogram_counts(context, histograms)
    # The first round may create the gateway's series for the model, and a series that Prometheus first sees at 1 shows
    # no rate: once a scrape has seen them, the later rounds are the increase the panels' rate() shows.
    scrapes = []
    for _ in range(TRAFFIC_ROUNDS):
        for kind, stream in (("chat", True), ("bad chat", False)):
            traffic.send(kind, context.settings.model, context.ollama, context.openai, stream=stream)
        scrapes.append(settle(monitoring))
    after = _histogram_counts(context, histograms)
    started, scraped = scrapes[0], scrapes[-1]
    # A range query evaluates at start + k * step: queried at once, its last point may fall just before the scrape that
    # saw the traffic, and every rate in it would be zero. One step later, a point lies at or after that scrape.
    # (Capped at one interval, so a remote Prometheus whose clock runs ahead cannot make the wait long.)
    time.sleep(min(monitoring.scrape_interval_s, max(0.0, scraped + monitoring.scrape_interval_s - time.time())))
    monitoring.facts["traffic_at"] = str(started)
    monitoring.facts["traffic_until"] = str(scraped)
    monitoring.facts["histogram_rise"] = json.dumps({name: after[name] - before[name] for name in histograms})
    attach_json("dashboard histograms' counts before and after the traffic", {"before": before, "after": after})


def _histogram_counts(context: Context, histograms: list[str]) -> dict[str, float]:
    monitoring = current(context)
    return {name: read(monitoring, selector(f"{name}_count", {"model": context.settings.model})).value for name in histograms}


@when('the queries of the "{panel}" panel run against Prometheus')
def step_run_panel(context: Context, panel: str) -> None:
    """Fill in the variables and run each query over the time since the traffic began: with Grafana's rate interval,
    and with a window as long as the traffic, which gives each ratio over all of it."""
    monitoring = current(context)
    queries = [q for q in dashboard.panel_queries(dashboard.load_dashboard()) if q.panel == panel]
    assert_that(len(queries), greater_than(0), f"the dashboard has no panel titled {panel!r}")
    rate_interval = dashboard.rate_interval(monitoring.scrape_interval_s, monitoring.scrape_interval_s)
    traffic_at, traffic_until = float(monitoring.facts["traffic_at"]), float(monitoring.facts["traffic_until"])
    # From the scrape after the first round to the last one, and half a scrape more so the first of them is inside.
    span = format_duration(traffic_until - traffic_at + monitoring.scrape_interval_s / 2)
    variables = {"model": context.settings.model, "__rate_interval": rate_interval, "__interval": format_duration(monitoring.scrape_interval_s)}
    start = datetime.fromtimestamp(traffic_at, UTC) - timedelta(seconds=4 * monitoring.scrape_interval_s)
    end = datetime.now(UTC)
    step = format_duration(monitoring.scrape_interval_s)
    context.panel_results, context.panel_span_results = {}, {}
    for query in queries:
        expr = dashboard.substitute(query.expr, variables)
        over_span = dashboard.substitute(query.expr, {**variables, "__rate_interval": span})
        with allure.step(f"{query.name}: {expr}"):
            context.panel_results[query.name] = monitoring.prometheus.range_values(expr, start, end, step)
            context.panel_span_results[query.name] = monitoring.prometheus.range_values(
                over_span, datetime.fromtimestamp(traffic_until, UTC), end, step)
    attach_json(f"{panel} results", {"rate interval": context.panel_results, f"window {span}": context.panel_span_results})


@then("every query of the panel shows {expectation}")
def step_panel_shows(context: Context, expectation: str) -> None:
    """Each query's numbers are what the known traffic should give: see support.monitoring.dashboard.shows_traffic."""
    results = context.panel_span_results if expectation == "the share of bad requests" else context.panel_results
    wrong = {name: problem for name, series in results.items()
             if (problem := dashboard.shows_traffic(expectation, series, BAD_SHARE, RATIO_TOLERANCE)) is not None}
    assert_that(wrong, empty(), f"panel queries that do not show {expectation}")


@when('the histogram behind the "{panel}" panel is compared before and after the traffic')
def step_panel_histogram(context: Context, panel: str) -> None:
    """The rise of the panel's histogram's count for the model, as the traffic step measured it."""
    monitoring = current(context)
    names = dashboard.histograms([q for q in dashboard.panel_queries(dashboard.load_dashboard()) if q.panel == panel])
    assert_that(names, has_length(1), f"the {panel} panel should take quantiles of one histogram")
    context.histogram = names[0]
    context.histogram_rise = json.loads(monitoring.facts["histogram_rise"])[names[0]]


@then("it counted exactly {count:d} more observations")
def step_histogram_rose(context: Context, count: int) -> None:
    """The histogram's _count rose by exactly what the traffic sent."""
    assert_that(context.histogram_rise, equal_to(float(count)), f"{context.histogram}_count rise for {context.settings.model}")


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


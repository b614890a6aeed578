"""Steps for bad input: generated requests from the API description, hostile bodies, misbehaving connections.

Example:
    When every operation of the gateway's API description gets generated requests within the "short" budget
    Then no answer was a server error Ollama does not document, a malformed error or a hang
"""

from __future__ import annotations

import time
from collections import Counter

import allure
import httpx
from behave import given, then, when
from behave.runner import Context
from hamcrest import assert_that, empty, equal_to, greater_than, is_not, less_than_or_equal_to, starts_with

from support.bad_requests import split_endpoint
from support.http import Exchange, Request
from support.reliability import hostile
from support.reliability.description import operations
from support.reliability.fuzzing import Budget, fuzz, http_sender
from support.reliability.generated import SCRATCH_PREFIX
from support.reliability.profile import profile_from_userdata
from support.reliability.verdicts import Answer, error_text
from support.report import reliability as figures
from support.report.allure import attach_exchange

DESCRIPTION_PATH = "/api/openapi.json"


@when('every operation of the gateway\'s API description gets generated requests within the "{budget}" budget')
def step_fuzz(context: Context, budget: str) -> None:
    """Read /api/openapi.json from the target and fuzz each operation it lists, bounded by the profile."""
    profile = profile_from_userdata(context.config.userdata)
    described = context.ollama.http.get(DESCRIPTION_PATH)
    assert_that(described.status, equal_to(200), described.describe())
    listed = operations(described.json())
    bounds = Budget(profile("fuzz", budget, "examples_per_operation"), profile("fuzz", budget, "seconds"),
                    profile("fuzz", budget, "request_timeout_s"))
    with allure.step(f"fuzz {len(listed)} operations: {bounds}"):
        context.fuzz = fuzz(http_sender(context.stack.ollama_url, bounds.request_timeout_s), listed, context.settings.model, bounds)
    context.fuzz_operations = [operation.name for operation in listed]
    listing = context.ollama.tags().json()["models"]
    scratch = [str(model["name"]) for model in listing if str(model["name"]).startswith(SCRATCH_PREFIX)]
    for name in scratch:
        context.ollama.http.send("DELETE", "/api/delete", json_body={"model": name})
    run = context.fuzz
    table = "\n".join(f"{name}: sent {tally.sent}, statuses {dict(sorted(tally.statuses.items()))}, violations {tally.violation_count}"
                      for name, tally in sorted(run.tallies.items()))
    allure.attach(table, name="requests by operation", attachment_type=allure.attachment_type.TEXT)
    statuses: Counter[str] = Counter()
    for tally in run.tallies.values():
        for status, count in tally.statuses.items():
            statuses[f"{status // 100}xx"] += count
    described = set(context.fuzz_operations)
    figures.record(context.settings.results_dir, "bad_input", f"generated ({budget} budget)", {
        "requests": run.sent, "seconds": round(run.seconds, 1), "answers": dict(sorted(statuses.items())),
        "violations": run.violation_count, "hangs": run.hangs, "scratch models removed": len(scratch),
        "by endpoint": {name: tally.sent for name, tally in sorted(run.tallies.items()) if name in described},
        "wrong methods": sum(tally.sent for name, tally in run.tallies.items() if name not in described),
    })


@then("every operation was sent requests")
def step_every_operation(context: Context) -> None:
    """Each listed operation got at least one request within the budget."""
    unsent = [name for name in context.fuzz_operations if context.fuzz.tallies[name].sent == 0]
    assert_that(unsent, empty(), "operations the budget left untried")


@then("no answer was a server error Ollama does not document, a malformed error or a hang")
def step_no_violations(context: Context) -> None:
    """Every answer passed the verdict; the first examples of any that did not are in the message."""
    run = context.fuzz
    assert_that(run.violations, empty(), f"{run.violation_count} of {run.sent} answers were wrong, {run.hangs} hung")


@when("a hostile client sends {request} to {endpoint}")
def step_hostile(context: Context, request: str, endpoint: str) -> None:
    """Write the named hostile request by hand on a socket, so its headers may lie."""
    method, path = split_endpoint(endpoint)
    body, headers = hostile.hostile_body(request, context.settings.model)
    url = httpx.URL(context.stack.ollama_url)
    started = time.perf_counter()
    context.sent_at = time.time()
    status, answer = hostile.raw_request(str(url.host), int(url.port or 80), method, path, body, headers, timeout_s=60)
    context.response = Exchange(Request(method, f"{context.stack.ollama_url}{path}", headers, body[:2000]), status,
                                {"content-type": "application/json"}, answer, time.perf_counter() - started)
    attach_exchange(context.response)
    figures.record(context.settings.results_dir, "bad_input", f"by hand: {request} to {endpoint}", {"status": status})


@then('the error says "{message}"')
def step_error_says(context: Context, message: str) -> None:
    """Ollama's or OpenAI's error shape, whichever the path speaks, with a message starting so."""
    response: Exchange = context.response
    answer = Answer(response.request.method, response.request.path, response.status, response.content_type, response.body)
    assert_that(error_text(answer) or "", starts_with(message), response.describe())


@given("a client is sending its request headers one byte at a time")
def step_dribble(context: Context) -> None:
    """A request for the version written a byte per interval, in a thread of its own."""
    interval = profile_from_userdata(context.config.userdata)("hostile", "dribble_interval_s")
    url = httpx.URL(context.stack.ollama_url)
    context.dribble = hostile.Dribble()
    context.dribble_thread = hostile.dribble(str(url.host), int(url.port or 80), "/api/version", interval, context.dribble)
    time.sleep(interval * 5)


@given("the profile's number of connections are open and silent")
def step_silent(context: Context) -> None:
    """Open the connections, note the gateway's descriptors before, and hang up at the end of the scenario."""
    count = profile_from_userdata(context.config.userdata)("hostile", "silent_connections")
    url = httpx.URL(context.stack.ollama_url)
    context.descriptors_before = hostile.open_descriptors(context.stack.gateway_pid)
    context.silent = hostile.silent_connections(str(url.host), int(url.port or 80), count)
    context.add_cleanup(hostile.close_all, context.silent)


@when("another client asks for the version")
def step_other_client(context: Context) -> None:
    """GET /api/version while the misbehaving connections stay."""
    context.response = context.ollama.version()


@then("the other client is answered within the profile's bound")
def step_other_answered(context: Context) -> None:
    """200, in no more than the profile's seconds."""
    bound = profile_from_userdata(context.config.userdata)("hostile", "others_answered_within_s")
    assert_that(context.response.status, equal_to(200), context.response.describe())
    assert_that(context.response.elapsed_s, less_than_or_equal_to(bound), context.response.describe())


@then("the slow client is answered once its headers are complete")
def step_slow_answered(context: Context) -> None:
    """The dribbling client's request is whole at last, and gets its 200."""
    context.dribble_thread.join(60)
    outcome = context.dribble
    assert_that((outcome.status, outcome.error), equal_to((200, "")), f"after {outcome.seconds:.1f} s")


@then("once the silent connections hang up, the gateway holds no more descriptors than before")
def step_descriptors_back(context: Context) -> None:
    """Descriptors return to where they were (a few of slack for the log and the runner's socket)."""
    pid = context.stack.gateway_pid
    during = hostile.open_descriptors(pid)
    assert_that(during, greater_than(context.descriptors_before), "the silent connections were never accepted")
    hostile.close_all(context.silent)
    deadline = time.monotonic() + 10
    while hostile.open_descriptors(pid) > context.descriptors_before + 4 and time.monotonic() < deadline:
        time.sleep(0.2)
    after = hostile.open_descriptors(pid)
    figures.record(context.settings.results_dir, "bad_input", "silent connections", {
        "connections": len(context.silent), "descriptors before": context.descriptors_before,
        "during": during, "after": after})
    assert_that(after, is_not(greater_than(context.descriptors_before + 4)), f"descriptors: before {context.descriptors_before}, during {during}")

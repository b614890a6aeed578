"""Steps for /api/status, Ollama's cloud policy.

Example:
    When a client asks for the server's status
    Then the status reports the cloud disabled, and nothing else
"""

from __future__ import annotations

from behave import then, when
from behave.runner import Context
from hamcrest import assert_that, equal_to, is_in

from support.http import Exchange

CLOUD_SOURCES = ("none", "env", "config", "both")


@when("a client asks for the server's status")
def step_status(context: Context) -> None:
    """GET /api/status."""
    context.response = context.ollama.http.get("/api/status")


@then("the status reports the cloud disabled, and nothing else")
def step_cloud_disabled(context: Context) -> None:
    """The body is {"cloud": {"disabled": true, "source": ...}} with one of Ollama's sources."""
    response: Exchange = context.response
    body = response.json()
    assert_that(sorted(body), equal_to(["cloud"]), response.describe())
    assert_that(sorted(body["cloud"]), equal_to(["disabled", "source"]), response.describe())
    assert_that(body["cloud"]["disabled"], equal_to(True), response.describe())
    assert_that(body["cloud"]["source"], is_in(CLOUD_SOURCES), response.describe())

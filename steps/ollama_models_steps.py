"""Steps for Ollama's liveness and its model catalogue: /, /api/version, /api/tags, /api/show, /api/ps.

Example:
    When a client lists the installed models
    Then every listed model has Ollama's tags fields
"""

from __future__ import annotations

from behave import given, then, when
from behave.runner import Context
from hamcrest import (
    assert_that,
    empty,
    equal_to,
    greater_than,
    has_item,
    instance_of,
)

from support import ollama
from support.http import Exchange
from support.ollama import PROMPT
from support.shapes import (
    PS,
    PS_ENTRY,
    SHOW,
    TAGS,
    TAGS_ENTRY,
    listing_problems,
    shape_problems,
    version_problems,
)

UNLOAD_TIMEOUT_S = 10.0


# -- Liveness and version -------------------------------------------------------------------


@when("a client asks whether the server is running")
def step_heartbeat(context: Context) -> None:
    """GET / as Ollama's liveness probe does."""
    context.response = context.ollama.heartbeat()


@when("a client checks the root path with a HEAD request")
def step_head_root(context: Context) -> None:
    """HEAD / as ollama's Go client heartbeat does."""
    context.response = context.ollama.http.send("HEAD", "/")


@when("a client asks for the server version")
def step_version(context: Context) -> None:
    """GET /api/version."""
    context.response = context.ollama.version()


@then("the reported version is numeric and at least {minimum}")
def step_version_at_least(context: Context, minimum: str) -> None:
    """The version parses as dotted numbers no lower than the minimum."""
    response: Exchange = context.response
    floor = tuple(int(part) for part in minimum.split("."))
    problems = version_problems(response.json().get("version"), floor)
    assert_that(problems, empty(), response.describe())


# -- The model catalogue --------------------------------------------------------------------


@when("a client lists the installed models")
def step_list_models(context: Context) -> None:
    """GET /api/tags."""
    context.response = context.ollama.tags()


@then("every listed model has Ollama's tags fields")
def step_tags_shape(context: Context) -> None:
    """The list and each entry match Ollama's tags shapes."""
    response: Exchange = context.response
    assert_that(listing_problems(response.json(), TAGS, TAGS_ENTRY), empty(), response.describe())


@then("the model under test is listed under both name and model")
def step_tags_lists_model(context: Context) -> None:
    """Some entry names the model under test in both of its name fields."""
    response: Exchange = context.response
    expected = ollama.listed_name(context.settings.model)
    pairs = [(m.get("name"), m.get("model")) for m in response.json().get("models") or []]
    assert_that(pairs, has_item((expected, expected)), response.describe())


@when('a client shows the model under test naming it under "{key}"')
def step_show_model(context: Context, key: str) -> None:
    """POST /api/show with the model under the given key."""
    context.response = context.ollama.show(context.settings.model, key=key)


@then("the response has Ollama's show fields")
def step_show_shape(context: Context) -> None:
    """The body matches Ollama's show shape."""
    response: Exchange = context.response
    assert_that(shape_problems(response.json(), SHOW), empty(), response.describe())


@then('the model\'s capabilities include "{capability}"')
def step_capability(context: Context, capability: str) -> None:
    """capabilities is a list containing the capability."""
    response: Exchange = context.response
    capabilities = response.json().get("capabilities")
    assert_that(capabilities, has_item(capability), response.describe())


@given("the model under test has answered a prompt")
def step_model_answered(context: Context) -> None:
    """Run one tiny completion so the model is loaded."""
    ollama.ok_json(context.ollama.generate(ollama.generate_body(context.settings.model, PROMPT, stream=False, num_predict=1)))


@then("the model info gives the context length under the model's architecture")
def step_context_length(context: Context) -> None:
    """model_info has general.architecture and a positive <architecture>.context_length."""
    response: Exchange = context.response
    info = response.json().get("model_info") or {}
    architecture = info.get("general.architecture")
    assert_that(architecture, instance_of(str), response.describe())
    assert_that(info.get(f"{architecture}.context_length"), greater_than(0), response.describe())


@when("a client asks for a completion naming the model under test in upper case")
def step_generate_upper_case(context: Context) -> None:
    """A completion whose model name is the model under test in capitals."""
    body = ollama.generate_body(context.settings.model.upper(), PROMPT, stream=False, num_predict=1)
    context.response = context.ollama.generate(body)


@when("a client lists the running models")
def step_list_running(context: Context) -> None:
    """GET /api/ps."""
    context.response = context.ollama.ps()


@then("every running model has Ollama's ps fields")
def step_ps_shape(context: Context) -> None:
    """The list and each entry match Ollama's ps shapes."""
    response: Exchange = context.response
    assert_that(listing_problems(response.json(), PS, PS_ENTRY), empty(), response.describe())


@then("the model under test is listed as running")
def step_ps_lists_model(context: Context) -> None:
    """Some running entry is the model under test."""
    response: Exchange = context.response
    names = [m.get("model") for m in response.json().get("models") or []]
    assert_that(names, has_item(ollama.listed_name(context.settings.model)), response.describe())


@then("the model under test is soon no longer listed as running")
def step_ps_unlisted(context: Context) -> None:
    """Within a few seconds /api/ps stops listing the model under test."""
    gone, context.response = ollama.wait_unlisted(context.ollama, context.settings.model, UNLOAD_TIMEOUT_S)
    assert_that(gone, equal_to(True), f"still running {UNLOAD_TIMEOUT_S} s after unloading:\n{context.response.describe()}")

"""Steps for Ollama's liveness and its model catalogue: /, /api/version, /api/tags, /api/show, /api/ps.

Example:
    When a client lists the installed models
    Then every listed model has Ollama's tags fields
"""

from __future__ import annotations

import datetime as dt
import json

from behave import given, then, when
from behave.runner import Context
from hamcrest import (
    assert_that,
    close_to,
    empty,
    equal_to,
    greater_than,
    has_item,
    instance_of,
    matches_regexp,
    not_none,
)

from support import ollama
from support.http import Exchange
from support.native_rules import FOREVER_AFTER_S, GGUF_FILE_TYPE, human_number, name_form, running_entry, seconds_until
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


@when("a client checks {path} with a HEAD request")
def step_head_path(context: Context, path: str) -> None:
    """HEAD on a path Ollama registers for GET and HEAD, as load balancers and uptime probes send it."""
    context.response = context.ollama.http.send("HEAD", path)


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


@when("a client asks for a {kind} naming the model under test {form}")
def step_named_request(context: Context, kind: str, form: str) -> None:
    """A completion or a chat whose model is the model under test named in the given form."""
    model = name_form(context.settings.model, form)
    if kind == "completion":
        context.response = context.ollama.generate(ollama.generate_body(model, PROMPT, stream=False, num_predict=1))
    else:
        context.response = context.ollama.chat(ollama.chat_body(model, [ollama.user(PROMPT)], stream=False, num_predict=1))


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


# -- keep_alive, read back from /api/ps ----------------------------------------------------

EXPIRY_SLACK_S = 5.0
"""How far expires_at may sit from the client's own now + keep_alive: the request's length and clock granularity."""


def _running(context: Context) -> tuple[dict[str, object], Exchange]:
    """The /api/ps entry of the model under test (asserted present) and the listing, read now."""
    listing = context.ollama.ps()
    entry = running_entry(listing.json(), ollama.listed_name(context.settings.model))
    assert_that(entry, not_none(), f"the model under test is not running\n{listing.describe()}")
    assert entry is not None
    return entry, listing


@then("the running model expires about {seconds:d} seconds from now")
def step_expires_in(context: Context, seconds: int) -> None:
    """/api/ps expires_at is the client's now plus keep_alive, within a few seconds."""
    now = dt.datetime.now(dt.UTC)
    entry, listing = _running(context)
    left = seconds_until(str(entry.get("expires_at")), now)
    assert_that(left, close_to(seconds, EXPIRY_SLACK_S), f"expires_at is {left:.1f} s from the client's now\n{listing.describe()}")


@then("the running model expires in the far future")
def step_expires_never(context: Context) -> None:
    """/api/ps expires_at is more than a century away (Ollama shows about 292 years)."""
    now = dt.datetime.now(dt.UTC)
    entry, listing = _running(context)
    left = seconds_until(str(entry.get("expires_at")), now)
    assert_that(left, greater_than(FOREVER_AFTER_S), f"expires_at is {left / 86400:.1f} days away\n{listing.describe()}")


# -- Details in Ollama's format, alike everywhere --------------------------------------------


@when("a client lists the installed models, shows the model under test and lists the running models")
def step_details_everywhere(context: Context) -> None:
    """GET /api/tags, POST /api/show and GET /api/ps, in that order."""
    context.responses = [context.ollama.tags(), context.ollama.show(context.settings.model), context.ollama.ps()]


def _all_details(context: Context) -> dict[str, dict[str, object]]:
    tags, show, ps = context.responses
    listed = ollama.listed_name(context.settings.model)
    found = {
        "/api/tags": (running_entry(tags.json(), listed) or {}).get("details"),
        "/api/show": show.json().get("details"),
        "/api/ps": (running_entry(ps.json(), listed) or {}).get("details"),
    }
    for where, details in found.items():
        assert_that(details, instance_of(dict), f"no details for {listed} on {where}\n" + "\n".join(r.describe() for r in context.responses))
    return {where: dict(details) for where, details in found.items() if isinstance(details, dict)}


@then("the parameter size is the shown parameter count written as Ollama writes it")
def step_parameter_size(context: Context) -> None:
    """details.parameter_size is format.HumanNumber(general.parameter_count), as in "134.52M"."""
    show: Exchange = context.responses[1]
    count = (show.json().get("model_info") or {}).get("general.parameter_count")
    assert isinstance(count, int), f"no general.parameter_count in model_info\n{show.describe()}"
    for where, details in _all_details(context).items():
        assert_that(details.get("parameter_size"), equal_to(human_number(count)), f"on {where}\n{show.describe()}")


@then("the quantization level is a GGUF file type as Ollama names it")
def step_quantization_level(context: Context) -> None:
    """details.quantization_level reads like "Q4_K_M", "Q8_0" or "F16"."""
    for where, details in _all_details(context).items():
        assert_that(str(details.get("quantization_level")), matches_regexp(GGUF_FILE_TYPE), f"on {where}: {json.dumps(details)}")


@then("the details are the same on all three")
def step_same_details(context: Context) -> None:
    """tags, show and ps give equal details for the model under test."""
    found = _all_details(context)
    tags_details = found["/api/tags"]
    for where, details in found.items():
        assert_that(details, equal_to(tags_details), f"{where} differs from /api/tags: {json.dumps(found)}")


@then("the model under test is listed as running now")
def step_ps_lists_model_now(context: Context) -> None:
    """GET /api/ps lists the model under test."""
    _running(context)


@given("the model under test is not loaded")
def step_model_not_loaded(context: Context) -> None:
    """Unload the model under test with keep_alive 0 and wait until /api/ps no longer lists it."""
    context.ollama.generate({"model": context.settings.model, "prompt": "", "keep_alive": 0})
    gone, listing = ollama.wait_unlisted(context.ollama, context.settings.model, UNLOAD_TIMEOUT_S)
    assert_that(gone, equal_to(True), f"still running after unloading:\n{listing.describe()}")

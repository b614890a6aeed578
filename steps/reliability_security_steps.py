"""Steps for security: loopback by default, the Host check, CORS, the API key, model names and the log.

Example:
    When a request names the Host "evil.example"
    Then the response status is 403
"""

from __future__ import annotations

import secrets
import time
from dataclasses import replace
from pathlib import Path

import allure
from behave import given, then, when
from behave.runner import Context
from hamcrest import assert_that, contains_string, empty, equal_to, greater_than, is_in

from support.bad_requests import split_endpoint
from support.http import Exchange, HttpClient
from support.models.client import ModelsClient
from support.models.gateway import BUNDLED, StoreGateway
from support.models.store import changes, snapshot
from support.reliability.description import operations
from support.reliability.gateways import Launch, launch, listening_addresses, scratch_dir, side_gateway
from support.report import reliability as figures
from support.report.allure import attach_exchange

HOSTILE_NAMES = {
    # Host, namespace and model all "..": were it read as a path, it would climb to the store's grandparent.
    "a path up out of the store": "../../..:escaped",
    "a newline": "smollm2\n:135m",
    "a NUL byte": "smollm2\x00:135m",
    "a terminal escape": "\x1b[31mred:latest",
    "a slash in the tag": "smollm2:135m/../../x",
}
FORGED_PREFIX = "2026-01-01 INFO stack.gateway.access"
"""The start of the line hidden in a hostile model name (support.reliability.hostile)."""
PATH_VALUE = "sha256:" + "0" * 64
FAILED_EXITS = range(1, 256)
"""The exit statuses of a process that ended by refusing, as SystemExit with a message does (1)."""
LAUNCH_S = 60.0
"""How long a gateway started by hand may take to listen, or to exit."""
REPO_ROOT = Path(__file__).resolve().parent.parent


@when("a gateway is started with no address given")
def step_start_default(context: Context) -> None:
    """`python -m stack.gateway` with only a port, as a user would start it."""
    scratch = scratch_dir("security-default-", context.add_cleanup)
    context.launched = launch(scratch / "gateway.log", [], {}, str(scratch / "models"))
    context.add_cleanup(context.launched.stop)


def _listening_or_gone(launched: Launch, timeout_s: float) -> list[str]:
    """The addresses the launched gateway listens on, as soon as it listens or exits, whichever comes first."""
    deadline = time.monotonic() + timeout_s
    while launched.process.poll() is None and time.monotonic() < deadline:
        found = listening_addresses(launched.port, 0.0)
        if found:
            return found
        time.sleep(0.2)
    return listening_addresses(launched.port, 0.0)


@then("it listens on 127.0.0.1 and on no other address")
def step_loopback_only(context: Context) -> None:
    """The kernel's table of listening sockets shows the gateway's port on loopback alone."""
    addresses = _listening_or_gone(context.launched, LAUNCH_S)
    allure.attach(context.launched.output(), name="gateway output", attachment_type=allure.attachment_type.TEXT)
    assert_that(addresses, equal_to(["127.0.0.1"]), f"listening on port {context.launched.port}")


@when("a gateway is started on 0.0.0.0 without an API key")
def step_start_everywhere(context: Context) -> None:
    """Ask for every address, with no GATEWAY_API_KEY, and wait until the process ends or listens."""
    scratch = scratch_dir("security-open-", context.add_cleanup)
    context.launched = launch(scratch / "gateway.log", ["--host", "0.0.0.0"], {}, str(scratch / "models"))
    context.add_cleanup(context.launched.stop)
    context.open_addresses = _listening_or_gone(context.launched, LAUNCH_S)


@then("it exits at once saying that it needs GATEWAY_API_KEY")
def step_refused_to_start(context: Context) -> None:
    """No listening socket, a failing exit status, and the reason in its output."""
    output = context.launched.output()
    assert_that(context.open_addresses, empty(), f"listening on port {context.launched.port}\n{output}")
    assert_that(context.launched.process.poll(), is_in(FAILED_EXITS), output)
    assert_that(output, contains_string("GATEWAY_API_KEY"))


@when('a request names the Host "{host}"')
def step_host_header(context: Context, host: str) -> None:
    """GET /api/version with this Host header, as a page reached by DNS rebinding would send it."""
    context.response = context.ollama.http.send("GET", "/api/version", headers={"Host": host})


def _preflight(http: HttpClient, origin: str) -> str | None:
    response = http.send("OPTIONS", "/api/chat", headers={"Origin": origin, "Access-Control-Request-Method": "POST"})
    return response.headers.get("access-control-allow-origin")


@when('a browser page from "{origin}" asks to call the chat endpoint')
def step_preflight(context: Context, origin: str) -> None:
    """The CORS preflight a browser sends before a page's POST /api/chat."""
    context.origin = origin
    context.allowed_origin = _preflight(context.ollama.http, origin)


@then("the gateway {verdict} that origin")
def step_origin_verdict(context: Context, verdict: str) -> None:
    """`allows`: the origin is echoed back; `refuses`: no Access-Control-Allow-Origin at all."""
    expected = context.origin if verdict == "allows" else None
    assert_that(context.allowed_origin, equal_to(expected), f"preflight from {context.origin}")


@given('a gateway started with an API key and the origin "{origin}"')
def step_keyed_gateway(context: Context, origin: str) -> None:
    """A gateway beside the stack with GATEWAY_API_KEY and OLLAMA_ORIGINS set, on a scratch store."""
    context.api_key = secrets.token_urlsafe(16)
    settings = replace(context.settings, models_dir=str(scratch_dir("security-keyed-", context.add_cleanup)))
    context.keyed = side_gateway(settings, "keyed-gateway", context.settings.engine,
                                 {"GATEWAY_API_KEY": context.api_key, "OLLAMA_ORIGINS": origin})
    context.keyed.start()
    context.add_cleanup(context.keyed.stop)
    context.keyed_http = HttpClient(context.keyed.ollama_url, observer=attach_exchange)
    context.add_cleanup(context.keyed_http.close)


@when("every route of its API description is called with no key, a wrong key and the key")
def step_call_every_route(context: Context) -> None:
    """Each operation three times; bodies are empty objects, refused before any work is done."""
    right = {"Authorization": f"Bearer {context.api_key}"}
    described = context.keyed_http.send("GET", "/api/openapi.json", headers=right)
    assert_that(described.status, equal_to(200), described.describe())
    calls = []
    for operation in operations(described.json()):
        path = operation.path.replace("{digest}", PATH_VALUE).replace("{model}", "none")
        body = b"{}" if operation.body is not None else None
        for kind, headers in (("no key", {}), ("a wrong key", {"Authorization": "Bearer wrong"}), ("the key", right)):
            response = context.keyed_http.send(operation.method, path, content=body, headers=headers)
            calls.append((operation.name, kind, response.status))
    context.key_calls = calls


@then('every route but "/" refused the calls without the right key with 401')
def step_refused_without_key(context: Context) -> None:
    """401 for every call without the right key, except GET / which always answers."""
    wrong = [call for call in context.key_calls if call[1] != "the key" and (call[2] == 401) == (call[0] == "GET /")]
    assert_that(wrong, empty(), "calls answered wrongly for their key")
    figures.record(context.settings.results_dir, "nothing_lost", "API key on every route", {
        "routes": len({call[0] for call in context.key_calls}), "calls": len(context.key_calls), "wrong": len(wrong)})


@then("no route refused the right key")
def step_key_accepted(context: Context) -> None:
    """No call with the key got 401."""
    refused = [call for call in context.key_calls if call[1] == "the key" and call[2] == 401]
    assert_that(refused, empty(), "calls with the key that were refused")


@then('a browser page from "{origin}" is allowed by that gateway')
def step_keyed_origin(context: Context, origin: str) -> None:
    """The preflight (which carries no key, as browsers send none) echoes the configured origin."""
    assert_that(_preflight(context.keyed_http, origin), equal_to(origin), f"preflight from {origin}")


@given("a gateway whose store sits in a sandbox directory, its listing and files noted")
def step_sandboxed_gateway(context: Context) -> None:
    """A gateway on a store two levels down a scratch directory, which a name read as a path could reach at most."""
    sandbox = scratch_dir("security-names-", context.add_cleanup)
    gateway = StoreGateway(REPO_ROOT, sandbox / "outer" / "models", context.settings.results_dir / "sandboxed-gateway.log",
                           context.settings.engine)
    http = HttpClient(gateway.url, observer=attach_exchange)
    context.add_cleanup(gateway.stop)
    context.add_cleanup(http.close)
    gateway.start()
    context.sandbox = sandbox
    context.store_gateway = gateway
    context.store_models = ModelsClient(http)
    context.listed_before = context.store_models.listed()
    context.around_store = snapshot(sandbox, leave_out=gateway.models_dir)


@when("a client names a model holding {name} in a request to {endpoint}")
def step_hostile_name(context: Context, name: str, endpoint: str) -> None:
    """A request whose model name is the hostile one; copy and create get it as the name they would write."""
    method, path = split_endpoint(endpoint)
    hostile = HOSTILE_NAMES[name]
    bodies = {
        "/api/copy": {"source": BUNDLED, "destination": hostile},
        "/api/create": {"model": hostile, "from": BUNDLED, "stream": False},
        "/api/chat": {"model": hostile, "messages": [{"role": "user", "content": "hi"}], "stream": False},
        "/api/embed": {"model": hostile, "input": "hi"},
        "/api/pull": {"model": hostile, "stream": False},
    }
    body = bodies.get(path, {"model": hostile, "prompt": "hi", "stream": False})
    context.response = context.store_models.http.send(method, path, json_body=body)


@then("nothing was written in the sandbox outside the store")
def step_nothing_outside(context: Context) -> None:
    """Every file and directory beside and above the store is as it was before the request."""
    after = snapshot(context.sandbox, leave_out=context.store_gateway.models_dir)
    response: Exchange = context.response
    assert_that(changes(context.around_store, after), empty(), f"outside the store in {context.sandbox}\n{response.describe()}")


@then("the installed models are as noted")
def step_models_unchanged(context: Context) -> None:
    """/api/tags lists exactly what it listed before."""
    response = context.ollama.tags()
    listed = sorted(str(model["name"]) for model in response.json()["models"])
    assert_that(listed, equal_to(context.noted_models), response.describe())


@then("every line the gateway logged for it is one whole record, and none is the forged one")
def step_log_not_forged(context: Context) -> None:
    """No line of the log starts with the forged text; the access entry shows the newline escaped."""
    lines = context.stack.log_path.read_text(errors="replace").splitlines()
    forged = [line for line in lines if line.startswith(FORGED_PREFIX)]
    assert_that(forged, empty(), "log lines forged by a model name")
    escaped = [line for line in lines if "x\\n2026-01-01" in line and "stack.gateway.access" in line]
    assert_that(len(escaped), greater_than(0), "the request's access entry, its newline escaped")

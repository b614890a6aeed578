"""Steps about any HTTP response: status, content type, error bodies, raw requests.

Example:
    When a client sends an unknown model to POST /api/chat
    Then the response status is 404
    And the error message is "model 'no-such-model' not found"
"""

from __future__ import annotations

import json

from behave import then, when
from behave.runner import Context
from hamcrest import assert_that, empty, equal_to, greater_than, starts_with

from support.bad_requests import bad_request_body, split_endpoint
from support.embedding_models import model_for_endpoint
from support.http import Exchange, HttpClient
from support.shapes import ERROR, OPENAI_ERROR, shape_problems

OPENAI_PREFIX = "/v1"


def _client_for(context: Context, path: str) -> tuple[HttpClient, str]:
    # /v1 paths go to the OpenAI base URL, which may be a different host on an external stack.
    if path.startswith(f"{OPENAI_PREFIX}/"):
        return context.openai.http, path.removeprefix(OPENAI_PREFIX)
    return context.ollama.http, path


def _send(context: Context, endpoint: str, body: bytes | None) -> Exchange:
    method, path = split_endpoint(endpoint)
    http, relative = _client_for(context, path)
    headers = {"Content-Type": "application/json"} if body is not None else {}
    return http.send(method, relative, content=body, headers=headers)


@when("a client sends {request} to {endpoint}")
def step_send_bad_request(context: Context, request: str, endpoint: str) -> None:
    """Send the named bad request, built for the model under test (the embedding model on an embedding endpoint)."""
    model = model_for_endpoint(endpoint, context.settings.model, context.settings.embedding_model)
    context.response = _send(context, endpoint, bad_request_body(request, model))


@when("a client calls {endpoint} with a well-formed request")
def step_send_valid_request(context: Context, endpoint: str) -> None:
    """Send a well-formed body (none for GET) to a method and path."""
    method, _ = split_endpoint(endpoint)
    body = None if method in ("GET", "HEAD") else b'{"model": "%s"}' % context.settings.model.encode()
    context.response = _send(context, endpoint, body)


@then("the response status is {status:d}")
def step_status(context: Context, status: int) -> None:
    """Compare the HTTP status."""
    response: Exchange = context.response
    assert_that(response.status, equal_to(status), response.describe())


@then('the response is the plain text "{text}"')
def step_plain_text(context: Context, text: str) -> None:
    """The body is exactly the text, sent as text/plain."""
    response: Exchange = context.response
    assert_that(response.content_type, starts_with("text/plain"), response.describe())
    assert_that(response.text, equal_to(text), response.describe())


@then("the response has no body")
def step_no_body(context: Context) -> None:
    """The body is empty."""
    response: Exchange = context.response
    assert_that(response.body, equal_to(b""), response.describe())


@then('the response is JSON sent as "{content_type}"')
def step_json_content_type(context: Context, content_type: str) -> None:
    """The Content-Type is exactly the one given and the body parses as JSON."""
    response: Exchange = context.response
    assert_that(response.content_type, equal_to(content_type), response.describe())
    response.json()


@then('the response is sent as "{content_type}"')
def step_content_type(context: Context, content_type: str) -> None:
    """The Content-Type, without parameters, is the one given."""
    response: Exchange = context.response
    media_type = response.content_type.split(";")[0].strip()
    assert_that(media_type, equal_to(content_type), response.describe())


@then('the error message is "{message}"')
def step_error_message(context: Context, message: str) -> None:
    """The body is Ollama's error object with exactly this message."""
    response: Exchange = context.response
    assert_that(response.content_type, starts_with("application/json"), response.describe())
    body = response.json()
    assert_that(shape_problems(body, ERROR), empty(), response.describe())
    assert_that(body["error"], equal_to(message), response.describe())


@then('the error message starts with "{prefix}"')
def step_error_message_prefix(context: Context, prefix: str) -> None:
    """The JSON error's message begins with the given text (the rest may quote the request as sent)."""
    response: Exchange = context.response
    assert_that(shape_problems(response.json(), ERROR), empty(), response.describe())
    assert_that(response.json()["error"], starts_with(prefix), response.describe())


@then("the response carries an error message")
def step_some_error_message(context: Context) -> None:
    """The body is Ollama's error object with a non-empty message."""
    response: Exchange = context.response
    body = response.json()
    assert_that(shape_problems(body, ERROR), empty(), response.describe())
    assert_that(len(body["error"]), greater_than(0), response.describe())


@then('the response is an OpenAI error of type "{kind}" saying "{message}"')
def step_openai_error(context: Context, kind: str, message: str) -> None:
    """The body is OpenAI's error envelope with this type and message."""
    response: Exchange = context.response
    body = response.json()
    assert_that(shape_problems(body, OPENAI_ERROR), empty(), response.describe())
    assert_that(body["error"]["type"], equal_to(kind), response.describe())
    assert_that(body["error"]["message"], equal_to(message), response.describe())


@then("the model name is echoed exactly as the client sent it")
def step_model_echoed(context: Context) -> None:
    """The response names the model with the very string the request used."""
    response: Exchange = context.response
    sent = json.loads(response.request.body)["model"]
    assert_that(response.json().get("model"), equal_to(sent), response.describe())

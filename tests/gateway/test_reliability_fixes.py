"""Gateway behaviour the reliability features found or rely on: checked in-process, without a model."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from starlette.routing import Route
from starlette.testclient import TestClient

from stack.gateway.app import create_app
from stack.gateway.logs import OneLineFormatter
from stack.gateway.names import parse_name
from stack.gateway.openapi import SOURCE
from stack.gateway.settings import Settings
from support.reliability.description import operations
from support.reliability.fuzzing import Answer, Budget, fuzz


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    """The real application on an empty store: every inference request stops at the model lookup."""
    app = create_app(Settings(models_dir=tmp_path, bundled=frozenset()))
    with TestClient(app, base_url="http://127.0.0.1", raise_server_exceptions=False) as session:
        yield session


def test_json_nested_past_any_decoder_depth_is_a_400_not_a_500(client: TestClient) -> None:
    deep = b'{"model": "m", "options": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"
    for path in ("/api/chat", "/api/show", "/v1/chat/completions"):
        response = client.post(path, content=deep)
        assert response.status_code == 400, (path, response.text)
        assert "exceeded max depth" in response.text


def test_the_description_is_served_and_names_every_route_the_gateway_has(client: TestClient) -> None:
    served = client.get("/api/openapi.json")
    assert served.status_code == 200 and served.json() == yaml.safe_load(SOURCE.read_text())
    described = {operation.name for operation in operations(served.json())}
    routed = {f"{method} {route.path}" for route in client.app.routes if isinstance(route, Route)  # type: ignore[attr-defined]
              for method in (route.methods or ()) if method != "HEAD" or route.path.startswith("/api/blobs")}
    assert described == routed


def test_a_log_message_cannot_forge_a_line() -> None:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(OneLineFormatter("%(levelname)s %(message)s"))
    logger = logging.getLogger("test.forge")
    logger.addHandler(handler)
    try:
        logger.warning("model %s not found", "x\nINFO forged\r\x1b[2J")
        try:
            raise ValueError("boom")
        except ValueError:
            logger.exception("failed on %s", "/api/x\ny")
    finally:
        logger.removeHandler(handler)
    lines = stream.getvalue().splitlines()
    assert lines[0] == "WARNING model x\\nINFO forged\\r\\x1b[2J not found"
    assert lines[1] == "ERROR failed on /api/x\\ny" and lines[2].startswith("Traceback")


def test_generated_requests_to_every_operation_get_well_formed_answers(client: TestClient) -> None:
    """The fuzzer against the real application in-process: a fast version of fuzzing.feature, with no model."""

    def send(method: str, path: str, body: bytes | None) -> Answer:
        response = client.request(method, path, content=body)
        return Answer(method, path, response.status_code, response.headers.get("content-type", ""), response.content)

    spec = client.get("/api/openapi.json").json()
    run = fuzz(send, operations(spec), "absent-model:latest", Budget(examples=25, seconds=60, request_timeout_s=10))
    assert run.violations == [], run.violations


@pytest.mark.parametrize("name", ["smollm2\n:135m", "smollm2:135m\n", "library\n/smollm2", "smollm2\x00:135m", "\x1b[31mred"])
def test_a_model_name_with_a_control_character_is_invalid(name: str) -> None:
    # `$` in a Python pattern also matches before a final newline; names become paths in the store.
    assert parse_name(name) is None


def test_middleware_refusals_under_v1_use_openai_envelope(tmp_path: Path) -> None:
    app = create_app(Settings(models_dir=tmp_path, bundled=frozenset(), api_key="k", max_body_bytes=10))
    with TestClient(app, base_url="http://127.0.0.1") as session:
        unauthorized = session.post("/v1/chat/completions", content=b"{}")
        too_large = session.post("/v1/chat/completions", content=b"{" + b" " * 20 + b"}", headers={"Authorization": "Bearer k"})
        native = session.post("/api/chat", content=b"{" + b" " * 20 + b"}", headers={"Authorization": "Bearer k"})
    assert unauthorized.status_code == 401 and unauthorized.json()["error"]["type"] == "api_error"
    assert too_large.status_code == 413 and too_large.json()["error"]["message"].startswith("request body too large")
    assert native.status_code == 413 and native.json()["error"].startswith("request body too large")


def test_a_lone_surrogate_escape_is_decoded_as_a_replacement_character(client: TestClient) -> None:
    # Valid JSON that no UTF-8 can carry: the error echoing the name once failed to encode, a 500.
    copied = client.post("/api/copy", content=b'{"source": "m\\ud96f", "destination": "y"}')
    assert copied.status_code == 400 and "m\ufffd" in copied.json()["error"]
    shown = client.post("/v1/chat/completions", content=b'{"model": "\\udc00", "messages": []}')
    assert shown.status_code < 500, shown.text

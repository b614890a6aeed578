"""Host check, CORS, the body limit, the API key, and the access log, on the real gateway."""

from __future__ import annotations

import json
import time
from pathlib import Path

import httpx
import pytest
from starlette.testclient import TestClient

from stack.gateway.app import create_app
from stack.gateway.settings import Settings

from .conftest import GatewayProcess


@pytest.mark.slow
def test_cors_allows_local_and_configured_origins_only(gateway: GatewayProcess) -> None:
    def preflight(origin: str) -> httpx.Response:
        return httpx.options(gateway.url + "/api/chat", headers={"Origin": origin, "Access-Control-Request-Method": "POST"})

    assert preflight("http://localhost:3000").headers.get("access-control-allow-origin") == "http://localhost:3000"
    assert preflight("http://trusted.example").headers.get("access-control-allow-origin") == "http://trusted.example"
    assert preflight("vscode-webview://abc").headers.get("access-control-allow-origin") == "vscode-webview://abc"
    assert "access-control-allow-origin" not in preflight("http://evil.example").headers


@pytest.mark.slow
def test_an_oversized_body_gets_413_and_the_gateway_keeps_serving(gateway: GatewayProcess) -> None:
    response = httpx.post(gateway.url + "/api/generate", content=b'{"model":"smollm2","prompt":"' + b"x" * 2_000_000 + b'"}')
    assert response.status_code == 413 and "too large" in response.json()["error"]
    assert httpx.get(gateway.url + "/api/version").status_code == 200


@pytest.mark.slow
def test_every_request_writes_one_json_access_line(gateway: GatewayProcess) -> None:
    httpx.post(gateway.url + "/api/show", json={"model": "smollm2:135m"})

    def last_entry() -> dict[str, object]:
        lines = [line for line in gateway.log_path.read_text().splitlines() if "stack.gateway.access" in line]
        entry: dict[str, object] = json.loads(lines[-1].split("stack.gateway.access ", 1)[1])
        return entry

    # The line is written once the response has gone, so it may land a moment after the client has its answer.
    deadline = time.monotonic() + 5
    while last_entry()["path"] != "/api/show" and time.monotonic() < deadline:
        time.sleep(0.05)
    entry = last_entry()
    assert entry["path"] == "/api/show" and entry["model"] == "smollm2:135m" and entry["status"] == 200 and "duration_ms" in entry


def test_listening_beyond_loopback_needs_an_api_key(tmp_path: Path) -> None:
    with pytest.raises(SystemExit):
        create_app(Settings(host="0.0.0.0", models_dir=tmp_path))


def test_an_api_key_guards_every_route_but_liveness(tmp_path: Path) -> None:
    app = create_app(Settings(host="0.0.0.0", models_dir=tmp_path, api_key="s3cret"))
    with TestClient(app, base_url="http://127.0.0.1") as client:
        assert client.get("/").status_code == 200
        assert client.get("/api/tags").status_code == 401
        assert client.get("/api/tags", headers={"Authorization": "Bearer s3cret"}).status_code == 200

"""Ollama's model-management requests, as `ollama create/cp/rm/pull/push` send them."""

from __future__ import annotations

from typing import Any

from support.http import Exchange, HttpClient


class ModelsClient:
    """The native model-management endpoints of one gateway, each exchange recorded by its HttpClient."""

    def __init__(self, http: HttpClient) -> None:
        self.http = http

    @property
    def url(self) -> str:
        """The gateway's base URL."""
        return self.http.base_url

    def has_blob(self, digest: str) -> Exchange:
        """HEAD /api/blobs/<digest>."""
        return self.http.send("HEAD", f"/api/blobs/{digest}")

    def upload_bytes(self, digest: str, content: bytes) -> Exchange:
        """POST /api/blobs/<digest> with a small body."""
        return self.http.send("POST", f"/api/blobs/{digest}", content=content)

    def create(self, body: dict[str, Any]) -> Exchange:
        """POST /api/create."""
        return self.http.post("/api/create", body)

    def copy(self, source: str, destination: str) -> Exchange:
        """POST /api/copy."""
        return self.http.post("/api/copy", {"source": source, "destination": destination})

    def delete(self, body: dict[str, Any]) -> Exchange:
        """DELETE /api/delete with a JSON body, as Ollama takes it."""
        return self.http.send("DELETE", "/api/delete", json_body=body)

    def pull(self, model: str, insecure: bool = True, stream: bool = True) -> Exchange:
        """POST /api/pull."""
        return self.http.post("/api/pull", {"model": model, "insecure": insecure, "stream": stream})

    def push(self, model: str, insecure: bool = True, stream: bool = True) -> Exchange:
        """POST /api/push."""
        return self.http.post("/api/push", {"model": model, "insecure": insecure, "stream": stream})

    def tags(self) -> Exchange:
        """GET /api/tags."""
        return self.http.get("/api/tags")

    def listed(self) -> dict[str, str]:
        """Every listed model's name and digest."""
        exchange = self.tags()
        if exchange.status != 200:
            raise AssertionError(f"/api/tags failed: {exchange.describe()}")
        return {str(m["name"]): str(m["digest"]) for m in exchange.json().get("models", [])}

    def show(self, model: str) -> Exchange:
        """POST /api/show."""
        return self.http.post("/api/show", {"model": model})

    def ps(self) -> Exchange:
        """GET /api/ps."""
        return self.http.get("/api/ps")

    def chat(self, model: str, content: str, num_predict: int = 4, **extra: Any) -> Exchange:
        """A short, deterministic, non-streamed chat."""
        body = {"model": model, "messages": [{"role": "user", "content": content}], "stream": False,
                "options": {"temperature": 0, "num_predict": num_predict}, **extra}
        return self.http.post("/api/chat", body)

"""What a well-behaved gateway answers to any request, good or bad: pure checks over one exchange.

Ollama answers a client's mistake with a 4xx and `{"error": "..."}` (OpenAI's envelope under /v1). A 5xx is
acceptable only where Ollama documents one: a wrongly typed option, an invalid format, a failed runner, a full
queue, an unreachable registry. Anything else is a bug the client cannot act on.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

DOCUMENTED_5XX = {
    500: (
        "option ",  # option "x" must be of type ...
        "invalid format:",
        "an error was encountered while running the model",
        "llama-server process has terminated",
        "timed out waiting for llama-server to start",
        "model runner has unexpectedly stopped",
        "pull model manifest",
        "max retries exceeded",
    ),
    501: ("",),  # an engine that cannot embed says so
    503: ("server busy, please try again.  maximum pending requests exceeded",),
}
"""Ollama's 5xx answers by status, as the starts of their texts."""

PLAIN_TEXT_ERRORS = {404: "404 page not found", 405: "405 method not allowed"}
"""gin's own answers for an unknown path or a wrong method: plain text, as Ollama sends them."""


@dataclass(frozen=True)
class Answer:
    """One response as the checks see it: enough to judge, nothing tied to an HTTP library."""

    method: str
    path: str
    status: int
    content_type: str
    body: bytes


def error_text(answer: Answer) -> str | None:
    """The error message of a JSON error body in either API's shape, or None when the body is not one."""
    try:
        # Only "\n" ends a line of NDJSON; str.splitlines would also split at U+0085 or U+2028 inside a message.
        payload = json.loads(answer.body.decode("utf-8").split("\n")[0] if answer.body.strip() else "")
    except (ValueError, IndexError, UnicodeDecodeError):
        return None
    if not isinstance(payload, dict):
        return None
    error = payload.get("error")
    if answer.path.startswith("/v1/"):
        if isinstance(error, dict) and isinstance(error.get("message"), str) and isinstance(error.get("type"), str):
            return str(error["message"])
        return None
    return error if isinstance(error, str) else None


def violation(answer: Answer) -> str | None:
    """Why the answer is not one a well-behaved gateway gives, or None when it is."""
    status = answer.status
    if status < 400:
        return _stream_violation(answer)
    if answer.method == "HEAD":
        # A HEAD answer has no body to judge; only its status can be wrong.
        return f"HEAD answered {status}" if status >= 500 else None
    if status in PLAIN_TEXT_ERRORS and answer.body.decode("utf-8", "replace").strip() == PLAIN_TEXT_ERRORS[status]:
        return None
    if status in (401, 403, 413) and (not answer.body or error_text(answer) is not None):
        return None
    message = error_text(answer)
    if message is None:
        return f"{status} without a well-formed error body: {answer.body[:200]!r}"
    if not message:
        return f"{status} with an empty error message"
    if status >= 500:
        allowed = DOCUMENTED_5XX.get(status)
        if allowed is None or not message.startswith(allowed):
            return f"{status} {message!r} is not one of Ollama's documented server errors"
    return None


def _stream_violation(answer: Answer) -> str | None:
    """An NDJSON stream is one JSON object per line, an error included."""
    if "ndjson" not in answer.content_type:
        return None
    for number, line in enumerate(answer.body.decode("utf-8", "replace").split("\n"), start=1):
        try:
            if line.strip() and not isinstance(json.loads(line), dict):
                raise ValueError(line)
        except ValueError:
            return f"line {number} of the stream is not a JSON object: {line[:200]!r}"
    return None

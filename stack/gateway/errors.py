"""Errors the gateway answers with, carrying Ollama's status and text."""

from __future__ import annotations


class GatewayError(Exception):
    """A request failed with an HTTP status and a message as Ollama words it."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def bad_request(message: str) -> GatewayError:
    return GatewayError(400, message)


def not_found(message: str) -> GatewayError:
    return GatewayError(404, message)


SERVER_BUSY = "server busy, please try again.  maximum pending requests exceeded"
"""Ollama's 503 text when the queue is full (two spaces, as Ollama writes it)."""

REQUEST_CANCELED = "request canceled"

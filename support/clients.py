"""The official ollama and openai Python clients, wired to record their HTTP exchanges."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx2
import ollama
import openai

from support.http import Exchange, ExchangeObserver, Request

# The local API takes no key, but the openai client refuses to start without one.
PLACEHOLDER_API_KEY = "not-needed"

ResponseHook = Callable[[Any], None]


def recording_hook(observer: ExchangeObserver) -> ResponseHook:
    """An httpx/httpx2 response hook that reads each body and hands the exchange to the observer.

    ollama uses httpx and openai uses httpx2; both call response hooks with objects of the same
    interface. Reading the body here buffers a stream, so arrival times are lost, but the client
    still parses the same bytes.
    """

    def hook(response: Any) -> None:
        response.read()
        request = response.request
        sent = Request(request.method, str(request.url), dict(request.headers), request.content)
        headers = {k.lower(): v for k, v in response.headers.items()}
        observer(Exchange(sent, response.status_code, headers, response.content, response.elapsed.total_seconds()))

    return hook


def ollama_client(url: str, observer: ExchangeObserver) -> ollama.Client:
    """An ``ollama.Client`` for the target whose exchanges go to the observer."""
    return ollama.Client(host=url, event_hooks={"response": [recording_hook(observer)]})


def openai_client(url: str, observer: ExchangeObserver) -> openai.OpenAI:
    """An ``openai.OpenAI`` client for the target whose exchanges go to the observer."""
    return openai.OpenAI(
        base_url=url,
        api_key=PLACEHOLDER_API_KEY,
        max_retries=0,
        http_client=httpx2.Client(event_hooks={"response": [recording_hook(observer)]}),
    )


def status_of(error: BaseException) -> int | None:
    """The HTTP status a client error carries, whichever client raised it."""
    if isinstance(error, ollama.ResponseError):
        return error.status_code
    if isinstance(error, openai.APIStatusError):
        return error.status_code
    return None


def answer_text(parts: list[Any]) -> str:
    """The text of an answer as either client returned it: whole or in streamed parts, chat or completion."""
    pieces = []
    for part in parts:
        if isinstance(part, (ollama.ChatResponse, ollama.GenerateResponse)):
            pieces.append((part.message.content if isinstance(part, ollama.ChatResponse) else part.response) or "")
            continue
        for choice in part.choices:
            message = getattr(choice, "message", None) or getattr(choice, "delta", None)
            pieces.append((message.content if message is not None else choice.text) or "")
    return "".join(pieces)

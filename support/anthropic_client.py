"""The official anthropic Python client, wired to record its HTTP exchanges like the other clients."""

from __future__ import annotations

from typing import Any

import anthropic
import httpx2

from support.clients import PLACEHOLDER_API_KEY, recording_hook
from support.http import ExchangeObserver


def anthropic_client(url: str, observer: ExchangeObserver) -> anthropic.Anthropic:
    """An ``anthropic.Anthropic`` client for the target (its root URL: the SDK adds /v1/messages)."""
    return anthropic.Anthropic(
        base_url=url,
        api_key=PLACEHOLDER_API_KEY,
        max_retries=0,
        http_client=httpx2.Client(event_hooks={"response": [recording_hook(observer)]}),
    )


def anthropic_status(error: BaseException) -> int | None:
    """The HTTP status an anthropic client error carries."""
    return error.status_code if isinstance(error, anthropic.APIStatusError) else None


def message_text(message: Any) -> str:
    """The text of every text block of a parsed Message."""
    return "".join(block.text for block in message.content if getattr(block, "type", "") == "text")

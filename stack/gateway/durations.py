"""keep_alive values as Ollama decodes them: Go durations, numbers of seconds, negative for ever."""

from __future__ import annotations

import math
import re

from .errors import bad_request

FOREVER = math.inf

_UNITS = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "μs": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}
_TERM = re.compile(r"(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)")


def parse_go_duration(text: str) -> float:
    """Seconds in a Go duration string such as `5m`, `1h30m`, `-1s` or `0`; ValueError names Go's complaint."""
    original = text
    sign = 1.0
    if text and text[0] in "+-":
        sign = -1.0 if text[0] == "-" else 1.0
        text = text[1:]
    if text == "0":
        return 0.0
    if not text:
        raise ValueError(f'time: invalid duration "{original}"')
    total, position = 0.0, 0
    while position < len(text):
        match = _TERM.match(text, position)
        if match is None:
            if re.fullmatch(r"\d+(\.\d*)?", text[position:]):
                raise ValueError(f'time: missing unit in duration "{original}"')
            raise ValueError(f'time: invalid duration "{original}"')
        total += float(match.group(1)) * _UNITS[match.group(2)]
        position = match.end()
    return sign * total


def parse_keep_alive(value: object) -> float | None:
    """Seconds to keep a model loaded: None when absent, FOREVER when negative; a bad value is a 400."""
    if value is None:
        return None
    if isinstance(value, bool):
        raise bad_request(f"Unsupported type: '{type(value).__name__}'")
    if isinstance(value, (int, float)):
        seconds = float(value)
    elif isinstance(value, str):
        try:
            seconds = parse_go_duration(value)
        except ValueError as error:
            raise bad_request(str(error)) from None
    else:
        raise bad_request(f"Unsupported type: '{type(value).__name__}'")
    return FOREVER if seconds < 0 else seconds


def parse_keep_alive_env(value: str) -> float:
    """OLLAMA_KEEP_ALIVE also accepts a plain number of seconds, unlike the request field."""
    try:
        seconds = float(value)
    except ValueError:
        seconds = parse_go_duration(value)
    return FOREVER if seconds < 0 else seconds


def parse_load_timeout_env(value: str) -> float:
    """OLLAMA_LOAD_TIMEOUT: a duration or seconds; 0 or negative means no limit, given here as 0."""
    seconds = parse_keep_alive_env(value)
    return 0.0 if seconds <= 0 or seconds == FOREVER else seconds

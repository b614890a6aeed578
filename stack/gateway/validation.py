"""Request bodies decoded the way Ollama's Go structs decode them, with Go's error texts."""

from __future__ import annotations

import json
import re
from typing import Any

from .errors import bad_request

_JSON_KINDS = ((bool, "bool"), (int, "number"), (float, "number"), (str, "string"), (list, "array"), (dict, "object"))
_PYTHON_TYPES: dict[str, tuple[type, ...]] = {
    "string": (str,),
    "bool": (bool,),
    "int": (int,),
    "float64": (int, float),
    "float32": (int, float),
    "[]int": (list,),
    "[]string": (list,),
    "[]api.Message": (list,),
    "[]api.Tool": (list,),
    "map[string]interface {}": (dict,),
    "api.ImageData": (str,),
}


MAX_DEPTH = "exceeded max depth"


def decode_body(raw: bytes) -> dict[str, Any]:
    """The first JSON value of the body; an empty body is Ollama's `missing request body`."""
    if not raw.strip():
        raise bad_request("missing request body")
    try:
        value, _ = json.JSONDecoder().raw_decode(raw.decode("utf-8").lstrip())
    except UnicodeDecodeError:
        raise bad_request("invalid character looking for beginning of value") from None
    except RecursionError:
        # Python's decoder recurses per level; Go's stops at 10000 levels with this text. Either way, a 400.
        raise bad_request(MAX_DEPTH) from None
    except json.JSONDecodeError as error:
        raise bad_request(_go_syntax_error(raw, error)) from None
    if not isinstance(value, dict):
        raise bad_request(f"json: cannot unmarshal {_kind(value)} into Go value of type api.Request")
    if b"\\u" in raw:
        # A lone surrogate escape is valid JSON but no UTF-8 can carry it; Go decodes it as U+FFFD, and so do we.
        return _without_surrogates(value)
    return value


_SURROGATE = re.compile("[\ud800-\udfff]")


def _without_surrogates(value: Any) -> Any:
    if isinstance(value, str):
        return _SURROGATE.sub("\ufffd", value)
    if isinstance(value, list):
        return [_without_surrogates(item) for item in value]
    if isinstance(value, dict):
        return {_without_surrogates(key): _without_surrogates(item) for key, item in value.items()}
    return value


def _go_syntax_error(raw: bytes, error: json.JSONDecodeError) -> str:
    text = raw.decode("utf-8", errors="replace").lstrip()
    if error.pos >= len(text):
        return "unexpected EOF"
    return f"invalid character {text[error.pos]!r} looking for beginning of value"


def _kind(value: object) -> str:
    if value is None:
        return "null"
    for python_type, name in _JSON_KINDS:
        if isinstance(value, python_type):
            return name
    return "value"


def typed(body: dict[str, Any], struct: str, field: str, go_type: str) -> Any:
    """A field checked against its Go type; `null` counts as absent, as in Go."""
    value = body.get(field)
    if value is None:
        return None
    allowed = _PYTHON_TYPES[go_type]
    wrong = isinstance(value, bool) and bool not in allowed
    if wrong or not isinstance(value, allowed):
        raise bad_request(f"json: cannot unmarshal {_kind(value)} into Go struct field {struct}.{field} of type {go_type}")
    if go_type == "int" and isinstance(value, float):
        raise bad_request(f"json: cannot unmarshal number {value} into Go struct field {struct}.{field} of type int")
    return value

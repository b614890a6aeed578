"""Ollama's and OpenAI's response shapes as data, and the checks that apply them.

The shapes follow Ollama v0.33 (see shared/reference/ollama-api.md): which fields a client can rely
on, which Ollama omits when empty (Go ``omitempty``), and which must never appear. Every check returns
a list of human-readable problems; an empty list means the document conforms.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from enum import Enum
from typing import Any, TypeGuard

RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$")
HEX_DIGEST = re.compile(r"^[0-9a-f]{64}$")
NUMERIC_VERSION = re.compile(r"^\d+(\.\d+)*$")
# Copilot's BYOK Ollama provider refuses servers older than this.
MINIMUM_OLLAMA_VERSION = (0, 6, 4)


def _is_int(value: Any) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


class Kind(Enum):
    """The JSON types a field may take, with the formats Ollama guarantees."""

    STRING = ("a string", lambda v: isinstance(v, str))
    INTEGER = ("an integer", _is_int)
    NUMBER = ("a number", _is_number)
    BOOLEAN = ("a boolean", lambda v: isinstance(v, bool))
    OBJECT = ("an object", lambda v: isinstance(v, dict))
    ARRAY = ("an array", lambda v: isinstance(v, list))
    ARRAY_OR_NULL = ("an array or null", lambda v: v is None or isinstance(v, list))
    NULL = ("null", lambda v: v is None)
    STRING_OR_NULL = ("a string or null", lambda v: v is None or isinstance(v, str))
    STRINGS = (
        "an array of strings",
        lambda v: isinstance(v, list) and all(isinstance(i, str) for i in v),
    )
    STRINGS_OR_NULL = (
        "an array of strings or null",
        lambda v: v is None or (isinstance(v, list) and all(isinstance(i, str) for i in v)),
    )
    TOKEN_IDS = (
        "an array of integer token ids",
        lambda v: isinstance(v, list) and all(_is_int(i) for i in v),
    )
    VECTOR = (
        "an array of numbers",
        lambda v: isinstance(v, list) and all(_is_number(i) for i in v),
    )
    VECTORS = (
        "an array of arrays of numbers",
        lambda v: isinstance(v, list) and all(isinstance(i, list) and all(_is_number(x) for x in i) for i in v),
    )
    TIMESTAMP = (
        "an RFC 3339 timestamp",
        lambda v: isinstance(v, str) and RFC3339.match(v) is not None,
    )
    UTC_TIMESTAMP = (
        "an RFC 3339 timestamp in UTC (ending in Z)",
        lambda v: isinstance(v, str) and RFC3339.match(v) is not None and v.endswith("Z"),
    )
    DIGEST = (
        "a 64-hex digest without a sha256: prefix",
        lambda v: isinstance(v, str) and HEX_DIGEST.match(v) is not None,
    )
    NANOSECONDS = ("a non-negative integer of nanoseconds", lambda v: _is_int(v) and v >= 0)

    def __init__(self, label: str, accepts: Callable[[Any], bool]) -> None:
        self.label = label
        self.accepts = accepts


class Presence(Enum):
    """How Ollama serialises a field."""

    REQUIRED = "always present"
    # Go's omitempty: absent when empty, so "", 0, false, [] and {} must never be sent.
    OMITEMPTY = "omitted when empty"
    OPTIONAL = "may be absent"
    ABSENT = "never present"


@dataclass(frozen=True)
class Field:
    """One field of a shape; ``path`` is dotted, with ``[]`` for every element of an array."""

    path: str
    kind: Kind
    presence: Presence = Presence.REQUIRED
    const: str | None = None


@dataclass(frozen=True)
class Shape:
    """A named list of fields."""

    name: str
    fields: tuple[Field, ...]

    def extended(self, name: str, *fields: Field) -> Shape:
        """A copy with some fields added or replaced by path."""
        replaced = {f.path for f in fields}
        kept = tuple(f for f in self.fields if f.path not in replaced)
        return Shape(name, kept + fields)


_MISSING = object()


def _resolve(document: Any, path: str) -> Iterator[tuple[str, Any]]:
    """Every concrete (path, value) the pattern names; ``_MISSING`` where the last key is absent."""
    segments = path.split(".")

    def walk(value: Any, index: int, prefix: str) -> Iterator[tuple[str, Any]]:
        if index == len(segments):
            yield prefix, value
            return
        segment = segments[index]
        is_array = segment.endswith("[]")
        key = segment.removesuffix("[]")
        if not isinstance(value, dict):
            return
        here = f"{prefix}.{key}" if prefix else key
        if key not in value:
            if index == len(segments) - 1:
                yield here, _MISSING
            return
        child = value[key]
        if not is_array:
            yield from walk(child, index + 1, here)
            return
        if isinstance(child, list):
            for position, item in enumerate(child):
                yield from walk(item, index + 1, f"{here}[{position}]")

    yield from walk(document, 0, "")


def _is_empty(value: Any) -> bool:
    return value in ("", 0, False, None) or value == [] or value == {}


def shape_problems(document: Any, shape: Shape) -> list[str]:
    """Every way the document differs from the shape."""
    if not isinstance(document, dict):
        return [f"{shape.name}: expected a JSON object, got {type(document).__name__}"]
    problems: list[str] = []
    for spec in shape.fields:
        for path, value in _resolve(document, spec.path):
            if value is _MISSING:
                if spec.presence is Presence.REQUIRED:
                    problems.append(f"{shape.name}: {path} is missing ({spec.kind.label} expected)")
                continue
            if spec.presence is Presence.ABSENT:
                problems.append(f"{shape.name}: {path} must not be present, got {value!r:.80}")
                continue
            if spec.presence is Presence.OMITEMPTY and _is_empty(value):
                problems.append(f"{shape.name}: {path} is {value!r} but Ollama omits it when empty")
                continue
            if not spec.kind.accepts(value):
                problems.append(f"{shape.name}: {path} should be {spec.kind.label}, got {value!r:.80}")
                continue
            if spec.const is not None and value != spec.const:
                problems.append(f"{shape.name}: {path} should be {spec.const!r}, got {value!r:.80}")
    return problems


def version_problems(version: Any, minimum: Sequence[int] = MINIMUM_OLLAMA_VERSION) -> list[str]:
    """Whether clients that parse the version (Copilot, Open WebUI) accept it."""
    if not isinstance(version, str) or NUMERIC_VERSION.match(version) is None:
        return [f"version {version!r} is not purely numeric dotted parts"]
    parts = tuple(int(p) for p in version.split("."))
    if parts < tuple(minimum):
        wanted = ".".join(str(p) for p in minimum)
        return [f"version {version} is below {wanted}, which some clients require"]
    return []


DURATION_FIELDS = ("total_duration", "load_duration", "prompt_eval_duration", "eval_duration")
# Network and parsing overhead the server's own clock cannot see.
_CLOCK_SLACK_NS = 50_000_000


def duration_problems(final: Mapping[str, Any], wall_clock_s: float) -> list[str]:
    """Whether reported durations are nanoseconds consistent with the client's own clock.

    A server that reports seconds (or milliseconds) gives values orders of magnitude below the
    wall-clock time the client measured; one that invents values gives more than it.
    """
    problems: list[str] = []
    wall_ns = int(wall_clock_s * 1e9)
    for name in DURATION_FIELDS:
        value = final.get(name)
        if value is None:
            continue
        if not _is_int(value):
            problems.append(f"{name} should be integer nanoseconds, got {value!r}")
            continue
        if value > wall_ns + _CLOCK_SLACK_NS:
            problems.append(f"{name}={value} ns is longer than the {wall_ns} ns the client waited")
    total = final.get("total_duration")
    if not _is_int(total):
        return problems
    if total * 100 < wall_ns:
        problems.append(f"total_duration={total} is under 1% of the {wall_ns} ns the client waited: not nanoseconds")
    parts = [final.get(n) for n in ("prompt_eval_duration", "eval_duration")]
    if all(_is_int(p) for p in parts if p is not None):
        spent = sum(p for p in parts if p is not None)
        if spent > total + _CLOCK_SLACK_NS:
            problems.append(f"prompt_eval_duration + eval_duration = {spent} exceeds total_duration={total}")
    return problems


R = Presence.REQUIRED
OE = Presence.OMITEMPTY
OPT = Presence.OPTIONAL
ABSENT = Presence.ABSENT

ERROR = Shape("error body", (Field("error", Kind.STRING),))
VERSION = Shape("version", (Field("version", Kind.STRING),))

_DETAILS = (
    Field("details", Kind.OBJECT),
    Field("details.parent_model", Kind.STRING),
    Field("details.format", Kind.STRING),
    Field("details.family", Kind.STRING),
    Field("details.families", Kind.STRINGS_OR_NULL),
    Field("details.parameter_size", Kind.STRING),
    Field("details.quantization_level", Kind.STRING),
)

TAGS = Shape("tags", (Field("models", Kind.ARRAY),))
TAGS_ENTRY = Shape(
    "tags entry",
    (
        Field("name", Kind.STRING),
        Field("model", Kind.STRING),
        Field("modified_at", Kind.TIMESTAMP),
        Field("size", Kind.INTEGER),
        Field("digest", Kind.DIGEST),
        *_DETAILS,
        Field("capabilities", Kind.STRINGS, OE),
        Field("expires_at", Kind.TIMESTAMP, ABSENT),
    ),
)

SHOW = Shape(
    "show",
    (
        Field("model_info", Kind.OBJECT),
        Field("modified_at", Kind.TIMESTAMP),
        *_DETAILS,
        Field("capabilities", Kind.STRINGS, OE),
        Field("template", Kind.STRING, OE),
        Field("parameters", Kind.STRING, OE),
        Field("modelfile", Kind.STRING, OE),
        Field("license", Kind.STRING, OE),
        Field("system", Kind.STRING, OE),
        Field("tensors", Kind.ARRAY, OE),
    ),
)

PS = Shape("ps", (Field("models", Kind.ARRAY),))
PS_ENTRY = Shape(
    "ps entry",
    (
        Field("name", Kind.STRING),
        Field("model", Kind.STRING),
        Field("size", Kind.INTEGER),
        Field("digest", Kind.DIGEST),
        *_DETAILS,
        Field("expires_at", Kind.TIMESTAMP),
        Field("size_vram", Kind.INTEGER),
        Field("context_length", Kind.INTEGER),
    ),
)

_METRICS_ABSENT = (
    *(Field(name, Kind.NANOSECONDS, ABSENT) for name in DURATION_FIELDS),
    Field("prompt_eval_count", Kind.INTEGER, ABSENT),
    Field("eval_count", Kind.INTEGER, ABSENT),
)
# litellm reads both counts to report usage; the integration tests of Ollama require the rest.
_METRICS_FINAL = (
    Field("total_duration", Kind.NANOSECONDS),
    Field("load_duration", Kind.NANOSECONDS),
    Field("prompt_eval_count", Kind.INTEGER),
    Field("prompt_eval_duration", Kind.NANOSECONDS, OE),
    Field("eval_count", Kind.INTEGER),
    Field("eval_duration", Kind.NANOSECONDS),
)

GENERATE_CHUNK = Shape(
    "generate chunk",
    (
        Field("model", Kind.STRING),
        Field("created_at", Kind.UTC_TIMESTAMP),
        Field("response", Kind.STRING),
        Field("done", Kind.BOOLEAN),
        Field("thinking", Kind.STRING, OE),
        Field("tool_calls", Kind.ARRAY, OE),
        Field("done_reason", Kind.STRING, ABSENT),
        Field("context", Kind.TOKEN_IDS, ABSENT),
        *_METRICS_ABSENT,
    ),
)
GENERATE_FINAL = GENERATE_CHUNK.extended(
    "final generate chunk",
    Field("done_reason", Kind.STRING),
    Field("context", Kind.TOKEN_IDS, OE),
    *_METRICS_FINAL,
)

_TOOL_CALLS = (
    Field("message.tool_calls", Kind.ARRAY, OE),
    Field("message.tool_calls[].function", Kind.OBJECT),
    Field("message.tool_calls[].function.name", Kind.STRING),
    Field("message.tool_calls[].function.index", Kind.INTEGER),
    # ollama-python validates arguments as a dict; a JSON string fails there.
    Field("message.tool_calls[].function.arguments", Kind.OBJECT),
)
CHAT_CHUNK = Shape(
    "chat chunk",
    (
        Field("model", Kind.STRING),
        Field("created_at", Kind.UTC_TIMESTAMP),
        Field("message", Kind.OBJECT),
        Field("message.role", Kind.STRING, const="assistant"),
        Field("message.content", Kind.STRING),
        # litellm drops the content of any chunk whose thinking is not null.
        Field("message.thinking", Kind.STRING, OE),
        Field("message.images", Kind.ARRAY, OE),
        *_TOOL_CALLS,
        Field("done", Kind.BOOLEAN),
        Field("done_reason", Kind.STRING, ABSENT),
        Field("context", Kind.TOKEN_IDS, ABSENT),
        *_METRICS_ABSENT,
    ),
)
CHAT_FINAL = CHAT_CHUNK.extended("final chat chunk", Field("done_reason", Kind.STRING), *_METRICS_FINAL)

# An empty prompt loads the model and keep_alive 0 unloads it: one object, without metrics.
GENERATE_LIFECYCLE = GENERATE_CHUNK.extended("generate load or unload response", Field("done_reason", Kind.STRING))
CHAT_LIFECYCLE = CHAT_CHUNK.extended("chat load or unload response", Field("done_reason", Kind.STRING))

EMBED = Shape(
    "embed",
    (
        Field("model", Kind.STRING),
        Field("embeddings", Kind.VECTORS),
        Field("total_duration", Kind.NANOSECONDS, OE),
        Field("load_duration", Kind.NANOSECONDS, OE),
        Field("prompt_eval_count", Kind.INTEGER, OE),
    ),
)
EMBEDDINGS = Shape("legacy embeddings", (Field("embedding", Kind.VECTOR),))

OPENAI_ERROR = Shape(
    "OpenAI error",
    (
        Field("error", Kind.OBJECT),
        Field("error.message", Kind.STRING),
        Field("error.type", Kind.STRING),
        Field("error.param", Kind.NULL),
        Field("error.code", Kind.NULL),
    ),
)
OPENAI_MODEL = Shape(
    "OpenAI model",
    (
        Field("id", Kind.STRING),
        Field("object", Kind.STRING, const="model"),
        Field("created", Kind.INTEGER),
        Field("owned_by", Kind.STRING),
    ),
)
OPENAI_MODEL_LIST = Shape(
    "OpenAI model list",
    (
        Field("object", Kind.STRING, const="list"),
        # Ollama sends null, not [], when no model is installed.
        Field("data", Kind.ARRAY_OR_NULL),
        Field("data[].id", Kind.STRING),
        Field("data[].object", Kind.STRING, const="model"),
        Field("data[].created", Kind.INTEGER),
        Field("data[].owned_by", Kind.STRING),
    ),
)
_USAGE = (
    Field("usage", Kind.OBJECT),
    Field("usage.prompt_tokens", Kind.INTEGER),
    Field("usage.completion_tokens", Kind.INTEGER),
    Field("usage.total_tokens", Kind.INTEGER),
)
CHAT_COMPLETION = Shape(
    "chat completion",
    (
        Field("id", Kind.STRING),
        Field("object", Kind.STRING, const="chat.completion"),
        Field("created", Kind.INTEGER),
        Field("model", Kind.STRING),
        Field("system_fingerprint", Kind.STRING),
        Field("choices", Kind.ARRAY),
        Field("choices[].index", Kind.INTEGER),
        Field("choices[].message", Kind.OBJECT),
        Field("choices[].message.role", Kind.STRING, const="assistant"),
        Field("choices[].message.content", Kind.STRING),
        # OpenAI clients expect arguments as a JSON string, the opposite of the native API.
        Field("choices[].message.tool_calls[].function.arguments", Kind.STRING),
        Field("choices[].finish_reason", Kind.STRING),
        *_USAGE,
    ),
)
CHAT_COMPLETION_CHUNK = Shape(
    "chat completion chunk",
    (
        Field("id", Kind.STRING),
        Field("object", Kind.STRING, const="chat.completion.chunk"),
        Field("created", Kind.INTEGER),
        Field("model", Kind.STRING),
        Field("system_fingerprint", Kind.STRING),
        Field("choices", Kind.ARRAY),
        Field("choices[].index", Kind.INTEGER),
        Field("choices[].delta", Kind.OBJECT),
        Field("choices[].finish_reason", Kind.STRING_OR_NULL),
        Field("usage", Kind.OBJECT, OPT),
    ),
)
COMPLETION = Shape(
    "completion",
    (
        Field("id", Kind.STRING),
        Field("object", Kind.STRING, const="text_completion"),
        Field("created", Kind.INTEGER),
        Field("model", Kind.STRING),
        Field("system_fingerprint", Kind.STRING),
        Field("choices", Kind.ARRAY),
        Field("choices[].text", Kind.STRING),
        Field("choices[].index", Kind.INTEGER),
        Field("choices[].finish_reason", Kind.STRING_OR_NULL),
        *_USAGE,
    ),
)
COMPLETION_CHUNK = COMPLETION.extended(
    "completion chunk",
    Field("usage", Kind.OBJECT, OPT),
    Field("usage.prompt_tokens", Kind.INTEGER, OPT),
    Field("usage.completion_tokens", Kind.INTEGER, OPT),
    Field("usage.total_tokens", Kind.INTEGER, OPT),
)
EMBEDDING_LIST = Shape(
    "OpenAI embedding list",
    (
        Field("object", Kind.STRING, const="list"),
        Field("data", Kind.ARRAY),
        Field("data[].object", Kind.STRING, const="embedding"),
        Field("data[].embedding", Kind.VECTOR),
        Field("data[].index", Kind.INTEGER),
        Field("model", Kind.STRING),
        Field("usage", Kind.OBJECT),
        Field("usage.prompt_tokens", Kind.INTEGER),
        Field("usage.total_tokens", Kind.INTEGER),
    ),
)


def listing_problems(document: Any, listing: Shape, entry: Shape, key: str = "models") -> list[str]:
    """Check a list response: the envelope against ``listing``, each item against ``entry``."""
    problems = shape_problems(document, listing)
    items = document.get(key) if isinstance(document, dict) else None
    for item in items if isinstance(items, list) else []:
        problems += shape_problems(item, entry)
    return problems


def stream_problems(chunks: Sequence[Mapping[str, Any]], chunk: Shape, final: Shape) -> list[str]:
    """Check a native stream: every chunk but the last against ``chunk``, the last against ``final``."""
    if not chunks:
        return ["the stream has no chunks"]
    problems: list[str] = []
    for number, item in enumerate(chunks[:-1], start=1):
        problems += [f"chunk {number}: {p}" for p in shape_problems(item, chunk)]
        if item.get("done") is not False:
            problems.append(f"chunk {number}: done should be false before the last chunk")
    problems += [f"last chunk: {p}" for p in shape_problems(chunks[-1], final)]
    if chunks[-1].get("done") is not True:
        problems.append("last chunk: done should be true")
    return problems

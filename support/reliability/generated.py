"""Hypothesis strategies for request bodies: shaped by the API description, then bent out of shape."""

from __future__ import annotations

import json
import string
from typing import Any

from hypothesis import strategies as st

from support.reliability.description import Operation, Schema

MANAGEMENT = ("/api/create", "/api/copy", "/api/delete", "/api/pull", "/api/push")
"""Operations that write the store: every name they get is made a scratch name, so the model under test stays."""
NAME_FIELDS = ("model", "name", "source", "destination", "from")
SCRATCH_PREFIX = "fuzz-"
NATIVE_GENERATION = ("/api/generate", "/api/chat")
OPENAI_GENERATION = {
    "/v1/chat/completions": ("max_tokens", "max_completion_tokens"),
    "/v1/completions": ("max_tokens",),
    "/v1/responses": ("max_output_tokens",),
    "/v1/messages": ("max_tokens",),
}
"""The OpenAI-style generation paths, and the fields each reads as its token budget."""
MAX_TOKENS = 4
"""Generation is real; a fuzzed request may ask for a few tokens, never for thousands."""

awkward_text = st.text(
    # Lone surrogates too: json.dumps writes them as \udXXX escapes, which are valid JSON and decode to no UTF-8.
    alphabet=st.characters() | st.sampled_from("\n\r\t\x00\x1b\x85\u2028/\\..:%\"'{}"),
    max_size=40,
)
json_scalars = st.none() | st.booleans() | st.integers(-(2**70), 2**70) | st.floats(allow_nan=False) | awkward_text
any_json = st.recursive(
    json_scalars,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(awkward_text, children, max_size=4),
    max_leaves=12,
)


def from_schema(schema: Schema) -> st.SearchStrategy[Any]:
    """Values the schema allows, leaning on edges: empty and huge numbers, control characters, unknown keys."""
    if "oneOf" in schema:
        return st.one_of([from_schema(option) for option in schema["oneOf"]])
    if "enum" in schema:
        return st.sampled_from(schema["enum"])
    kind = schema.get("type")
    if kind == "object":
        properties: dict[str, Schema] = schema.get("properties", {})
        required = {key: from_schema(properties.get(key, {})) for key in schema.get("required", [])}
        optional = {key: from_schema(value) for key, value in properties.items() if key not in required}
        return st.fixed_dictionaries(required, optional=optional)
    if kind == "array":
        return st.lists(from_schema(schema.get("items", {})), max_size=4)
    if kind == "string":
        return awkward_text
    if kind == "integer":
        return st.integers(-(2**40), 2**40) | st.sampled_from([0, -1, 1, 2**31, 2**63])
    if kind == "number":
        return st.floats(allow_nan=False, allow_infinity=False) | st.sampled_from([0.0, -1.0, 1e308])
    if kind == "boolean":
        return st.booleans()
    return any_json


def nearly_plain(schema: Schema) -> st.SearchStrategy[Any]:
    """The required fields and one optional one: a body that passes validation often enough to reach the engine."""
    properties: dict[str, Schema] = schema.get("properties", {})
    required = {key: from_schema(properties.get(key, {})) for key in schema.get("required", [])}
    optional = [key for key in properties if key not in required]
    if not optional:
        return st.fixed_dictionaries(required)

    @st.composite
    def build(draw: st.DrawFn) -> Any:
        body = draw(st.fixed_dictionaries(required))
        key = draw(st.sampled_from(optional))
        body[key] = draw(from_schema(properties[key]))
        return body

    return build()


def bent(schema: Schema) -> st.SearchStrategy[Any]:
    """A body of the right shape with one field of the wrong type, or any JSON value at all."""
    properties = list(schema.get("properties", {}))
    if not properties:
        return any_json

    @st.composite
    def one_field_wrong(draw: st.DrawFn) -> Any:
        body = draw(from_schema(schema))
        body[draw(st.sampled_from(properties))] = draw(any_json)
        return body

    return one_field_wrong() | any_json


def tamed(operation: Operation, body: Any, model: str) -> Any:
    """Keep a fuzzed body from harming the stack it probes: scratch names for writes, few tokens for generation."""
    if not isinstance(body, dict):
        return body
    body = dict(body)
    if operation.path in MANAGEMENT:
        for key in NAME_FIELDS:
            if isinstance(body.get(key), str):
                body[key] = SCRATCH_PREFIX + body[key]
        if operation.path in ("/api/pull", "/api/push"):
            # No registry is reachable here; a name without a host would wait for DNS and tell nothing new.
            body["insecure"] = True
            for key in ("model", "name"):
                if isinstance(body.get(key), str):
                    body[key] = "127.0.0.1:9/" + body[key]
    if operation.path in NATIVE_GENERATION:
        options = body.get("options", {})
        if isinstance(options, dict):
            # A wrongly typed options value is left alone: it is refused before anything is generated.
            body["options"] = {**options, "num_predict": _few_tokens(options.get("num_predict"))}
    for key in OPENAI_GENERATION.get(operation.path, ()):
        body[key] = _few_tokens(body.get(key))
    return body


def _few_tokens(wanted: Any) -> Any:
    """A token budget of at most MAX_TOKENS. Absent, null, negative (Ollama's "until the window is full") or too many
    becomes MAX_TOKENS; a number is cast as Ollama casts it, so 1e16 counts as many. A string or a list stays, to be refused."""
    if wanted is None or (isinstance(wanted, (int, float)) and not 0 <= wanted <= MAX_TOKENS):
        return MAX_TOKENS
    return wanted


def model_names(model: str) -> st.SearchStrategy[str]:
    """Mostly the model under test, so requests get past the name check; sometimes a name made up."""
    return st.sampled_from([model, model.upper(), "default"]) | awkward_text


def with_model(operation: Operation, model: str, bodies: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """Bodies whose `model` is often the model under test, so that validation beyond the name is reached."""

    @st.composite
    def build(draw: st.DrawFn) -> Any:
        body = draw(bodies)
        if isinstance(body, dict) and "model" in body and draw(st.booleans()):
            body["model"] = draw(model_names(model))
        return body

    return build()


def encoded(body: Any) -> bytes:
    """The body as a client would send it; NaN never appears, so every body is valid JSON."""
    return json.dumps(body).encode()


path_values = st.text(alphabet=string.ascii_letters + string.digits + "-_.:%", min_size=1, max_size=70) | st.sampled_from(
    ["sha256:" + "0" * 64, "sha256:" + "g" * 64, "..", "%2e%2e", "sha256:"]
)

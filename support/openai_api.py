"""Requests to the OpenAI-compatible endpoints under /v1, and what their answers say."""

from __future__ import annotations

from typing import Any

from parse_type import TypeBuilder

from support.http import Exchange, HttpClient

NAME_FORMS = ("in upper case", "without a tag", "with the tag latest")
"""Spellings of the model under test that Ollama matches to a stored model but echoes unchanged."""
NAME_FORM = TypeBuilder.make_choice(list(NAME_FORMS))
"""NAME_FORMS as a step parameter type."""


def model_named(model: str, form: str) -> str:
    """The model under test spelled in one of NAME_FORMS: ``smollm2:135m`` as ``SMOLLM2:135M``, ``smollm2``, ``smollm2:latest``."""
    base = model.rsplit(":", 1)[0] if ":" in model.rsplit("/", 1)[-1] else model
    spellings = {"in upper case": model.upper(), "without a tag": base, "with the tag latest": f"{base}:latest"}
    return spellings[form]


def choice(exchange: Exchange) -> dict[str, Any]:
    """The first choice of a successful completion."""
    if exchange.status != 200:
        raise AssertionError(f"expected 200\n{exchange.describe()}")
    first: dict[str, Any] = exchange.json()["choices"][0]
    return first


def answer(exchange: Exchange) -> str:
    """The text of a non-streamed chat completion or completion."""
    first = choice(exchange)
    text = first["message"]["content"] if "message" in first else first["text"]
    return str(text)


def usage(exchange: Exchange) -> dict[str, int]:
    """The usage object of a successful answer."""
    counts: dict[str, int] = exchange.json()["usage"]
    return counts


def stop_text_in(text: str) -> str:
    """A word from the middle of an answer whose first occurrence comes after the answer's start."""
    words = [word.strip(".,;:!?\"'()") for word in text.split()]
    for word in words[2:]:
        if len(word) >= 3 and text.index(word) > 0:
            return word
    raise AssertionError(f"no word to stop at in {text!r}")


def chat_completion_body(model: str, prompt: str, *, stream: bool, max_tokens: int = 8, **extra: Any) -> dict[str, Any]:
    """A deterministic /v1/chat/completions request with one user message."""
    return {
        "model": model,
        "messages": [{"role": "user", "content": prompt}],
        "stream": stream,
        "max_tokens": max_tokens,
        "temperature": 0,
        "seed": 42,
        **extra,
    }


def completion_body(model: str, prompt: str, *, stream: bool, max_tokens: int = 8, **extra: Any) -> dict[str, Any]:
    """A deterministic /v1/completions request."""
    return {
        "model": model,
        "prompt": prompt,
        "stream": stream,
        "max_tokens": max_tokens,
        "temperature": 0,
        "seed": 42,
        **extra,
    }


SAMPLED_PROMPT = "Invent a name for a pet dragon and say why."
"""A question with many likely answers, so that sampling shows."""
SAMPLED_TOKENS = 12
JSON_PROMPT = "Describe the sky right now as a JSON object with the keys colour and cloudy."
JSON_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {"colour": {"type": "string", "enum": ["blue", "grey", "black"]}, "cloudy": {"type": "boolean"}},
    "required": ["colour", "cloudy"],
    "additionalProperties": False,
}
JSON_TOKENS = 48
"""Enough for SmolLM2 to close the object it opens."""


def sampled_chat_body(model: str, *, seed: int, temperature: float = 1.0, **extra: Any) -> dict[str, Any]:
    """A chat completion of SAMPLED_PROMPT that samples at the given temperature with a seed."""
    return chat_completion_body(model, SAMPLED_PROMPT, stream=False, max_tokens=SAMPLED_TOKENS, temperature=temperature, seed=seed, **extra)


JSON_TYPES: dict[str, tuple[type, ...]] = {"object": (dict,), "string": (str,), "boolean": (bool,)}


def schema_problems(value: object, schema: dict[str, Any], where: str = "$") -> list[str]:
    """What makes a value invalid against a schema of the keywords JSON_SCHEMA uses (type, enum, properties,
    required, additionalProperties); jsonschema is not among the suite's requirements."""
    kind = schema.get("type")
    if kind is not None and not isinstance(value, JSON_TYPES[kind]):
        return [f"{where} is {type(value).__name__}, not {kind}"]
    if "enum" in schema and value not in schema["enum"]:
        return [f"{where} is {value!r}, not one of {schema['enum']}"]
    if not isinstance(value, dict):
        return []
    properties: dict[str, Any] = schema.get("properties", {})
    problems = [f"{where} lacks {key!r}" for key in schema.get("required", []) if key not in value]
    if schema.get("additionalProperties") is False:
        problems += [f"{where} has {key!r}, which the schema does not allow" for key in value if key not in properties]
    for key, item in value.items():
        if key in properties:
            problems += schema_problems(item, properties[key], f"{where}.{key}")
    return problems


def json_chat_body(model: str, kind: str) -> dict[str, Any]:
    """A chat completion of JSON_PROMPT with a response_format of the given type; json_schema carries JSON_SCHEMA."""
    response_format: dict[str, Any] = {"type": kind}
    if kind == "json_schema":
        response_format["json_schema"] = {"name": "sky", "schema": JSON_SCHEMA, "strict": True}
    return chat_completion_body(model, JSON_PROMPT, stream=False, max_tokens=JSON_TOKENS, response_format=response_format)


def messages_in_form(form: str, instruction: str, question: str) -> list[dict[str, Any]]:
    """A question in one of MESSAGE_FORMS: after an instruction as a system or developer message, or as content parts."""
    forms: dict[str, list[dict[str, Any]]] = {
        "a developer message": [{"role": "developer", "content": instruction}, {"role": "user", "content": question}],
        "a system message": [{"role": "system", "content": instruction}, {"role": "user", "content": question}],
        "content as an array of one text part": [{"role": "user", "content": [{"type": "text", "text": question}]}],
        "content as a plain string": [{"role": "user", "content": question}],
    }
    return forms[form]


MESSAGE_FORMS = ("a developer message", "a system message", "content as an array of one text part", "content as a plain string")


class OpenAIClient:
    """The /v1 endpoints, each returning the recorded exchange.

    ``http`` is rooted at the OpenAI base URL, which ends in ``/v1`` as OpenAI SDKs expect.
    """

    def __init__(self, http: HttpClient) -> None:
        self.http = http

    def models(self) -> Exchange:
        """GET /v1/models."""
        return self.http.get("/models")

    def model(self, model_id: str) -> Exchange:
        """GET /v1/models/{id}."""
        return self.http.get(f"/models/{model_id}")

    def chat_completions(self, body: dict[str, Any]) -> Exchange:
        """POST /v1/chat/completions."""
        return self.http.post("/chat/completions", body)

    def completions(self, body: dict[str, Any]) -> Exchange:
        """POST /v1/completions."""
        return self.http.post("/completions", body)

    def embeddings(self, body: dict[str, Any]) -> Exchange:
        """POST /v1/embeddings."""
        return self.http.post("/embeddings", body)

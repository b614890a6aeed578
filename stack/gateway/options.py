"""Ollama's request options: type checks with Ollama's texts, the context window, and the sampling they imply."""

from __future__ import annotations

import json
import os
import subprocess
from typing import Any

from .engines import Sampling
from .errors import GatewayError, bad_request

DEFAULT_NUM_CTX = 4096
"""Ollama's default below 23 GiB of VRAM, which is every CPU-only machine."""
GIB = 1 << 30
VRAM_TIERS = ((47 * GIB, 262144), (23 * GIB, 32768))
"""Ollama 0.15.5+'s default window by the machine's total VRAM (server/routes.go): 47 GiB or more, then 23 GiB or more."""

FLOAT, INTEGER, BOOLEAN, STRINGS = "float32", "integer", "boolean", "strings"
OPTION_TYPES: dict[str, str] = {
    "num_ctx": INTEGER, "num_predict": INTEGER, "num_keep": INTEGER, "seed": INTEGER, "top_k": INTEGER,
    "repeat_last_n": INTEGER, "num_batch": INTEGER, "num_gpu": INTEGER, "main_gpu": INTEGER, "num_thread": INTEGER,
    "draft_num_predict": INTEGER,
    "temperature": FLOAT, "top_p": FLOAT, "min_p": FLOAT, "typical_p": FLOAT, "repeat_penalty": FLOAT,
    "presence_penalty": FLOAT, "frequency_penalty": FLOAT,
    "use_mmap": BOOLEAN, "numa": BOOLEAN,
    "stop": STRINGS,
}
DEFAULTS: dict[str, Any] = {
    "num_predict": -1, "num_keep": 4, "seed": -1, "temperature": 0.8, "top_k": 40, "top_p": 0.9, "min_p": 0.0,
    "repeat_penalty": 1.0, "presence_penalty": 0.0, "frequency_penalty": 0.0, "stop": [],
}


def check_options(options: object) -> dict[str, Any]:
    """Options as Ollama's FromMap accepts them; a wrongly typed value is a 500, as in Ollama."""
    if options is None:
        return {}
    if not isinstance(options, dict):
        raise bad_request("json: cannot unmarshal options: expected an object")
    checked: dict[str, Any] = {}
    for key, value in options.items():
        kind = OPTION_TYPES.get(key)
        if kind is None or value is None:
            continue  # unknown keys are ignored, as Ollama only logs them
        checked[key] = _convert(key, kind, value)
    return checked


def _convert(key: str, kind: str, value: object) -> Any:
    if kind == INTEGER and isinstance(value, (int, float)) and not isinstance(value, bool):
        return int(value)
    if kind == FLOAT and isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    if kind == BOOLEAN and isinstance(value, bool):
        return value
    if kind == STRINGS:
        if not isinstance(value, list):
            raise GatewayError(500, f'option "{key}" must be of type array')
        if not all(isinstance(item, str) for item in value):
            raise GatewayError(500, f'option "{key}" must be of an array of strings')
        return list(value)
    raise GatewayError(500, f'option "{key}" must be of type {kind}')


def default_num_ctx(total_vram: int) -> int:
    """The window a request gets when nothing sets one, from the machine's total VRAM as Ollama picks it."""
    return next((num_ctx for floor, num_ctx in VRAM_TIERS if total_vram >= floor), DEFAULT_NUM_CTX)


def total_vram() -> int:
    """Bytes of memory on every NVIDIA GPU, less OLLAMA_GPU_OVERHEAD each, as Ollama sums them; 0 without a GPU."""
    try:
        listed = subprocess.run(["nvidia-smi", "--query-gpu=memory.total", "--format=csv,noheader,nounits"],
                                capture_output=True, text=True, timeout=10, check=True).stdout
    except (OSError, subprocess.SubprocessError):
        return 0
    overhead = int(os.environ.get("OLLAMA_GPU_OVERHEAD", "0") or 0)
    return sum(max(0, int(line) * (1 << 20) - overhead) for line in listed.split() if line.isdigit())


def resolve_num_ctx(request_options: dict[str, Any], model_parameters: dict[str, Any], environment_default: int, model_context: int,
                    machine_default: int = DEFAULT_NUM_CTX) -> int:
    """num_ctx by Ollama's precedence (request, Modelfile, OLLAMA_CONTEXT_LENGTH, the machine's VRAM tier), clamped to
    the model's window."""
    for candidate in (request_options.get("num_ctx"), model_parameters.get("num_ctx"), environment_default or None):
        if candidate:
            return max(4, min(int(candidate), model_context))
    return max(4, min(machine_default, model_context))


def merged(model_parameters: dict[str, Any], request_options: dict[str, Any]) -> dict[str, Any]:
    """Defaults, then the model's parameters, then the request, as Ollama layers them."""
    return {**DEFAULTS, **check_options(model_parameters), **request_options}


def parse_format(value: object) -> dict[str, Any] | None:
    """`format`: absent, "", "json" or a JSON schema; anything else is Ollama's 500."""
    if value is None or value == "":
        return None
    if value == "json":
        return {"type": "object"}
    if isinstance(value, dict) and _is_schema(value):
        return value
    quoted = json.dumps(json.dumps(value, separators=(",", ":")))
    raise GatewayError(500, f'invalid format: {quoted}; expected "json" or a valid JSON Schema object')


JSON_TYPES = frozenset({"string", "number", "integer", "boolean", "object", "array", "null"})
_SCHEMA_MAPS = ("properties", "patternProperties", "$defs", "definitions", "dependentSchemas")
_SCHEMA_LISTS = ("anyOf", "oneOf", "allOf", "prefixItems")
_SCHEMA_VALUES = ("additionalProperties", "additionalItems", "unevaluatedProperties", "contains", "not", "if", "then", "else",
                  "propertyNames")
_NUMBERS = ("minLength", "maxLength", "minItems", "maxItems", "minProperties", "maxProperties", "minimum", "maximum",
            "exclusiveMinimum", "exclusiveMaximum", "multipleOf")


def _is_schema(schema: object) -> bool:
    """Whether a JSON schema is well formed where a grammar compiler reads it, so a bad one never reaches the engine."""
    if isinstance(schema, bool):
        return True
    if not isinstance(schema, dict):
        return False
    kind = schema.get("type")
    if kind is not None:
        kinds = kind if isinstance(kind, list) else [kind]
        if not kinds or not all(isinstance(item, str) and item in JSON_TYPES for item in kinds):
            return False
    if any(key in schema and not (isinstance(schema[key], dict) and all(map(_is_schema, schema[key].values())))
           for key in _SCHEMA_MAPS):
        return False
    if any(key in schema and not (isinstance(schema[key], list) and all(map(_is_schema, schema[key]))) for key in _SCHEMA_LISTS):
        return False
    if any(key in schema and not _is_schema(schema[key]) for key in _SCHEMA_VALUES):
        return False
    items = schema.get("items", True)
    if not (_is_schema(items) or (isinstance(items, list) and all(map(_is_schema, items)))):
        return False
    required = schema.get("required", [])
    if not (isinstance(required, list) and all(isinstance(item, str) for item in required)):
        return False
    if "enum" in schema and not isinstance(schema["enum"], list):
        return False
    if "$ref" in schema and not isinstance(schema["$ref"], str):
        return False
    return all(isinstance(schema[key], (int, float)) and not isinstance(schema[key], bool) for key in _NUMBERS if key in schema)


def sampling_for(options: dict[str, Any], num_ctx: int, prompt_tokens: int, json_schema: dict[str, Any] | None) -> Sampling:
    """The engine's sampling settings; generation never runs past the context window."""
    room = max(1, num_ctx - prompt_tokens)
    num_predict = int(options["num_predict"])
    max_tokens = room if num_predict < 0 else max(1, min(num_predict, room))
    seed = int(options["seed"])
    return Sampling(
        max_tokens=max_tokens,
        temperature=float(options["temperature"]),
        top_k=int(options["top_k"]),
        top_p=float(options["top_p"]),
        min_p=float(options["min_p"]),
        repeat_penalty=float(options["repeat_penalty"]),
        presence_penalty=float(options["presence_penalty"]),
        frequency_penalty=float(options["frequency_penalty"]),
        seed=None if seed < 0 else seed,
        stop=tuple(options["stop"]),
        json_schema=json_schema,
    )

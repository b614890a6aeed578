"""The gateway's own API description (/api/openapi.json) read as a list of operations to exercise."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

Schema = dict[str, Any]


@dataclass(frozen=True)
class Operation:
    """One method on one path, with its JSON request schema (references resolved) if it takes one."""

    method: str
    path: str
    body: Schema | None

    @property
    def name(self) -> str:
        return f"{self.method} {self.path}"


def resolve(schema: Any, spec: Schema, depth: int = 0) -> Any:
    """The schema with every local `$ref` replaced by what it names."""
    if depth > 20:
        return {}
    if isinstance(schema, dict):
        if "$ref" in schema:
            target: Any = spec
            for part in str(schema["$ref"]).removeprefix("#/").split("/"):
                target = target[part]
            return resolve(target, spec, depth + 1)
        return {key: resolve(value, spec, depth + 1) for key, value in schema.items()}
    if isinstance(schema, list):
        return [resolve(item, spec, depth + 1) for item in schema]
    return schema


def operations(spec: Schema) -> list[Operation]:
    """Every operation the description lists, with path parameters left as `{name}`."""
    found = []
    for path, item in spec.get("paths", {}).items():
        for method in ("get", "head", "post", "put", "delete", "patch"):
            operation = item.get(method)
            if operation is None:
                continue
            content = (operation.get("requestBody") or {}).get("content", {})
            body = resolve(content["application/json"]["schema"], spec) if "application/json" in content else None
            found.append(Operation(method.upper(), path, body))
    return found

"""A GGUF file's header read straight from the file: key/values and the tensor table, no tensor data.

The gguf package's reader builds an object per array element, so a model with a 150,000-token
vocabulary took seconds to list (a minute for four models), and the first /api/tags after a start
froze the gateway meanwhile. A listing needs only the scalars and the tensor shapes: arrays longer
than the caller's limit are skipped by their length, without decoding, and come back empty, as
Ollama's /api/show shows them unless asked to be verbose.
"""

from __future__ import annotations

import mmap
import struct
from pathlib import Path
from typing import Any

from gguf import GGML_QUANT_SIZES, GGMLQuantizationType

MAGIC = b"GGUF"
_SCALARS = {0: "<B", 1: "<b", 2: "<H", 3: "<h", 4: "<I", 5: "<i", 6: "<f", 7: "<?", 10: "<Q", 11: "<q", 12: "<d"}
_STRING = 8
_ARRAY = 9
DEFAULT_ALIGNMENT = 32


class GGUFError(ValueError):
    """Not a GGUF file, or one cut short or damaged."""


class _Cursor:
    """Reads little-endian values from a mapped file, checking every read stays inside it."""

    def __init__(self, data: mmap.mmap) -> None:
        self.data = data
        self.offset = 0

    def take(self, fmt: str) -> Any:
        size = struct.calcsize(fmt)
        if self.offset + size > len(self.data):
            raise GGUFError(f"the file ends inside its header (offset {self.offset})")
        (value,) = struct.unpack_from(fmt, self.data, self.offset)
        self.offset += size
        return value

    def skip(self, size: int) -> None:
        if self.offset + size > len(self.data):
            raise GGUFError(f"the file ends inside its header (offset {self.offset})")
        self.offset += size

    def string(self) -> str:
        length = self.take("<Q")
        start = self.offset
        self.skip(length)
        return bytes(self.data[start:self.offset]).decode("utf-8", errors="replace")

    def value(self, kind: int, arrays_up_to: int | None) -> Any:
        if kind in _SCALARS:
            return self.take(_SCALARS[kind])
        if kind == _STRING:
            return self.string()
        if kind != _ARRAY:
            raise GGUFError(f"unknown value type {kind} at offset {self.offset}")
        item_kind = self.take("<I")
        count = self.take("<Q")
        if arrays_up_to is not None and count > arrays_up_to:
            self._skip_items(item_kind, count)
            return []
        return [self.value(item_kind, arrays_up_to) for _ in range(count)]

    def _skip_items(self, kind: int, count: int) -> None:
        if kind in _SCALARS:
            self.skip(struct.calcsize(_SCALARS[kind]) * count)
            return
        for _ in range(count):
            if kind == _STRING:
                self.skip(self.take("<Q"))
            else:
                self.value(kind, 0)


def read_header(path: Path, arrays_up_to: int | None = None) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Key/values (arrays over ``arrays_up_to`` items empty) and tensor descriptions; GGUFError if damaged.

    Like the gguf package's reader, it checks that every tensor's data lies inside the file, so a file
    cut short is refused here rather than when an engine loads it.
    """
    with path.open("rb") as handle:
        if handle.read(4) != MAGIC:
            raise GGUFError("not a GGUF file")
        try:
            data = mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ)
        except ValueError as error:
            raise GGUFError(str(error)) from None
    with data:
        cursor = _Cursor(data)
        cursor.skip(4)
        version = cursor.take("<I")
        if version < 2:
            raise GGUFError(f"GGUF version {version} is not supported")
        tensor_count = cursor.take("<Q")
        value_count = cursor.take("<Q")
        values: dict[str, Any] = {}
        for _ in range(value_count):
            key = cursor.string()
            values[key] = cursor.value(cursor.take("<I"), arrays_up_to)
        tensors = [_tensor(cursor) for _ in range(tensor_count)]
        alignment = int(values.get("general.alignment", DEFAULT_ALIGNMENT)) or DEFAULT_ALIGNMENT
        data_start = -(-cursor.offset // alignment) * alignment
        for tensor in tensors:
            end = data_start + tensor.pop("offset") + tensor.pop("bytes")
            if end > len(data):
                raise GGUFError(f"tensor {tensor['name']} ends at byte {end}, past the end of the file ({len(data)} bytes)")
    return values, tensors


def _tensor(cursor: _Cursor) -> dict[str, Any]:
    name = cursor.string()
    dimensions = cursor.take("<I")
    shape = [cursor.take("<Q") for _ in range(dimensions)]
    kind = cursor.take("<I")
    offset = cursor.take("<Q")
    try:
        quantization = GGMLQuantizationType(kind)
    except ValueError:
        raise GGUFError(f"tensor {name} has an unknown type {kind}") from None
    block, block_bytes = GGML_QUANT_SIZES[quantization]
    elements = 1
    for size in shape:
        elements *= size
    return {"name": name, "type": quantization.name, "shape": shape, "offset": offset, "bytes": elements // block * block_bytes}

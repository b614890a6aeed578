"""A gateway just started lists its models at once and never freezes while it reads them (issue 23, item 0).

The first /api/tags after a start once parsed every GGUF's whole metadata, vocabularies included, on the
event loop: 57 s for the four models `make suite` leaves, with `GET /` waiting 54 s behind it.
"""

from __future__ import annotations

import concurrent.futures
import time
from pathlib import Path

import httpx
import pytest

from stack.gateway.gguf_header import GGUFError, read_header
from support.models.gateway import smollm2_gguf

from .conftest import GatewayProcess

FIRST_LISTING_BOUND_S = 1.0
"""The issue's bound for the first /api/tags of a fresh gateway."""
LIVENESS_BOUND_S = 0.5


def test_the_header_reader_gives_what_the_gguf_package_gives_with_the_vocabulary_left_out() -> None:
    from gguf import GGUFReader

    path = smollm2_gguf()
    reader = GGUFReader(str(path))
    expected = {key: field.contents() for key, field in reader.fields.items() if not key.startswith("GGUF.")}
    values, tensors = read_header(path, arrays_up_to=5)
    assert values.keys() == expected.keys()
    for key, value in values.items():
        wanted = [] if isinstance(expected[key], list) and len(expected[key]) > 5 else expected[key]
        assert value == pytest.approx(wanted) if isinstance(value, float) else value == wanted, key
    assert len(read_header(path)[0]["tokenizer.ggml.tokens"]) == len(expected["tokenizer.ggml.tokens"])
    assert tensors == [{"name": t.name, "type": t.tensor_type.name, "shape": [int(n) for n in t.shape]} for t in reader.tensors]


def test_a_gguf_cut_short_is_refused(tmp_path: Path) -> None:
    whole = smollm2_gguf().read_bytes()
    for length in (3, 100, 2_000_000, len(whole) - 1):
        cut = tmp_path / f"cut-{length}.gguf"
        cut.write_bytes(whole[:length])
        with pytest.raises(GGUFError):
            read_header(cut)


def test_a_restarted_gateway_answers_its_first_listing_within_a_second_and_its_liveness_meanwhile(tmp_path: Path) -> None:
    # The first start registers the bundled model; the restart finds it in the store, as after `make suite`.
    GatewayProcess(tmp_path / "models", tmp_path / "first.log").stop()
    gateway = GatewayProcess(tmp_path / "models", tmp_path / "gateway.log")
    try:
        with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
            started = time.perf_counter()
            listing = pool.submit(httpx.get, gateway.url + "/api/tags", timeout=120)
            time.sleep(0.05)
            alive_started = time.perf_counter()
            alive = httpx.get(gateway.url + "/", timeout=120)
            alive_s = time.perf_counter() - alive_started
            tags = listing.result()
            listing_s = time.perf_counter() - started
        assert tags.status_code == 200 and tags.json()["models"], tags.text
        assert listing_s < FIRST_LISTING_BOUND_S, f"the first /api/tags took {listing_s:.2f} s"
        assert alive.status_code == 200 and alive_s < LIVENESS_BOUND_S, f"GET / waited {alive_s:.2f} s behind the listing"
    finally:
        gateway.stop()

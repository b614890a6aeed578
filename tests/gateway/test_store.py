"""The store on its own: names, crash-safe writes, digest checks, recovery after a crash, deletes and pulls' manifests."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from stack.gateway.errors import GatewayError
from stack.gateway.names import parse_name
from stack.gateway.registry import _parse_manifest
from stack.gateway.store import (
    CONFIG_MEDIA,
    MANIFEST_MEDIA,
    TEMPLATE_LAYER,
    DigestMismatch,
    ModelStore,
    normal_digest,
    write_atomic,
)
from stack.gateway.toolcalls import ToolCallParser


def digest_of(body: bytes) -> str:
    return "sha256:" + hashlib.sha256(body).hexdigest()


def manifest_for(store: ModelStore, *bodies: bytes) -> dict[str, object]:
    config = store.put_bytes(CONFIG_MEDIA, b"{}")
    layers = [store.put_bytes(TEMPLATE_LAYER, body) for body in bodies]
    return {"schemaVersion": 2, "mediaType": MANIFEST_MEDIA, "config": config, "layers": layers}


@pytest.mark.parametrize("raw", ["../x", "a/../b", "m:..", "x:a/b", "a/b/c/d", "bad name!", "", ":tag"])
def test_names_that_would_leave_the_store_or_break_the_grammar_are_refused(raw: str) -> None:
    assert parse_name(raw) is None


def test_a_name_fills_ollama_defaults_and_keeps_a_registry_host() -> None:
    name = parse_name("127.0.0.1:5000/team/smol:v1")
    assert name is not None and (name.host, name.namespace, name.model, name.tag) == ("127.0.0.1:5000", "team", "smol", "v1")
    assert parse_name("Smol").short == "Smol:latest"  # type: ignore[union-attr]


def test_digests_are_accepted_in_both_spellings_and_nothing_else() -> None:
    hex64 = "ab" * 32
    assert normal_digest(f"sha256:{hex64.upper()}") == f"sha256:{hex64}"
    assert normal_digest(f"sha256-{hex64}") == f"sha256:{hex64}"
    assert normal_digest("sha256:abc") is None
    assert normal_digest(f"md5:{hex64}") is None


def test_an_atomic_write_leaves_no_temporary_file(tmp_path: Path) -> None:
    target = tmp_path / "a" / "file"
    write_atomic(target, b"one")
    write_atomic(target, b"two")
    assert target.read_bytes() == b"two"
    assert [p.name for p in target.parent.iterdir()] == ["file"]


def test_a_blob_whose_bytes_do_not_match_its_digest_is_not_kept(tmp_path: Path) -> None:
    store = ModelStore(tmp_path)
    writer = store.blob_writer(digest_of(b"expected"))
    writer.write(b"something else")
    with pytest.raises(DigestMismatch):
        writer.commit()
    assert list(store.blobs.iterdir()) == []


def test_a_resumed_blob_hashes_what_was_already_on_disk(tmp_path: Path) -> None:
    store = ModelStore(tmp_path)
    body = b"0123456789" * 1000
    first = store.blob_writer(digest_of(body), resumable=True)
    first.write(body[:4000])
    first.abort(keep=True)
    second = store.blob_writer(digest_of(body), resumable=True)
    assert second.size == 4000
    second.write(body[4000:])
    second.commit()
    assert store.blob_path(digest_of(body)).read_bytes() == body


def test_a_manifest_is_refused_until_its_blobs_are_in_place(tmp_path: Path) -> None:
    store = ModelStore(tmp_path)
    manifest = manifest_for(store, b"template")
    store.blob_path(digest_of(b"template")).unlink()
    name = parse_name("m")
    assert name is not None
    with pytest.raises(FileNotFoundError):
        store.write_manifest(name, manifest)
    assert store.list() == []


def test_recovery_drops_temporaries_and_orphans_but_keeps_a_partial_download(tmp_path: Path) -> None:
    store = ModelStore(tmp_path)
    name = parse_name("kept")
    assert name is not None
    store.write_manifest(name, manifest_for(store, b"kept"))
    orphan = store.put_bytes(TEMPLATE_LAYER, b"orphan")["digest"]
    (store.blobs / "sha256-x.tmp-123").write_bytes(b"half")
    partial = store.blobs / ("sha256-" + "cd" * 32 + "-partial")
    partial.write_bytes(b"resume me")
    removed = {path.name for path in store.recover()}
    assert removed == {"sha256-x.tmp-123", orphan.replace(":", "-")}
    assert partial.exists()
    assert store.find("kept") is not None


def test_deleting_a_name_keeps_blobs_another_model_uses(tmp_path: Path) -> None:
    store = ModelStore(tmp_path)
    shared = manifest_for(store, b"shared")
    own = manifest_for(store, b"shared", b"own")
    for raw, manifest in (("a", shared), ("b", own)):
        name = parse_name(raw)
        assert name is not None
        store.write_manifest(name, manifest)
    record = store.find("b")
    assert record is not None
    assert store.delete(record) == [digest_of(b"own")]
    assert store.has_blob(digest_of(b"shared"))
    assert [r.name.short for r in store.list()] == ["a:latest"]


def test_names_are_found_case_insensitively_and_rewritten_in_place(tmp_path: Path) -> None:
    store = ModelStore(tmp_path)
    for raw in ("Mixed:Tag", "mixed:tag"):
        name = parse_name(raw)
        assert name is not None
        store.write_manifest(name, manifest_for(store, raw.encode()))
    assert [r.name.short for r in store.list()] == ["Mixed:Tag"]


@pytest.mark.parametrize("body", [b"<html>", b"{}", json.dumps({"layers": [{"digest": "x", "size": 1}], "config": {}}).encode()])
def test_a_registry_answer_that_is_no_manifest_is_refused(body: bytes) -> None:
    with pytest.raises(GatewayError, match="not a model manifest"):
        _parse_manifest(body)


def test_a_tool_call_in_a_json_code_fence_is_a_call() -> None:
    parser = ToolCallParser(frozenset({"get_weather"}))
    parser.feed('```json\n{"name": "get_weather", "arguments": {"location": "Boston"}}\n```')
    assert parser.finish() == ""
    assert parser.calls[0]["function"]["arguments"] == {"location": "Boston"}


def test_a_code_fence_that_is_no_call_stays_content() -> None:
    parser = ToolCallParser(frozenset({"get_weather"}))
    parser.feed("```python\nprint(1)\n```")
    assert parser.finish() == "```python\nprint(1)\n```"
    assert parser.calls == []

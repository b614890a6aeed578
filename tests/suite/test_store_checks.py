"""The suite's store checks catch what a crash could leave behind (negative controls for features/models)."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from support.models.store import blob_digests, manifest_names, qualified, store_problems
from support.models.transfer import progress_problems


def blob(root: Path, body: bytes) -> dict[str, object]:
    digest = hashlib.sha256(body).hexdigest()
    (root / "blobs").mkdir(parents=True, exist_ok=True)
    (root / "blobs" / f"sha256-{digest}").write_bytes(body)
    return {"digest": f"sha256:{digest}", "size": len(body)}


def manifest(root: Path, name: str, layers: list[dict[str, object]], config: dict[str, object]) -> Path:
    path = root / "manifests" / "registry.ollama.ai" / "library" / name / "latest"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"config": config, "layers": layers}))
    return path


def test_a_whole_store_has_no_problems(tmp_path: Path) -> None:
    manifest(tmp_path, "m", [blob(tmp_path, b"weights")], blob(tmp_path, b"{}"))
    (tmp_path / "blobs" / ("sha256-" + "ab" * 32 + "-partial")).write_bytes(b"resumable")
    assert store_problems(tmp_path) == []
    assert manifest_names(tmp_path) == {"registry.ollama.ai/library/m:latest"}
    assert len(blob_digests(tmp_path, "M")) == 2


def test_a_manifest_naming_a_missing_blob_is_a_problem(tmp_path: Path) -> None:
    manifest(tmp_path, "m", [{"digest": "sha256:" + "cd" * 32, "size": 3}], blob(tmp_path, b"{}"))
    assert "not in the store" in store_problems(tmp_path)[0]


def test_a_half_blob_under_its_final_name_is_a_problem(tmp_path: Path) -> None:
    layer = blob(tmp_path, b"weights")
    manifest(tmp_path, "m", [layer], blob(tmp_path, b"{}"))
    (tmp_path / "blobs" / str(layer["digest"]).replace(":", "-")).write_bytes(b"weig")
    problems = store_problems(tmp_path)
    assert any("manifest says" in problem for problem in problems)
    assert any("half or damaged blob" in problem for problem in problems)


def test_a_temporary_file_and_a_torn_manifest_are_problems(tmp_path: Path) -> None:
    manifest(tmp_path, "m", [], blob(tmp_path, b"{}")).write_text('{"config": ')
    (tmp_path / "blobs" / "sha256-ab.tmp-1").write_bytes(b"x")
    problems = store_problems(tmp_path)
    assert any("unreadable manifest" in problem for problem in problems)
    assert any("stray file among the blobs" in problem for problem in problems)


def test_names_get_ollama_defaults() -> None:
    assert qualified("smol") == ("registry.ollama.ai", "library", "smol", "latest")
    assert qualified("127.0.0.1:5000/team/smol:v1") == ("127.0.0.1:5000", "team", "smol", "v1")


def test_progress_lines_are_checked_against_ollamas_sequence() -> None:
    digest = "sha256:" + "ab" * 32
    good: list[dict[str, Any]] = [{"status": "pulling manifest"}, {"status": "pulling abababababab", "digest": digest, "total": 9, "completed": 0},
            {"status": "pulling abababababab", "digest": digest, "total": 9, "completed": 9},
            {"status": "verifying sha256 digest"}, {"status": "writing manifest"}, {"status": "success"}]
    end = ["verifying sha256 digest", "writing manifest", "success"]
    assert progress_problems(good, "pulling manifest", "pulling", end) == []
    unfinished = [*good[:2], *good[3:]]
    assert "ends at 0 of 9" in progress_problems(unfinished, "pulling manifest", "pulling", end)[0]
    misnamed = [good[0], {**good[2], "status": "pulling 000000000000"}, *good[3:]]
    assert "first 12 hex" in progress_problems(misnamed, "pulling manifest", "pulling", end)[0]
    assert "last lines" in progress_problems(good[:-1], "pulling manifest", "pulling", end)[-1]

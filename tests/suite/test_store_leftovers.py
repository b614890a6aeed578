"""The store checks catch what a killed gateway or a name read as a path leaves behind (negative controls for
crash_safety.feature and the hostile names of security.feature)."""

from __future__ import annotations

from pathlib import Path

from support.models.crash import Interruption
from support.models.store import changes, snapshot, store_problems, unused_blobs
from tests.suite.test_store_checks import blob, manifest


def test_a_manifest_left_half_written_is_a_problem_even_when_it_parses(tmp_path: Path) -> None:
    written = manifest(tmp_path, "m", [blob(tmp_path, b"weights")], blob(tmp_path, b"{}"))
    written.rename(written.with_name("latest.tmp-0123abcd"))
    assert any("temporary file left among the manifests" in problem for problem in store_problems(tmp_path))


def test_anything_beside_blobs_and_manifests_is_a_problem(tmp_path: Path) -> None:
    manifest(tmp_path, "m", [blob(tmp_path, b"weights")], blob(tmp_path, b"{}"))
    (tmp_path / "escape").mkdir()
    assert store_problems(tmp_path) == ["stray entry beside blobs and manifests: escape"]


def test_blobs_no_manifest_names_are_unused(tmp_path: Path) -> None:
    manifest(tmp_path, "m", [blob(tmp_path, b"weights")], blob(tmp_path, b"{}"))
    orphan = blob(tmp_path, b"left by a killed create")
    (tmp_path / "blobs" / ("sha256-" + "ab" * 32 + "-partial")).write_bytes(b"resumable")
    assert unused_blobs(tmp_path) == [str(orphan["digest"]).replace(":", "-")]


def test_changes_name_new_grown_and_gone_paths_and_leave_the_store_out(tmp_path: Path) -> None:
    store = tmp_path / "outer" / "models"
    (store / "blobs").mkdir(parents=True)
    (tmp_path / "kept").write_bytes(b"1")
    (tmp_path / "gone").write_bytes(b"1")
    before = snapshot(tmp_path, leave_out=store)
    (tmp_path / "kept").write_bytes(b"12")
    (tmp_path / "gone").unlink()
    (tmp_path / "outer" / "escaped").write_bytes(b"{}")
    (store / "blobs" / "inside").write_bytes(b"not counted")
    assert changes(before, snapshot(tmp_path, leave_out=store)) == ["gone gone", "kept went from 1 to 2 bytes",
                                                                   "new outer/escaped (2 bytes)"]


def test_a_kill_after_the_last_write_is_told_from_one_inside(tmp_path: Path) -> None:
    last_write = "new manifests/registry.ollama.ai/library/c/latest ("
    inside = Interruption(["new manifests/registry.ollama.ai/library/c/latest.tmp-1 (0 bytes)"],
                          ["new manifests/registry.ollama.ai/library/c/latest.tmp-1 (736 bytes)"], "", 0.01)
    after = Interruption(inside.evidence, ["new manifests/registry.ollama.ai/library/c/latest (736 bytes)"], "", 0.01)
    assert not inside.after(last_write)
    assert after.after(last_write)

"""summary.md counts results per feature, lists skip reasons and failures, and gives the verdict."""

from __future__ import annotations

import json
from pathlib import Path

from support.report.summary import main, passed, read_results, render


def write_result(directory: Path, name: str, feature: str, status: str, **extra: object) -> None:
    labels = [{"name": "feature", "value": feature}, {"name": "epic", "value": str(extra.get("area", "Ollama API"))}]
    result: dict[str, object] = {"name": name, "status": status, "labels": labels}
    if "skip_reason" in extra:
        result["description"] = f"Skipped: {extra['skip_reason']}"
    if "message" in extra:
        result["statusDetails"] = {"message": extra["message"]}
    (directory / f"{name}-result.json").write_text(json.dumps(result))


def test_counts_reasons_and_failures_are_reported(tmp_path: Path) -> None:
    write_result(tmp_path, "a", "Chat", "passed")
    write_result(tmp_path, "b", "Chat", "skipped", skip_reason="needs a capable model")
    message = "AssertionError: request: POST /api/embed {}\nresponse: 400\nExpected: <404>\n     but: was <400>\n"
    write_result(tmp_path, "c", "Embeddings", "failed", message=message)
    results = read_results(tmp_path)
    text = render(results, "Run", ["Suites requested: all"], ["aider"])
    assert "**Verdict: FAILED** (these requested suites have no features yet and did NOT run: aider)" in text
    assert "| Chat | 1 | 0 | 0 | 1 |" in text
    assert "- Chat / b: needs a capable model" in text
    assert "- Embeddings / c (failed): Expected: <404> but: was <400>" in text
    assert "- Suites requested: all" in text


def test_only_a_run_where_something_ran_and_all_passed_passes(tmp_path: Path) -> None:
    write_result(tmp_path, "a", "Chat", "passed")
    write_result(tmp_path, "b", "Chat", "skipped", skip_reason="x")
    assert passed(read_results(tmp_path))
    assert not passed([])
    assert main([str(tmp_path), "--output", str(tmp_path / "summary.md")]) == 0


def test_a_run_with_no_results_fails_and_says_why(tmp_path: Path) -> None:
    output = tmp_path / "summary.md"
    assert main([str(tmp_path / "missing"), "--output", str(output)]) == 1
    assert "No scenario ran" in output.read_text()


def test_a_requested_area_whose_scenarios_were_all_skipped_is_not_verified(tmp_path: Path) -> None:
    write_result(tmp_path, "a", "Chat", "passed", area="Ollama API")
    write_result(tmp_path, "b", "Embeddings", "skipped", area="Clients", skip_reason="no embeddings")
    output = tmp_path / "summary.md"
    assert main([str(tmp_path), "--output", str(output), "--area", "ollama_api", "--area", "clients", "--area", "aider"]) == 1
    text = output.read_text()
    assert "**Verdict: NOT VERIFIED**" in text
    assert "- Clients: all 1 selected scenarios were skipped" in text
    assert "- Aider: no scenario was selected" in text
    assert main([str(tmp_path), "--output", str(output), "--area", "ollama_api"]) == 0
    assert "**Verdict: PASSED**" in output.read_text()

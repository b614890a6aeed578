"""Userdata becomes settings, with defaults, validation and resolved paths."""

from __future__ import annotations

from pathlib import Path

import pytest

from support.settings import SettingsError, settings_from_userdata

ROOT = Path("/repo")


def test_defaults_start_the_embedded_stack_with_the_small_model() -> None:
    settings = settings_from_userdata({}, ROOT)
    assert (settings.target, settings.model, settings.engine) == ("local", "smollm2:135m", "mistralrs")
    assert settings.results_dir == ROOT / "results" / "last-run"
    assert settings.capable_model == "auto"


def test_an_external_target_needs_a_url_and_derives_the_openai_one() -> None:
    with pytest.raises(SettingsError, match="ollama_url"):
        settings_from_userdata({"target": "external"}, ROOT)
    settings = settings_from_userdata({"target": "external", "ollama_url": "http://h:11434/"}, ROOT)
    assert settings.ollama_url == "http://h:11434"
    assert settings.openai_url == "http://h:11434/v1"


def test_an_explicit_openai_url_wins() -> None:
    userdata = {"target": "external", "ollama_url": "http://h:1", "openai_url": "http://o:2/v1"}
    assert settings_from_userdata(userdata, ROOT).openai_url == "http://o:2/v1"


@pytest.mark.parametrize("userdata", [{"target": "kubernetes"}, {"engine": "vllm"}])
def test_unknown_targets_and_engines_are_refused(userdata: dict[str, str]) -> None:
    with pytest.raises(SettingsError):
        settings_from_userdata(userdata, ROOT)


@pytest.mark.parametrize(
    ("value", "expected"),
    [("true", "smollm2:135m"), ("YES", "smollm2:135m"), ("false", ""), ("auto", "auto"), ("qwen2.5-coder:1.5b", "qwen2.5-coder:1.5b")],
)
def test_capable_model_names_a_model_or_picks_one(value: str, expected: str) -> None:
    assert settings_from_userdata({"capable_model": value}, ROOT).capable_model == expected


def test_absolute_results_dirs_are_kept() -> None:
    assert settings_from_userdata({"results_dir": "/tmp/x"}, ROOT).results_dir == Path("/tmp/x")

"""@needs.* tags: unmet requirements skip with a reason, unknown ones are errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from support.http import HttpClient
from support.needs import BrokenPromise, TargetNeeds, UnknownNeed, needs_of
from support.ollama import OllamaClient
from support.settings import settings_from_userdata

from . import fake_ollama


def target_needs(url: str, **userdata: str) -> TargetNeeds:
    settings = settings_from_userdata({"target": "external", "ollama_url": url, **userdata}, Path("/repo"))
    return TargetNeeds(settings, OllamaClient(HttpClient(url)))


def test_needs_are_read_from_tags_in_order() -> None:
    assert needs_of(["ollama", "needs.tools", "slow", "needs.embeddings"]) == ["tools", "embeddings"]


def test_a_scenario_without_needs_runs() -> None:
    assert target_needs("http://127.0.0.1:9").skip_reason(["ollama", "slow"]) is None


def test_an_unknown_need_is_an_error_not_a_silent_skip() -> None:
    with pytest.raises(UnknownNeed, match=r"needs\.gpu"):
        target_needs("http://127.0.0.1:9").skip_reason(["needs.gpu"])


def test_no_capable_model_is_assumed_when_none_is_wanted() -> None:
    assert "none was named" in (target_needs("http://127.0.0.1:9", capable_model="false").missing("capable_model") or "")


def test_the_capable_model_is_picked_from_the_target_list() -> None:
    with fake_ollama.running() as server:
        needs = target_needs(server.url)
        assert needs.missing("capable_model") is None
        assert needs.capable_model == "qwen2.5-coder:1.5b"


def test_a_named_capable_model_must_be_listed() -> None:
    with fake_ollama.running() as server:
        assert target_needs(server.url, capable_model="smollm2:135m").capable_model == "smollm2:135m"
        reason = target_needs(server.url, capable_model="llama3.2").missing("capable_model") or ""
    assert "llama3.2" in reason and "-D capable_model=NAME" in reason


def test_missing_embeddings_and_tools_are_explained_from_the_target() -> None:
    with fake_ollama.running() as server:
        needs = target_needs(server.url, model="absent")
        reason = needs.skip_reason(["needs.embeddings", "needs.tools"]) or ""
    assert "/api/embed answered 404" in reason
    assert "does not list the tools capability" in reason


def test_scenarios_that_handle_the_stacks_processes_need_a_stack_the_suite_started() -> None:
    reason = target_needs("http://127.0.0.1:9").missing("local_stack") or ""
    assert "needs the stack as local processes the suite started itself" in reason and "target=external" in reason
    local = settings_from_userdata({"target": "local"}, Path("/repo"))
    assert TargetNeeds(local, OllamaClient(HttpClient("http://127.0.0.1:9"))).missing("local_stack") is None
    docker = settings_from_userdata({"target": "docker"}, Path("/repo"))
    assert "target=docker runs the stack in containers" in (TargetNeeds(docker, OllamaClient(HttpClient("http://127.0.0.1:9"))).missing("local_stack") or "")


def test_scenarios_that_read_the_gateways_process_need_a_gateway_the_suite_started_as_a_process_or_a_container() -> None:
    for target, met in (("local", True), ("docker", True), ("compose", False)):
        settings = settings_from_userdata({"target": target, "compose_project": "p"}, Path("/repo"))
        reason = TargetNeeds(settings, OllamaClient(HttpClient("http://127.0.0.1:9"))).missing("own_gateway")
        assert (reason is None) == met, reason
    assert "target=external is someone else's stack" in (target_needs("http://127.0.0.1:9").missing("own_gateway") or "")


def test_the_benchmark_runs_where_the_stack_runs_on_this_machine() -> None:
    for target in ("local", "docker", "compose"):
        settings = settings_from_userdata({"target": target, "compose_project": "p"}, Path("/repo"))
        assert TargetNeeds(settings, OllamaClient(HttpClient("http://127.0.0.1:9"))).missing("local_engines") is None
    assert "target=external is elsewhere" in (target_needs("http://127.0.0.1:9").missing("local_engines") or "")


def test_every_need_a_feature_names_is_known() -> None:
    """An unknown @needs.* fails its scenarios in before_scenario; catch it here, before any stack starts."""
    root = Path(__file__).resolve().parents[2] / "features"
    named = {tag.removeprefix("@needs.") for path in root.rglob("*.feature") for tag in path.read_text().split() if tag.startswith("@needs.")}
    assert named - target_needs("http://127.0.0.1:9").known() == set()


def test_container_and_control_needs_say_which_targets_meet_them() -> None:
    needs = target_needs("http://127.0.0.1:9")
    assert "--target docker or --target compose" in (needs.missing("docker") or "")
    assert "target=external" in (needs.missing("stack_control") or "")
    local = TargetNeeds(settings_from_userdata({}, Path("/repo")), OllamaClient(HttpClient("http://127.0.0.1:9")))
    assert local.missing("stack_control") is None


def embedded_needs(url: str, **userdata: str) -> TargetNeeds:
    """Needs of the embedded stack (target=local) whose clients reach ``url``."""
    settings = settings_from_userdata({"target": "local", **userdata}, Path("/repo"))
    return TargetNeeds(settings, OllamaClient(HttpClient(url)))


def test_the_embedded_stack_failing_a_bundled_models_probe_fails_the_scenario_instead_of_skipping_it() -> None:
    with fake_ollama.running() as server:
        needs = embedded_needs(server.url, model="smollm2:135m")
        with pytest.raises(BrokenPromise, match=r"@needs\.embeddings: the embedded stack bundles all-minilm"):
            needs.skip_reason(["needs.embeddings"])


def test_an_external_target_lacking_a_capability_is_skipped_with_its_reason() -> None:
    with fake_ollama.running() as server:
        assert "/api/embed answered" in (target_needs(server.url, model="smollm2:135m").skip_reason(["needs.embeddings"]) or "")


def test_a_model_the_stack_does_not_bundle_may_lack_a_capability_on_the_embedded_stack() -> None:
    with fake_ollama.running() as server:
        assert "does not list the tools capability" in (embedded_needs(server.url, model="absent").skip_reason(["needs.tools"]) or "")


def test_the_tools_gate_probes_the_capable_model_when_the_scenario_uses_it() -> None:
    with fake_ollama.running() as server:
        reason = target_needs(server.url, model="smollm2:135m").skip_reason(["needs.tools", "needs.capable_model"]) or ""
    assert "qwen2.5-coder:1.5b does not list the tools capability" in reason


def test_seeded_sampling_is_missing_only_on_the_mistralrs_engine_the_suite_started() -> None:
    for userdata, met in (({"engine": "mistralrs"}, False), ({"engine": "llamacpp"}, True)):
        settings = settings_from_userdata({"target": "local", **userdata}, Path("/repo"))
        reason = TargetNeeds(settings, OllamaClient(HttpClient("http://127.0.0.1:9"))).missing("seeded_sampling")
        assert (reason is None) == met, reason
    assert target_needs("http://127.0.0.1:9").missing("seeded_sampling") is None

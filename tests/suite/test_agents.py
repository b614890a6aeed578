"""The coding agents' pure helpers: their configuration, the turns read from the access log, the verdict, the gate."""

from __future__ import annotations

import sys
import tomllib
from pathlib import Path

from support.agents.figures import MEASURED, codex_model_missing
from support.agents.runner import AgentRun, codex_config, command_line, environment, turns_of
from support.agents.task import MODULE, MODULE_TEXT, TEST, create_repository, judge, remove_repository
from support.aider.gateway_log import parse_access_lines

LOG = """2026-12-04 23:02:11,776 INFO stack.gateway.access {"method": "GET", "path": "/api/tags", "model": "none", "status": 200, "duration_ms": 1.0}
2026-12-04 23:09:11,000 INFO stack.gateway.access {"method": "POST", "path": "/v1/responses", "model": "q", "status": 200, "duration_ms": 240000.0, "prompt_tokens": 8100, "eval_tokens": 40}
2026-12-04 23:10:11,000 INFO stack.gateway.access {"method": "POST", "path": "/v1/messages", "model": "q", "status": 400, "duration_ms": 5.0}
"""


def test_codex_config_points_at_the_stack_only() -> None:
    config = tomllib.loads(codex_config("qwen2.5-coder:1.5b", "http://127.0.0.1:9/v1"))
    provider = config["model_providers"][config["model_provider"]]
    assert provider["base_url"] == "http://127.0.0.1:9/v1"
    assert provider["wire_api"] == "responses"
    assert config["model"] == "qwen2.5-coder:1.5b"
    # A login shell reads /etc/profile, which resets PATH: the task's `python` was then "command not found".
    assert config["allow_login_shell"] is False
    assert config["model_context_window"] == 32768


def test_claude_environment_drops_real_keys_and_sets_every_alias(tmp_path: Path) -> None:
    import os
    os.environ["ANTHROPIC_API_KEY"] = "real-key"
    try:
        env = environment("claude", tmp_path, "m", "http://127.0.0.1:9", "http://127.0.0.1:9/v1")
    finally:
        del os.environ["ANTHROPIC_API_KEY"]
    assert env["ANTHROPIC_API_KEY"] != "real-key"
    assert env["ANTHROPIC_BASE_URL"] == "http://127.0.0.1:9"
    assert {env[name] for name in ("ANTHROPIC_MODEL", "ANTHROPIC_DEFAULT_HAIKU_MODEL", "ANTHROPIC_DEFAULT_SONNET_MODEL")} == {"m"}
    assert env["CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC"] == "1" and env["HOME"] == str(tmp_path)
    assert env["CLAUDE_CODE_DISABLE_AUTO_MEMORY"] == "1" and env["CLAUDE_CODE_MAX_OUTPUT_TOKENS"] == "2048"


def test_codex_environment_writes_its_config_in_a_private_home(tmp_path: Path) -> None:
    env = environment("codex", tmp_path, "m", "http://127.0.0.1:9", "http://127.0.0.1:9/v1")
    assert (Path(env["CODEX_HOME"]) / "config.toml").exists()
    assert Path(env["CODEX_HOME"]).is_relative_to(tmp_path)
    assert env["PATH"].split(":")[0] == str(Path(sys.executable).parent), "`python -m pytest` must find this pytest"


def test_headless_command_lines(tmp_path: Path) -> None:
    assert command_line(tmp_path, "codex", "fix it", "m")[1:2] == ["exec"]
    claude = command_line(tmp_path, "claude", "fix it", "m")
    assert claude[1:3] == ["-p", "fix it"] and "--dangerously-skip-permissions" not in claude
    assert claude[claude.index("--tools") + 1] == "Bash,Edit,Read"


def test_turns_are_the_agents_route_only() -> None:
    entries = parse_access_lines(LOG)
    codex = turns_of(entries, "codex")
    assert [(turn.path, turn.prompt_tokens, turn.seconds) for turn in codex] == [("/v1/responses", 8100, 240.0)]
    run = AgentRun(agent="codex", command=["codex"], returncode=0, timed_out=False, seconds=250.0, stdout="", stderr="",
                   turns=codex)
    assert run.first_prompt_tokens() == 8100 and run.seconds_per_turn() == 240.0
    assert "8100 tokens" in run.summary()
    assert [turn.status for turn in turns_of(entries, "claude")] == [400]


def test_verdict_needs_a_changed_module_and_an_untouched_passing_test() -> None:
    repo = create_repository()
    try:
        assert not judge(repo).fixed
        (repo / MODULE).write_text(MODULE_TEXT.replace("a - b", "a + b"), encoding="utf-8")
        assert judge(repo).fixed
        (repo / TEST).write_text("def test_nothing():\n    pass\n", encoding="utf-8")
        verdict = judge(repo)
        assert verdict.test_passed and not verdict.test_untouched and not verdict.fixed
    finally:
        remove_repository(repo)


def test_codex_gate_names_the_measured_model_with_its_figures() -> None:
    reason = codex_model_missing("qwen2.5-coder:1.5b")
    assert reason is not None and "0 of" in reason and "-D capable_model" in reason
    assert codex_model_missing("qwen2.5-coder:7b") is None
    assert codex_model_missing(None) is None, "a missing capable model is its own need's reason"
    assert all(str(tries.tries) in tries.sentence() for tries in MEASURED)

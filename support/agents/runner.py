"""Codex CLI and Claude Code, installed by `make agents` into .agents/, run headless against the stack, bounded in time.

Neither may reach OpenAI or Anthropic: Codex gets a custom model provider (``wire_api = "responses"``, the stack's
/v1) in a config.toml under a private CODEX_HOME; Claude Code gets ANTHROPIC_BASE_URL, a dummy key, every model
alias set to the stack's model and its non-essential traffic, telemetry and auto-update turned off, with HOME and its
config directory in the same private folder (under .agents/, removed after the run) so nothing of the user's is read.
Each run's requests are read back from the gateway's access log: one per turn, with its prompt tokens and time.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from support.aider.gateway_log import AccessEntry, LogWindow, parse_access_lines

AgentName = Literal["codex", "claude"]
AGENTS: tuple[AgentName, ...] = ("codex", "claude")
PACKAGES: dict[AgentName, str] = {"codex": "@openai/codex@0.169.0", "claude": "@anthropic-ai/claude-code@2.1.328"}
"""The npm packages `make agents` installs, pinned."""
API_PATHS: dict[AgentName, str] = {"codex": "/v1/responses", "claude": "/v1/messages"}
"""The route each agent's turns take through the stack."""
TITLES: dict[AgentName, str] = {"codex": "Codex CLI", "claude": "Claude Code"}
DUMMY_KEY = "suite-no-key"
AGENT_NUM_CTX = 32768
"""Qwen2.5-Coder's whole window: Codex's first prompt is 8.6k tokens (Claude Code's 3.5k with three tools, 11.8k with
all of them), and Ollama's default window of 4096 would cut most of it away."""


def _post(url: str, body: dict[str, object], method: str = "POST", timeout_s: float = 120.0) -> int:
    request = urllib.request.Request(url, data=json.dumps(body).encode(), method=method,
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=timeout_s) as response:
        response.read()
        return int(response.status)


AGENT_NUM_PREDICT = 2048
"""The answer's bound in the same Modelfile. Codex sends no max_output_tokens, so a small model that rambles would write
until the window is full: 20k tokens, over 20 minutes on 2 cores (a rambling answer wrote over 2,000 tokens in 3
minutes and was still going when it was stopped, 2026-12-05). Claude Code sends its own bound
(CLAUDE_CODE_MAX_OUTPUT_TOKENS, the same 2048)."""


def create_windowed_model(ollama_url: str, source: str, num_ctx: int = AGENT_NUM_CTX,
                          num_predict: int = AGENT_NUM_PREDICT) -> str:
    """A copy of the model whose Modelfile sets num_ctx and num_predict, made by /api/create as an Ollama user makes one
    for an agent.

    The engine may still clamp the window (llama.cpp's runner holds at most 32768 tokens,
    stack/gateway/engines/llamacpp.py).
    """
    name = f"{source.partition(':')[0]}-agents:{num_ctx // 1024}k"
    _post(f"{ollama_url}/api/create", {"model": name, "from": source, "stream": False,
                                       "parameters": {"num_ctx": num_ctx, "num_predict": num_predict}})
    return name


def delete_model(ollama_url: str, name: str) -> None:
    """Remove the windowed copy again."""
    _post(f"{ollama_url}/api/delete", {"model": name}, method="DELETE")


def agents_dir(repo_root: Path) -> Path:
    """The ignored npm prefix `make agents` installs into."""
    return repo_root / ".agents"


def executable(repo_root: Path, agent: AgentName) -> Path:
    """The agent's command in the npm prefix."""
    return agents_dir(repo_root) / "node_modules" / ".bin" / agent


def agents_missing(repo_root: Path) -> str | None:
    """None when both CLIs are installed where the suite looks, otherwise what to do."""
    absent = [PACKAGES[agent] for agent in AGENTS if not executable(repo_root, agent).exists()]
    if not absent:
        return None
    return f"needs {' and '.join(absent)} in .agents/ (and Node with npm); `make agents` installs them"


def codex_config(model: str, openai_url: str, context_window: int = AGENT_NUM_CTX) -> str:
    """config.toml for a custom provider at the stack, Responses wire API, no retries, no approvals asked.

    Codex knows no metadata for a local model, so it is told the window. Its shell is not a login shell: a login shell
    reads /etc/profile, which resets PATH, and the task's `python` (this interpreter, put first on PATH) was then
    "command not found" (a run of 2026-12-05).
    """
    return f'''model = "{model}"
model_provider = "stack"
model_context_window = {context_window}
approval_policy = "never"
sandbox_mode = "workspace-write"
allow_login_shell = false

[model_providers.stack]
name = "stack"
base_url = "{openai_url}"
env_key = "STACK_API_KEY"
wire_api = "responses"
request_max_retries = 0
stream_max_retries = 0
stream_idle_timeout_ms = 3600000
'''


def command_line(repo_root: Path, agent: AgentName, instruction: str, model: str) -> list[str]:
    """The headless command: `codex exec` or `claude -p`, allowed to edit and run commands without asking."""
    binary = str(executable(repo_root, agent))
    if agent == "codex":
        return [binary, "exec", "--json", "--ephemeral", "--skip-git-repo-check", "-s", "workspace-write", instruction]
    # --dangerously-skip-permissions is refused as root; accepting edits and allowing the tools it needs is enough.
    # --tools offers the model only those three: with all twelve the 1.5B model called Agent and Read a file that
    # does not exist, on an 11.8k-token first prompt (3.5k with three).
    return [binary, "-p", instruction, "--model", model, "--output-format", "stream-json", "--verbose",
            "--no-session-persistence", "--permission-mode", "acceptEdits", "--tools", "Bash,Edit,Read",
            "--allowedTools", "Bash Edit Read"]


def environment(agent: AgentName, home: Path, model: str, ollama_url: str, openai_url: str) -> dict[str, str]:
    """The process environment: the user's, minus any real keys, plus the stack's address and a private home."""
    env = {name: value for name, value in os.environ.items()
           if not name.startswith(("OPENAI_", "ANTHROPIC_", "CODEX_", "CLAUDE_"))}
    env["HOME"] = str(home)
    # `python -m pytest`, as the task says, is this interpreter: the agent's shell has no other `python` here.
    env["PATH"] = os.pathsep.join((str(Path(sys.executable).parent), env.get("PATH", os.defpath)))
    if agent == "codex":
        codex_home = home / "codex"
        codex_home.mkdir(parents=True, exist_ok=True)
        (codex_home / "config.toml").write_text(codex_config(model, openai_url), encoding="utf-8")
        return {**env, "CODEX_HOME": str(codex_home), "STACK_API_KEY": DUMMY_KEY}
    return {
        **env,
        "CLAUDE_CONFIG_DIR": str(home / "claude"),
        "ANTHROPIC_BASE_URL": ollama_url,
        "ANTHROPIC_API_KEY": DUMMY_KEY,
        "ANTHROPIC_MODEL": model,
        "ANTHROPIC_DEFAULT_OPUS_MODEL": model,
        "ANTHROPIC_DEFAULT_SONNET_MODEL": model,
        "ANTHROPIC_DEFAULT_HAIKU_MODEL": model,
        "ANTHROPIC_SMALL_FAST_MODEL": model,
        "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC": "1",
        "DISABLE_AUTOUPDATER": "1",
        "DISABLE_TELEMETRY": "1",
        "DISABLE_ERROR_REPORTING": "1",
        # Its auto-memory tells the model of a memory folder under HOME; the 1.5B model went to read it instead of calc.py.
        "CLAUDE_CODE_DISABLE_AUTO_MEMORY": "1",
        # It asks for 32000 answer tokens by default; with 4096 a small model that rambled wrote all of them for 315 s on
        # 2 cores. The task's tool calls take under 200.
        "CLAUDE_CODE_MAX_OUTPUT_TOKENS": str(AGENT_NUM_PREDICT),
        "API_TIMEOUT_MS": "3600000",
        # The first byte comes after the whole prompt is read: minutes on CPU, where Claude Code gave up at 360 s and
        # retried into a runner still busy with the abandoned prompt. 1800000 is the most it accepts.
        "CLAUDE_STREAM_FIRST_BYTE_TIMEOUT_MS": "1800000",
        "CLAUDE_STREAM_IDLE_TIMEOUT_MS": "1800000",
        "CLAUDE_BYTE_STREAM_IDLE_TIMEOUT_MS": "1800000",
    }


@dataclass(frozen=True)
class Turn:
    """One request the agent made to the stack, as the gateway's access log recorded it."""

    path: str
    status: int
    prompt_tokens: int | None
    eval_tokens: int | None
    seconds: float | None


@dataclass(frozen=True)
class AgentRun:
    """What one headless run did: exit, output, time and the turns the stack served."""

    agent: AgentName
    command: list[str]
    returncode: int | None
    timed_out: bool
    seconds: float
    stdout: str
    stderr: str
    turns: list[Turn]

    def first_prompt_tokens(self) -> int | None:
        """Prompt tokens of the first turn: the agent's system prompt, tool definitions and the instruction."""
        counted = [turn.prompt_tokens for turn in self.turns if turn.prompt_tokens is not None]
        return counted[0] if counted else None

    def seconds_per_turn(self) -> float | None:
        """Mean seconds of the turns the gateway finished."""
        timed = [turn.seconds for turn in self.turns if turn.seconds is not None]
        return sum(timed) / len(timed) if timed else None

    def summary(self) -> str:
        """One line of figures for the report and the docs."""
        per_turn = self.seconds_per_turn()
        return (f"{TITLES[self.agent]}: {len(self.turns)} turns, first prompt {self.first_prompt_tokens()} tokens, "
                f"{per_turn:.0f} s per turn" if per_turn is not None else
                f"{TITLES[self.agent]}: {len(self.turns)} turns finished") + (
                f", {self.seconds:.0f} s in all, exit {'timeout' if self.timed_out else self.returncode}")

    def attachments(self) -> dict[str, str]:
        """The texts a reader needs: figures, turns, the agent's output."""
        turns = "\n".join(f"{turn.path} {turn.status} prompt={turn.prompt_tokens} eval={turn.eval_tokens} "
                          f"seconds={turn.seconds}" for turn in self.turns)
        return {"figures.txt": self.summary(), "turns.txt": turns or "(no turn reached the stack)",
                "command.txt": " ".join(self.command), "stdout.txt": self.stdout[-20000:], "stderr.txt": self.stderr[-20000:]}


def turns_of(entries: list[AccessEntry], agent: AgentName) -> list[Turn]:
    """The access-log entries on the agent's API route, in order."""
    return [Turn(path=entry.path, status=entry.status, prompt_tokens=entry.prompt_tokens, eval_tokens=entry.eval_tokens,
                 seconds=float(entry.raw["duration_ms"]) / 1000 if isinstance(entry.raw.get("duration_ms"), int | float) else None)
            for entry in entries if entry.path.startswith(API_PATHS[agent])]


def run_agent(repo_root: Path, agent: AgentName, workdir: Path, instruction: str, model: str, ollama_url: str,
              openai_url: str, gateway_log: Path, timeout_s: float) -> AgentRun:
    """Run the agent in workdir until it exits or the time is up (then its process group is killed)."""
    # Not under /tmp: Codex refuses to put its helper commands (apply_patch among them) on PATH from a temporary dir.
    agents_dir(repo_root).mkdir(exist_ok=True)
    home = Path(tempfile.mkdtemp(prefix=f"home-{agent}-", dir=agents_dir(repo_root)))
    command = command_line(repo_root, agent, instruction, model)
    window = LogWindow(gateway_log)
    started = time.monotonic()
    process = subprocess.Popen(command, cwd=workdir, env=environment(agent, home, model, ollama_url, openai_url),
                               stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               start_new_session=True)
    timed_out = False
    try:
        stdout, stderr = process.communicate(timeout=timeout_s)
    except subprocess.TimeoutExpired:
        timed_out = True
        os.killpg(process.pid, signal.SIGKILL)
        stdout, stderr = process.communicate()
    finally:
        shutil.rmtree(home, ignore_errors=True)
    seconds = time.monotonic() - started
    return AgentRun(agent=agent, command=command, returncode=None if timed_out else process.returncode,
                    timed_out=timed_out, seconds=seconds, stdout=stdout, stderr=stderr,
                    turns=turns_of(parse_access_lines(window.read()), agent))

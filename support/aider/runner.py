"""Aider 0.86.2 run non-interactively against the stack, in its own virtualenv, bounded in time.

Two routes reach the same gateway: ``ollama_chat/<model>`` with OLLAMA_API_BASE (litellm's native Ollama provider,
POST /api/chat with ``options.num_ctx``) and ``openai/<model>`` with OPENAI_API_BASE at ``/v1``.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import signal
import subprocess
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from support.aider.gateway_log import AccessEntry, LogWindow, parse_access_lines
from support.aider.workspace import Workspace

AIDER_VERSION = "0.86.2"
ROUTES = ("ollama_chat", "openai")
EDIT_FORMATS = ("whole", "diff")
CHAT_PATHS = {"ollama_chat": "/api/chat", "openai": "/v1/chat/completions"}
OFFLINE_FLAGS = ("--no-check-update", "--analytics-disable", "--no-show-model-warnings", "--no-show-release-notes")
HEADLESS_FLAGS = ("--yes-always", "--no-pretty", "--no-fancy-input", "--no-gitignore", "--no-detect-urls", "--no-suggest-shell-commands")
MALFORMED = "The LLM did not conform to the edit format"
_TOKENS = re.compile(r"Tokens: (\S+) sent, (?:.*?, )?(\S+) received\.")


def aider_executable(repo_root: Path) -> Path:
    """The aider script of the virtualenv the bootstrap makes (`make aider`)."""
    return repo_root / ".venv-aider" / "bin" / "aider"


def aider_missing(repo_root: Path) -> str | None:
    """None when Aider is installed where the suite looks for it, otherwise what to do."""
    if aider_executable(repo_root).exists():
        return None
    return f"needs Aider {AIDER_VERSION} in .venv-aider; `make aider` installs it"


@dataclass(frozen=True)
class Endpoint:
    """Where Aider's route points: the native base URL for ollama_chat, the /v1 base for openai."""

    route: str
    model: str
    ollama_url: str
    openai_url: str

    @property
    def model_argument(self) -> str:
        """Aider's --model: litellm's provider prefix and the model's name."""
        return f"{self.route}/{self.model}"

    def environment(self) -> dict[str, str]:
        """The variables litellm reads for this route."""
        if self.route == "ollama_chat":
            return {"OLLAMA_API_BASE": self.ollama_url}
        # A local server takes any key; litellm refuses to send without one.
        return {"OPENAI_API_BASE": self.openai_url, "OPENAI_API_KEY": "sk-local"}


@dataclass(frozen=True)
class AiderOptions:
    """One --message run: what to send and how Aider should treat the reply."""

    message: str
    files: Sequence[str] = ()
    edit_format: str = "whole"
    chat_mode: str | None = None
    """`ask` for a question that edits nothing; None edits in `edit_format`."""
    test_command: str | None = None
    auto_test: bool = False
    auto_commits: bool = True
    stream: bool = True
    map_tokens: int | None = None
    restore_chat_history: bool = False
    max_chat_history_tokens: int | None = None
    """Above this Aider summarises the history with the model first; set high, the whole history reaches the stack."""
    extra_params: dict[str, object] = field(default_factory=dict)
    """Sent with every request (a model settings file's extra_params): a fixed num_ctx, stop sequences."""
    dry_run: bool = False
    use_git: bool = True
    """False passes --no-git: Aider's benchmark runs without a repository, so no commits and no repository map."""
    timeout_s: float = 300.0


@dataclass
class AiderRun:
    """Everything one run left behind, for the checks and the report."""

    command: list[str]
    output: str
    exit_code: int | None
    timed_out: bool
    seconds: float
    files_before: dict[str, str]
    files_after: dict[str, str]
    git_log_before: list[str]
    git_log_after: list[str]
    chat_history: str
    gateway_log: str
    access: list[AccessEntry] = field(default_factory=list)

    def chat_requests(self, path: str) -> list[AccessEntry]:
        """The gateway's entries for the chat endpoint of a route."""
        return [entry for entry in self.access if entry.path == path]

    def reported_tokens(self) -> list[tuple[str, str]]:
        """Aider's "Tokens: X sent, Y received." reports, as it formats them."""
        return _TOKENS.findall(self.output)

    @property
    def malformed(self) -> bool:
        """Whether Aider said a reply did not follow the edit format."""
        return MALFORMED in self.output

    def attachments(self) -> dict[str, str]:
        """What the report keeps of the run: command, output, files, history and the gateway's lines."""
        changed = {path: text for path, text in self.files_after.items() if self.files_before.get(path) != text}
        return {
            "aider command": shlex.join(self.command),
            "aider output": self.output + f"\n[exit {self.exit_code}, {self.seconds:.1f} s{', stopped at the time bound' if self.timed_out else ''}]",
            "files changed": "\n\n".join(f"--- {path}\n{text}" for path, text in changed.items()) or "<none>",
            "git log before and after": "\n".join(self.git_log_before) + "\n---\n" + "\n".join(self.git_log_after),
            ".aider.chat.history.md": self.chat_history or "<none>",
            "gateway access log for the run": "\n".join(json.dumps(entry.raw) for entry in self.access) or "<none>",
        }

    @property
    def new_commits(self) -> list[str]:
        """Commits the run added, newest first."""
        return self.git_log_after[: len(self.git_log_after) - len(self.git_log_before)]


def format_tokens(count: int) -> str:
    """A token count as Aider prints it (aider/utils.py format_tokens)."""
    if count < 1000:
        return str(count)
    if count < 10000:
        return f"{count / 1000:.1f}k"
    return f"{round(count / 1000)}k"


def parse_tokens(text: str) -> int:
    """A count as Aider prints it, back to a number: "812", "4.5k", "13k" (the last two rounded by Aider)."""
    return round(float(text[:-1]) * 1000) if text.endswith("k") else int(text)


def aider_command(repo_root: Path, endpoint: Endpoint, options: AiderOptions, settings_file: Path | None) -> list[str]:
    """Aider's command line for one run: offline, headless, the edit format always explicit."""
    command = [str(aider_executable(repo_root)), "--model", endpoint.model_argument, "--message", options.message,
               *OFFLINE_FLAGS, *HEADLESS_FLAGS]
    command += ["--chat-mode", options.chat_mode] if options.chat_mode else ["--edit-format", options.edit_format]
    if options.test_command:
        command += ["--test-cmd", options.test_command]
    if options.auto_test:
        command.append("--auto-test")
    if not options.auto_commits:
        command.append("--no-auto-commits")
    if not options.stream:
        command.append("--no-stream")
    if options.map_tokens is not None:
        command += ["--map-tokens", str(options.map_tokens)]
    if options.restore_chat_history:
        command.append("--restore-chat-history")
    if options.max_chat_history_tokens is not None:
        command += ["--max-chat-history-tokens", str(options.max_chat_history_tokens)]
    if options.dry_run:
        command.append("--dry-run")
    if not options.use_git:
        command.append("--no-git")
    if settings_file is not None:
        command += ["--model-settings-file", str(settings_file)]
    return [*command, *options.files]


def run_aider(repo_root: Path, workspace: Workspace, endpoint: Endpoint, options: AiderOptions, gateway_log: Path | None) -> AiderRun:
    """Run Aider once in the workspace's repository and collect what it left; never raises for Aider's failures."""
    settings_file = None
    if options.extra_params:
        # Aider matches settings on the exact --model string; a match replaces its defaults (edit format, map).
        settings_file = workspace.root / "model-settings.yml"
        settings = [{"name": endpoint.model_argument, "edit_format": options.edit_format, "extra_params": options.extra_params}]
        settings_file.write_text(yaml.safe_dump(settings), encoding="utf-8")
    command = aider_command(repo_root, endpoint, options, settings_file)
    environment = environment_for(endpoint, workspace.home)
    files_before, log_before = workspace.files(), workspace.git_log()
    window = LogWindow(gateway_log) if gateway_log is not None else None
    started = time.monotonic()
    process = subprocess.Popen(command, cwd=workspace.repo, env=environment, stdin=subprocess.DEVNULL,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True)
    timed_out = False
    try:
        output, _ = process.communicate(timeout=options.timeout_s)
    except subprocess.TimeoutExpired:
        # Aider and litellm retry for about a minute on errors; the whole process group goes at the bound.
        timed_out = True
        os.killpg(process.pid, signal.SIGKILL)
        output, _ = process.communicate()
    seconds = time.monotonic() - started
    # The access line is written when the response ends, a moment after Aider has read it.
    time.sleep(0.3)
    log_text = window.read() if window is not None else ""
    return AiderRun(
        command=command, output=output.decode("utf-8", errors="replace"), exit_code=process.returncode, timed_out=timed_out,
        seconds=seconds, files_before=files_before, files_after=workspace.files(), git_log_before=log_before,
        git_log_after=workspace.git_log(), chat_history=workspace.chat_history(), gateway_log=log_text,
        access=parse_access_lines(log_text),
    )


def environment_for(endpoint: Endpoint, home: Path) -> dict[str, str]:
    """The process environment of an Aider run: this one's, minus other routes' settings, offline."""
    environment = {key: value for key, value in os.environ.items() if not key.startswith(("OLLAMA_", "OPENAI_", "AIDER_"))}
    environment.update(endpoint.environment())
    # Offline: litellm's cost map from the wheel, and a throwaway HOME for Aider's caches and analytics switch.
    environment.update({"HOME": str(home), "LITELLM_LOCAL_MODEL_COST_MAP": "True", "NO_COLOR": "1", "TERM": "dumb", "COLUMNS": "10000"})
    return environment


_MODEL_INFO = """
import json, sys, litellm
info = litellm.get_model_info(sys.argv[1])
print(json.dumps({key: info.get(key) for key in ("max_input_tokens", "max_tokens", "supports_function_calling")}))
"""


def litellm_model_info(repo_root: Path, endpoint: Endpoint, home: Path) -> dict[str, object]:
    """What litellm, in Aider's virtualenv, reads about the model from the stack (POST /api/show), as Aider reads it."""
    python = aider_executable(repo_root).parent / "python"
    completed = subprocess.run([str(python), "-c", _MODEL_INFO, endpoint.model_argument], env=environment_for(endpoint, home),
                               capture_output=True, text=True, timeout=120, check=False)
    if completed.returncode != 0:
        return {"error": (completed.stderr or completed.stdout)[-2000:]}
    parsed: dict[str, object] = json.loads(completed.stdout.strip().splitlines()[-1])
    return parsed


def test_command_line(workspace: Workspace) -> str:
    """The task's tests as a shell command for Aider's --test-cmd."""
    return shlex.join(workspace.test_command())

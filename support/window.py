"""The context window as a client sees it: the default Ollama picks for a machine, and prompts that overflow it.

Ollama 0.15.5 and later give a request with no window of its own (no `num_ctx` in the request or the Modelfile, no
OLLAMA_CONTEXT_LENGTH) a default from the machine's total VRAM (server/routes.go), clamped to the model's own window.
"""

from __future__ import annotations

import json
import subprocess
from typing import Any

GIB = 1 << 30
TIERS = ((47 * GIB, 262144), (23 * GIB, 32768))
SMALL_MACHINE_WINDOW = 4096
LLAMA_SERVER_REFUSAL = "the request exceeds the available context size, try increasing it"
"""llama-server's text for a prompt that fills its window; Ollama passes the whole body on as its error."""
SHIFT_OFF_REFUSAL = (
    "the prompt is longer than the context length currently available to the model; shorten the prompt, adjust the "
    "context length in settings, or use a model with a longer context length"
)


def machine_vram() -> int:
    """Total memory of this machine's NVIDIA GPUs in bytes, 0 without one (read apart from the gateway's own code)."""
    try:
        listed = subprocess.run(["nvidia-smi", "--query-gpu=memory.total", "--format=csv,noheader,nounits"],
                                capture_output=True, text=True, timeout=10, check=True).stdout
    except (OSError, subprocess.SubprocessError):
        return 0
    return sum(int(line) << 20 for line in listed.split() if line.isdigit())


def expected_default_window(vram: int, model_window: int) -> int:
    """The window Ollama runs a model with when nothing sets one: the VRAM tier, within the model's own window."""
    tier = next((window for floor, window in TIERS if vram >= floor), SMALL_MACHINE_WINDOW)
    return min(tier, model_window)


def model_window(show: dict[str, Any]) -> int:
    """The model's trained window from /api/show's model_info (`<architecture>.context_length`)."""
    info = show.get("model_info") or {}
    architecture = info.get("general.architecture", "")
    return int(info[f"{architecture}.context_length"])


def long_prompt(words: int) -> str:
    """A prompt of about `words` tokens and more: plain words, one token or two each."""
    return "Summarise this: " + " ".join(f"apple{index % 50}" for index in range(words))


def llama_server_refusal(error: str) -> dict[str, Any] | None:
    """The llama-server error body inside Ollama's error text, or None when the text is not one."""
    try:
        body = json.loads(error)
    except ValueError:
        return None
    inner = body.get("error") if isinstance(body, dict) else None
    return inner if isinstance(inner, dict) and inner.get("message") == LLAMA_SERVER_REFUSAL else None

"""An Ollama- and OpenAI-compatible HTTP gateway over mistral.rs, llama.cpp or an OpenAI upstream."""

OLLAMA_VERSION = "0.33.0"
"""The Ollama API version this gateway follows; clients such as Copilot refuse anything below 0.6.4."""

"""The stack under test: an Ollama- and OpenAI-compatible gateway over mistral.rs."""

"""Real coding agents (Codex CLI, Claude Code) run headless against the stack: bootstrap, runs and their figures."""

@agents @needs.coding_agents @needs.capable_model @needs.gateway_log
Feature: Real coding agents through the stack
  As a developer who points Codex CLI or Claude Code at a local model
  I want the agent, run headless, to fix a bug through the stack's Responses or Messages API
  So that the stack serves a real agent's long prompts, tools and turns as Ollama does

  Each agent runs headless (`codex exec`, `claude -p`) in a throwaway git repository whose test fails until a one-line
  bug in calc.py is fixed, and is asked to read calc.py and fix its bug. The verdict is the repository, never the
  agent's words: the test passes, the test file is byte for byte what it was, and calc.py changed. The agents are
  configured to reach the stack only (a custom Codex provider with the Responses wire API; Claude Code's
  ANTHROPIC_BASE_URL with its non-essential traffic off), and as a user of a small local model configures them: Claude
  Code with only its Bash, Edit and Read tools and no auto-memory, both with answers bounded to 2048 tokens. The
  model gets its whole 32k window through a Modelfile's num_ctx, as an Ollama user gives it: Codex's first prompt is
  8.6k tokens, over Ollama's default 4096. A 1.5B model does not fix the bug every time, so each agent has up to three
  tries, each in a fresh copy of the repository; every try's turns must be answered. On two CPU cores a try takes 20 s
  to 4 minutes (docs/agents.md).

  Rule: A headless agent fixes a failing test through the stack, judged by the files and the test

    # Codex gives a model it has no metadata for no edit tool, only its shell, and /v1/responses samples at
    # temperature 1.0 when the request names none, as Ollama does: with the 1.5B model it runs the test and then
    # answers in text. The skip reason gives the figures; a model that follows Codex's prompt runs it.
    @critical @slow @needs.codex_model
    Scenario: Codex CLI fixes a failing test through the Responses API
      Given a throwaway repository whose test fails until the bug in calc.py is fixed
      And the capable model with its whole context window, made with /api/create as an Ollama user makes it
      When Codex CLI is asked headless to make the test pass, in up to 3 tries, with that model on the stack
      Then every try's turns reached the stack's /v1/responses route and were answered
      And in one try the test passes, the test file is unchanged and calc.py changed

    @critical @slow
    Scenario: Claude Code fixes a failing test through the Messages API
      Given a throwaway repository whose test fails until the bug in calc.py is fixed
      And the capable model with its whole context window, made with /api/create as an Ollama user makes it
      When Claude Code is asked headless to make the test pass, in up to 3 tries, with that model on the stack
      Then every try's turns reached the stack's /v1/messages route and were answered
      And in one try the test passes, the test file is unchanged and calc.py changed

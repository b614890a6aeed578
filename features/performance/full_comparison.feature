@performance @benchmark @slow @needs.local_engines @needs.full_benchmark @needs.capable_model @fixture.benchmark
Feature: The full comparison: both models, prompt sizes, load shapes, and a real Ollama when given one
  As an operator sizing a machine for a local LLM stack
  I want both bundled chat models measured at every prompt size, under a concurrency sweep and Poisson arrivals
  So that I know where each engine saturates and how the gateway behaves as load grows

  ./run-all-tests.sh benchmark --iterations N runs it (-D benchmark=full with behave). It measures SmolLM2 135M and
  Qwen2.5-Coder 1.5B, short, medium and long prompts, streamed and not, native and OpenAI API, concurrency
  1, 2, 4 and 8, and Poisson arrivals; with -D ollama_compare_url=URL a real Ollama is measured in the same turns.
  The report is in results/<run>/benchmark/full/.

  Background:
    Given the cpu-2core profile's benchmark bounds: first token within 45 s at the 95th percentile, at least 35% of the raw engine's decode speed through the gateway and at most 3000 ms added to its first token, 8 requests at once with none failed, peak memory under 2048 MiB
    And the full comparison has run on both models

  Rule: Every load the plan applies is served

    @critical
    Scenario: No request fails under the sweep and the Poisson arrivals
      Then no request failed with 8 requests in flight on any target
      And no request failed under Poisson arrivals

  Rule: The gateway's cost and the engines' speeds are stated for both models

    Scenario: For both models the gateway keeps the profile's share of each raw engine's speed, and the report compares the engines
      Then the gateway kept the profile's share of each raw engine's decode speed
      And the gateway added at most the profile's milliseconds to the first token
      And the report compares mistral.rs with llama.cpp on every model

    Scenario: Longer prompts take longer to their first token
      Then the time to first token grew with the prompt's length on every target

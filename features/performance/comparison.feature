@performance @benchmark @needs.local_engines @fixture.benchmark
Feature: The Mistral.rs stack measured against llama.cpp, Ollama's engine, on this machine
  As an operator deciding whether a Mistral.rs stack can replace Ollama on my hardware
  I want latency, throughput, streaming timing and memory measured side by side in one run
  So that I judge the switch on figures from my own machine, not on a project's README

  Every suite run includes a quick comparison on the small model: the gateway over mistral.rs, the same gateway
  over llama.cpp (the engine Ollama embeds), and each engine raw in its runner process, taking turns batch by batch
  so that other load on the machine falls on all alike. Bounds come from the hardware profile
  (-D bench_profile, profiles/cpu-2core.yaml by default). The report is in results/<run>/benchmark/.

  Background:
    Given the cpu-2core profile's benchmark bounds: first token within 45 s at the 95th percentile, at least 35% of the raw engine's decode speed through the gateway and at most 3000 ms added to its first token, 8 requests at once with none failed, peak memory under 2048 MiB
    And the quick comparison has run on the small model

  Rule: The stack serves concurrent clients without losing requests

    @critical
    Scenario: No request fails with the profile's number of requests in flight
      Then no request failed with 8 requests in flight on any target

  Rule: Answers start quickly and stream

    Scenario: Short prompts get their first token within the profile's bound
      Then short prompts got their first token within the profile's bound at the 95th percentile

    Scenario: A streamed answer shows its first token well before its last
      Then each streamed answer's first token came well before the whole answer

  Rule: The gateway costs little over the raw engine

    Scenario: Through the gateway, decode keeps the profile's share of the raw engine's speed and the first token comes within its milliseconds
      Then the gateway kept the profile's share of each raw engine's decode speed
      And the gateway added at most the profile's milliseconds to the first token

  Rule: Resources stay bounded and the measurement is sound

    Scenario: Memory stays under the profile's bound
      Then each server's peak memory, its runners included, stayed under the profile's bound

    Scenario: The load generator is not the bottleneck
      Then the load generator's calibrated ceiling was far above the busiest batch's chunk rate

    Scenario: The report holds the requests, the summary, the comparison and the plots
      Then the benchmark folder holds requests.csv, summary.json, performance.md and the plots
